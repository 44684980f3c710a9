// Making a hot-fix bundle from two builds (see hotfix.hpp).
#include <set>

#include "archive_parts.hpp"
#include "mpaas/core/atomic_file.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/core/interrupt.hpp"
#include "mpaas/core/sha256.hpp"
#include "mpaas/delta/delta.hpp"
#include "mpaas/hotfix/hotfix.hpp"

namespace mpaas::hotfix {
namespace {

using detail::Build;
using detail::read_whole;

FileId id_of(std::string_view bytes) {
  return {to_hex(sha256_of(bytes)), bytes.size()};
}

// The payload: mpd patches, one after another.
class Payload {
 public:
  Block add(std::string_view old_data, std::string_view new_data) {
    delta::DiffOptions options;
    options.threads = 2;
    auto patch = delta::make_patch(old_data, new_data, options);
    Block block{m_bytes.size(), patch.size()};
    m_bytes += patch;
    return block;
  }
  const std::string& bytes() const { return m_bytes; }

 private:
  std::string m_bytes;
};

// The base entry whose content is the same as `content`: by name first, then any other.
std::optional<size_t> same_content(const Build& base, const std::string& name,
                                   const std::string& sha256,
                                   const std::map<std::string, size_t>& by_sha256) {
  if (auto named = base.find(name); named && to_hex(sha256_of(base.content(*named))) == sha256)
    return named;
  auto found = by_sha256.find(sha256);
  if (found == by_sha256.end())
    return std::nullopt;
  return found->second;
}

// After the packing: verbatim packed bytes already hold the content (inflated on the device).
void choose_content(Entry& entry, const Build& base, const std::string& content, Payload& payload) {
  if (entry.content == Content::same)
    return;
  if (entry.packing == Packing::verbatim) {
    entry.content = Content::inflated;
  } else if (auto named = base.find(entry.name)) {
    entry.content = Content::delta;
    entry.from = entry.name;
    entry.patch = payload.add(base.content(*named), content);
  } else {
    entry.content = Content::added;
    entry.patch = payload.add({}, content);
  }
}

// Zlib levels in the order ZIP tools use them: the default, the best, then the rest.
constexpr int levels_to_try[] = {6, 9, 1, 2, 3, 4, 5, 7, 8};

// Which base entry has the same content, if any: then nothing of the content travels.
void find_same(Entry& entry, const Build& base, const std::map<std::string, size_t>& by_sha256) {
  entry.content = Content::delta;  // until choose_content decides
  if (auto same = same_content(base, entry.name, entry.id.sha256, by_sha256)) {
    entry.content = Content::same;
    entry.from = base.entries()[*same].name;
  }
}

void choose_packing(Entry& entry, const Build& base, const Build& target, size_t index,
                    const std::string& content, Payload& payload) {
  const auto& zip_entry = target.entries()[index];
  auto packed = target.packed(index);
  if (entry.content == Content::same) {
    auto from = *base.find(entry.from);
    if (base.packed(from) == packed) {
      entry.packing = Packing::copy;
      return;
    }
  }
  if (zip_entry.method == 0 && packed == content) {
    entry.packing = Packing::stored;
    return;
  }
  if (zip_entry.method == 8) {
    for (int level : levels_to_try) {
      if (detail::deflates_to(content, level, packed)) {
        entry.packing = Packing::deflate;
        entry.level = level;
        return;
      }
    }
  }
  // Deflated by something zlib does not reproduce: carry the compressed bytes, as a patch
  // of the same-named base entry's compressed bytes when there is one.
  entry.packing = Packing::verbatim;
  std::string_view old_packed;
  if (auto named = base.find(entry.name)) {
    entry.packed_from = entry.name;
    old_packed = base.packed(*named);
  }
  entry.packed_patch = payload.add(old_packed, packed);
}

// An entry that is its same-named base entry, copied as it is with a header of the same
// length, joins (or starts) a run: a few bytes for any number of such entries.
bool join_run(std::vector<Entry>& entries, const Entry& entry, const Build& base) {
  if (entry.content != Content::same || entry.packing != Packing::copy || entry.from != entry.name)
    return false;
  size_t index = *base.find(entry.name);
  const auto& zip_entry = base.entries()[index];
  uint64_t header = zip_entry.data_offset - zip_entry.header_offset;
  uint64_t trailer = zip_entry.end_offset - (zip_entry.data_offset + zip_entry.compressed_size);
  if (header != entry.header_size || trailer != entry.trailer_size)
    return false;
  if (!entries.empty() && entries.back().run_count > 0 &&
      entries.back().run_from + entries.back().run_count == index) {
    ++entries.back().run_count;
    return true;
  }
  Entry run;
  run.run_from = index;
  run.run_count = 1;
  entries.push_back(run);
  return true;
}

void build_archive_bundle(Bundle& bundle, const Build& base, const Build& target, Payload& payload,
                          ProgressSink& progress) {
  bundle.kind = "archive";
  std::map<std::string, size_t> by_sha256;
  for (size_t i = base.entries().size(); i-- > 0;)  // the first of equal contents wins
    by_sha256[to_hex(sha256_of(base.content(i)))] = i;
  std::set<std::string> target_names;
  progress.start("entries", target.entries().size());
  for (size_t i = 0; i < target.entries().size(); ++i) {
    throw_if_stop_requested();
    const auto& zip_entry = target.entries()[i];
    const std::string& content = target.content(i);
    Entry entry;
    entry.name = zip_entry.name;
    entry.id = id_of(content);
    entry.packed_size = zip_entry.compressed_size;
    entry.header_size = zip_entry.data_offset - zip_entry.header_offset;
    entry.trailer_size = zip_entry.end_offset - (zip_entry.data_offset + zip_entry.compressed_size);
    find_same(entry, base, by_sha256);
    choose_packing(entry, base, target, i, content, payload);
    choose_content(entry, base, content, payload);
    target_names.insert(entry.name);
    if (!join_run(bundle.entries, entry, base))
      bundle.entries.push_back(std::move(entry));
    progress.advance(1);
  }
  progress.finish();
  for (const auto& entry : base.entries())
    if (!target_names.count(entry.name))
      bundle.deleted.push_back(entry.name);
  bundle.skeleton_patch = payload.add(base.skeleton(), target.skeleton());
}

}  // namespace

BundleReport create_bundle(const CreateRequest& request, ProgressSink& progress) {
  Build base(read_whole(request.base, "base"), request.base.string());
  Build target(read_whole(request.target, "target"), request.target.string());
  Bundle bundle;
  bundle.base = id_of(base.bytes());
  bundle.target = id_of(target.bytes());
  bundle.app_versions = request.app_versions;
  bundle.notes = request.notes;
  if (bundle.notes.size() > 65536)
    throw usage_error("the notes are longer than 64 KiB", "notes");
  if (bundle.app_versions.size() > 200)
    throw usage_error("the app version range is longer than 200 bytes", "app version");
  app_version_range(bundle.app_versions);  // refuses a malformed one before any work
  Payload payload;
  if (base.is_archive() && target.is_archive()) {
    build_archive_bundle(bundle, base, target, payload, progress);
  } else {
    progress.start("diffing", 0);
    bundle.file_patch = payload.add(base.bytes(), target.bytes());
    progress.finish();
  }
  bundle.payload_size = payload.bytes().size();
  auto bytes = encode_bundle(bundle, payload.bytes(), request.key);
  throw_if_stop_requested();
  AtomicFile out(request.output, 0644, Durability::rename_only);
  out.write(bytes);
  out.commit();
  return inspect_bundle(request.output, request.key);
}

}  // namespace mpaas::hotfix
