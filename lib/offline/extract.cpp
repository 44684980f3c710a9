// Check, write into staging, move into place (see extract.hpp).
#include "mpaas/offline/extract.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

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

using Fd = std::unique_ptr<UniqueFd>;

std::string errno_text() {
  return std::strerror(errno);
}

std::string joined(const std::vector<std::string>& parts, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i)
    out += (i ? "/" : "") + parts[i];
  return out;
}

Error write_error(const std::string& what, const std::string& path) {
  return failure("cannot " + what + ": " + errno_text() + " (" + path + ")", path);
}

// Opens the folder parts[0..count) below `root` one name at a time, never following a
// link; with `create`, makes the folders that are missing.
Fd open_folder(int root, const std::vector<std::string>& parts, size_t count, bool create) {
  auto current =
      std::make_unique<UniqueFd>(::openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  for (size_t i = 0; i < count && current->get() >= 0; ++i) {
    const char* name = parts[i].c_str();
    constexpr int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int fd = ::openat(current->get(), name, flags);
    if (fd < 0 && errno == ENOENT && create &&
        (::mkdirat(current->get(), name, 0777) == 0 || errno == EEXIST)) {
      fd = ::openat(current->get(), name, flags);
    }
    int error = errno;
    current = std::make_unique<UniqueFd>(fd);
    errno = error;
  }
  if (current->get() < 0)
    throw write_error("open the folder", joined(parts, count));
  return current;
}

std::vector<std::string> names_in(int folder) {
  DIR* listing = ::fdopendir(::openat(folder, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (listing == nullptr)
    throw write_error("list the folder", ".");
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(listing)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..")
      names.push_back(std::move(name));
  }
  ::closedir(listing);
  return names;
}

// An order-sensitive digest of what the members are (not their data), so that the write
// pass can prove it saw the very members the check pass judged.
class MemberDigest {
 public:
  void add(const archive::EntryInfo& member) {
    std::string record = std::to_string(static_cast<int>(member.type)) + ' ' +
                         std::to_string(member.size) + ' ' + member.path + '\0' +
                         member.link_target + '\0';
    m_hash.update(record);
  }
  std::string finish() { return to_hex(m_hash.finish()); }

 private:
  Sha256 m_hash;
};

Error package_changed(const fs::path& package) {
  return failure("the package changed during extraction (" + package.filename().string() + ")",
                 package.string());
}

// Creates the members below a fresh root folder: names are made exclusively (O_EXCL,
// mkdirat, symlinkat, linkat all refuse an existing name) and folders are walked without
// following links, so nothing can be written anywhere but below the root.
class TreeWriter {
 public:
  explicit TreeWriter(int root) : m_root(root) {}

  void add(const archive::EntryInfo& member) {
    auto parts = archive::path_components(member.path);
    switch (member.type) {
      case archive::EntryType::directory:
        open_folder(m_root, parts, parts.size(), true);
        break;
      case archive::EntryType::symlink:
        if (::symlinkat(member.link_target.c_str(), folder_of(parts), parts.back().c_str()) != 0)
          throw write_error("create the link", member.path);
        break;
      case archive::EntryType::hardlink: {
        auto source = archive::path_components(member.link_target);
        auto source_folder = open_folder(m_root, source, source.size() - 1, false);
        if (::linkat(source_folder->get(), source.back().c_str(), folder_of(parts),
                     parts.back().c_str(), 0) != 0) {
          throw write_error("create the hard link", member.path);
        }
        break;
      }
      default:
        break;  // files come with their data (write_file)
    }
  }

  // Writes the member's data; refuses more than `budget` bytes. Returns the bytes written.
  uint64_t write_file(const archive::EntryInfo& member, archive::Reader& data, uint64_t budget,
                      const fs::path& package) {
    auto parts = archive::path_components(member.path);
    UniqueFd output(::openat(folder_of(parts), parts.back().c_str(),
                             O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (output.get() < 0)
      throw write_error("create the file", member.path);
    std::unique_ptr<char[]> buffer(new char[1 << 16]);
    uint64_t written = 0;
    while (size_t got = data.read(buffer.get(), 1 << 16)) {
      throw_if_stop_requested();
      written += got;
      if (written > budget)
        throw package_changed(package);
      for (size_t done = 0; done < got;) {
        ssize_t put = ::write(output.get(), buffer.get() + done, got - done);
        if (put < 0 && errno == EINTR)
          continue;
        if (put <= 0)
          throw write_error("write", member.path);
        done += static_cast<size_t>(put);
      }
    }
    return written;
  }

 private:
  // The member's folder, kept open while members stay in it (tars group them).
  int folder_of(const std::vector<std::string>& parts) {
    std::vector<std::string> folder(parts.begin(), parts.end() - 1);
    if (!m_folder || folder != m_folder_parts) {
      m_folder = open_folder(m_root, folder, folder.size(), true);
      m_folder_parts = std::move(folder);
    }
    return m_folder->get();
  }

  int m_root;
  std::vector<std::string> m_folder_parts;
  Fd m_folder;
};

// The target as an absolute path without a trailing slash, its links resolved when it
// exists (the user named it; links inside it are another matter).
fs::path target_path(const fs::path& folder) {
  auto path = fs::absolute(folder).lexically_normal();
  if (!path.has_filename() && path != path.root_path())
    path = path.parent_path();
  std::error_code error;
  auto real = fs::canonical(path, error);
  return error ? path : real;
}

Fd open_target(const fs::path& target) {
  std::error_code error;
  auto status = fs::status(target, error);
  if (!fs::exists(status))
    return std::make_unique<UniqueFd>(-1);
  if (!fs::is_directory(status))
    throw conflict("not a folder (" + target.string() + ")", target.string());
  auto fd = std::make_unique<UniqueFd>(::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd->get() < 0)
    throw write_error("open the folder", target.string());
  return fd;
}

// The staging folder and the move into place (step 3 of extract.hpp).
class Staging {
 public:
  Staging(const fs::path& target, int target_fd, const archive::TreeCheck& check)
      : m_target(target), m_target_fd(target_fd) {
    bool exists = target_fd >= 0;
    bool inside = !target.has_filename() || (exists && !same_device(target.parent_path()));
    if (!inside) {
      if (!exists)
        make_parents(target.parent_path());
      m_folder = TempFolder::try_create(target.parent_path(), ".mpaas-extract-", 0777);
      bool parent_refused = errno == EACCES || errno == EPERM || errno == EROFS;
      if (!m_folder && !(exists && parent_refused))
        throw write_error("create a temp folder beside the target", target.string());
      inside = !m_folder;
    }
    if (inside) {
      auto taken = [&](const std::string& name) { return check.has_top_level_name(name); };
      m_folder = TempFolder::try_create(target, ".mpaas-extract-", 0777, taken);
      if (!m_folder)
        throw write_error("create a temp folder in the target", target.string());
    }
  }

  ~Staging() {
    m_folder.reset();
    if (!m_committed && !m_made_parents.empty()) {
      std::error_code ignored;
      fs::remove_all(m_made_parents, ignored);
    }
  }

  int fd() const { return m_folder->fd(); }

  void commit() {
    if (m_target_fd < 0) {
      rename_into_place();
    } else {
      merge();
    }
    m_committed = true;
    m_parents_cleanup.reset();
  }

 private:
  struct Move {
    std::string path;
    bool exchanged;  // else moved where nothing was
  };

  bool same_device(const fs::path& parent) const {
    struct stat above {};
    struct stat target {};
    return ::stat(parent.c_str(), &above) == 0 && ::fstat(m_target_fd, &target) == 0 &&
           above.st_dev == target.st_dev;
  }

  // Creates the missing folders above a new target, removed again unless it is committed.
  void make_parents(const fs::path& parent) {
    fs::path first_missing;
    std::error_code error;
    for (auto path = parent; !path.empty() && !fs::exists(path, error); path = path.parent_path())
      first_missing = path;
    if (first_missing.empty())
      return;
    m_parents_cleanup = std::make_unique<InterruptCleanup>(first_missing);
    m_made_parents = first_missing;
    if (!fs::create_directories(parent, error))
      throw failure("cannot create the folder: " + error.message() + " (" + parent.string() + ")",
                    parent.string());
  }

  void rename_into_place() {
    const auto& staging = m_folder->path();
    int moved =
        ::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, m_target.c_str(), RENAME_NOREPLACE);
    std::error_code ignored;
    if (moved != 0 && errno == EINVAL && !fs::exists(fs::symlink_status(m_target, ignored)))
      moved = ::rename(staging.c_str(), m_target.c_str());  // no RENAME_NOREPLACE here
    if (moved != 0) {
      if (errno == EEXIST || errno == ENOTEMPTY) {
        throw conflict("the folder appeared during extraction (" + m_target.string() + ")",
                       m_target.string());
      }
      throw write_error("move the files into place", m_target.string());
    }
    m_folder->release();
  }

  // Moves every staged name into the existing target, folder by folder (no recursion).
  void merge() {
    std::vector<Move> moves;
    try {
      std::vector<std::string> pending{""};
      while (!pending.empty()) {
        auto relative = pending.back();
        pending.pop_back();
        merge_folder(relative, moves, pending);
      }
    } catch (...) {
      undo(moves);
      throw;
    }
  }

  void merge_folder(const std::string& relative, std::vector<Move>& moves,
                    std::vector<std::string>& pending) {
    auto parts = archive::path_components(relative);
    auto from = open_folder(fd(), parts, parts.size(), false);
    auto to = open_folder(m_target_fd, parts, parts.size(), false);
    for (const auto& name : names_in(from->get())) {
      auto path = relative.empty() ? name : relative + "/" + name;
      struct stat staged {};
      struct stat existing {};
      if (::fstatat(from->get(), name.c_str(), &staged, AT_SYMLINK_NOFOLLOW) != 0)
        throw write_error("read the staged file", path);
      if (::fstatat(to->get(), name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno != ENOENT)
          throw write_error("read the folder", path);
        if (::renameat(from->get(), name.c_str(), to->get(), name.c_str()) != 0)
          throw write_error("move into place", path);
        moves.push_back({path, false});
        continue;
      }
      if (S_ISDIR(staged.st_mode) && S_ISDIR(existing.st_mode)) {
        pending.push_back(path);
        continue;
      }
      if (S_ISDIR(staged.st_mode) || S_ISDIR(existing.st_mode))
        throw conflict("the folder changed during extraction (" + path + ")", path);
      if (::renameat2(from->get(), name.c_str(), to->get(), name.c_str(), RENAME_EXCHANGE) == 0) {
        moves.push_back({path, true});
      } else if (errno != EINVAL ||
                 ::renameat(from->get(), name.c_str(), to->get(), name.c_str()) != 0) {
        throw write_error("move into place", path);  // EINVAL: no exchange on this file system
      }
    }
  }

  // Best effort after a failed merge: every move is reversed, newest first.
  void undo(const std::vector<Move>& moves) {
    for (auto move = moves.rbegin(); move != moves.rend(); ++move) {
      try {
        auto parts = archive::path_components(move->path);
        auto from = open_folder(fd(), parts, parts.size() - 1, false);
        auto to = open_folder(m_target_fd, parts, parts.size() - 1, false);
        const char* name = parts.back().c_str();
        if (move->exchanged)
          ::renameat2(from->get(), name, to->get(), name, RENAME_EXCHANGE);
        else
          ::renameat(to->get(), name, from->get(), name);
      } catch (const Error&) {
      }
    }
  }

  fs::path m_target;
  int m_target_fd;
  std::unique_ptr<TempFolder> m_folder;
  fs::path m_made_parents;
  std::unique_ptr<InterruptCleanup> m_parents_cleanup;
  bool m_committed = false;
};

// Step 1: judges every member; returns the members' digest.
std::string check_members(const fs::path& package, archive::TreeCheck& check) {
  MemberDigest digest;
  ReadOptions options;
  options.list_files = false;
  options.on_member = [&](const archive::EntryInfo& member) {
    throw_if_stop_requested();
    check.add(member);
    digest.add(member);
  };
  options.on_file_data = [](const archive::EntryInfo&, archive::Reader&) {};  // not needed
  read_package(package, options);
  check.finish();
  return digest.finish();
}

// Step 2: writes the members below `root`, checking they are the ones judged.
ExtractResult write_members(const fs::path& package, int root, const archive::TreeCheck& check,
                            const std::string& judged) {
  TreeWriter writer(root);
  MemberDigest digest;
  ExtractResult result;
  ReadOptions options;
  options.list_files = false;
  options.on_member = [&](const archive::EntryInfo& member) {
    throw_if_stop_requested();
    digest.add(member);
    if (archive::unsafe_entry_reason(member))
      throw package_changed(package);
    writer.add(member);
  };
  options.on_file_data = [&](const archive::EntryInfo& member, archive::Reader& data) {
    result.bytes += writer.write_file(member, data, check.total_bytes() - result.bytes, package);
    ++result.files;
  };
  read_package(package, options);
  if (digest.finish() != judged)
    throw package_changed(package);
  return result;
}

}  // namespace

ExtractResult extract_package(const fs::path& package, const fs::path& folder,
                              const archive::ExtractionLimits& limits) {
  auto target = target_path(folder);
  auto target_fd = open_target(target);
  std::error_code error;
  auto package_size = fs::file_size(package, error);
  archive::TreeCheck check(limits, error ? 0 : package_size, target_fd->get(),
                           target.string().size());
  auto judged = check_members(package, check);
  Staging staging(target, target_fd->get(), check);
  auto result = write_members(package, staging.fd(), check, judged);
  throw_if_stop_requested();
  staging.commit();
  return result;
}

}  // namespace mpaas::offline
