// Reading tar and zip archives through libarchive, one entry at a time, data streamed in
// chunks: nothing holds a whole entry in memory. A reader can read a tar that is itself an
// entry of a zip (the .amr layout) by pulling its bytes from the outer reader, or from any
// stream (a ZipEntryStream of zip_reader.hpp, whose structure checks packages need).
// Malformed archives throw invalid_input naming the archive. Path safety is not judged
// here (see safe_path.hpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace mpaas::archive {

enum class EntryType { file, directory, symlink, hardlink, other };

struct EntryInfo {
  std::string path;
  EntryType type = EntryType::file;
  uint64_t size = 0;        // as declared by the header
  bool size_known = true;   // false for zip entries whose size comes after the data
  std::string link_target;  // symlinks and hard links
  unsigned mode = 0;
};

class Reader {
 public:
  // Any format libarchive knows among zip and tar, from a file.
  static std::unique_ptr<Reader> open_file(const std::filesystem::path& path);
  // A tar streamed from `source` (the data of the current entry of another reader);
  // `tap` sees every byte pulled from `source`.
  using Tap = std::function<void(const char*, size_t)>;
  static std::unique_ptr<Reader> open_nested(Reader& source, const std::string& label,
                                             Tap tap = {});
  // A tar whose bytes come from `pull` (fills up to `size` bytes, returns 0 at the end).
  using Pull = std::function<size_t(char*, size_t)>;
  static std::unique_ptr<Reader> open_tar_stream(Pull pull, const std::string& label);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // Advances to the next entry; false at the end.
  bool next(EntryInfo& entry);
  // Reads up to `size` bytes of the current entry's data; 0 at its end.
  size_t read(void* buffer, size_t size);
  // Calls `sink` with each chunk of the current entry's data.
  void read_all(const std::function<void(const char*, size_t)>& sink);
  const std::string& label() const { return m_label; }
  // Bytes of the archive consumed so far. After next() returned false on a tar, this is
  // where its end-of-archive marker ends: anything after it is not part of any member.
  uint64_t consumed() const;

 private:
  struct PullSource;  // a stream reader's source, owned here (libarchive only borrows it)
  Reader(void* archive, std::string label);
  void rethrow_source_error();
  void* m_archive;
  std::string m_label;
  std::unique_ptr<PullSource> m_source;
};

}  // namespace mpaas::archive
