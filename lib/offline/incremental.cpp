// Incremental packages: diff and apply (see incremental.hpp). Both work on the packages'
// tar members as they stream by, never on an extracted tree: a file's bytes that are needed
// later go to a numbered blob in a private scratch folder beside the output, so no name
// from a package ever reaches the file system and no link is ever followed. Memory holds
// one file (or one old file, patch and new file) at a time, never a package.
#include "mpaas/offline/incremental.hpp"
#include "mpaas/delta/delta.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include "mpaas/archive/tree_check.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/core/interrupt.hpp"
#include "mpaas/core/sha256.hpp"
#include "mpaas/core/temp_folder.hpp"
#include "mpaas/core/unique_fd.hpp"
#include "mpaas/offline/reader.hpp"

namespace mpaas::offline {
namespace fs = std::filesystem;
namespace {

// Changed files travel as mpd patches from lib/delta (docs/formats.md).
constexpr const char* patch_codec = "mpd";
constexpr uint64_t max_patched_file_size = uint64_t{1} << 32;
constexpr uint64_t max_index_size = uint64_t{64} << 20;

// A file's bytes kept aside in the scratch folder under a number.
struct Blob {
  std::string name;
  uint64_t size = 0;
};

class Blobs {
 public:
  explicit Blobs(const fs::path& output)
      : m_folder(std::make_unique<TempFolder>(".mpaas-incremental-", output.parent_path())) {}

  // Stores the reader's current member, hashing it into `sha256` (hex).
  Blob put(archive::Reader& data, std::string& sha256) {
    Sha256 hash;
    Blob blob = create();
    UniqueFd file(open(blob, O_WRONLY));
    std::unique_ptr<char[]> buffer(new char[1 << 16]);
    while (size_t got = data.read(buffer.get(), 1 << 16)) {
      throw_if_stop_requested();
      hash.update(buffer.get(), got);
      write_all(file.get(), buffer.get(), got, "scratch file");
      blob.size += got;
    }
    sha256 = to_hex(hash.finish());
    return blob;
  }

  Blob put(const std::string& bytes) {
    Blob blob = create();
    UniqueFd file(open(blob, O_WRONLY));
    write_all(file.get(), bytes.data(), bytes.size(), "scratch file");
    blob.size = bytes.size();
    return blob;
  }

  std::string read(const Blob& blob) const {
    UniqueFd file(open(blob, O_RDONLY));
    std::string bytes(blob.size, '\0');
    for (size_t done = 0; done < bytes.size();) {
      ssize_t got = ::read(file.get(), bytes.data() + done, bytes.size() - done);
      if (got <= 0)
        throw failure("cannot read a scratch file (" + path(blob).string() + ")");
      done += static_cast<size_t>(got);
    }
    return bytes;
  }

  fs::path path(const Blob& blob) const { return m_folder->path() / blob.name; }

 private:
  Blob create() {
    Blob blob{std::to_string(m_next++), 0};
    UniqueFd file(::openat(m_folder->fd(), blob.name.c_str(),
                           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (file.get() < 0)
      throw failure("cannot create a scratch file: " + std::string(std::strerror(errno)) + " (" +
                    path(blob).string() + ")");
    return blob;
  }

  int open(const Blob& blob, int mode) const {
    int fd = ::openat(m_folder->fd(), blob.name.c_str(), mode | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      throw failure("cannot open a scratch file (" + path(blob).string() + ")");
    return fd;
  }

  std::unique_ptr<TempFolder> m_folder;
  uint64_t m_next = 0;
};

struct TreeFile {
  std::string sha256;  // hex
  uint64_t size = 0;
  std::optional<Blob> blob;  // when kept
};

struct Tree {
  Manifest manifest;
  std::map<std::string, TreeFile> files;  // normalised path -> file (regular files only)
};

// Reads a package's members once, as extraction would judge them (plus: no links, since
// packages carry regular files only), hashing every file and keeping in `blobs` the ones
// `keep` asks for.
Tree read_tree(const fs::path& package, Blobs& blobs,
               const std::function<bool(const std::string&)>& keep) {
  std::error_code error;
  auto size = fs::file_size(package, error);
  archive::TreeCheck check({}, error ? 0 : size);
  Tree tree;
  ReadOptions options;
  options.list_files = false;
  options.on_member = [&](const archive::EntryInfo& member) {
    throw_if_stop_requested();
    check.add(member);
    if (member.type == archive::EntryType::symlink || member.type == archive::EntryType::hardlink)
      throw invalid_input("refused: link in a package (diff and apply carry regular files only) (" +
                              member.path + ")",
                          member.path);
  };
  options.on_file_data = [&](const archive::EntryInfo& member, archive::Reader& data) {
    auto path = archive::normalise_entry_path(member.path);
    TreeFile file;
    if (keep(path)) {
      file.blob = blobs.put(data, file.sha256);
      file.size = file.blob->size;
    } else {
      Sha256 hash;
      data.read_all([&](const char* bytes, size_t got) {
        throw_if_stop_requested();
        hash.update(bytes, got);
        file.size += got;
      });
      file.sha256 = to_hex(hash.finish());
    }
    tree.files[path] = std::move(file);
  };
  tree.manifest = read_package(package, options).manifest;
  check.finish();
  return tree;
}

std::map<std::string, std::string> hashes_of(const std::map<std::string, TreeFile>& files) {
  std::map<std::string, std::string> hashes;
  for (const auto& [path, file] : files)
    hashes[path] = file.sha256;
  return hashes;
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

std::string checked_string(const Json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_string()) {
    throw invalid_input(std::string("missing or malformed field (incremental.json: ") + key + ")",
                        incremental_index);
  }
  return object[key].get<std::string>();
}

// A path named by incremental.json: a safe name in normal form ("a/b", never "./a//b"), so
// that it names exactly one file of the tree.
std::string checked_path(const Json& value, const char* what) {
  if (!value.is_string())
    throw invalid_input(std::string("malformed ") + what + " (incremental.json)",
                        incremental_index);
  auto path = value.get<std::string>();
  auto reason = archive::unsafe_path_reason(path);
  if (!reason && archive::normalise_entry_path(path) != path)
    reason = "path not in normal form";
  if (reason) {
    throw invalid_input(
        "refused: " + *reason + " in the " + what + " (incremental.json: " + path + ")", path);
  }
  return path;
}

// Checks that the files about to be packaged make a tree extraction accepts (names, no
// file below another, sizes), so a package is never signed with content it would refuse.
void check_output(const std::vector<SourceFile>& files) {
  archive::ExtractionLimits limits;
  limits.max_ratio = 1;  // the size is not known yet; the total limit still holds
  archive::TreeCheck check(limits, limits.max_total_bytes);
  for (const auto& file : files)
    check.add({file.path, archive::EntryType::file, file.size, true, "", 0644});
  check.finish();
}

// Checks for a stop request as the package is written.
class StopCheckingProgress : public ProgressSink {
 public:
  explicit StopCheckingProgress(ProgressSink& inner) : m_inner(inner) {}
  void start(const std::string& label, uint64_t total) override {
    throw_if_stop_requested();
    m_inner.start(label, total);
  }
  void advance(uint64_t amount) override {
    throw_if_stop_requested();
    m_inner.advance(amount);
  }
  void finish() override { m_inner.finish(); }

 private:
  ProgressSink& m_inner;
};

PackResult write_checked_package(const Manifest& manifest, std::vector<SourceFile> files,
                                 const fs::path& output, const PackOptions& options,
                                 ProgressSink& progress) {
  std::sort(files.begin(), files.end(),
            [](const SourceFile& a, const SourceFile& b) { return a.path < b.path; });
  check_output(files);
  throw_if_stop_requested();
  StopCheckingProgress checking(progress);
  return write_package(manifest, files, output, options, checking);
}

Error changed_while_read(const fs::path& package) {
  return failure("the package changed while it was read (" + package.filename().string() + ")",
                 package.string());
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
    throw invalid_input("unknown patch codec '" + codec + "' (incremental.json)",
                        incremental_index);
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
  Blobs blobs(fs::absolute(output));
  auto nothing = [](const std::string&) { return false; };
  auto target = read_tree(new_package, blobs, nothing);
  // Base files at a path the target also has may be needed to make a patch.
  auto base = read_tree(old_package, blobs,
                        [&](const std::string& path) { return target.files.count(path) > 0; });
  if (base.manifest.uid != target.manifest.uid) {
    throw conflict("the packages have different ids (" + base.manifest.uid + ", " +
                   target.manifest.uid + ")");
  }
  std::map<std::string, std::string> base_by_hash;
  for (const auto& [path, file] : base.files)
    base_by_hash.emplace(file.sha256, path);

  DiffSummary summary;
  Json changes = Json::array();
  std::map<std::string, size_t> to_encode;  // path -> index in changes
  for (const auto& [path, file] : target.files) {
    auto old = base.files.find(path);
    if (old != base.files.end() && old->second.sha256 == file.sha256)
      continue;
    bool added = old == base.files.end();
    Json change{{"path", path}, {"action", added ? "add" : "change"}, {"sha256", file.sha256}};
    auto same_bytes = base_by_hash.find(file.sha256);
    if (added && same_bytes != base_by_hash.end()) {
      change["encoding"] = "copy";
      change["from"] = same_bytes->second;
      ++summary.copied;
    } else {
      to_encode[path] = changes.size();
    }
    if (!added)
      change["base_sha256"] = old->second.sha256;
    (added ? summary.added : summary.changed)++;
    changes.push_back(change);
  }

  // The new bytes of the files to encode, from the target's tar in tar order.
  std::vector<SourceFile> payload;
  ReadOptions options_new;
  options_new.list_files = false;
  options_new.on_member = [](const archive::EntryInfo&) { throw_if_stop_requested(); };
  options_new.on_file_data = [&](const archive::EntryInfo& member, archive::Reader& data) {
    auto path = archive::normalise_entry_path(member.path);
    auto wanted = to_encode.find(path);
    if (wanted == to_encode.end())
      return;
    std::string new_bytes;
    data.read_all([&](const char* bytes, size_t got) {
      throw_if_stop_requested();
      if (new_bytes.size() + got > target.files.at(path).size)
        throw changed_while_read(new_package);
      new_bytes.append(bytes, got);
    });
    if (to_hex(sha256_of(new_bytes)) != target.files.at(path).sha256)
      throw changed_while_read(new_package);
    auto old = base.files.find(path);
    auto old_bytes = old == base.files.end() ? std::string() : blobs.read(*old->second.blob);
    auto encoded = encode_changed_file(old_bytes, new_bytes);
    bool patch = encoded.encoding == "patch";
    auto& change = changes[wanted->second];
    change["encoding"] = encoded.encoding;
    if (patch)
      change["codec"] = encoded.codec;
    change["size"] = new_bytes.size();
    auto blob = blobs.put(encoded.bytes);
    payload.push_back({(patch ? "patches/" : "files/") + path, blobs.path(blob), blob.size});
    to_encode.erase(wanted);
  };
  read_package(new_package, options_new);
  if (!to_encode.empty())
    throw changed_while_read(new_package);

  Json deleted = Json::array();
  for (const auto& [path, file] : base.files) {
    if (!target.files.count(path)) {
      deleted.push_back(path);
      ++summary.deleted;
    }
  }
  auto base_hashes = hashes_of(base.files);
  auto target_hashes = hashes_of(target.files);
  Json index{{"format", "mpaas-incremental"},
             {"format_version", 1},
             {"app_id", target.manifest.uid},
             {"base_version", base.manifest.version},
             {"target_version", target.manifest.version},
             {"target_name", target.manifest.name},
             {"base_tree_sha256", tree_hash(base_hashes)},
             {"target_tree_sha256", tree_hash(target_hashes)},
             {"changes", std::move(changes)},
             {"deleted", deleted}};
  auto index_blob = blobs.put(index.dump(2) + "\n");
  payload.push_back({incremental_index, blobs.path(index_blob), index_blob.size});
  Manifest manifest = target.manifest;
  manifest.base_version = base.manifest.version;
  summary.package = write_checked_package(manifest, payload, output, options, progress);
  return summary;
}

namespace {

// What incremental.json asks for, its paths checked before the base is read.
struct Plan {
  Json index;
  std::vector<std::string> deleted;
  std::vector<std::pair<std::string, Json>> changes;  // path -> change
  std::set<std::string> base_needed;                  // patched or copied from the base
  std::set<std::string> replaced;                     // deleted, or sent whole or copied

  bool keeps_base(const std::string& path) const {
    return base_needed.count(path) > 0 || replaced.count(path) == 0;
  }
};

Plan plan_of(const std::string& index_text) {
  Plan plan;
  plan.index = Json::parse(index_text, nullptr, false);
  if (plan.index.is_discarded() || checked_string(plan.index, "format") != "mpaas-incremental")
    throw invalid_input("malformed index (incremental.json)", incremental_index);
  auto deleted = plan.index.value("deleted", Json::array());
  auto changes = plan.index.value("changes", Json::array());
  if (!deleted.is_array() || !changes.is_array())
    throw invalid_input("malformed index (incremental.json)", incremental_index);
  std::set<std::string> named;
  auto name_once = [&](const std::string& path) {
    if (!named.insert(path).second) {
      throw invalid_input("a path is changed or deleted twice (incremental.json: " + path + ")",
                          path);
    }
  };
  for (const auto& value : deleted) {
    auto path = checked_path(value, "deleted path");
    name_once(path);
    plan.deleted.push_back(path);
    plan.replaced.insert(path);
  }
  for (const auto& change : changes) {
    auto path = checked_path(change.is_object() ? change.value("path", Json()) : Json(), "path");
    name_once(path);
    auto encoding = checked_string(change, "encoding");
    if (encoding == "copy") {
      plan.base_needed.insert(checked_path(change.value("from", Json()), "copy source"));
      plan.replaced.insert(path);
    } else if (encoding == "patch") {
      plan.base_needed.insert(path);
    } else if (encoding == "whole") {
      plan.replaced.insert(path);
    } else {
      throw invalid_input("unknown encoding '" + encoding + "' (incremental.json: " + path + ")",
                          path);
    }
    plan.changes.emplace_back(path, change);
  }
  return plan;
}

const TreeFile& base_file(const Tree& base, const std::string& path, const char* what) {
  auto found = base.files.find(path);
  if (found == base.files.end()) {
    throw invalid_input(
        std::string(what) + " is not a file of the base (incremental.json: " + path + ")", path);
  }
  return found->second;
}

const TreeFile& payload_file(const Tree& delta, const std::string& path) {
  auto found = delta.files.find(path);
  if (found == delta.files.end() || !found->second.blob)
    throw invalid_input("missing member (" + path + ")", path);
  return found->second;
}

}  // namespace

PackResult apply_incremental(const fs::path& old_package, const fs::path& incremental,
                             const fs::path& output, const PackOptions& options,
                             ProgressSink& progress) {
  Blobs blobs(fs::absolute(output));
  auto delta = read_tree(incremental, blobs, [](const std::string&) { return true; });
  if (delta.manifest.base_version.empty()) {
    throw invalid_input("not an incremental package (" + incremental.filename().string() + ")",
                        incremental.string());
  }
  const auto& index_file = payload_file(delta, incremental_index);
  if (index_file.size > max_index_size)
    throw invalid_input("the index is too large (incremental.json)", incremental_index);
  auto plan = plan_of(blobs.read(*index_file.blob));
  const auto& index = plan.index;

  auto base =
      read_tree(old_package, blobs, [&](const std::string& path) { return plan.keeps_base(path); });
  if (delta.manifest.uid != base.manifest.uid ||
      checked_string(index, "base_version") != base.manifest.version) {
    throw conflict("the incremental package applies to " + delta.manifest.uid + " " +
                   checked_string(index, "base_version") + ", not " + base.manifest.uid + " " +
                   base.manifest.version + " (" + old_package.filename().string() + ")");
  }
  if (checked_string(index, "base_tree_sha256") != tree_hash(hashes_of(base.files))) {
    throw verification_failed("the base package's files differ from the ones diffed (" +
                              old_package.filename().string() + ")");
  }

  auto files = base.files;
  for (const auto& path : plan.deleted) {
    base_file(base, path, "a deleted path");
    files.erase(path);
  }
  uint64_t produced = 0;
  for (const auto& [path, change] : plan.changes) {
    throw_if_stop_requested();
    auto encoding = checked_string(change, "encoding");
    TreeFile file;
    if (encoding == "whole") {
      file = payload_file(delta, "files/" + path);
    } else if (encoding == "copy") {
      file = base_file(base, checked_string(change, "from"), "a copy source");
    } else {
      const auto& old = base_file(base, path, "a patched path");
      auto bytes = decode_changed_file(checked_string(change, "codec"), blobs.read(*old.blob),
                                       blobs.read(*payload_file(delta, "patches/" + path).blob));
      file.sha256 = to_hex(sha256_of(bytes));
      file.blob = blobs.put(bytes);
      file.size = bytes.size();
    }
    produced += file.size;
    if (produced > archive::ExtractionLimits{}.max_total_bytes)
      throw invalid_input("refused: expands beyond the size limit (" + path + ")", path);
    if (file.sha256 != checked_string(change, "sha256"))
      throw verification_failed("SHA-256 mismatch (" + path + ")", path);
    files[path] = std::move(file);
  }
  if (tree_hash(hashes_of(files)) != checked_string(index, "target_tree_sha256")) {
    throw verification_failed("the rebuilt files differ from the target package (" +
                              incremental.filename().string() + ")");
  }
  std::vector<SourceFile> sources;
  for (const auto& [path, file] : files) {
    if (!file.blob)  // every kept base file was stored (Plan::keeps_base)
      throw failure("internal error: a base file was not kept (" + path + ")", path);
    sources.push_back({path, blobs.path(*file.blob), file.size});
  }
  Manifest manifest{delta.manifest.uid, delta.manifest.name, delta.manifest.version, ""};
  return write_checked_package(manifest, sources, output, options, progress);
}

}  // namespace mpaas::offline
