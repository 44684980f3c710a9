// Path and entry safety rules for extraction (see safe_path.hpp).
#include "mpaas/archive/safe_path.hpp"

namespace mpaas::archive {
namespace {

std::optional<std::string> symlink_reason(const EntryInfo& entry) {
  const auto& target = entry.link_target;
  if (target.empty() || target.front() == '/')
    return "symbolic link leaving the folder";
  if (target.size() > max_path_length)
    return "symbolic link target longer than " + std::to_string(max_path_length) + " bytes";
  // Resolve the target from the link's own folder: only "../" steps, then names.
  size_t climbs = 0;
  bool named = false;
  for (const auto& part : path_components(target)) {
    if (part != "..") {
      named = true;
    } else if (named) {
      return "symbolic link with '..' after a name";
    } else {
      ++climbs;
    }
  }
  if (climbs >= path_components(entry.path).size())
    return "symbolic link leaving the folder";
  return std::nullopt;
}

}  // namespace

std::vector<std::string> path_components(const std::string& path) {
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

std::string normalise_entry_path(const std::string& path) {
  std::string out;
  for (const auto& part : path_components(path))
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
  if (path.size() > max_path_length)
    return "path longer than " + std::to_string(max_path_length) + " bytes";
  auto parts = path_components(path);
  if (parts.empty())
    return "empty path";
  for (const auto& part : parts) {
    if (part == "..")
      return "path with '..'";
    if (part.size() > max_name_length)
      return "name longer than " + std::to_string(max_name_length) + " bytes";
  }
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
      if (auto reason = unsafe_path_reason(entry.link_target)) {
        bool leaves = *reason == "path with '..'" || *reason == "absolute path";
        return leaves ? std::string("hard link leaving the folder")
                      : "hard link target: " + *reason;
      }
      return std::nullopt;
    case EntryType::symlink:
      return symlink_reason(entry);
  }
  return std::nullopt;
}

}  // namespace mpaas::archive
