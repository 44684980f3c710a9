// A reproducible ZIP writer shaped like the Info-ZIP 3.0 output that real mPaaS packages
// have: deflate (level 6), Unix "made by" 3.0, an extended-timestamp (UT) and a Unix
// uid/gid (ux) extra field, no data descriptors, fixed time, owner and mode, so the bytes
// depend only on the entries added. Small entries are deflated by zlib at level 6, as
// Info-ZIP does; streamed entries by ParallelDeflater (libdeflate, independent 1 MiB blocks
// across `threads` workers), so the output is the same for any thread count and memory
// stays flat. ZIP64 records (APPNOTE 4.5) appear only where a size, offset or
// count does not fit its 32-bit field, so packages under 4 GiB are plain ZIP.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "mpaas/archive/parallel_deflate.hpp"

namespace mpaas::archive {

struct ZipEntryOptions {
  int64_t mtime = 0;
  uint32_t uid = 500;
  uint32_t gid = 500;
  unsigned mode = 0664;
  // Tests only: ZIP64 records on every entry and at the end, whatever the sizes, so that
  // the ZIP64 layout is exercised without a 4 GiB fixture.
  bool force_zip64 = false;
};

class ZipWriter {
 public:
  // Writes at the start of `fd`, which must be seekable (a fresh file).
  ZipWriter(int fd, ZipEntryOptions options, unsigned threads = 1);

  void add(const std::string& name, std::string_view content);
  void add_file(const std::string& name, const std::filesystem::path& file,
                const std::function<void(uint64_t)>& on_bytes = {});
  // Streams `size` bytes of `fd` from offset 0 (a temp file that has no name).
  void add_fd(const std::string& name, int fd, uint64_t size,
              const std::function<void(uint64_t)>& on_bytes = {});
  // Adds an entry whose raw deflate stream (as ParallelDeflater wrote it) is the first
  // `totals.compressed` bytes of `fd`.
  void add_deflated(const std::string& name, const DeflateTotals& totals, int fd);
  // Writes the central directory.
  void finish();

 private:
  struct Central {
    std::string name;
    uint32_t crc = 0;
    uint64_t compressed = 0;
    uint64_t size = 0;
    uint64_t offset = 0;
    bool text = false;
    bool zip64 = false;  // ZIP64 sizes in the local header (decided before the data)
  };
  void write(const void* data, size_t size);
  bool needs_zip64(uint64_t size, uint64_t compressed_bound) const;
  static void put_entry_fields(std::string& out, const Central& entry, uint32_t date,
                               uint32_t time);
  std::string local_header(const Central& entry) const;
  std::string central_record(const Central& entry) const;
  void patch_local_header(const Central& entry);

  int m_fd;
  ZipEntryOptions m_options;
  unsigned m_threads;
  uint64_t m_offset = 0;
  std::vector<Central> m_entries;
};

// Deflates `input` as one raw deflate stream with zlib at level 6 (small entries).
std::string deflate_raw(std::string_view input);

}  // namespace mpaas::archive
