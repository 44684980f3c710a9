// Fuzzes archive::TreeCheck, the whole-archive rules of extraction, with an oracle: for
// every list of entries it accepts, each symbolic link is resolved the way the kernel
// would in the tree the entries make (links followed, ".." taken from the folder reached),
// and no resolution may climb above the root. Input: one entry per line, a type letter
// (f file, d folder, l symbolic link, h hard link, o other), the path, and for links a TAB
// and the target. A refusal (mpaas::Error) is fine; an escape aborts.
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "mpaas/archive/tree_check.hpp"
#include "mpaas/core/error.hpp"

namespace {

using mpaas::archive::EntryInfo;
using mpaas::archive::EntryType;
using mpaas::archive::path_components;

std::vector<EntryInfo> parse(const std::string& text) {
  std::vector<EntryInfo> entries;
  size_t start = 0;
  while (start < text.size() && entries.size() < 200) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos)
      end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.size() < 2)
      continue;
    EntryInfo entry;
    switch (line[0]) {
      case 'f':
        entry.type = EntryType::file;
        break;
      case 'd':
        entry.type = EntryType::directory;
        break;
      case 'l':
        entry.type = EntryType::symlink;
        break;
      case 'h':
        entry.type = EntryType::hardlink;
        break;
      default:
        entry.type = EntryType::other;
    }
    auto tab = line.find('\t');
    entry.path = line.substr(1, tab == std::string::npos ? std::string::npos : tab - 1);
    if (tab != std::string::npos)
      entry.link_target = line.substr(tab + 1);
    entry.size = 1;
    entries.push_back(entry);
  }
  return entries;
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& part : parts)
    out += (out.empty() ? "" : "/") + part;
  return out;
}

// The accepted tree: every entry and its implied folders.
struct Tree {
  std::map<std::string, EntryInfo> entries;
  const EntryInfo* at(const std::string& path) const {
    auto it = entries.find(path);
    return it == entries.end() ? nullptr : &it->second;
  }
  bool is_implied_folder(const std::string& path) const {
    auto it = entries.lower_bound(path + "/");
    return it != entries.end() && it->first.rfind(path + "/", 0) == 0;
  }
};

// Resolves `link` in `tree` as the kernel would; aborts when it climbs above the root.
void resolve(const Tree& tree, const std::string& link_path, const std::string& target) {
  auto current = path_components(link_path);
  current.pop_back();
  std::deque<std::string> pending;
  for (const auto& part : path_components(target))
    pending.push_back(part);
  int hops = 0;
  while (!pending.empty()) {
    auto part = pending.front();
    pending.pop_front();
    if (part == "..") {
      if (current.empty())
        std::abort();  // escaped the root
      current.pop_back();
      continue;
    }
    current.push_back(part);
    auto path = joined(current);
    const EntryInfo* entry = tree.at(path);
    if (entry && entry->type == EntryType::symlink) {
      if (++hops > 40)
        return;  // ELOOP
      current.pop_back();
      auto next = path_components(entry->link_target);
      pending.insert(pending.begin(), next.begin(), next.end());
    } else if (!(entry && entry->type == EntryType::directory) && !tree.is_implied_folder(path)) {
      return;  // a file (ENOTDIR further on) or nothing
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto entries = parse(std::string(reinterpret_cast<const char*>(data), size));
  Tree tree;
  try {
    mpaas::archive::TreeCheck check({}, 1 << 20);
    for (const auto& entry : entries) {
      check.add(entry);
      tree.entries[mpaas::archive::normalise_entry_path(entry.path)] = entry;
    }
    check.finish();
  } catch (const mpaas::Error&) {
    return 0;
  }
  for (const auto& [path, entry] : tree.entries) {
    if (entry.type == EntryType::symlink)
      resolve(tree, path, entry.link_target);
  }
  return 0;
}
