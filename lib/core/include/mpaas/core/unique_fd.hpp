// UniqueFd: owns a POSIX file descriptor and closes it when it goes out of scope, so code
// that reads or writes through raw fds (streaming archive writers, extraction) cannot leak
// one on an exception. It does not open files itself; open_read_only() is the common case.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

namespace mpaas {

class UniqueFd {
 public:
  explicit UniqueFd(int fd) : m_fd(fd) {}
  ~UniqueFd() {
    if (m_fd >= 0)
      ::close(m_fd);
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return m_fd; }

 private:
  int m_fd;
};

// Opens `path` for reading; throws not_found naming the path when it cannot.
UniqueFd open_read_only(const std::filesystem::path& path);

// An unnamed read-write file in `folder` (O_TMPFILE, else a file unlinked at once): it
// vanishes when closed, even on a crash. Throws failure naming the folder.
UniqueFd open_anonymous_file(const std::filesystem::path& folder);

// Writes all of `data` at the file's position; throws failure ("... (what)") when it cannot.
void write_all(int fd, const void* data, size_t size, const std::string& what);

}  // namespace mpaas
