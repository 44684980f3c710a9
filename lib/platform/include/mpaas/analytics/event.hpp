// Analytics events as a mobile SDK reports them, and their two line formats (NDJSON and CSV
// with a header). Every field is checked against bounds here, once, so that stores and
// queries can trust an Event: docs/analytics.md lists the fields, docs/security.md the
// refusals. Nothing here stores, prints or names a flag.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mpaas::analytics {

// The fields that hold a short text value and can be filtered and grouped by, in the order of
// their dictionaries in a store. `event` is the event's name.
enum class Dimension : uint8_t {
  platform,
  app_version,
  os_version,
  model,
  region,
  network,
  channel,
  event,
};
constexpr size_t dimension_count = 8;
const char* dimension_name(Dimension dimension);
// "app_version" -> Dimension::app_version (also "version" and "name" as aliases of app_version
// and event); nullopt for anything else.
std::optional<Dimension> parse_dimension(std::string_view name);

struct Event {
  int64_t time = 0;  // milliseconds since the epoch (UTC)
  std::string id;
  std::string device;
  std::string user;                                     // empty: none
  std::array<std::string, dimension_count> dimensions;  // empty: not reported
  std::string properties;                               // a JSON object, minified; empty: none

  const std::string& name() const { return dimensions[static_cast<size_t>(Dimension::event)]; }
  std::string& operator[](Dimension d) { return dimensions[static_cast<size_t>(d)]; }
  const std::string& operator[](Dimension d) const { return dimensions[static_cast<size_t>(d)]; }
};

// Bounds of one event (hostile input: every one is checked).
constexpr size_t max_line_bytes = 64 * 1024;
constexpr size_t max_id_bytes = 128;      // event_id: printable ASCII, no spaces
constexpr size_t max_device_bytes = 256;  // device_id, user_id: printable ASCII, no spaces/commas
constexpr size_t max_dimension_bytes = 128;    // UTF-8 without control characters
constexpr size_t max_properties_bytes = 8192;  // minified
constexpr size_t max_properties_depth = 8;
constexpr size_t max_properties_members = 256;  // keys and array items, all levels
// Times from 2000-01-01 to 2099-12-31 (UTC) are taken; others are refused.
constexpr int64_t min_event_time = 946684800000LL;
constexpr int64_t max_event_time = 4102444800000LL;

// Why a line was refused, or nothing when it is an event.
struct LineError {
  std::string reason;
};

// One NDJSON line: a JSON object with "time" (RFC 3339 text or epoch milliseconds),
// "event_id", "device_id", "event" and optional "user_id", the dimensions and "properties"
// (an object). Unknown keys are ignored (after they are checked to be valid JSON); a key
// given twice is refused.
std::optional<LineError> parse_ndjson_event(std::string_view line, Event& event);

// The columns of a CSV file, from its header line (field names as in NDJSON, any order;
// unknown names are ignored). Throws invalid_input naming `source` when the header misses a
// required field or names one twice.
struct CsvHeader {
  std::vector<int> field_of_column;  // -1: ignored column
  size_t columns = 0;
};
CsvHeader parse_csv_header(std::string_view line, const std::string& source);
std::optional<LineError> parse_csv_event(std::string_view line, const CsvHeader& header,
                                         Event& event);

// "2026-03-01T12:00:00Z", "2026-03-01T12:00:00.123+08:00" (milliseconds at most), or epoch
// milliseconds as digits; nullopt when it is neither or out of bounds.
std::optional<int64_t> parse_event_time(std::string_view text);

// Checks of single fields, shared by both formats (nullopt: fine).
std::optional<LineError> check_event(const Event& event);

// A strict JSON object check that also minifies (no whitespace outside strings); bounded in
// depth and members, without recursion. nullopt and `out` set on success.
std::optional<LineError> minify_json_object(std::string_view text, std::string& out);

// The 64-bit key an event id is deduplicated by: the first 8 bytes of its SHA-256, so that
// ids cannot be chosen to collide with others (docs/formats.md).
uint64_t event_id_key(std::string_view id);

}  // namespace mpaas::analytics
