// Judging a whole archive as the tree it will make, before anything is written. Entries
// are fed in archive order (add) and each is refused as soon as a rule breaks; the rules
// that need every entry (where each symbolic link leads) run in finish(). Refusals throw
// invalid_input("refused: <why> (<entry>)") with the entry as subject.
//
// Beyond safe_path.hpp's one-entry rules, the tree must be unambiguous and creatable:
//  - no duplicate paths (after "./" and "//" normalisation), no entry below a file or a
//    symbolic link, no file or link where other entries need a folder;
//  - no symbolic link to another link or through one, judged against the final tree, so
//    the order of the entries does not matter (a chain "a -> b/..", "b -> c/..", ... is
//    refused whichever link comes first; safe_path.hpp already refuses ".." after a name);
//  - a hard link only to an earlier regular file (it is then made as a hard link, so it
//    costs no space, never as a copy);
//  - every path under PATH_MAX once joined to the folder, every name under NAME_MAX;
//  - at most max_entries entries, max_name_bytes of names, max_total_bytes of file data
//    and max_ratio times the archive's size.
// When the entries will join an existing folder, that folder is read too, never following a
// link: an entry below an existing symbolic link or file, a folder over an existing file or
// link, a file or link over an existing folder, and a link through an existing link are
// all refused. Memory is one node per distinct name (a trie), not one string per prefix.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "mpaas/archive/reader.hpp"
#include "mpaas/archive/safe_path.hpp"

namespace mpaas::archive {

class TreeCheck {
 public:
  // `folder_fd`: the existing folder the tree will join, or -1 for a fresh tree.
  // `folder_path_length`: the bytes of that folder's absolute path (PATH_MAX rule).
  TreeCheck(const ExtractionLimits& limits, uint64_t archive_size, int folder_fd = -1,
            size_t folder_path_length = 0);

  void add(const EntryInfo& entry);
  void finish();

  uint64_t total_bytes() const { return m_total; }
  uint64_t entries() const { return m_count; }
  // True when `name` is the first component of some entry (names a temp folder can avoid).
  bool has_top_level_name(const std::string& name) const;

 private:
  enum class Kind : uint8_t { none, implied_folder, folder, file, symlink, hardlink };
  enum class OnDisk : uint8_t { absent, folder, link, other };
  struct Node {
    std::map<std::string, uint32_t> children;
    Kind kind = Kind::none;
    OnDisk disk = OnDisk::absent;
  };
  struct Link {
    std::string path;
    std::string target;
  };

  uint32_t child(uint32_t parent, const std::string& name, const std::string& relative);
  int find(uint32_t parent, const std::string& name) const;
  OnDisk probe(const std::string& relative) const;
  void place(const EntryInfo& entry, const std::vector<std::string>& parts);
  bool is_earlier_file(const std::string& path) const;
  void check_link(const Link& link) const;
  void count(const EntryInfo& entry, const std::string& path);

  ExtractionLimits m_limits;
  uint64_t m_archive_size;
  int m_folder_fd;
  size_t m_folder_path_length;
  std::vector<Node> m_nodes;
  std::vector<Link> m_links;
  uint64_t m_total = 0;
  uint64_t m_count = 0;
  uint64_t m_name_bytes = 0;
};

}  // namespace mpaas::archive
