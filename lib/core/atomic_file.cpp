// AtomicFile: temp file + fsync + rename (see atomic_file.hpp).
#include "mpaas/core/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "mpaas/core/error.hpp"

namespace mpaas {
namespace {

std::string errno_text() {
  return std::strerror(errno);
}

void fsync_folder(const std::filesystem::path& folder) {
  int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

// As the kernel: a chain of more links than this is a loop.
constexpr int max_symlink_hops = 40;

}  // namespace

std::filesystem::path write_target_of(const std::filesystem::path& path) {
  std::filesystem::path current = path;
  for (int hop = 0; hop < max_symlink_hops; ++hop) {
    struct stat info {};
    if (::lstat(current.c_str(), &info) != 0 || !S_ISLNK(info.st_mode))
      return current;
    std::string link(static_cast<size_t>(info.st_size > 0 ? info.st_size : 4096) + 1, '\0');
    ssize_t length = ::readlink(current.c_str(), link.data(), link.size());
    if (length < 0 || static_cast<size_t>(length) >= link.size()) {
      throw failure(
          "cannot read the symbolic link: " + errno_text() + " (" + current.string() + ")",
          path.string());
    }
    link.resize(static_cast<size_t>(length));
    std::filesystem::path next(link);
    current = next.is_absolute() ? next : current.parent_path() / next;
  }
  throw failure("too many levels of symbolic links (" + path.string() + ")", path.string());
}

AtomicFile::AtomicFile(std::filesystem::path destination, unsigned mode, Durability durability,
                       ExistingMode existing)
    : m_destination(std::move(destination)),
      m_target(write_target_of(m_destination)),
      m_mode(mode),
      m_durability(durability),
      m_existing(existing) {
  auto folder = m_target.parent_path();
  std::string prefix = ".";
  prefix += m_target.filename().string();
  prefix += ".tmp-";
  m_fd = create_registered_file(folder, prefix, 0600, m_temp_path, m_cleanup);
  if (m_fd < 0) {
    throw failure("cannot create a temporary file beside the output: " + errno_text() + " (" +
                      m_destination.string() + ")",
                  m_destination.string());
  }
}

AtomicFile::~AtomicFile() {
  if (m_fd >= 0) {
    ::close(m_fd);
  }
  if (!m_committed && !m_temp_path.empty()) {
    ::unlink(m_temp_path.c_str());
  }
}

void AtomicFile::write(const void* data, size_t size) {
  const char* cursor = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t written = ::write(m_fd, cursor, size);
    if (written < 0) {
      if (errno == EINTR)
        continue;
      throw failure("cannot write: " + errno_text() + " (" + m_destination.string() + ")");
    }
    cursor += written;
    size -= static_cast<size_t>(written);
    m_bytes_written += static_cast<uint64_t>(written);
  }
}

// The new file gets the mode (and owner and group, as far as we may set them) of the file it
// replaces, so a 0600 or 0640 file is not widened by being rewritten. When the group cannot
// be kept, the group bits are dropped rather than granted to another group.
void AtomicFile::apply_mode() {
  unsigned mode = m_mode;
  struct stat existing {};
  if (m_existing == ExistingMode::keep && ::stat(m_target.c_str(), &existing) == 0 &&
      S_ISREG(existing.st_mode)) {
    mode = existing.st_mode & 0777;
    if (existing.st_uid != ::geteuid() || existing.st_gid != ::getegid()) {
      if (::fchown(m_fd, existing.st_uid, existing.st_gid) != 0 &&
          ::fchown(m_fd, static_cast<uid_t>(-1), existing.st_gid) != 0) {
        struct stat created {};
        if (::fstat(m_fd, &created) != 0 || created.st_gid != existing.st_gid)
          mode &= ~static_cast<unsigned>(S_IRWXG);
      }
    }
  }
  if (::fchmod(m_fd, static_cast<mode_t>(mode)) != 0) {
    throw failure("cannot set the mode: " + errno_text() + " (" + m_destination.string() + ")");
  }
}

void AtomicFile::commit() {
  bool synced = m_durability == Durability::synced;
  apply_mode();
  if (synced && ::fsync(m_fd) != 0) {
    throw failure("cannot flush: " + errno_text() + " (" + m_destination.string() + ")");
  }
  ::close(m_fd);
  m_fd = -1;
  if (::rename(m_temp_path.c_str(), m_target.c_str()) != 0) {
    throw failure("cannot replace the output: " + errno_text() + " (" + m_destination.string() +
                  ")");
  }
  m_committed = true;
  if (synced)
    fsync_folder(m_target.parent_path());
}

void write_file_atomically(const std::filesystem::path& destination, std::string_view content,
                           unsigned mode, ExistingMode existing) {
  AtomicFile file(destination, mode, Durability::synced, existing);
  file.write(content);
  file.commit();
}

std::string read_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw not_found("no such file (" + path.string() + ")");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw failure("cannot open: " + errno_text() + " (" + path.string() + ")");
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace mpaas
