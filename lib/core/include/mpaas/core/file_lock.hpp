// An exclusive lock around the read-modify-write of a shared file (the user config, a
// project's mpaas.yaml), so that concurrent writers queue instead of losing each other's
// changes. The lock is flock(2) on a hidden lock file beside the file it guards
// (".config.yaml.lock"); the holder removes that file when it is done, and a waiter that
// locked a file removed meanwhile simply tries again, so no lock file is left behind.
#pragma once

#include <chrono>
#include <filesystem>

namespace mpaas {

class FileLock {
 public:
  // Waits for the lock of `file` (checking for stop requests), at most `timeout`; throws
  // conflict naming `file` when another process holds it for longer.
  explicit FileLock(const std::filesystem::path& file,
                    std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  const std::filesystem::path& lock_path() const { return m_lock_path; }

 private:
  std::filesystem::path m_lock_path;
  int m_fd = -1;
};

}  // namespace mpaas
