// Package building and re-signing (see builder.hpp).
#include "mpaas/offline/builder.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "mpaas/archive/reader.hpp"
#include "mpaas/archive/tar_writer.hpp"
#include "mpaas/archive/zip_writer.hpp"
#include "mpaas/core/atomic_file.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/core/unique_fd.hpp"

namespace mpaas::offline {
namespace fs = std::filesystem;
namespace {

// An unnamed read-write file in `folder` that counts what was written to it.
class AnonymousFile {
 public:
  explicit AnonymousFile(const fs::path& folder) : m_fd(open_anonymous_file(folder)) {}
  int fd() const { return m_fd.get(); }
  uint64_t size = 0;

  void write(const void* data, size_t length) {
    write_all(m_fd.get(), data, length, "package");
    size += length;
  }

 private:
  UniqueFd m_fd;
};

fs::path folder_of(const fs::path& output) {
  auto parent = fs::absolute(output).parent_path();
  return parent.empty() ? fs::current_path() : parent;
}

std::string sign_text(const crypto::Key& key, crypto::DigestKind digest, const std::string& text) {
  crypto::Signer signer(key, digest);
  signer.update(text);
  return crypto::base64_encode(signer.finish());
}

// Characters that no urlencode (Java's URLEncoder, PHP's urlencode, JavaScript's
// encodeURIComponent) rewrites: mPaaS asks global resources to avoid every other one.
bool is_url_safe(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

// A DNS host name: labels of 1-63 letters, digits and inner hyphens, 253 characters at most.
bool is_host_name(const std::string& name) {
  if (name.empty() || name.size() > 253)
    return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = std::min(name.find('.', start), name.size());
    std::string label = name.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    for (char c : label)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-')
        return false;
    start = end + 1;
  }
  return true;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t slash; (slash = path.find('/', start)) != std::string::npos; start = slash + 1)
    parts.push_back(path.substr(start, slash - start));
  parts.push_back(path.substr(start));
  return parts;
}

// The tar entry on its way: its bytes are signed and deflated as they are produced, the
// compressed stream landing in an anonymous temp file, since the envelope puts CERT.json
// (which needs the tar's signature) before the tar.
class TarStream {
 public:
  TarStream(const fs::path& folder, const PackOptions& options)
      : m_compressed(folder),
        m_deflater([this](const void* data, size_t size) { m_compressed.write(data, size); },
                   options.threads) {
    if (options.key)
      m_signer.emplace(*options.key, options.digest);
  }

  void write(const void* data, size_t size) {
    m_deflater.write(data, size);
    if (m_signer)
      m_signer->update(data, size);
  }
  // Ends the stream; returns the tar's signature (base64), empty when unsigned.
  std::string finish() {
    m_totals = m_deflater.finish();
    return m_signer ? crypto::base64_encode(m_signer->finish()) : std::string();
  }
  const archive::DeflateTotals& totals() const { return m_totals; }
  int compressed_fd() const { return m_compressed.fd(); }

 private:
  AnonymousFile m_compressed;
  archive::ParallelDeflater m_deflater;
  std::optional<crypto::Signer> m_signer;
  archive::DeflateTotals m_totals;
};

// Writes the envelope around a finished tar stream.
PackResult write_envelope(const std::string& manifest, const TarStream& tar,
                          const std::string& tar_entry,
                          const std::map<std::string, std::string>& signatures,
                          const fs::path& output, const PackOptions& options) {
  AtomicFile file(output, 0644, Durability::rename_only);
  archive::ZipWriter zip(file.fd(), archive::ZipEntryOptions{options.mtime}, options.threads);
  zip.add(manifest_name, manifest);
  if (!signatures.empty())
    zip.add(cert_name, cert_json(signatures));
  zip.add_deflated(tar_entry, tar.totals(), tar.compressed_fd());
  zip.finish();
  file.commit();
  PackResult result;
  result.output = output;
  result.size = fs::file_size(output);
  result.tar_size = tar.totals().size;
  result.is_signed = !signatures.empty();
  return result;
}

// The signatures of CERT.json: the tar's (already computed) and the manifest's.
std::map<std::string, std::string> signatures_of(const std::string& tar_entry,
                                                 const std::string& tar_signature,
                                                 const std::string& manifest_text,
                                                 const PackOptions& options) {
  if (!options.key)
    return {};
  return {{tar_entry, tar_signature},
          {manifest_name, sign_text(*options.key, options.digest, manifest_text)}};
}

}  // namespace

int64_t epoch_from(const std::string& value) {
  // 1 to 12 ASCII digits, checked by hand: no std::regex on an environment value.
  bool number =
      !value.empty() && value.size() <= 12 &&
      std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
  return number ? std::stoll(value) : default_epoch;
}

std::vector<SourceFile> collect_files(const Settings& settings, const fs::path& root) {
  if (!fs::is_directory(root))
    throw not_found("no such folder (" + root.string() + ")");
  auto real_root = fs::canonical(root);
  std::vector<SourceFile> files;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    std::string relative = it->path().lexically_relative(root).generic_string();
    auto status = it->symlink_status();
    if (fs::is_symlink(status)) {
      std::error_code error;
      auto target = fs::canonical(it->path(), error);
      auto inside = fs::relative(target, real_root).generic_string();
      if (error || inside.empty() || inside.rfind("..", 0) == 0) {
        throw invalid_input("symbolic link points outside the source folder (" + relative + ")");
      }
      if (!fs::is_regular_file(target) || !is_selected(settings, relative))
        continue;
      files.push_back({relative, target, fs::file_size(target)});
      continue;
    }
    if (!fs::is_regular_file(status) || relative == hpmfile_name)
      continue;
    if (!is_selected(settings, relative))
      continue;
    files.push_back({relative, it->path(), fs::file_size(it->path())});
  }
  std::sort(files.begin(), files.end(),
            [](const SourceFile& a, const SourceFile& b) { return a.path < b.path; });
  return files;
}

std::string global_path_problem(const std::string& path) {
  auto parts = split_path(path);
  if (parts.size() < 3)
    return "is not domain/appId_workspaceId/resource";
  if (!is_host_name(parts[0]))
    return "does not start with a host name (labels of up to 63 letters, digits or hyphens, "
           "253 characters in all)";
  // appId_workspaceId: ASCII letters and digits, '_', then letters, digits and '-' (checked
  // by hand: std::regex recursed once per character of a long folder name).
  auto ascii_alnum = [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  };
  const std::string& folder = parts[1];
  size_t underscore = folder.find('_');
  bool app_and_workspace = underscore != std::string::npos && underscore > 0 &&
                           underscore + 1 < folder.size() &&
                           std::all_of(folder.begin(), folder.begin() + underscore, ascii_alnum) &&
                           std::all_of(folder.begin() + underscore + 1, folder.end(),
                                       [&](char c) { return ascii_alnum(c) || c == '-'; });
  if (!app_and_workspace)
    return "has no appId_workspaceId folder after the host name";
  for (const auto& part : parts)
    if (part.empty() || !is_url_safe(part))
      return "has characters that urlencode would rewrite (keep to letters, digits, . _ -)";
  return "";
}

void check_package_rules(const Settings& settings, const std::vector<SourceFile>& files) {
  if (settings.type == "global") {
    for (const auto& file : files) {
      std::string problem = global_path_problem(file.path);
      if (!problem.empty())
        throw invalid_input("a global package path " + problem + " (" + file.path + ")");
    }
    return;
  }
  std::string main = settings.main_url.substr(1);
  main = main.substr(0, main.find_first_of("?#"));
  bool found = std::any_of(files.begin(), files.end(),
                           [&](const SourceFile& file) { return file.path == main; });
  if (!found)
    throw invalid_input(
        "the main URL is not in the package (offline.main_url: " + settings.main_url + ")");
}

PackResult write_package(const Manifest& manifest, const std::vector<SourceFile>& files,
                         const fs::path& output, const PackOptions& options, ProgressSink& progress,
                         const std::string& hpmfile_content) {
  uint64_t total = 0;
  for (const auto& file : files)
    total += file.size;
  progress.start("building", total);
  TarStream tar(folder_of(output), options);
  {
    archive::TarWriter writer([&](const void* data, size_t size) { tar.write(data, size); },
                              archive::TarOwner{500, 500, "admin", "admin", 0664, options.mtime},
                              tar_name(manifest.uid));
    bool hpmfile_written = hpmfile_content.empty();
    for (const auto& file : files) {
      if (!hpmfile_written && file.path > hpmfile_name) {
        writer.add(hpmfile_name, hpmfile_content);
        hpmfile_written = true;
      }
      writer.add_file(file.path, file.source, [&](uint64_t bytes) { progress.advance(bytes); });
    }
    if (!hpmfile_written)
      writer.add(hpmfile_name, hpmfile_content);
    writer.finish();
  }
  std::string tar_signature = tar.finish();
  progress.finish();
  std::string manifest_text = manifest_xml(manifest);
  auto signatures = signatures_of(tar_name(manifest.uid), tar_signature, manifest_text, options);
  auto result =
      write_envelope(manifest_text, tar, tar_name(manifest.uid), signatures, output, options);
  result.files = files.size() + (hpmfile_content.empty() ? 0 : 1);
  return result;
}

PackResult build_package(const Settings& settings, const fs::path& project_dir,
                         const fs::path& output, const PackOptions& options,
                         ProgressSink& progress) {
  validate_settings(settings);
  auto files = collect_files(settings, project_dir / settings.root);
  check_package_rules(settings, files);
  Manifest manifest{settings.id, settings.name, settings.version, ""};
  return write_package(manifest, files, output, options, progress, hpmfile_text(settings));
}

PackResult sign_package(const fs::path& package, const PackOptions& options,
                        ProgressSink& progress) {
  if (!options.key)
    throw usage_error("signing needs a key", "key");
  auto reader = archive::Reader::open_file(package);
  TarStream tar(folder_of(package), options);
  std::string manifest_text;
  std::string tar_entry;
  archive::EntryInfo entry;
  while (reader->next(entry)) {
    if (entry.path == manifest_name) {
      reader->read_all([&](const char* data, size_t size) {
        if (manifest_text.size() + size > max_small_member) {
          throw invalid_input("the manifest is too large (Manifest.xml)");
        }
        manifest_text.append(data, size);
      });
    } else if (entry.path.size() > 4 && entry.path.ends_with(".tar") && tar_entry.empty()) {
      tar_entry = entry.path;
      progress.start("signing", entry.size_known ? entry.size : 0);
      reader->read_all([&](const char* data, size_t size) {
        tar.write(data, size);
        progress.advance(size);
      });
      progress.finish();
    }
  }
  if (manifest_text.empty() || tar_entry.empty()) {
    throw invalid_input("not an mPaaS package: no Manifest.xml or tar (" + package.string() + ")");
  }
  auto manifest = parse_manifest(manifest_text);
  if (tar_entry != tar_name(manifest.uid)) {
    throw invalid_input("the tar is not named after the manifest uid (" + tar_entry + ")");
  }
  std::string tar_signature = tar.finish();
  auto signatures = signatures_of(tar_entry, tar_signature, manifest_text, options);
  return write_envelope(manifest_text, tar, tar_entry, signatures, package, options);
}

}  // namespace mpaas::offline
