// Builds ZIP archives byte by byte for tests that need hostile packages: entries that only
// a local header names, data between entries, archive comments, a second tar. Header-only;
// the well-formed output matches what APPNOTE asks (no data descriptors, no ZIP64).
#pragma once

#include <zlib.h>

#include <cstdint>
#include <string>
#include <vector>

#include "mpaas/archive/zip_writer.hpp"

namespace mpaas::test {

struct ZipPart {
  std::string name;
  std::string data;
  bool deflate = true;
  bool in_directory = true;  // false: only a local header names it (a hidden entry)
};

inline void put_le(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

// The archive of `parts` in order; `before_directory` lands between the last entry and
// the central directory, `comment` after the end record's comment length.
inline std::string craft_zip(const std::vector<ZipPart>& parts,
                             const std::string& before_directory = "",
                             const std::string& comment = "") {
  std::string body, directory;
  size_t listed = 0;
  for (const auto& part : parts) {
    std::string stored = part.deflate ? archive::deflate_raw(part.data) : part.data;
    uint32_t crc = static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(part.data.data()),
                                               static_cast<uInt>(part.data.size())));
    uint64_t offset = body.size();
    auto common = [&](std::string& out) {
      put_le(out, 0, 2);                     // flags
      put_le(out, part.deflate ? 8 : 0, 2);  // method
      put_le(out, 0, 4);                     // time and date
      put_le(out, crc, 4);
      put_le(out, stored.size(), 4);
      put_le(out, part.data.size(), 4);
      put_le(out, part.name.size(), 2);
      put_le(out, 0, 2);  // extra length
    };
    put_le(body, 0x04034b50, 4);
    put_le(body, 20, 2);
    common(body);
    body += part.name + stored;
    if (!part.in_directory)
      continue;
    ++listed;
    put_le(directory, 0x02014b50, 4);
    put_le(directory, 0x031e, 2);
    put_le(directory, 20, 2);
    common(directory);
    put_le(directory, 0, 2);  // comment length
    put_le(directory, 0, 2);  // disk
    put_le(directory, 0, 2);  // internal attributes
    put_le(directory, 0100664u << 16, 4);
    put_le(directory, offset, 4);
    directory += part.name;
  }
  body += before_directory;
  std::string end;
  put_le(end, 0x06054b50, 4);
  put_le(end, 0, 4);
  put_le(end, listed, 2);
  put_le(end, listed, 2);
  put_le(end, directory.size(), 4);
  put_le(end, body.size(), 4);
  put_le(end, comment.size(), 2);
  return body + directory + end + comment;
}

}  // namespace mpaas::test
