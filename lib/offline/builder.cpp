// Package building and re-signing (see builder.hpp).
#include "mpaas/offline/builder.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "mpaas/archive/tar_writer.hpp"
#include "mpaas/archive/zip_writer.hpp"
#include "mpaas/core/atomic_file.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/core/interrupt.hpp"
#include "mpaas/core/unique_fd.hpp"
#include "mpaas/offline/reader.hpp"
#include "mpaas/offline/signing_key.hpp"
#include "mpaas/offline/verdict.hpp"

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

// Version control folders (and the .git file of a worktree or submodule).
bool is_vcs_name(const std::string& name) {
  return name == ".git" || name == ".svn" || name == ".hg" || name == ".bzr";
}

bool is_literal_segment(const std::string& segment) {
  return segment.find_first_of("*?[") == std::string::npos;
}

// True when some include glob has `segment` as a literal segment (".git/**").
bool names_anywhere(const Settings& settings, const std::string& segment) {
  for (const auto& pattern : settings.include)
    for (const auto& part : split_path(pattern))
      if (part == segment && is_literal_segment(part))
        return true;
  return false;
}

// Names private keys go by: OpenSSH's defaults, and key stores (PKCS#12, Java, PuTTY).
bool has_key_file_name(const std::string& name) {
  static const char* const names[] = {"id_rsa",     "id_dsa",      "id_ecdsa",
                                      "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk"};
  static const char* const extensions[] = {".p12", ".pfx", ".jks", ".keystore", ".ppk"};
  for (const char* known : names)
    if (name == known)
      return true;
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* extension : extensions)
    if (lower.ends_with(extension))
      return true;
  return false;
}

// A PEM block whose label says PRIVATE KEY ("-----BEGIN RSA PRIVATE KEY-----", "ENCRYPTED
// PRIVATE KEY", "OPENSSH PRIVATE KEY", ...) in the first 64 KiB: key files are small, and
// their header may follow a few lines of attributes (openssl pkcs12 output).
bool has_private_key_block(const fs::path& file) {
  constexpr size_t sniff_size = size_t{64} << 10;
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0)
    return false;  // unreadable files fail later, when they are packed, with their name
  std::string head(sniff_size, '\0');
  ssize_t got = ::pread(fd.get(), head.data(), head.size(), 0);
  head.resize(got > 0 ? static_cast<size_t>(got) : 0);
  const std::string begin = "-----BEGIN ";
  for (size_t at = head.find(begin); at != std::string::npos; at = head.find(begin, at + 1)) {
    size_t label_end = head.find("-----", at + begin.size());
    if (label_end == std::string::npos || label_end - at > 80)
      continue;
    if (head.substr(at, label_end - at).find("PRIVATE KEY") != std::string::npos)
      return true;
  }
  return false;
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

bool names_explicitly(const Settings& settings, const std::string& path,
                      const std::string& segment) {
  for (const auto& pattern : settings.include) {
    if (!glob_match(pattern, path))
      continue;
    for (const auto& part : split_path(pattern))
      if (part == segment && is_literal_segment(part))
        return true;
  }
  return false;
}

std::string secret_file_reason(const fs::path& file, const std::string& relative,
                               const std::optional<fs::path>& key_file) {
  std::error_code error;
  if (key_file && fs::equivalent(file, *key_file, error))
    return "the signing key";
  if (has_key_file_name(split_path(relative).back()) || has_private_key_block(file))
    return "a private key";
  return "";
}

std::vector<SourceFile> collect_files(const Settings& settings, const fs::path& root,
                                      const std::optional<fs::path>& key_file,
                                      std::vector<LeftOut>* left_out) {
  if (!fs::is_directory(root))
    throw not_found("no such folder (" + root.string() + ")");
  auto real_root = fs::canonical(root);
  std::vector<SourceFile> files;
  std::vector<LeftOut> kept_out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    throw_if_stop_requested();
    std::string relative = it->path().lexically_relative(root).generic_string();
    std::string name = it->path().filename().string();
    auto status = it->symlink_status();
    if (is_vcs_name(name) && !names_anywhere(settings, name)) {
      // Not descended into: a repository's objects can be large, and none of it ships.
      bool folder = fs::is_directory(status);
      if (folder)
        it.disable_recursion_pending();
      if (is_selected(settings, relative) || is_selected(settings, relative + "/HEAD"))
        kept_out.push_back({relative + (folder ? "/" : ""), "version control data"});
      continue;
    }
    fs::path source = it->path();
    if (fs::is_symlink(status)) {
      std::error_code error;
      auto target = fs::canonical(it->path(), error);
      auto inside = fs::relative(target, real_root).generic_string();
      if (error || inside.empty() || inside.rfind("..", 0) == 0) {
        throw invalid_input("symbolic link points outside the source folder (" + relative + ")");
      }
      if (!fs::is_regular_file(target))
        continue;
      source = target;
    } else if (!fs::is_regular_file(status) || relative == hpmfile_name) {
      continue;
    }
    if (!is_selected(settings, relative))
      continue;
    std::string secret = secret_file_reason(source, relative, key_file);
    if (!secret.empty() && !names_explicitly(settings, relative, name)) {
      kept_out.push_back({relative, secret});
      continue;
    }
    files.push_back({relative, source, fs::file_size(source)});
  }
  std::sort(files.begin(), files.end(),
            [](const SourceFile& a, const SourceFile& b) { return a.path < b.path; });
  std::sort(kept_out.begin(), kept_out.end(),
            [](const LeftOut& a, const LeftOut& b) { return a.path < b.path; });
  if (left_out)
    *left_out = std::move(kept_out);
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
  if (options.key)
    require_rsa_signing_key(*options.key, "signing key");
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
  std::vector<LeftOut> left_out;
  auto files = collect_files(settings, project_dir / settings.root, options.key_file, &left_out);
  check_package_rules(settings, files);
  Manifest manifest{settings.id, settings.name, settings.version, ""};
  auto result = write_package(manifest, files, output, options, progress, hpmfile_text(settings));
  result.left_out = std::move(left_out);
  return result;
}

PackResult sign_package(const fs::path& package, const PackOptions& options,
                        ProgressSink& progress) {
  if (!options.key)
    throw usage_error("signing needs a key", "key");
  require_rsa_signing_key(*options.key, "signing key");
  // One pass through the reader, which refuses what is not a well-formed package; the
  // tar's bytes are re-signed and deflated on their way through.
  TarStream tar(folder_of(package), options);
  bool started = false;
  ReadOptions read;
  read.list_files = false;
  read.on_entry_bytes = [&](const archive::ZipEntry& entry, const char* data, size_t size) {
    if (entry.name == manifest_name || entry.name == cert_name)
      return;
    if (!started)
      progress.start("signing", entry.size);
    started = true;
    tar.write(data, size);
    progress.advance(size);
  };
  Package read_back = read_package(package, read);
  progress.finish();
  // Signing vouches for the pieces together: refuse to sign ones that do not belong
  // together (a verifier would refuse them anyway).
  auto mismatches = find_mismatches(read_back);
  if (!mismatches.empty()) {
    throw invalid_input("cannot sign: " + mismatches.front().message, mismatches.front().subject);
  }
  std::string tar_signature = tar.finish();
  auto signatures =
      signatures_of(read_back.tar_entry, tar_signature, read_back.manifest_text, options);
  return write_envelope(read_back.manifest_text, tar, read_back.tar_entry, signatures, package,
                        options);
}

}  // namespace mpaas::offline
