// open_read_only (see unique_fd.hpp).
#include "core/unique_fd.hpp"

#include <fcntl.h>

#include "core/error.hpp"

namespace mpaas {

UniqueFd open_read_only(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw not_found("cannot open (" + path.string() + ")");
  return UniqueFd(fd);
}

}  // namespace mpaas
