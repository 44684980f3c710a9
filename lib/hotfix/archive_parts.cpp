// Builds as archives: entries, contents, skeletons and zlib deflate (see archive_parts.hpp).
#include "archive_parts.hpp"

#include <zlib.h>

#include <algorithm>
#include <fstream>

#include "mpaas/core/error.hpp"
#include "mpaas/core/interrupt.hpp"

namespace mpaas::hotfix::detail {
namespace {

class Deflater {
 public:
  explicit Deflater(int level) {
    if (deflateInit2(&m_stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      throw failure("cannot start zlib deflate");
  }
  ~Deflater() { deflateEnd(&m_stream); }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  // Deflates all of `content`, handing out pieces; stops early when `take` returns false.
  template <class Take>
  bool run(std::string_view content, Take&& take) {
    constexpr size_t chunk = 64 << 10;
    unsigned char out[chunk];
    size_t at = 0;
    int result = Z_OK;
    while (result != Z_STREAM_END) {
      size_t feed = std::min(chunk, content.size() - at);
      m_stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(content.data() + at));
      m_stream.avail_in = static_cast<uInt>(feed);
      at += feed;
      int flush = at == content.size() ? Z_FINISH : Z_NO_FLUSH;
      do {
        m_stream.next_out = out;
        m_stream.avail_out = chunk;
        result = deflate(&m_stream, flush);
        if (result == Z_STREAM_ERROR)
          throw failure("zlib deflate failed");
        if (!take(std::string_view(reinterpret_cast<char*>(out), chunk - m_stream.avail_out)))
          return false;
      } while (m_stream.avail_out == 0 || (flush == Z_FINISH && result != Z_STREAM_END));
      throw_if_stop_requested();
    }
    return true;
  }

 private:
  z_stream m_stream{};
};

}  // namespace

std::string read_whole(const std::filesystem::path& path, const std::string& role) {
  std::error_code error;
  if (!std::filesystem::exists(path, error))
    throw not_found("no such " + role + " file (" + path.string() + ")", path.string());
  if (!std::filesystem::is_regular_file(path, error))
    throw usage_error("the " + role + " is not a regular file (" + path.string() + ")",
                      path.string());
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad())
    throw failure("cannot read the " + role + " (" + path.string() + ")", path.string());
  return bytes;
}

Build::Build(std::string bytes, std::string label)
    : m_bytes(std::make_shared<const std::string>(std::move(bytes))), m_label(std::move(label)) {
  if (m_bytes->size() < 4 || m_bytes->compare(0, 4, "PK\x03\x04") != 0)
    return;
  try {
    m_archive = std::make_unique<archive::ZipArchive>(
        std::shared_ptr<const archive::ByteSource>(
            std::make_shared<archive::MemorySource>(*m_bytes)),
        m_label);
  } catch (const Error&) {
    // A ZIP with a layout the strict reader refuses (an APK signing block, a comment, gaps)
    // is patched as one file: still exact, only larger.
    m_archive.reset();
    return;
  }
  for (size_t i = 0; i < m_archive->entries().size(); ++i)
    m_by_name.emplace(m_archive->entries()[i].name, i);
}

const std::string& Build::content(size_t index) const {
  auto found = m_contents.find(index);
  if (found != m_contents.end())
    return found->second;
  auto stream = m_archive->open(index);
  std::string content;
  content.reserve(static_cast<size_t>(m_archive->entries()[index].size));
  char buffer[64 << 10];
  while (size_t got = stream->read(buffer, sizeof buffer)) {
    content.append(buffer, got);
    throw_if_stop_requested();
  }
  return m_contents.emplace(index, std::move(content)).first->second;
}

std::string_view Build::packed(size_t index) const {
  const auto& entry = m_archive->entries()[index];
  return std::string_view(*m_bytes).substr(static_cast<size_t>(entry.data_offset),
                                           static_cast<size_t>(entry.compressed_size));
}

std::optional<size_t> Build::find(const std::string& name) const {
  auto found = m_by_name.find(name);
  if (found == m_by_name.end())
    return std::nullopt;
  return found->second;
}

std::string Build::skeleton() const {
  std::string out;
  std::string_view bytes(*m_bytes);
  uint64_t end = 0;
  for (const auto& entry : m_archive->entries()) {
    uint64_t data_end = entry.data_offset + entry.compressed_size;
    out += bytes.substr(static_cast<size_t>(entry.header_offset),
                        static_cast<size_t>(entry.data_offset - entry.header_offset));
    out += bytes.substr(static_cast<size_t>(data_end),
                        static_cast<size_t>(entry.end_offset - data_end));
    end = entry.end_offset;
  }
  out += bytes.substr(static_cast<size_t>(end));
  return out;
}

std::string deflate_at(std::string_view content, int level) {
  std::string out;
  Deflater(level).run(content, [&](std::string_view piece) {
    out += piece;
    return true;
  });
  return out;
}

std::string inflate_bounded(std::string_view packed, uint64_t most, const std::string& name) {
  z_stream stream{};
  if (inflateInit2(&stream, -15) != Z_OK)
    throw failure("cannot start zlib inflate");
  std::string out;
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data()));
  stream.avail_in = static_cast<uInt>(packed.size());
  int result = Z_OK;
  unsigned char buffer[64 << 10];
  while (result != Z_STREAM_END) {
    stream.next_out = buffer;
    stream.avail_out = sizeof buffer;
    result = inflate(&stream, Z_NO_FLUSH);
    size_t got = sizeof buffer - stream.avail_out;
    if ((result != Z_OK && result != Z_STREAM_END) || (result == Z_OK && got == 0) ||
        out.size() + got > most) {
      inflateEnd(&stream);
      throw invalid_input(
          "hot-fix bundle is corrupt: an entry's packed bytes do not inflate "
          "to its content (" +
              name + ")",
          name);
    }
    out.append(reinterpret_cast<char*>(buffer), got);
  }
  bool whole = stream.avail_in == 0;
  inflateEnd(&stream);
  if (!whole)
    throw invalid_input(
        "hot-fix bundle is corrupt: bytes after an entry's deflate stream (" + name + ")", name);
  return out;
}

bool deflates_to(std::string_view content, int level, std::string_view packed) {
  size_t at = 0;
  bool same = Deflater(level).run(content, [&](std::string_view piece) {
    if (piece.size() > packed.size() - at || packed.compare(at, piece.size(), piece) != 0)
      return false;
    at += piece.size();
    return true;
  });
  return same && at == packed.size();
}

}  // namespace mpaas::hotfix::detail
