// A ZIP reader that checks the archive's structure before trusting any of it. A ZIP names
// its entries twice: in a local header before each entry's data (what streaming readers
// such as `bsdtar -xf - < file` follow) and in the central directory at the end (what
// seeking readers such as unzip follow). When the two disagree, two readers see two
// different archives: an entry only a local header names is invisible to a verifier that
// reads the directory, yet a streaming client extracts it. So the structure is accepted
// only when both describe exactly the same entries, in the same order, laid out back to
// back from offset 0 to the central directory, which is followed only by the end records
// (and the end record only by the end of the file: no archive comment). Every byte of the
// file is then accounted for exactly once.
//
// Entry data is read through inflating streams that stop at the declared size and check
// that the deflate stream ends exactly at the entry's compressed size, with the declared
// CRC-32: the work an entry can cause is bounded by what its headers declare. All
// refusals are invalid_input naming the archive (the label) as subject.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mpaas::archive {

// Random access to an archive's bytes: a file, or memory (fuzzing and tests).
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual uint64_t size() const = 0;
  // Reads exactly `length` bytes at `offset`; throws when it cannot.
  virtual void read_at(uint64_t offset, void* buffer, size_t length) const = 0;
};

// A regular file, opened once (the size is the open file's, so later renames do not
// matter). Throws not_found for a missing file, usage_error for a folder or anything that
// is not a regular file, failure ("cannot open: <reason>") when it cannot be read; each
// names the path as given.
class FileSource : public ByteSource {
 public:
  explicit FileSource(const std::filesystem::path& path);
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  uint64_t size() const override { return m_size; }
  void read_at(uint64_t offset, void* buffer, size_t length) const override;

 private:
  int m_fd = -1;
  uint64_t m_size = 0;
  std::string m_name;
};

// Bytes owned elsewhere that outlive the source.
class MemorySource : public ByteSource {
 public:
  explicit MemorySource(std::string_view bytes) : m_bytes(bytes) {}
  uint64_t size() const override { return m_bytes.size(); }
  void read_at(uint64_t offset, void* buffer, size_t length) const override;

 private:
  std::string_view m_bytes;
};

struct ZipEntry {
  std::string name;
  uint16_t method = 0;  // 0 stored, 8 deflated (the only two accepted)
  uint16_t flags = 0;
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t size = 0;  // uncompressed
  uint64_t header_offset = 0;
  uint64_t data_offset = 0;
  uint64_t end_offset = 0;  // after the data and its data descriptor, if any
};

struct ZipLimits {
  size_t max_entries = 65535;
  size_t max_name_length = 4096;
};

// Reads an entry's uncompressed bytes. read() returns 0 at the end, after checking the
// size and CRC-32; it throws as soon as the data would pass the declared size.
class ZipEntryStream {
 public:
  virtual ~ZipEntryStream() = default;
  virtual size_t read(void* buffer, size_t length) = 0;
  // Uncompressed bytes returned so far.
  virtual uint64_t position() const = 0;
};

class ZipArchive {
 public:
  // Parses the end records, the central directory and every local header, and checks
  // that they agree (see the top of this file). `label` names the archive in messages.
  ZipArchive(std::shared_ptr<const ByteSource> source, std::string label, ZipLimits limits = {});

  const std::vector<ZipEntry>& entries() const { return m_entries; }
  const std::string& label() const { return m_label; }
  uint64_t size() const { return m_source->size(); }
  std::unique_ptr<ZipEntryStream> open(size_t index) const;

 private:
  std::shared_ptr<const ByteSource> m_source;
  std::string m_label;
  std::vector<ZipEntry> m_entries;
};

}  // namespace mpaas::archive
