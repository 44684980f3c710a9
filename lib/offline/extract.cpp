// Two-pass safe extraction (see extract.hpp).
#include "mpaas/offline/extract.hpp"
#include "mpaas/core/unique_fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <set>
#include <vector>

#include "mpaas/core/error.hpp"
#include "mpaas/offline/reader.hpp"

namespace mpaas::offline {
namespace fs = std::filesystem;
namespace {

std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos)
      end = path.size();
    auto part = path.substr(start, end - start);
    if (!part.empty() && part != ".")
      parts.push_back(part);
    start = end + 1;
  }
  return parts;
}

std::string join(const std::vector<std::string>& parts, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i)
    out += (i ? "/" : "") + parts[i];
  return out;
}

// Collects what pass 1 must know across members and refuses as soon as a rule breaks.
class Checker {
 public:
  Checker(const archive::ExtractionLimits& limits, uint64_t package_size)
      : m_limits(limits), m_package_size(package_size) {}

  void check(const archive::EntryInfo& member) {
    auto refuse = [&](const std::string& why) {
      throw invalid_input("refused: " + why + " (" + member.path + ")");
    };
    if (auto reason = archive::unsafe_entry_reason(member))
      refuse(*reason);
    auto path = archive::normalise_entry_path(member.path);
    if (!m_paths.insert(path).second)
      refuse("duplicate entry");
    auto parts = components(path);
    for (size_t i = 1; i < parts.size(); ++i) {
      if (m_links.count(join(parts, i)))
        refuse("entry below a symbolic link");
    }
    if (member.type == archive::EntryType::symlink) {
      check_link_target(parts, member.link_target, refuse);
      m_links.insert(path);
    }
    if (member.type == archive::EntryType::hardlink &&
        !m_files.count(archive::normalise_entry_path(member.link_target))) {
      refuse("hard link to an entry that is not an earlier file");
    }
    if (member.type == archive::EntryType::file)
      m_files.insert(path);
    m_total += member.size;
    if (++m_count > m_limits.max_entries)
      refuse("too many entries");
    if (m_total > m_limits.max_total_bytes)
      refuse("expands beyond the size limit");
    if (m_total > m_limits.max_ratio * std::max<uint64_t>(m_package_size, 4096)) {
      refuse("expands beyond " + std::to_string(m_limits.max_ratio) + " times the package size");
    }
  }

 private:
  template <class Refuse>
  void check_link_target(const std::vector<std::string>& link_parts, const std::string& target,
                         const Refuse& refuse) {
    std::vector<std::string> resolved(link_parts.begin(), link_parts.end() - 1);
    for (const auto& part : components(target)) {
      if (part == "..") {
        if (resolved.empty())
          refuse("symbolic link leaving the folder");
        resolved.pop_back();
      } else {
        resolved.push_back(part);
        if (m_links.count(join(resolved, resolved.size())))
          refuse("symbolic link through a link");
      }
    }
  }

  archive::ExtractionLimits m_limits;
  uint64_t m_package_size;
  uint64_t m_total = 0;
  uint64_t m_count = 0;
  std::set<std::string> m_paths;
  std::set<std::string> m_links;
  std::set<std::string> m_files;
};

void write_member(const fs::path& folder, const archive::EntryInfo& member, archive::Reader& data) {
  auto target = folder / archive::normalise_entry_path(member.path);
  fs::create_directories(target.parent_path());
  std::error_code ignored;
  if (fs::is_symlink(fs::symlink_status(target, ignored)))
    fs::remove(target);
  UniqueFd output(
      ::open(target.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644));
  int fd = output.get();
  if (fd < 0)
    throw failure("cannot write (" + target.string() + ")");
  data.read_all([&](const char* bytes, size_t size) {
    if (::write(fd, bytes, size) != static_cast<ssize_t>(size)) {
      throw failure("cannot write (" + target.string() + ")");
    }
  });
}

}  // namespace

ExtractResult extract_package(const fs::path& package, const fs::path& folder,
                              const archive::ExtractionLimits& limits) {
  Checker checker(limits, fs::exists(package) ? fs::file_size(package) : 0);
  ReadOptions check_only;
  check_only.list_files = false;
  check_only.on_member = [&](const archive::EntryInfo& member) { checker.check(member); };
  read_package(package, check_only);

  ExtractResult result;
  fs::create_directories(folder);
  ReadOptions write;
  write.list_files = false;
  write.on_member = [&](const archive::EntryInfo& member) {
    auto target = folder / archive::normalise_entry_path(member.path);
    if (member.type == archive::EntryType::directory) {
      fs::create_directories(target);
    } else if (member.type == archive::EntryType::symlink) {
      fs::create_directories(target.parent_path());
      fs::remove(target);
      fs::create_symlink(member.link_target, target);
    } else if (member.type == archive::EntryType::hardlink) {
      fs::copy_file(folder / archive::normalise_entry_path(member.link_target), target,
                    fs::copy_options::overwrite_existing);
    }
  };
  write.on_file_data = [&](const archive::EntryInfo& member, archive::Reader& data) {
    write_member(folder, member, data);
    ++result.files;
    result.bytes += member.size;
  };
  read_package(package, write);
  return result;
}

}  // namespace mpaas::offline
