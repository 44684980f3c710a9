// Events and their line formats (see event.hpp). The JSON reader is written for one flat
// object per line: it decodes the known top-level fields in one pass and checks everything
// else (unknown keys, "properties") with an iterative scanner that is bounded in depth and
// members, so that a hostile line costs at most its own length.
#include "mpaas/analytics/event.hpp"

#include <algorithm>
#include <cstring>

#include "mpaas/core/error.hpp"
#include "mpaas/core/hex.hpp"
#include "mpaas/core/output.hpp"
#include "mpaas/core/sha256.hpp"

namespace mpaas::analytics {
namespace {

constexpr const char* dimension_names[dimension_count] = {
    "platform", "app_version", "os_version", "model", "region", "network", "channel", "event"};

// Field numbers shared by both formats.
enum Field : int {
  f_time = 0,
  f_event_id,
  f_device_id,
  f_user_id,
  f_first_dimension,  // + Dimension
  f_properties = f_first_dimension + static_cast<int>(dimension_count),
  field_count,
};

int field_of_name(std::string_view name) {
  if (name == "time")
    return f_time;
  if (name == "event_id")
    return f_event_id;
  if (name == "device_id")
    return f_device_id;
  if (name == "user_id")
    return f_user_id;
  if (name == "properties")
    return f_properties;
  for (size_t i = 0; i < dimension_count; ++i) {
    if (name == dimension_names[i])
      return f_first_dimension + static_cast<int>(i);
  }
  return -1;
}

std::optional<LineError> fail(std::string reason) {
  return LineError{std::move(reason)};
}

std::string shown(std::string_view text) {
  std::string cut(text.substr(0, 40));
  return escape_for_terminal(cut) + (text.size() > 40 ? "..." : "");
}

bool is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void skip_ws(std::string_view s, size_t& pos) {
  while (pos < s.size() && is_ws(s[pos]))
    ++pos;
}

bool read_hex4(std::string_view s, size_t pos, unsigned& value) {
  if (pos + 4 > s.size())
    return false;
  value = 0;
  for (size_t i = 0; i < 4; ++i) {
    int digit = hex_digit_value(s[pos + i]);
    if (digit < 0)
      return false;
    value = value * 16 + static_cast<unsigned>(digit);
  }
  return true;
}

void append_utf8(std::string& out, unsigned code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

// A JSON string at s[pos] == '"'. With `decoded`, its value is decoded into it; with `raw`,
// the string is copied as written (quotes included). pos ends after the closing quote.
std::optional<LineError> scan_string(std::string_view s, size_t& pos, std::string* decoded,
                                     std::string* raw) {
  size_t start = pos;
  ++pos;
  size_t plain_from = pos;
  auto flush = [&](size_t until) {
    if (decoded)
      decoded->append(s.data() + plain_from, until - plain_from);
  };
  while (true) {
    if (pos >= s.size())
      return fail("unterminated string");
    unsigned char c = static_cast<unsigned char>(s[pos]);
    if (c == '"')
      break;
    if (c < 0x20)
      return fail("control character in a string");
    if (c != '\\') {
      ++pos;
      continue;
    }
    flush(pos);
    if (pos + 1 >= s.size())
      return fail("unterminated string");
    char e = s[pos + 1];
    pos += 2;
    switch (e) {
      case '"':
        if (decoded)
          *decoded += '"';
        break;
      case '\\':
        if (decoded)
          *decoded += '\\';
        break;
      case '/':
        if (decoded)
          *decoded += '/';
        break;
      case 'b':
        if (decoded)
          *decoded += '\b';
        break;
      case 'f':
        if (decoded)
          *decoded += '\f';
        break;
      case 'n':
        if (decoded)
          *decoded += '\n';
        break;
      case 'r':
        if (decoded)
          *decoded += '\r';
        break;
      case 't':
        if (decoded)
          *decoded += '\t';
        break;
      case 'u': {
        unsigned code;
        if (!read_hex4(s, pos, code))
          return fail("bad \\u escape in a string");
        pos += 4;
        if (code >= 0xDC00 && code <= 0xDFFF)
          return fail("lone surrogate in a string");
        if (code >= 0xD800 && code <= 0xDBFF) {
          unsigned low;
          if (pos + 6 > s.size() || s[pos] != '\\' || s[pos + 1] != 'u' ||
              !read_hex4(s, pos + 2, low) || low < 0xDC00 || low > 0xDFFF)
            return fail("lone surrogate in a string");
          pos += 6;
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        }
        if (decoded)
          append_utf8(*decoded, code);
        break;
      }
      default:
        return fail("bad escape in a string");
    }
    plain_from = pos;
  }
  flush(pos);
  ++pos;
  std::string_view whole = s.substr(start, pos - start);
  if (!is_valid_utf8(whole))
    return fail("a string is not UTF-8");
  if (raw)
    raw->append(whole);
  return std::nullopt;
}

std::optional<LineError> scan_number(std::string_view s, size_t& pos, std::string* raw) {
  size_t start = pos;
  if (pos < s.size() && s[pos] == '-')
    ++pos;
  auto digits = [&] {
    size_t from = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9')
      ++pos;
    return pos - from;
  };
  if (pos < s.size() && s[pos] == '0') {
    ++pos;
  } else if (digits() == 0) {
    return fail("bad number");
  }
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    if (digits() == 0)
      return fail("bad number");
  }
  if (pos < s.size() && (s[pos] == 'e' || s[pos] == 'E')) {
    ++pos;
    if (pos < s.size() && (s[pos] == '+' || s[pos] == '-'))
      ++pos;
    if (digits() == 0)
      return fail("bad number");
  }
  if (pos - start > 64)
    return fail("number longer than 64 characters");
  if (raw)
    raw->append(s.substr(start, pos - start));
  return std::nullopt;
}

// Any JSON value at s[pos], checked without recursion; copied minified into `out` when given.
std::optional<LineError> scan_value(std::string_view s, size_t& pos, std::string* out,
                                    size_t max_depth, size_t& members) {
  std::vector<char> stack;
  enum class State { value, key, after_value } state = State::value;
  auto put = [&](char c) {
    if (out)
      *out += c;
  };
  while (true) {
    switch (state) {
      case State::value: {
        skip_ws(s, pos);
        if (pos >= s.size())
          return fail("unexpected end of line");
        char c = s[pos];
        if (c == '{' || c == '[') {
          if (stack.size() >= max_depth)
            return fail("nested deeper than " + std::to_string(max_depth) + " levels");
          stack.push_back(c);
          put(c);
          ++pos;
          skip_ws(s, pos);
          char closer = c == '{' ? '}' : ']';
          if (pos < s.size() && s[pos] == closer) {
            put(closer);
            ++pos;
            stack.pop_back();
            state = State::after_value;
          } else if (c == '{') {
            state = State::key;
          } else {
            ++members;
            state = State::value;
          }
          continue;
        }
        std::optional<LineError> error;
        if (c == '"') {
          error = scan_string(s, pos, nullptr, out);
        } else if (c == '-' || (c >= '0' && c <= '9')) {
          error = scan_number(s, pos, out);
        } else {
          bool matched = false;
          for (const char* literal : {"true", "false", "null"}) {
            size_t length = std::strlen(literal);
            if (s.substr(pos, length) == literal) {
              if (out)
                out->append(literal);
              pos += length;
              matched = true;
              break;
            }
          }
          if (!matched)
            return fail("unexpected character '" + shown(s.substr(pos, 1)) + "'");
        }
        if (error)
          return error;
        state = State::after_value;
        continue;
      }
      case State::key: {
        skip_ws(s, pos);
        if (pos >= s.size() || s[pos] != '"')
          return fail("expected a key");
        if (auto error = scan_string(s, pos, nullptr, out))
          return error;
        skip_ws(s, pos);
        if (pos >= s.size() || s[pos] != ':')
          return fail("expected ':'");
        put(':');
        ++pos;
        ++members;
        state = State::value;
        continue;
      }
      case State::after_value: {
        if (members > max_properties_members)
          return fail("more than " + std::to_string(max_properties_members) + " members");
        if (stack.empty())
          return std::nullopt;
        skip_ws(s, pos);
        if (pos >= s.size())
          return fail("unexpected end of line");
        char c = s[pos];
        if (c == ',') {
          put(',');
          ++pos;
          if (stack.back() == '{') {
            state = State::key;
          } else {
            ++members;
            state = State::value;
          }
          continue;
        }
        char closer = stack.back() == '{' ? '}' : ']';
        if (c != closer)
          return fail("expected ',' or '" + std::string(1, closer) + "'");
        put(closer);
        ++pos;
        stack.pop_back();
        continue;
      }
    }
  }
}

bool printable_ascii(std::string_view text, bool allow_comma) {
  for (char c : text) {
    if (c <= 0x20 || c >= 0x7f || (!allow_comma && c == ','))
      return false;
  }
  return true;
}

// UTF-8 without C0, DEL or C1 controls.
bool clean_text(std::string_view text) {
  if (!is_valid_utf8(text))
    return false;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f)
      return false;
    if (c == 0xC2 && i + 1 < text.size()) {
      unsigned char next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9f)
        return false;
    }
  }
  return true;
}

bool digits_at(std::string_view s, size_t pos, size_t count, int& value) {
  if (pos + count > s.size())
    return false;
  value = 0;
  for (size_t i = 0; i < count; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9')
      return false;
    value = value * 10 + (c - '0');
  }
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool leap(int year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

// Assigns one decoded field of either format; nullopt when it is fine.
std::optional<LineError> assign_field(int field, std::string&& value, bool is_null, Event& event) {
  switch (field) {
    case f_time: {
      if (is_null)
        return fail("time is null");
      auto time = parse_event_time(value);
      if (!time)
        return fail("bad time '" + shown(value) +
                    "': RFC 3339 or epoch milliseconds from 2000 to 2099");
      event.time = *time;
      return std::nullopt;
    }
    case f_event_id:
      event.id = std::move(value);
      return std::nullopt;
    case f_device_id:
      event.device = std::move(value);
      return std::nullopt;
    case f_user_id:
      event.user = std::move(value);
      return std::nullopt;
    case f_properties: {
      if (is_null || value.empty()) {
        event.properties.clear();
        return std::nullopt;
      }
      std::string minified;
      if (auto error = minify_json_object(value, minified))
        return fail("properties: " + error->reason);
      event.properties = minified == "{}" ? std::string() : std::move(minified);
      return std::nullopt;
    }
    default:
      event.dimensions[static_cast<size_t>(field - f_first_dimension)] = std::move(value);
      return std::nullopt;
  }
}

void clear(Event& event) {
  event.time = 0;
  event.id.clear();
  event.device.clear();
  event.user.clear();
  for (auto& value : event.dimensions)
    value.clear();
  event.properties.clear();
}

}  // namespace

const char* dimension_name(Dimension dimension) {
  return dimension_names[static_cast<size_t>(dimension)];
}

std::optional<Dimension> parse_dimension(std::string_view name) {
  if (name == "version")
    return Dimension::app_version;
  if (name == "name")
    return Dimension::event;
  for (size_t i = 0; i < dimension_count; ++i) {
    if (name == dimension_names[i])
      return static_cast<Dimension>(i);
  }
  return std::nullopt;
}

std::optional<int64_t> parse_event_time(std::string_view text) {
  if (text.empty() || text.size() > 40)
    return std::nullopt;
  if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (text.size() > 15)
      return std::nullopt;
    int64_t value = 0;
    for (char c : text)
      value = value * 10 + (c - '0');
    if (value < min_event_time || value >= max_event_time)
      return std::nullopt;
    return value;
  }
  int year, month, day, hour, minute, second;
  if (text.size() < 20 || !digits_at(text, 0, 4, year) || text[4] != '-' ||
      !digits_at(text, 5, 2, month) || text[7] != '-' || !digits_at(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !digits_at(text, 11, 2, hour) ||
      text[13] != ':' || !digits_at(text, 14, 2, minute) || text[16] != ':' ||
      !digits_at(text, 17, 2, second))
    return std::nullopt;
  static const int days_in_month[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 ||
      day > days_in_month[month - 1] + (month == 2 && leap(year) ? 1 : 0) || hour > 23 ||
      minute > 59 || second > 60)
    return std::nullopt;
  size_t pos = 19;
  int64_t millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3)
        millis = millis * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0 || digits > 9)
      return std::nullopt;
    for (size_t i = digits; i < 3; ++i)
      millis *= 10;
  }
  std::string_view zone = text.substr(pos);
  int64_t offset_minutes = 0;
  if (zone == "Z" || zone == "z") {
    offset_minutes = 0;
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    int oh, om;
    if (!digits_at(zone, 1, 2, oh) || !digits_at(zone, 4, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset_minutes = (oh * 60 + om) * (zone[0] == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  if (second == 60)
    second = 59;  // a leap second reads as the last second of its minute
  int64_t seconds =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
      hour * 3600 + minute * 60 + second - offset_minutes * 60;
  int64_t value = seconds * 1000 + millis;
  if (value < min_event_time || value >= max_event_time)
    return std::nullopt;
  return value;
}

std::optional<LineError> minify_json_object(std::string_view text, std::string& out) {
  size_t pos = 0;
  skip_ws(text, pos);
  if (pos >= text.size() || text[pos] != '{')
    return fail("not a JSON object");
  out.clear();
  size_t members = 0;
  if (auto error = scan_value(text, pos, &out, max_properties_depth, members))
    return error;
  skip_ws(text, pos);
  if (pos != text.size())
    return fail("characters after the object");
  if (out.size() > max_properties_bytes)
    return fail("longer than " + std::to_string(max_properties_bytes) + " bytes");
  return std::nullopt;
}

std::optional<LineError> check_event(const Event& event) {
  if (event.time == 0)
    return fail("time is missing");
  if (event.id.empty())
    return fail("event_id is missing");
  if (event.id.size() > max_id_bytes || !printable_ascii(event.id, true))
    return fail("bad event_id: 1 to " + std::to_string(max_id_bytes) +
                " printable ASCII characters without spaces");
  if (event.device.empty())
    return fail("device_id is missing");
  if (event.device.size() > max_device_bytes || !printable_ascii(event.device, false))
    return fail("bad device_id: 1 to " + std::to_string(max_device_bytes) +
                " printable ASCII characters without spaces or commas");
  if (event.user.size() > max_device_bytes || !printable_ascii(event.user, false))
    return fail("bad user_id: up to " + std::to_string(max_device_bytes) +
                " printable ASCII characters without spaces or commas");
  if (event.name().empty())
    return fail("event is missing");
  for (size_t i = 0; i < dimension_count; ++i) {
    const auto& value = event.dimensions[i];
    if (value.size() > max_dimension_bytes)
      return fail(std::string(dimension_names[i]) + " is longer than " +
                  std::to_string(max_dimension_bytes) + " bytes");
    if (!clean_text(value))
      return fail(std::string(dimension_names[i]) +
                  " is not UTF-8 text without control characters");
  }
  return std::nullopt;
}

std::optional<LineError> parse_ndjson_event(std::string_view line, Event& event) {
  clear(event);
  if (line.size() > max_line_bytes)
    return fail("line longer than " + std::to_string(max_line_bytes) + " bytes");
  size_t pos = 0;
  skip_ws(line, pos);
  if (pos >= line.size() || line[pos] != '{')
    return fail("not a JSON object");
  ++pos;
  bool seen[field_count] = {};
  bool first = true;
  std::string key, value;
  while (true) {
    skip_ws(line, pos);
    if (first && pos < line.size() && line[pos] == '}') {
      ++pos;
      break;
    }
    if (pos >= line.size() || line[pos] != '"')
      return fail("expected a key");
    key.clear();
    if (auto error = scan_string(line, pos, &key, nullptr))
      return error;
    skip_ws(line, pos);
    if (pos >= line.size() || line[pos] != ':')
      return fail("expected ':' after \"" + shown(key) + "\"");
    ++pos;
    skip_ws(line, pos);
    int field = field_of_name(key);
    if (field >= 0) {
      if (seen[field])
        return fail("\"" + key + "\" given twice");
      seen[field] = true;
    }
    value.clear();
    bool is_null = false;
    if (field < 0) {
      size_t members = 0;
      if (auto error = scan_value(line, pos, nullptr, max_properties_depth, members))
        return error;
      goto next;
    } else if (line.substr(pos, 4) == "null") {
      pos += 4;
      is_null = true;
    } else if (field == f_properties) {
      if (pos >= line.size() || line[pos] != '{')
        return fail("properties is not an object");
      size_t members = 0;
      std::string minified;
      if (auto error = scan_value(line, pos, &minified, max_properties_depth, members))
        return fail("properties: " + error->reason);
      if (minified.size() > max_properties_bytes)
        return fail("properties longer than " + std::to_string(max_properties_bytes) + " bytes");
      event.properties = minified == "{}" ? std::string() : std::move(minified);
      goto next;
    } else if (pos < line.size() && line[pos] == '"') {
      if (auto error = scan_string(line, pos, &value, nullptr))
        return error;
    } else if (field == f_time && pos < line.size() && line[pos] >= '0' && line[pos] <= '9') {
      size_t start = pos;
      if (auto error = scan_number(line, pos, nullptr))
        return error;
      value.assign(line.substr(start, pos - start));
    } else {
      return fail("\"" + key + "\" is not a string");
    }
    if (auto error = assign_field(field, std::move(value), is_null, event))
      return error;
  next:
    first = false;
    skip_ws(line, pos);
    if (pos < line.size() && line[pos] == ',') {
      ++pos;
      continue;
    }
    if (pos < line.size() && line[pos] == '}') {
      ++pos;
      break;
    }
    return fail("expected ',' or '}'");
  }
  skip_ws(line, pos);
  if (pos != line.size())
    return fail("characters after the object");
  return check_event(event);
}

CsvHeader parse_csv_header(std::string_view line, const std::string& source) {
  CsvHeader header;
  bool seen[field_count] = {};
  size_t start = 0;
  while (true) {
    size_t comma = line.find(',', start);
    std::string_view name = line.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    while (!name.empty() && (name.front() == ' ' || name.front() == '"'))
      name.remove_prefix(1);
    while (!name.empty() && (name.back() == ' ' || name.back() == '"' || name.back() == '\r'))
      name.remove_suffix(1);
    int field = field_of_name(name);
    if (field >= 0) {
      if (seen[field])
        throw invalid_input(
            "the CSV header of " + source + " names '" + std::string(name) + "' twice", source);
      seen[field] = true;
    }
    header.field_of_column.push_back(field);
    if (header.field_of_column.size() > 256)
      throw invalid_input("the CSV header of " + source + " has more than 256 columns", source);
    if (comma == std::string_view::npos)
      break;
    start = comma + 1;
  }
  header.columns = header.field_of_column.size();
  const int event_field = f_first_dimension + static_cast<int>(Dimension::event);
  for (int required : {static_cast<int>(f_time), static_cast<int>(f_event_id),
                       static_cast<int>(f_device_id), event_field}) {
    if (!seen[required]) {
      const char* names[] = {"time", "event_id", "device_id"};
      std::string name = required == event_field ? "event" : names[required];
      throw invalid_input("the CSV header of " + source + " has no '" + name + "' column", source);
    }
  }
  return header;
}

std::optional<LineError> parse_csv_event(std::string_view line, const CsvHeader& header,
                                         Event& event) {
  clear(event);
  if (line.size() > max_line_bytes)
    return fail("line longer than " + std::to_string(max_line_bytes) + " bytes");
  size_t pos = 0;
  size_t column = 0;
  std::string value;
  while (true) {
    value.clear();
    if (pos < line.size() && line[pos] == '"') {
      ++pos;
      while (true) {
        size_t quote = line.find('"', pos);
        if (quote == std::string_view::npos)
          return fail("unterminated quoted field (a field cannot span lines)");
        value.append(line.substr(pos, quote - pos));
        pos = quote + 1;
        if (pos < line.size() && line[pos] == '"') {
          value += '"';
          ++pos;
          continue;
        }
        break;
      }
      if (pos < line.size() && line[pos] != ',')
        return fail("characters after a quoted field");
    } else {
      size_t comma = line.find(',', pos);
      size_t end = comma == std::string_view::npos ? line.size() : comma;
      std::string_view raw = line.substr(pos, end - pos);
      if (raw.find('"') != std::string_view::npos)
        return fail("a quote inside an unquoted field");
      value.assign(raw);
      pos = end;
    }
    if (column >= header.columns)
      return fail("more fields than the header's " + std::to_string(header.columns));
    int field = header.field_of_column[column];
    if (field >= 0 && !value.empty()) {
      if (auto error = assign_field(field, std::move(value), false, event))
        return error;
    }
    ++column;
    if (pos >= line.size())
      break;
    ++pos;  // the comma
  }
  if (column != header.columns)
    return fail("expected " + std::to_string(header.columns) + " fields, found " +
                std::to_string(column));
  return check_event(event);
}

uint64_t event_id_key(std::string_view id) {
  auto digest = sha256_of(id);
  uint64_t key = 0;
  for (size_t i = 0; i < 8; ++i)
    key = (key << 8) | digest[i];
  return key;
}

}  // namespace mpaas::analytics
