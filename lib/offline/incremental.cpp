// Incremental packages: diff and apply (see incremental.hpp). Both packages are extracted
// safely to temp folders on disk, so memory holds one file at a time, never a package.
#include "mpaas/offline/incremental.hpp"
#include "mpaas/delta/delta.hpp"

#include <unistd.h>

#include <map>
#include <random>

#include "mpaas/core/atomic_file.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/core/sha256.hpp"
#include "mpaas/offline/extract.hpp"
#include "mpaas/offline/reader.hpp"

namespace mpaas::offline {
namespace fs = std::filesystem;
namespace {

// A folder under the system temp folder, removed with its contents on destruction.
class ScratchFolder {
 public:
  ScratchFolder() {
    std::random_device random;
    m_path = fs::temp_directory_path() /
             ("mpaas-incremental-" + std::to_string(::getpid()) + "-" + std::to_string(random()));
    fs::create_directories(m_path);
  }
  ~ScratchFolder() {
    std::error_code ignored;
    fs::remove_all(m_path, ignored);
  }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  const fs::path& path() const { return m_path; }

 private:
  fs::path m_path;
};

struct Tree {
  Manifest manifest;
  std::map<std::string, std::string> files;  // path -> sha256 hex (regular files only)
};

Tree unpack(const fs::path& package, const fs::path& folder) {
  extract_package(package, folder);
  auto read = read_package(package);
  Tree tree{read.manifest, {}};
  for (const auto& file : read.files) {
    if (file.type == archive::EntryType::file)
      tree.files[archive::normalise_entry_path(file.path)] = file.sha256;
  }
  return tree;
}

// SHA-256 over "path\0sha256\n" for every file in path order: one hash for a whole tree.
std::string tree_hash(const std::map<std::string, std::string>& files) {
  Sha256 hasher;
  for (const auto& [path, sha] : files) {
    hasher.update(path);
    hasher.update(std::string_view("\0", 1));
    hasher.update(sha + "\n");
  }
  return to_hex(hasher.finish());
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  write_file_atomically(path, bytes);
}

std::vector<SourceFile> sources_of(const fs::path& folder) {
  std::vector<SourceFile> files;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    if (!entry.is_regular_file())
      continue;
    files.push_back(
        {fs::relative(entry.path(), folder).generic_string(), entry.path(), entry.file_size()});
  }
  std::sort(files.begin(), files.end(),
            [](const SourceFile& a, const SourceFile& b) { return a.path < b.path; });
  return files;
}

// Changed files travel as mpd patches from lib/delta (docs/formats.md).
constexpr const char* patch_codec = "mpd";
constexpr uint64_t max_patched_file_size = uint64_t{1} << 32;

std::string checked_string(const Json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_string()) {
    throw invalid_input(std::string("missing or malformed field (incremental.json: ") + key + ")");
  }
  return object[key].get<std::string>();
}

}  // namespace

EncodedChange encode_changed_file(const std::string& old_bytes, const std::string& new_bytes) {
  // Small files rarely pay for a patch header; the size check below settles it either way.
  std::string patch = delta::make_patch(old_bytes, new_bytes);
  if (patch.size() < new_bytes.size()) {
    return EncodedChange{"patch", patch_codec, std::move(patch)};
  }
  return EncodedChange{"whole", "", new_bytes};
}

std::string decode_changed_file(const std::string& codec, const std::string& old_bytes,
                                const std::string& patch) {
  if (codec != patch_codec) {
    throw invalid_input("unknown patch codec '" + codec + "' (incremental.json)");
  }
  // The patch carries the new file's size and SHA-256 and is checked against both; the
  // limit keeps a hostile header from asking for an unbounded allocation.
  delta::ApplyLimits limits;
  limits.max_new_size = max_patched_file_size;
  return delta::apply_patch(old_bytes, patch, limits);
}

DiffSummary diff_packages(const fs::path& old_package, const fs::path& new_package,
                          const fs::path& output, const PackOptions& options,
                          ProgressSink& progress) {
  ScratchFolder scratch;
  auto base = unpack(old_package, scratch.path() / "old");
  auto target = unpack(new_package, scratch.path() / "new");
  if (base.manifest.uid != target.manifest.uid) {
    throw conflict("the packages have different ids (" + base.manifest.uid + ", " +
                   target.manifest.uid + ")");
  }
  std::map<std::string, std::string> base_by_hash;
  for (const auto& [path, sha] : base.files)
    base_by_hash.emplace(sha, path);

  DiffSummary summary;
  Json changes = Json::array();
  auto payload = scratch.path() / "payload";
  fs::create_directories(payload);
  for (const auto& [path, sha] : target.files) {
    auto old = base.files.find(path);
    if (old != base.files.end() && old->second == sha)
      continue;
    Json change{
        {"path", path}, {"action", old == base.files.end() ? "add" : "change"}, {"sha256", sha}};
    auto same_bytes = base_by_hash.find(sha);
    if (old == base.files.end() && same_bytes != base_by_hash.end()) {
      change["encoding"] = "copy";
      change["from"] = same_bytes->second;
      ++summary.copied;
    } else {
      auto new_bytes = read_file(scratch.path() / "new" / path);
      auto old_bytes =
          old == base.files.end() ? std::string() : read_file(scratch.path() / "old" / path);
      auto encoded = encode_changed_file(old_bytes, new_bytes);
      bool patch = encoded.encoding == "patch";
      change["encoding"] = encoded.encoding;
      if (patch)
        change["codec"] = encoded.codec;
      change["size"] = new_bytes.size();
      write_bytes(payload / (patch ? "patches" : "files") / path, encoded.bytes);
    }
    if (old != base.files.end())
      change["base_sha256"] = old->second;
    (old == base.files.end() ? summary.added : summary.changed)++;
    changes.push_back(change);
  }
  Json deleted = Json::array();
  for (const auto& [path, sha] : base.files) {
    if (!target.files.count(path)) {
      deleted.push_back(path);
      ++summary.deleted;
    }
  }
  Json index{{"format", "mpaas-incremental"},
             {"format_version", 1},
             {"app_id", target.manifest.uid},
             {"base_version", base.manifest.version},
             {"target_version", target.manifest.version},
             {"target_name", target.manifest.name},
             {"base_tree_sha256", tree_hash(base.files)},
             {"target_tree_sha256", tree_hash(target.files)},
             {"changes", changes},
             {"deleted", deleted}};
  write_bytes(payload / incremental_index, index.dump(2) + "\n");
  Manifest manifest = target.manifest;
  manifest.base_version = base.manifest.version;
  summary.package = write_package(manifest, sources_of(payload), output, options, progress);
  return summary;
}

PackResult apply_incremental(const fs::path& old_package, const fs::path& incremental,
                             const fs::path& output, const PackOptions& options,
                             ProgressSink& progress) {
  ScratchFolder scratch;
  auto base = unpack(old_package, scratch.path() / "old");
  auto delta = unpack(incremental, scratch.path() / "inc");
  if (delta.manifest.base_version.empty()) {
    throw invalid_input("not an incremental package (" + incremental.filename().string() + ")");
  }
  auto index = Json::parse(read_file(scratch.path() / "inc" / incremental_index), nullptr, false);
  if (index.is_discarded() || checked_string(index, "format") != "mpaas-incremental") {
    throw invalid_input("malformed index (incremental.json)");
  }
  if (delta.manifest.uid != base.manifest.uid ||
      checked_string(index, "base_version") != base.manifest.version) {
    throw conflict("the incremental package applies to " + delta.manifest.uid + " " +
                   checked_string(index, "base_version") + ", not " + base.manifest.uid + " " +
                   base.manifest.version + " (" + old_package.filename().string() + ")");
  }
  if (checked_string(index, "base_tree_sha256") != tree_hash(base.files)) {
    throw verification_failed("the base package's files differ from the ones diffed (" +
                              old_package.filename().string() + ")");
  }
  auto tree = scratch.path() / "old";  // rebuilt in place into the target tree
  auto files = base.files;
  // Copies read base files that deletions below may remove: stage them first.
  auto staged = scratch.path() / "staged";
  for (const auto& change : index.value("changes", Json::array())) {
    if (!change.is_object() || change.value("encoding", "") != "copy")
      continue;
    auto from = checked_string(change, "from");
    auto path = checked_string(change, "path");
    if (!base.files.count(from) || archive::unsafe_path_reason(path)) {
      throw invalid_input("copy from a missing file (incremental.json: " + from + ")");
    }
    fs::create_directories((staged / path).parent_path());
    fs::copy_file(tree / from, staged / path, fs::copy_options::overwrite_existing);
  }
  for (const auto& path : index.value("deleted", Json::array())) {
    if (!path.is_string() || archive::unsafe_path_reason(path.get<std::string>())) {
      throw invalid_input("malformed deleted path (incremental.json)");
    }
    fs::remove(tree / path.get<std::string>());
    files.erase(path.get<std::string>());
  }
  for (const auto& change : index.value("changes", Json::array())) {
    auto path = checked_string(change, "path");
    if (archive::unsafe_path_reason(path))
      throw invalid_input("unsafe path (incremental.json: " + path + ")");
    auto encoding = checked_string(change, "encoding");
    std::string bytes;
    if (encoding == "whole") {
      bytes = read_file(scratch.path() / "inc/files" / path);
    } else if (encoding == "copy") {
      bytes = read_file(staged / path);
    } else if (encoding == "patch") {
      bytes = decode_changed_file(checked_string(change, "codec"), read_file(tree / path),
                                  read_file(scratch.path() / "inc/patches" / path));
    } else {
      throw invalid_input("unknown encoding '" + encoding + "' (incremental.json: " + path + ")");
    }
    auto sha = to_hex(sha256_of(bytes));
    if (sha != checked_string(change, "sha256"))
      throw verification_failed("SHA-256 mismatch (" + path + ")");
    write_bytes(tree / path, bytes);
    files[path] = sha;
  }
  if (tree_hash(files) != checked_string(index, "target_tree_sha256")) {
    throw verification_failed("the rebuilt files differ from the target package (" +
                              incremental.filename().string() + ")");
  }
  Manifest manifest{delta.manifest.uid, delta.manifest.name, delta.manifest.version, ""};
  return write_package(manifest, sources_of(tree), output, options, progress);
}

}  // namespace mpaas::offline
