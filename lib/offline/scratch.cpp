// Registered scratch folders (see scratch.hpp).
#include "mpaas/offline/scratch.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "mpaas/core/error.hpp"

namespace mpaas::offline {
namespace fs = std::filesystem;
namespace {

std::string random_suffix() {
  static thread_local std::mt19937_64 random(std::random_device{}());
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string suffix;
  for (int i = 0; i < 10; ++i)
    suffix += alphabet[random() % (sizeof(alphabet) - 1)];
  return suffix;
}

}  // namespace

std::unique_ptr<ScratchFolder> ScratchFolder::create(
    const fs::path& where, const std::string& prefix,
    const std::function<bool(const std::string&)>& taken) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto name = prefix + random_suffix();
    if (taken && taken(name))
      continue;
    auto path = where / name;
    auto cleanup = std::make_unique<InterruptCleanup>(path);
    if (::mkdir(path.c_str(), 0777) != 0) {
      int error = errno;
      cleanup.reset();
      if (error == EEXIST)
        continue;
      errno = error;
      return nullptr;
    }
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      int error = errno;
      ::rmdir(path.c_str());
      cleanup.reset();
      errno = error;
      return nullptr;
    }
    return std::unique_ptr<ScratchFolder>(new ScratchFolder(path, std::move(cleanup), fd));
  }
  errno = EEXIST;
  return nullptr;
}

std::unique_ptr<ScratchFolder> ScratchFolder::make(const fs::path& where,
                                                   const std::string& prefix) {
  auto folder = create(where, prefix);
  if (!folder) {
    throw failure("cannot create a temp folder: " + std::string(std::strerror(errno)) + " (" +
                      where.string() + ")",
                  where.string());
  }
  return folder;
}

ScratchFolder::ScratchFolder(fs::path path, std::unique_ptr<InterruptCleanup> cleanup, int fd)
    : m_path(std::move(path)), m_cleanup(std::move(cleanup)), m_fd(new UniqueFd(fd)) {}

ScratchFolder::~ScratchFolder() {
  m_fd.reset();
  if (!m_released) {
    std::error_code ignored;
    fs::remove_all(m_path, ignored);
  }
}

void ScratchFolder::release() {
  m_released = true;
  m_cleanup.reset();
}

}  // namespace mpaas::offline
