// FileLock: flock on a lock file beside the guarded file (see file_lock.hpp).
#include "mpaas/core/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "mpaas/core/error.hpp"
#include "mpaas/core/interrupt.hpp"

namespace mpaas {
namespace {

std::filesystem::path lock_path_of(const std::filesystem::path& file) {
  std::string name = ".";
  name += file.filename().string();
  name += ".lock";
  return file.parent_path() / name;
}

// True when `fd` is still the file at `path`: the previous holder may have removed (and a
// third process re-created) the lock file between our open and our flock.
bool still_linked(int fd, const std::filesystem::path& path) {
  struct stat opened {};
  struct stat current {};
  return ::fstat(fd, &opened) == 0 && ::stat(path.c_str(), &current) == 0 &&
         opened.st_dev == current.st_dev && opened.st_ino == current.st_ino;
}

}  // namespace

FileLock::FileLock(const std::filesystem::path& file, std::chrono::milliseconds timeout)
    : m_lock_path(lock_path_of(file)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(1);
  while (true) {
    throw_if_stop_requested();
    int fd = ::open(m_lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
      throw failure("cannot create the lock file: " + std::string(std::strerror(errno)) + " (" +
                        m_lock_path.string() + ")",
                    file.string());
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
      if (still_linked(fd, m_lock_path)) {
        m_fd = fd;
        return;
      }
      ::close(fd);
      continue;  // locked a removed file: take the new one
    }
    int error = errno;
    ::close(fd);
    if (error != EWOULDBLOCK && error != EINTR) {
      throw failure(
          "cannot lock: " + std::string(std::strerror(error)) + " (" + m_lock_path.string() + ")",
          file.string());
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      throw conflict("another mpaas is still editing the file; try again (" + file.string() + ")",
                     file.string());
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
}

FileLock::~FileLock() {
  // Unlink while still holding the lock: a waiter then sees a removed file and retries.
  ::unlink(m_lock_path.c_str());
  ::close(m_fd);
}

}  // namespace mpaas
