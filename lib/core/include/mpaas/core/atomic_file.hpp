// Atomic file output: write to a temp file in the destination's folder, fsync, rename.
// A reader sees the old file or the complete new one, never a half-written file.
// Artifacts that can be made again (patches, packages, project files) may skip the fsyncs,
// as cp, tar, zstd and bspatch do: they are still atomic against a crash of the process or
// Ctrl-C, and only a power loss just after the rename could lose the new file. If the
// writer is destroyed without commit() (an exception, a refused input), the temp file is
// removed; on Ctrl-C the interrupt handler removes it. "-" as the path means stdout and
// is handled by callers, not here.
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

class AtomicFile {
 public:
  // Creates the temp file next to `destination`; `mode` is applied on commit.
  explicit AtomicFile(std::filesystem::path destination, unsigned mode = 0644,
                      Durability durability = Durability::synced);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t size);
  void write(std::string_view data) { write(data.data(), data.size()); }
  // fsyncs (when synced), renames over the destination and fsyncs the folder (when synced).
  void commit();

  const std::filesystem::path& temp_path() const { return m_temp_path; }
  const std::filesystem::path& destination() const { return m_destination; }
  int fd() const { return m_fd; }
  uint64_t bytes_written() const { return m_bytes_written; }

 private:
  std::filesystem::path m_destination;
  std::filesystem::path m_temp_path;
  unsigned m_mode;
  Durability m_durability;
  int m_fd = -1;
  bool m_committed = false;
  uint64_t m_bytes_written = 0;
  std::unique_ptr<InterruptCleanup> m_cleanup;
};

// Writes `content` to `destination` atomically in one call.
void write_file_atomically(const std::filesystem::path& destination, std::string_view content,
                           unsigned mode = 0644);

// Reads a whole file; throws not_found / failure naming the path.
std::string read_file(const std::filesystem::path& path);

}  // namespace mpaas
