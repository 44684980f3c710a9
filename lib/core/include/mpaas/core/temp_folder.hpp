// A temporary folder, removed with everything in it when its owner goes away, by an error,
// a refusal or a stop request (it is registered for the forced cleanup of interrupt.hpp
// before it is created). The one temp-folder type of lib: clones of git templates, scratch
// space, and output folders built beside their target and renamed into place.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "mpaas/core/interrupt.hpp"

namespace mpaas {

class TempFolder {
 public:
  // A new folder `parent/prefix<random>` (mode 0700); the system temp folder when `parent` is
  // empty. Throws failure naming the parent when it cannot be made.
  explicit TempFolder(const std::string& prefix, const std::filesystem::path& parent = {});
  ~TempFolder();
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;

  const std::filesystem::path& path() const { return m_path; }
  std::filesystem::path operator/(const std::string& name) const { return m_path / name; }

  // Renames the folder to `destination` (which must not exist, or be an empty folder) and
  // stops owning it.
  void commit_to(const std::filesystem::path& destination);

 private:
  std::filesystem::path m_path;
  std::unique_ptr<InterruptCleanup> m_cleanup;
  bool m_owned = true;
};

}  // namespace mpaas
