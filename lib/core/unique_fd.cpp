// open_read_only, open_anonymous_file and write_all (see unique_fd.hpp).
#include "mpaas/core/unique_fd.hpp"

#include <fcntl.h>
#include <stdlib.h>

#include "mpaas/core/error.hpp"

namespace mpaas {

UniqueFd open_read_only(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw not_found("cannot open (" + path.string() + ")");
  return UniqueFd(fd);
}

UniqueFd open_anonymous_file(const std::filesystem::path& folder) {
  int fd = ::open(folder.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::string name = (folder / ".mpaas-temp-XXXXXX").string();
    fd = ::mkstemp(name.data());
    if (fd >= 0)
      ::unlink(name.c_str());
  }
  if (fd < 0)
    throw failure("cannot create a temp file (" + folder.string() + ")");
  return UniqueFd(fd);
}

void write_all(int fd, const void* data, size_t size, const std::string& what) {
  const char* cursor = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t done = ::write(fd, cursor, size);
    if (done <= 0)
      throw failure("cannot write a temp file, disk full? (" + what + ")");
    cursor += done;
    size -= static_cast<size_t>(done);
  }
}

}  // namespace mpaas
