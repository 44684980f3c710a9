// A reproducible GNU tar writer over libarchive: every entry is a regular file with the
// owner, mode and time given at construction (mPaaS packages use admin/admin, 500/500,
// 0664), so the output depends only on the paths and contents added, in the order added.
// It hands its bytes to a sink (a file and a signer at once) and streams file contents; it
// does not sort or filter.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace mpaas::archive {

struct TarOwner {
  int64_t uid = 500;
  int64_t gid = 500;
  std::string uname = "admin";
  std::string gname = "admin";
  unsigned mode = 0664;
  int64_t mtime = 0;
};

class TarWriter {
 public:
  using Sink = std::function<void(const void*, size_t)>;
  TarWriter(Sink sink, TarOwner owner, std::string label);
  ~TarWriter();
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  void add(const std::string& path, std::string_view content);
  // Streams `file` into the entry; `on_bytes` is told of each chunk (for progress).
  void add_file(const std::string& path, const std::filesystem::path& file,
                const std::function<void(uint64_t)>& on_bytes = {});
  void finish();

 private:
  void write_header(const std::string& path, uint64_t size);
  void write_data(const void* data, size_t size);
  void* m_archive;
  TarOwner m_owner;
  std::string m_label;
  bool m_finished = false;
  Sink m_sink;
};

}  // namespace mpaas::archive
