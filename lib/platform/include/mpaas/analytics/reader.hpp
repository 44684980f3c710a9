// Reading event files: lines from a plain or gzip stream (detected by its magic bytes, any
// number of gzip members), then events from NDJSON or CSV lines. Memory is bounded by the
// longest line taken (max_line_bytes); a longer line is skipped whole and reported.
#pragma once

#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mpaas/analytics/event.hpp"

namespace mpaas::analytics {

enum class EventFormat { ndjson, csv };
// ".ndjson", ".jsonl", ".json" or ".csv", each optionally followed by ".gz"; nullopt for any
// other name (the format is then sniffed from the first line).
std::optional<EventFormat> format_of_name(const std::string& name);
// "ndjson" or "csv"; usage_error naming "format" otherwise.
EventFormat parse_event_format(const std::string& name);

class LineReader {
 public:
  // `source` names the input in errors ("events.ndjson.gz", "stdin").
  LineReader(std::istream& in, std::string source);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The next line without its "\n" (and "\r"); false at the end. A line longer than
  // max_line_bytes is skipped to its end and returned empty with `too_long` set. The view
  // stays valid until the next call. Throws invalid_input for a broken gzip stream.
  bool next(std::string_view& line, bool& too_long);
  uint64_t line_number() const { return m_line_number; }
  // Bytes taken from the stream so far (compressed bytes for gzip): for progress.
  uint64_t bytes_read() const { return m_bytes_read; }
  bool gzip() const { return m_gzip; }

 private:
  bool fill();  // more decoded bytes into m_buffer; false at the end

  struct Inflater;
  std::istream& m_in;
  std::string m_source;
  std::unique_ptr<Inflater> m_inflater;
  bool m_gzip = false;
  bool m_started = false;
  bool m_input_done = false;
  std::string m_raw;  // bytes read from the stream, not yet decoded
  size_t m_raw_pos = 0;
  std::string m_buffer;  // decoded bytes
  size_t m_pos = 0;      // start of the next line in m_buffer
  std::string m_long;    // a line that crosses buffer refills
  uint64_t m_line_number = 0;
  uint64_t m_bytes_read = 0;
};

// Events from a line reader: the format given, or sniffed (a first line starting with '{'
// is NDJSON, anything else a CSV header). Blank lines are skipped.
class EventReader {
 public:
  EventReader(std::istream& in, std::string source, std::optional<EventFormat> format);

  enum class Status { event, rejected, end };
  // Reads the next event into `event`, or the reason its line was refused into `error`.
  // Throws invalid_input naming the source for a CSV header without the required fields.
  Status next(Event& event, LineError& error);
  uint64_t line_number() const { return m_lines.line_number(); }
  uint64_t bytes_read() const { return m_lines.bytes_read(); }
  const std::string& source() const { return m_source; }

 private:
  LineReader m_lines;
  std::string m_source;
  std::optional<EventFormat> m_format;
  std::optional<CsvHeader> m_header;
};

}  // namespace mpaas::analytics
