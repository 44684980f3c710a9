// Applying, inspecting and reporting hot-fix bundles (see hotfix.hpp).

#include <algorithm>

#include "archive_parts.hpp"
#include "mpaas/archive/safe_path.hpp"
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

[[noreturn]] void corrupt(const std::string& what, const std::string& name) {
  throw invalid_input("hot-fix bundle is corrupt: " + what + " (" + name + ")", name);
}

class Rebuilder {
 public:
  Rebuilder(const ReadBundle& read, std::string_view bundle_bytes, const Build& base,
            const std::string& name)
      : m_bundle(read.bundle),
        m_payload(bundle_bytes.substr(static_cast<size_t>(read.payload_offset),
                                      static_cast<size_t>(read.bundle.payload_size))),
        m_base(base),
        m_name(name) {}

  // Applies a payload patch to `old_data`; its output is bounded by `most` bytes.
  std::string patched(std::string_view old_data, const Block& block, uint64_t most) const {
    auto patch =
        m_payload.substr(static_cast<size_t>(block.offset), static_cast<size_t>(block.length));
    delta::ApplyLimits limits;
    limits.max_new_size = most;
    return delta::apply_patch(old_data, patch, limits);
  }

  size_t base_entry(const std::string& entry_name) const {
    auto found = m_base.find(entry_name);
    if (!found)
      corrupt("it names base entry '" + entry_name.substr(0, 200) + "', which the base lacks",
              m_name);
    return *found;
  }

  std::string content_of(const Entry& entry) const {
    std::string content;
    switch (entry.content) {
      case Content::same:
        content = m_base.content(base_entry(entry.from));
        break;
      case Content::delta:
        content = patched(m_base.content(base_entry(entry.from)), *entry.patch, entry.id.size);
        break;
      case Content::added:
        content = patched({}, *entry.patch, entry.id.size);
        break;
      case Content::inflated:
        content = detail::inflate_bounded(packed_of(entry, {}), entry.id.size, m_name);
        break;
    }
    if (content.size() != entry.id.size || to_hex(sha256_of(content)) != entry.id.sha256)
      corrupt("entry '" + entry.name.substr(0, 200) + "' does not rebuild to its SHA-256", m_name);
    return content;
  }

  std::string packed_of(const Entry& entry, const std::string& content) const {
    std::string packed;
    switch (entry.packing) {
      case Packing::copy:
        packed = m_base.packed(base_entry(entry.from));
        break;
      case Packing::stored:
        packed = content;
        break;
      case Packing::deflate:
        packed = detail::deflate_at(content, entry.level);
        break;
      case Packing::verbatim: {
        std::string_view old_packed;
        if (!entry.packed_from.empty())
          old_packed = m_base.packed(base_entry(entry.packed_from));
        packed = patched(old_packed, *entry.packed_patch, entry.packed_size);
        break;
      }
    }
    if (packed.size() != entry.packed_size)
      corrupt("entry '" + entry.name.substr(0, 200) + "' packs to another size", m_name);
    return packed;
  }

  // Base entries run_from.. as they are: each one's header and trailer from the skeleton,
  // its compressed bytes from the base.
  template <class Take>
  void copy_run(const Entry& run, Take& take, std::string& out) const {
    const auto& entries = m_base.entries();
    if (run.run_from > entries.size() || run.run_count > entries.size() - run.run_from)
      corrupt("a run of entries runs past the base's entries", m_name);
    for (uint64_t k = 0; k < run.run_count; ++k) {
      size_t index = static_cast<size_t>(run.run_from + k);
      const auto& zip_entry = entries[index];
      take(zip_entry.data_offset - zip_entry.header_offset);
      out += m_base.packed(index);
      take(zip_entry.end_offset - (zip_entry.data_offset + zip_entry.compressed_size));
      if (out.size() > m_bundle.target.size)
        corrupt("the target grows past its size", m_name);
    }
  }

  std::string archive(ProgressSink& progress) const {
    std::string skeleton =
        patched(m_base.skeleton(), *m_bundle.skeleton_patch, m_bundle.target.size);
    std::string out;
    size_t cursor = 0;
    auto take = [&](uint64_t size) {
      if (size > skeleton.size() - cursor)
        corrupt("entry headers run past the skeleton", m_name);
      out.append(skeleton, cursor, static_cast<size_t>(size));
      cursor += static_cast<size_t>(size);
    };
    uint64_t count = 0;
    for (const auto& entry : m_bundle.entries)
      count += std::max<uint64_t>(1, entry.run_count);
    progress.start("entries", count);
    for (const auto& entry : m_bundle.entries) {
      throw_if_stop_requested();
      if (entry.run_count > 0) {
        copy_run(entry, take, out);
        progress.advance(entry.run_count);
        continue;
      }
      take(entry.header_size);
      // Verbatim packed bytes need no content (the final SHA-256 covers them).
      out += entry.packing == Packing::verbatim ? packed_of(entry, {})
                                                : packed_of(entry, content_of(entry));
      take(entry.trailer_size);
      if (out.size() > m_bundle.target.size)
        corrupt("the target grows past its size", m_name);
      progress.advance(1);
    }
    progress.finish();
    out.append(skeleton, cursor);
    return out;
  }

 private:
  const Bundle& m_bundle;
  std::string_view m_payload;
  const Build& m_base;
  const std::string& m_name;
};

void check_base(const Bundle& bundle, const std::string& base_bytes, const std::string& base_name) {
  auto found = to_hex(sha256_of(base_bytes));
  if (found != bundle.base.sha256 || base_bytes.size() != bundle.base.size)
    throw verification_failed("the base is not the build this fix was made for: expected sha256 " +
                                  bundle.base.sha256 + ", found " + found + " (" + base_name + ")",
                              base_name);
}

// --dir: the entries whose content changed or is new, as files under a new folder.
uint64_t write_changed(const Bundle& bundle, const Rebuilder& rebuild,
                       const std::filesystem::path& folder, const std::string& name) {
  std::error_code error;
  if (std::filesystem::exists(folder, error))
    throw conflict("the folder exists already (" + folder.string() + ")", folder.string());
  for (const auto& entry : bundle.entries)
    if (auto reason = entry.run_count > 0 ? std::nullopt : archive::unsafe_path_reason(entry.name))
      throw invalid_input("hot-fix bundle entry '" + entry.name.substr(0, 200) +
                              "' is refused: " + *reason + " (" + name + ")",
                          name);
  // Written into a staging folder beside it, renamed at the end: nothing half-made stays.
  auto staging = folder;
  staging += ".partial";
  std::filesystem::remove_all(staging, error);
  std::filesystem::create_directories(staging);
  uint64_t written = 0;
  try {
    for (const auto& entry : bundle.entries) {
      if (entry.run_count > 0 || entry.content == Content::same)
        continue;
      auto path = staging / archive::normalise_entry_path(entry.name);
      std::filesystem::create_directories(path.parent_path());
      AtomicFile file(path, 0644, Durability::rename_only);
      file.write(rebuild.content_of(entry));
      file.commit();
      ++written;
    }
    std::filesystem::rename(staging, folder);
  } catch (...) {
    std::filesystem::remove_all(staging, error);
    throw;
  }
  return written;
}

}  // namespace

BundleReport inspect_bundle(const std::filesystem::path& path,
                            const std::optional<crypto::Key>& key) {
  auto name = path.string();
  auto bytes = read_whole(path, "bundle");
  auto read = read_bundle(bytes, name);
  if (key)
    verify_signature(bytes, read, *key, name);
  const Bundle& bundle = read.bundle;
  BundleReport report;
  report.bundle = name;
  report.kind = bundle.kind;
  report.base = bundle.base;
  report.target = bundle.target;
  report.app_versions = bundle.app_versions;
  report.notes = bundle.notes;
  report.bundle_size = bytes.size();
  report.signer = bundle.signature ? bundle.signature->signer : "";
  report.verified = key.has_value();
  for (const auto& entry : bundle.entries) {
    if (entry.run_count > 0) {
      report.unchanged += entry.run_count;
      continue;
    }
    uint64_t cost = (entry.patch ? entry.patch->length : 0) +
                    (entry.packed_patch ? entry.packed_patch->length : 0);
    bool renamed = entry.content == Content::same && entry.from != entry.name;
    if (entry.content == Content::same && !renamed && cost == 0)
      ++report.unchanged;
    else if (renamed)
      ++report.renamed;
    else if (entry.content == Content::added ||
             (entry.content == Content::inflated && entry.packed_from.empty()))
      ++report.added;
    else
      ++report.changed;
    if (entry.content != Content::same || renamed || cost > 0)
      report.entries.push_back({entry.name, content_name(entry.content), entry.from,
                                packing_name(entry.packing), entry.id.size, cost});
  }
  report.deleted_names = bundle.deleted;
  report.deleted = bundle.deleted.size();
  return report;
}

ApplyReport apply_bundle(const ApplyRequest& request, ProgressSink& progress) {
  auto name = request.bundle.string();
  auto bytes = read_whole(request.bundle, "bundle");
  auto read = read_bundle(bytes, name);
  verify_signature(bytes, read, request.key, name);
  const Bundle& bundle = read.bundle;
  auto base_bytes = read_whole(request.base, "base");
  check_base(bundle, base_bytes, request.base.string());
  Build base(std::move(base_bytes), request.base.string());
  if (bundle.kind == "archive" && !base.is_archive())
    corrupt("an archive bundle for a base that is no archive", name);
  Rebuilder rebuild(read, bytes, base, name);

  ApplyReport report;
  report.kind = bundle.kind;
  report.target = bundle.target;
  if (!request.changed_folder.empty()) {
    if (bundle.kind != "archive")
      throw usage_error("only an archive's bundle has entries to write to a folder", "dir");
    report.output = request.changed_folder.string();
    report.written_entries = write_changed(bundle, rebuild, request.changed_folder, name);
    return report;
  }
  std::string target = bundle.kind == "archive"
                           ? rebuild.archive(progress)
                           : rebuild.patched(base.bytes(), *bundle.file_patch, bundle.target.size);
  if (target.size() != bundle.target.size || to_hex(sha256_of(target)) != bundle.target.sha256)
    corrupt("the rebuilt target does not match its SHA-256", name);
  AtomicFile out(request.output, 0644, Durability::rename_only);
  out.write(target);
  out.commit();
  report.output = request.output.string();
  return report;
}

Json to_json(const BundleReport& report) {
  Json entries = Json::array();
  for (const auto& entry : report.entries) {
    double ratio = entry.size == 0
                       ? 0.0
                       : static_cast<double>(entry.patch_size) / static_cast<double>(entry.size);
    entries.push_back({{"name", entry.name},
                       {"content", entry.content},
                       {"from", entry.from},
                       {"packing", entry.packing},
                       {"size", entry.size},
                       {"patch_size", entry.patch_size},
                       {"ratio", std::round(ratio * 10000) / 10000}});
  }
  return Json{{"bundle", report.bundle},
              {"kind", report.kind},
              {"base", {{"sha256", report.base.sha256}, {"size", report.base.size}}},
              {"target", {{"sha256", report.target.sha256}, {"size", report.target.size}}},
              {"app_versions", report.app_versions},
              {"notes", report.notes},
              {"size", report.bundle_size},
              {"signer", report.signer.empty() ? Json(nullptr) : Json(report.signer)},
              {"verified", report.verified},
              {"unchanged", report.unchanged},
              {"changed", report.changed},
              {"added", report.added},
              {"renamed", report.renamed},
              {"deleted", report.deleted},
              {"entries", entries},
              {"deleted_entries", report.deleted_names}};
}

TextLayout text_layout(const BundleReport&) {
  auto layout = TextLayout::record({{"bundle", "bundle", Unit::file_name},
                                    {"kind", "kind"},
                                    {"size", "size", Unit::bytes},
                                    {"base.sha256", "base", Unit::short_hash},
                                    {"target.sha256", "target", Unit::short_hash},
                                    {"target.size", "target size", Unit::bytes},
                                    {"app_versions", "app versions"},
                                    {"signer", "signer"},
                                    {"verified", "verified"},
                                    {"unchanged", "unchanged"},
                                    {"changed", "changed"},
                                    {"added", "added"},
                                    {"renamed", "renamed"},
                                    {"deleted", "deleted"}});
  layout.sections.push_back({"entries",
                             {{"name", "entry"},
                              {"content", "content"},
                              {"packing", "packing"},
                              {"size", "size", Unit::bytes},
                              {"patch_size", "patch", Unit::bytes},
                              {"ratio", "ratio", Unit::percent}}});
  return layout;
}

Json to_json(const ApplyReport& report) {
  Json json{{"output", report.output},
            {"kind", report.kind},
            {"target", {{"sha256", report.target.sha256}, {"size", report.target.size}}},
            {"verified", report.verified}};
  if (report.kind == "archive")
    json["written_entries"] = report.written_entries;
  return json;
}

TextLayout text_layout(const ApplyReport&) {
  return TextLayout::quiet();
}

}  // namespace mpaas::hotfix
