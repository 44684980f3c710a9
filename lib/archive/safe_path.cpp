// Path and entry safety rules for extraction (see safe_path.hpp).
#include "mpaas/archive/safe_path.hpp"

#include <vector>

namespace mpaas::archive {
namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::string current;
  for (char c : path) {
    if (c == '/') {
      if (!current.empty() && current != ".")
        parts.push_back(current);
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  if (!current.empty() && current != ".")
    parts.push_back(current);
  return parts;
}

}  // namespace

std::string normalise_entry_path(const std::string& path) {
  std::string out;
  for (const auto& part : split_path(path))
    out += (out.empty() ? "" : "/") + part;
  return out;
}

std::optional<std::string> unsafe_path_reason(const std::string& path) {
  if (path.empty())
    return "empty path";
  if (path.find('\0') != std::string::npos)
    return "NUL in path";
  if (path.find('\\') != std::string::npos)
    return "backslash in path";
  if (path.front() == '/')
    return "absolute path";
  if (path.size() > 1 && path[1] == ':')
    return "drive-letter path";
  for (const auto& part : split_path(path)) {
    if (part == "..")
      return "path with '..'";
  }
  if (split_path(path).empty())
    return "empty path";
  return std::nullopt;
}

std::optional<std::string> unsafe_entry_reason(const EntryInfo& entry) {
  if (auto reason = unsafe_path_reason(entry.path))
    return reason;
  switch (entry.type) {
    case EntryType::file:
    case EntryType::directory:
      return std::nullopt;
    case EntryType::other:
      return "device, FIFO or socket entry";
    case EntryType::hardlink:
      if (unsafe_path_reason(entry.link_target))
        return "hard link leaving the folder";
      return std::nullopt;
    case EntryType::symlink: {
      if (entry.link_target.empty() || entry.link_target.front() == '/') {
        return "symbolic link leaving the folder";
      }
      // Resolve the target from the link's own folder, never climbing above the root.
      auto depth = static_cast<long>(split_path(entry.path).size()) - 1;
      for (const auto& part : split_path(entry.link_target)) {
        depth += part == ".." ? -1 : 1;
        if (depth < 0)
          return "symbolic link leaving the folder";
      }
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace mpaas::archive
