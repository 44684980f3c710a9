// Atomic file output: write to a temp file in the destination's folder, fsync, rename.
// A reader sees the old file or the complete new one, never a half-written file.
// Artifacts that can be made again (patches, packages, project files) may skip the fsyncs,
// as cp, tar, zstd and bspatch do: they are still atomic against a crash of the process or
// Ctrl-C, and only a power loss just after the rename could lose the new file. If the
// writer is destroyed without commit() (an exception, a refused input), the temp file is
// removed; on Ctrl-C the interrupt handler removes it. "-" as the path means stdout and
// is handled by callers, not here.
//
// Replacing an existing file keeps what its owner chose: its mode (and group when allowed),
// and, when the destination is a symbolic link, the link itself: the new content goes to
// the link's final target, written beside it and renamed over it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "mpaas/core/interrupt.hpp"

namespace mpaas {

enum class Durability {
  synced,       // fsync the file and its folder on commit (settings, keys)
  rename_only,  // atomic rename only (artifacts that can be made again)
};

// The mode of the file a commit writes when the destination already exists.
enum class ExistingMode {
  keep,     // keep the existing file's mode (and group); `mode` is for a new file only
  replace,  // always `mode` (a private key must end up 0600 whatever was there)
};

class AtomicFile {
 public:
  // Creates the temp file next to `destination` (next to its final target when it is a
  // symlink); `mode` is applied on commit to a new file, and to an existing one with
  // ExistingMode::replace.
  explicit AtomicFile(std::filesystem::path destination, unsigned mode = 0644,
                      Durability durability = Durability::synced,
                      ExistingMode existing = ExistingMode::keep);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t size);
  void write(std::string_view data) { write(data.data(), data.size()); }
  // fsyncs (when synced), renames over the destination and fsyncs the folder (when synced).
  void commit();

  const std::filesystem::path& temp_path() const { return m_temp_path; }
  const std::filesystem::path& destination() const { return m_destination; }
  // The file that is replaced: the destination, or its final target when it is a symlink.
  const std::filesystem::path& target() const { return m_target; }
  int fd() const { return m_fd; }
  uint64_t bytes_written() const { return m_bytes_written; }

 private:
  void apply_mode();

  std::filesystem::path m_destination;
  std::filesystem::path m_target;
  std::filesystem::path m_temp_path;
  unsigned m_mode;
  Durability m_durability;
  ExistingMode m_existing;
  int m_fd = -1;
  bool m_committed = false;
  uint64_t m_bytes_written = 0;
  std::unique_ptr<InterruptCleanup> m_cleanup;
};

// Writes `content` to `destination` atomically in one call.
void write_file_atomically(const std::filesystem::path& destination, std::string_view content,
                           unsigned mode = 0644, ExistingMode existing = ExistingMode::keep);

// The file a write to `path` replaces: `path` itself, or the final target of the symlink
// chain it starts (which may not exist yet). Throws failure on a loop.
std::filesystem::path write_target_of(const std::filesystem::path& path);

// Reads a whole file; throws not_found / failure naming the path.
std::string read_file(const std::filesystem::path& path);

}  // namespace mpaas
