// Line and event readers (see reader.hpp).
#include "mpaas/analytics/reader.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "mpaas/core/error.hpp"

namespace mpaas::analytics {
namespace {

constexpr size_t chunk_bytes = 1 << 20;

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         std::equal(suffix.rbegin(), suffix.rend(), text.rbegin(), [](char a, char b) {
           return a == static_cast<char>(std::tolower(static_cast<unsigned char>(b)));
         });
}

}  // namespace

std::optional<EventFormat> format_of_name(const std::string& name) {
  std::string base = name;
  if (ends_with(base, ".gz"))
    base.resize(base.size() - 3);
  for (const char* suffix : {".ndjson", ".jsonl", ".json"}) {
    if (ends_with(base, suffix))
      return EventFormat::ndjson;
  }
  if (ends_with(base, ".csv"))
    return EventFormat::csv;
  return std::nullopt;
}

EventFormat parse_event_format(const std::string& name) {
  if (name == "ndjson")
    return EventFormat::ndjson;
  if (name == "csv")
    return EventFormat::csv;
  throw usage_error("unknown event format '" + name.substr(0, 40) + "', expected ndjson or csv",
                    "format");
}

struct LineReader::Inflater {
  z_stream stream{};
  bool ended = false;  // the current member ended; the next bytes start another one
  Inflater() {
    if (inflateInit2(&stream, 15 + 16) != Z_OK)
      throw failure("cannot start the gzip decoder");
  }
  ~Inflater() { inflateEnd(&stream); }
};

LineReader::LineReader(std::istream& in, std::string source)
    : m_in(in), m_source(std::move(source)) {}

LineReader::~LineReader() = default;

bool LineReader::fill() {
  // Raw bytes: read a chunk when the last one is used up.
  auto read_raw = [this]() {
    if (m_raw_pos < m_raw.size() || m_input_done)
      return;
    m_raw.resize(chunk_bytes);
    m_in.read(m_raw.data(), static_cast<std::streamsize>(m_raw.size()));
    m_raw.resize(static_cast<size_t>(m_in.gcount()));
    m_raw_pos = 0;
    m_bytes_read += m_raw.size();
    if (m_raw.empty()) {
      if (m_in.bad())
        throw failure("cannot read " + m_source, m_source);
      m_input_done = true;
    }
  };
  read_raw();
  if (!m_started) {
    m_started = true;
    m_gzip = m_raw.size() >= 2 && static_cast<unsigned char>(m_raw[0]) == 0x1f &&
             static_cast<unsigned char>(m_raw[1]) == 0x8b;
    if (m_gzip)
      m_inflater = std::make_unique<Inflater>();
  }
  if (!m_gzip) {
    if (m_raw_pos >= m_raw.size())
      return false;
    m_buffer.append(m_raw, m_raw_pos, std::string::npos);
    m_raw_pos = m_raw.size();
    return true;
  }
  size_t before = m_buffer.size();
  while (m_buffer.size() == before) {
    read_raw();
    if (m_raw_pos >= m_raw.size()) {
      if (!m_inflater->ended && m_bytes_read > 0)
        throw invalid_input("the gzip stream of " + m_source + " is truncated", m_source);
      return false;
    }
    auto& z = m_inflater->stream;
    if (m_inflater->ended) {
      inflateReset(&z);
      m_inflater->ended = false;
    }
    size_t old_size = m_buffer.size();
    m_buffer.resize(old_size + chunk_bytes);
    z.next_in = reinterpret_cast<Bytef*>(m_raw.data() + m_raw_pos);
    z.avail_in = static_cast<uInt>(m_raw.size() - m_raw_pos);
    z.next_out = reinterpret_cast<Bytef*>(m_buffer.data() + old_size);
    z.avail_out = static_cast<uInt>(chunk_bytes);
    int status = inflate(&z, Z_NO_FLUSH);
    m_raw_pos = m_raw.size() - z.avail_in;
    m_buffer.resize(old_size + (chunk_bytes - z.avail_out));
    if (status == Z_STREAM_END) {
      m_inflater->ended = true;
    } else if (status != Z_OK && status != Z_BUF_ERROR) {
      throw invalid_input("the gzip stream of " + m_source + " is corrupt", m_source);
    }
  }
  return true;
}

namespace {
std::string_view trimmed_line(std::string_view line, uint64_t number) {
  if (!line.empty() && line.back() == '\r')
    line.remove_suffix(1);
  if (number == 1 && line.substr(0, 3) == "\xEF\xBB\xBF")
    line.remove_prefix(3);
  return line;
}
}  // namespace

bool LineReader::next(std::string_view& line, bool& too_long) {
  too_long = false;
  m_long.clear();
  bool skipping = false;
  while (true) {
    size_t newline = m_buffer.find('\n', m_pos);
    if (newline != std::string::npos) {
      ++m_line_number;
      std::string_view piece(m_buffer.data() + m_pos, newline - m_pos);
      m_pos = newline + 1;
      if (!skipping && !m_long.empty()) {
        m_long.append(piece);
        skipping = m_long.size() > max_line_bytes + 1;
        piece = m_long;
      }
      if (skipping) {
        too_long = true;
        line = {};
        return true;
      }
      line = trimmed_line(piece, m_line_number);
      return true;
    }
    // No newline in what is left: keep it (or drop it when the line is too long already)
    // and read more.
    if (!skipping) {
      m_long.append(m_buffer, m_pos, std::string::npos);
      if (m_long.size() > max_line_bytes + 1) {
        skipping = true;
        m_long.clear();
      }
    }
    m_buffer.clear();
    m_pos = 0;
    if (!fill()) {
      if (!skipping && m_long.empty())
        return false;
      ++m_line_number;
      if (skipping) {
        too_long = true;
        line = {};
        return true;
      }
      // The last line, without a newline: kept in the buffer so that the view stays valid.
      m_buffer = std::move(m_long);
      m_long.clear();
      m_pos = m_buffer.size();
      line = trimmed_line(m_buffer, m_line_number);
      return true;
    }
  }
}

EventReader::EventReader(std::istream& in, std::string source, std::optional<EventFormat> format)
    : m_lines(in, source), m_source(std::move(source)), m_format(format) {}

EventReader::Status EventReader::next(Event& event, LineError& error) {
  std::string_view line;
  bool too_long = false;
  while (m_lines.next(line, too_long)) {
    if (too_long) {
      error.reason = "line longer than " + std::to_string(max_line_bytes) + " bytes";
      return Status::rejected;
    }
    if (line.find_first_not_of(" \t") == std::string_view::npos)
      continue;
    if (!m_format) {
      size_t first = line.find_first_not_of(" \t");
      m_format = line[first] == '{' ? EventFormat::ndjson : EventFormat::csv;
    }
    if (*m_format == EventFormat::csv && !m_header) {
      m_header = parse_csv_header(line, m_source);
      continue;
    }
    auto refused = *m_format == EventFormat::ndjson ? parse_ndjson_event(line, event)
                                                    : parse_csv_event(line, *m_header, event);
    if (refused) {
      error = std::move(*refused);
      return Status::rejected;
    }
    return Status::event;
  }
  return Status::end;
}

}  // namespace mpaas::analytics
