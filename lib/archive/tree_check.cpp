// Whole-archive rules for extraction (see tree_check.hpp).
#include "mpaas/archive/tree_check.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "mpaas/core/error.hpp"

namespace mpaas::archive {
namespace {

[[noreturn]] void refuse(const std::string& why, const std::string& entry) {
  throw invalid_input("refused: " + why + " (" + entry + ")", entry);
}

}  // namespace

TreeCheck::TreeCheck(const ExtractionLimits& limits, uint64_t archive_size, int folder_fd,
                     size_t folder_path_length)
    : m_limits(limits),
      m_archive_size(archive_size),
      m_folder_fd(folder_fd),
      m_folder_path_length(folder_path_length) {
  Node root;
  root.kind = Kind::folder;
  root.disk = folder_fd >= 0 ? OnDisk::folder : OnDisk::absent;
  m_nodes.push_back(std::move(root));
}

void TreeCheck::add(const EntryInfo& entry) {
  if (auto reason = unsafe_entry_reason(entry))
    refuse(*reason, entry.path);
  auto path = normalise_entry_path(entry.path);
  count(entry, path);
  if (m_folder_path_length > 0 && m_folder_path_length + 1 + path.size() > max_path_length) {
    refuse("path longer than " + std::to_string(max_path_length) + " bytes in the folder",
           entry.path);
  }
  if (entry.type == EntryType::hardlink && !is_earlier_file(entry.link_target))
    refuse("hard link to an entry that is not an earlier file", entry.path);
  place(entry, path_components(path));
  if (entry.type == EntryType::symlink)
    m_links.push_back({path, entry.link_target});
}

void TreeCheck::finish() {
  for (const auto& link : m_links)
    check_link(link);
}

bool TreeCheck::has_top_level_name(const std::string& name) const {
  return find(0, name) >= 0;
}

void TreeCheck::count(const EntryInfo& entry, const std::string& path) {
  if (++m_count > m_limits.max_entries)
    refuse("too many entries", entry.path);
  m_name_bytes += path.size() + entry.link_target.size();
  if (m_name_bytes > m_limits.max_name_bytes)
    refuse("names beyond the size limit", entry.path);
  if (entry.type != EntryType::file)
    return;  // hard links are made as links: they take no space
  m_total += entry.size;
  if (m_total > m_limits.max_total_bytes)
    refuse("expands beyond the size limit", entry.path);
  if (m_total > m_limits.max_ratio * std::max<uint64_t>(m_archive_size, 4096)) {
    refuse("expands beyond " + std::to_string(m_limits.max_ratio) + " times the package size",
           entry.path);
  }
}

int TreeCheck::find(uint32_t parent, const std::string& name) const {
  const auto& children = m_nodes[parent].children;
  auto it = children.find(name);
  return it == children.end() ? -1 : static_cast<int>(it->second);
}

uint32_t TreeCheck::child(uint32_t parent, const std::string& name, const std::string& relative) {
  int existing = find(parent, name);
  if (existing >= 0)
    return static_cast<uint32_t>(existing);
  Node node;
  node.disk = m_nodes[parent].disk == OnDisk::folder ? probe(relative) : OnDisk::absent;
  auto index = static_cast<uint32_t>(m_nodes.size());
  m_nodes.push_back(std::move(node));
  m_nodes[parent].children.emplace(name, index);
  return index;
}

// What the existing folder holds at `relative`, whose every folder above was probed as a
// real folder (not a link), so the lookup follows no link.
TreeCheck::OnDisk TreeCheck::probe(const std::string& relative) const {
  struct stat status {};
  if (::fstatat(m_folder_fd, relative.c_str(), &status, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT || errno == ENOTDIR)
      return OnDisk::absent;
    throw failure(
        "cannot read the folder: " + std::string(std::strerror(errno)) + " (" + relative + ")",
        relative);
  }
  if (S_ISDIR(status.st_mode))
    return OnDisk::folder;
  return S_ISLNK(status.st_mode) ? OnDisk::link : OnDisk::other;
}

void TreeCheck::place(const EntryInfo& entry, const std::vector<std::string>& parts) {
  uint32_t index = 0;
  std::string relative;
  for (size_t i = 0; i < parts.size(); ++i) {
    relative += (i ? "/" : "") + parts[i];
    index = child(index, parts[i], relative);
    Node& node = m_nodes[index];
    if (i + 1 < parts.size()) {
      if (node.kind == Kind::file || node.kind == Kind::hardlink)
        refuse("entry below a file", entry.path);
      if (node.kind == Kind::symlink)
        refuse("entry below a symbolic link", entry.path);
      if (node.disk == OnDisk::link)
        refuse("entry below a symbolic link in the folder", entry.path);
      if (node.disk == OnDisk::other)
        refuse("entry below a file in the folder", entry.path);
      if (node.kind == Kind::none)
        node.kind = Kind::implied_folder;
      continue;
    }
    bool is_folder = entry.type == EntryType::directory;
    if (node.kind == Kind::implied_folder && !is_folder)
      refuse("entry over a folder of other entries", entry.path);
    if (node.kind != Kind::none && node.kind != Kind::implied_folder)
      refuse("duplicate entry", entry.path);
    if (is_folder && (node.disk == OnDisk::link || node.disk == OnDisk::other))
      refuse("folder over a file or link in the folder", entry.path);
    if (!is_folder && node.disk == OnDisk::folder)
      refuse("entry over a folder in the folder", entry.path);
    switch (entry.type) {
      case EntryType::directory:
        node.kind = Kind::folder;
        break;
      case EntryType::symlink:
        node.kind = Kind::symlink;
        break;
      case EntryType::hardlink:
        node.kind = Kind::hardlink;
        break;
      default:
        node.kind = Kind::file;
    }
  }
}

bool TreeCheck::is_earlier_file(const std::string& path) const {
  int index = 0;
  for (const auto& part : path_components(path)) {
    index = find(static_cast<uint32_t>(index), part);
    if (index < 0)
      return false;
  }
  return m_nodes[static_cast<uint32_t>(index)].kind == Kind::file;
}

// Follows the link's target through the final tree (the entries, and the existing folder
// where no entry says otherwise) and refuses it when any step is a symbolic link. The
// target is "../" steps then names (safe_path.hpp): the steps climb the link's own folders,
// which are real folders since no entry may sit below a link.
void TreeCheck::check_link(const Link& link) const {
  auto folders = path_components(link.path);
  folders.pop_back();
  auto target = path_components(link.target);
  auto climbs = static_cast<size_t>(std::count(target.begin(), target.end(), ".."));
  folders.resize(folders.size() - climbs);
  int index = 0;
  std::string relative;
  for (const auto& folder : folders) {
    index = find(static_cast<uint32_t>(index), folder);
    relative += (relative.empty() ? "" : "/") + folder;
  }
  bool on_disk = m_nodes[static_cast<uint32_t>(index)].disk == OnDisk::folder;
  for (size_t i = climbs; i < target.size(); ++i) {
    relative += (relative.empty() ? "" : "/") + target[i];
    int next = index >= 0 ? find(static_cast<uint32_t>(index), target[i]) : -1;
    Kind kind = next >= 0 ? m_nodes[static_cast<uint32_t>(next)].kind : Kind::none;
    OnDisk disk = next >= 0 ? m_nodes[static_cast<uint32_t>(next)].disk
                            : (on_disk ? probe(relative) : OnDisk::absent);
    bool entry_decides = kind != Kind::none;
    if (kind == Kind::symlink || (!entry_decides && disk == OnDisk::link))
      refuse("symbolic link to or through another link", link.path);
    bool is_folder = kind == Kind::folder || kind == Kind::implied_folder ||
                     (!entry_decides && disk == OnDisk::folder);
    if (!is_folder)
      return;  // a file or nothing: resolution stops here
    index = next;
    on_disk = disk == OnDisk::folder;
  }
}

}  // namespace mpaas::archive
