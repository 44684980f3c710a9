// TempFolder (see temp_folder.hpp).
#include "mpaas/core/temp_folder.hpp"

#include <sys/stat.h>
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

TempFolder::TempFolder(const std::string& prefix, const fs::path& parent) {
  fs::path base = parent.empty() ? fs::temp_directory_path() : parent;
  for (int attempt = 0; attempt < 100; ++attempt) {
    fs::path candidate = base / (prefix + random_suffix());
    auto cleanup = std::make_unique<InterruptCleanup>(candidate);
    if (::mkdir(candidate.c_str(), 0700) == 0) {
      m_path = candidate;
      m_cleanup = std::move(cleanup);
      return;
    }
    if (errno != EEXIST)
      break;
  }
  throw failure("cannot create a temporary folder: " + std::string(std::strerror(errno)) + " (" +
                    base.string() + ")",
                base.string());
}

TempFolder::~TempFolder() {
  if (m_owned) {
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
  m_owned = false;
  m_cleanup.reset();
}

}  // namespace mpaas
