// TempFolder (see temp_folder.hpp).
#include "mpaas/core/temp_folder.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

#include "mpaas/core/error.hpp"

namespace mpaas {
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

bool TempFolder::make(const fs::path& where, const std::string& prefix, mode_t mode,
                      const std::function<bool(const std::string&)>& taken) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string name = prefix + random_suffix();
    if (taken && taken(name))
      continue;
    fs::path candidate = where / name;
    // Registered before it exists, so a forced stop between the two steps still removes it.
    auto cleanup = std::make_unique<InterruptCleanup>(candidate);
    if (::mkdir(candidate.c_str(), mode) != 0) {
      int error = errno;
      cleanup.reset();
      if (error == EEXIST)
        continue;
      errno = error;
      return false;
    }
    int fd = ::open(candidate.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      int error = errno;
      ::rmdir(candidate.c_str());
      cleanup.reset();
      errno = error;
      return false;
    }
    m_path = candidate;
    m_cleanup = std::move(cleanup);
    m_fd = fd;
    return true;
  }
  errno = EEXIST;
  return false;
}

TempFolder::TempFolder(const std::string& prefix, const fs::path& parent) {
  fs::path base = parent.empty() ? fs::temp_directory_path() : parent;
  if (!make(base, prefix, 0700, {})) {
    throw failure("cannot create a temporary folder: " + std::string(std::strerror(errno)) + " (" +
                      base.string() + ")",
                  base.string());
  }
}

std::unique_ptr<TempFolder> TempFolder::try_create(
    const fs::path& where, const std::string& prefix, mode_t mode,
    const std::function<bool(const std::string&)>& taken) {
  std::unique_ptr<TempFolder> folder(new TempFolder());
  if (!folder->make(where, prefix, mode, taken))
    return nullptr;
  return folder;
}

TempFolder::~TempFolder() {
  if (m_fd >= 0)
    ::close(m_fd);
  if (m_owned && !m_path.empty()) {
    std::error_code ignored;
    fs::remove_all(m_path, ignored);
  }
}

void TempFolder::commit_to(const fs::path& destination) {
  if (std::rename(m_path.c_str(), destination.c_str()) != 0) {
    throw failure("cannot move the new folder into place: " + std::string(std::strerror(errno)) +
                      " (" + destination.string() + ")",
                  destination.string());
  }
  release();
}

void TempFolder::release() {
  m_owned = false;
  m_cleanup.reset();
}

}  // namespace mpaas
