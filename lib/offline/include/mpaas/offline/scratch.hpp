// Private folders for work in progress (extraction staging, incremental packages' blobs):
// created beside the output rather than under /tmp, so that moving their content into
// place is a rename on the same file system and nothing is left in /tmp. Each is
// registered for removal on a forced stop (mpaas/core/interrupt.hpp) before it exists and
// removed with its content when its owner goes, unless released.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "mpaas/core/interrupt.hpp"
#include "mpaas/core/unique_fd.hpp"

namespace mpaas::offline {

class ScratchFolder {
 public:
  // Creates `where/<prefix><random>` (mode 0777 less the umask) with a name for which
  // `taken` is false. Returns nullptr with errno set when the folder cannot be made.
  static std::unique_ptr<ScratchFolder> create(
      const std::filesystem::path& where, const std::string& prefix,
      const std::function<bool(const std::string&)>& taken = {});
  // As create(), but throws failure naming `where`.
  static std::unique_ptr<ScratchFolder> make(const std::filesystem::path& where,
                                             const std::string& prefix);
  ~ScratchFolder();
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;

  const std::filesystem::path& path() const { return m_path; }
  // The folder, opened without following links.
  int fd() const { return m_fd->get(); }
  // Stops owning the folder (it was renamed into place): it is neither removed on
  // destruction nor on a forced stop.
  void release();

 private:
  ScratchFolder(std::filesystem::path path, std::unique_ptr<InterruptCleanup> cleanup, int fd);
  std::filesystem::path m_path;
  std::unique_ptr<InterruptCleanup> m_cleanup;
  std::unique_ptr<UniqueFd> m_fd;
  bool m_released = false;
};

}  // namespace mpaas::offline
