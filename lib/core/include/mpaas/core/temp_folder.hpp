// A temporary folder, removed with everything in it when its owner goes away, by an error,
// a refusal or a stop request (it is registered for the forced cleanup of interrupt.hpp
// before it is created). The one temp-folder type of lib: clones of git templates, scratch
// space beside an output (so moving its content into place is a rename on one file
// system), and output folders built beside their target and renamed into place.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "mpaas/core/interrupt.hpp"

namespace mpaas {

class TempFolder {
 public:
  // A new folder `parent/prefix<random>` (mode 0700); the system temp folder when `parent` is
  // empty. Throws failure naming the parent when it cannot be made.
  explicit TempFolder(const std::string& prefix, const std::filesystem::path& parent = {});
  // A new folder `where/prefix<random>` with `mode` (less the umask), whose name `taken`
  // does not claim; nullptr with errno set when it cannot be made (the caller may try
  // elsewhere).
  static std::unique_ptr<TempFolder> try_create(
      const std::filesystem::path& where, const std::string& prefix, mode_t mode,
      const std::function<bool(const std::string&)>& taken = {});
  ~TempFolder();
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;

  const std::filesystem::path& path() const { return m_path; }
  std::filesystem::path operator/(const std::string& name) const { return m_path / name; }
  // The folder, opened without following links when it was made.
  int fd() const { return m_fd; }

  // Renames the folder to `destination` (which must not exist, or be an empty folder) and
  // stops owning it.
  void commit_to(const std::filesystem::path& destination);
  // Stops owning the folder (its owner moved it into place itself): it is removed neither on
  // destruction nor on a forced stop.
  void release();

 private:
  TempFolder() = default;
  // Makes the folder; false with errno set when it cannot.
  bool make(const std::filesystem::path& where, const std::string& prefix, mode_t mode,
            const std::function<bool(const std::string&)>& taken);

  std::filesystem::path m_path;
  std::unique_ptr<InterruptCleanup> m_cleanup;
  int m_fd = -1;
  bool m_owned = true;
};

}  // namespace mpaas
