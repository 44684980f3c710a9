// What create and apply share about a build: its bytes, its ZIP entries when it is an
// archive the strict reader accepts, each entry's content and compressed bytes, the
// skeleton (every byte but entry data), and zlib deflate at a given level.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mpaas/archive/zip_reader.hpp"

namespace mpaas::hotfix::detail {

// A whole file ("base", "target", "bundle" name it in errors): not_found when missing, a
// usage error for anything but a regular file.
std::string read_whole(const std::filesystem::path& path, const std::string& role);

class Build {
 public:
  // `label` names the file in errors. An archive the ZIP reader refuses is a plain file.
  Build(std::string bytes, std::string label);

  const std::string& bytes() const { return *m_bytes; }
  bool is_archive() const { return m_archive != nullptr; }
  const std::vector<archive::ZipEntry>& entries() const { return m_archive->entries(); }
  // The entry's uncompressed content, read once (checked against its CRC-32 and size).
  const std::string& content(size_t index) const;
  std::string_view packed(size_t index) const;  // its compressed bytes as stored
  std::optional<size_t> find(const std::string& name) const;
  // Local headers and data descriptors in order, then the central directory and end records.
  std::string skeleton() const;

 private:
  std::shared_ptr<const std::string> m_bytes;
  std::string m_label;
  std::unique_ptr<archive::ZipArchive> m_archive;
  std::map<std::string, size_t> m_by_name;
  mutable std::map<size_t, std::string> m_contents;
};

// Raw deflate by zlib at `level` (window 15, memLevel 8, default strategy), as ZIP tools
// that use zlib write it.
std::string deflate_at(std::string_view content, int level);
// Raw inflate of `packed`, refused (invalid_input naming `name`) past `most` bytes or when
// the stream is broken or does not end with the input.
std::string inflate_bounded(std::string_view packed, uint64_t most, const std::string& name);
// Whether deflate_at(content, level) == packed, stopping at the first differing byte.
bool deflates_to(std::string_view content, int level, std::string_view packed);

}  // namespace mpaas::hotfix::detail
