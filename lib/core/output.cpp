// Rendering of tables and records (see output.hpp).
#include "mpaas/core/output.hpp"

#include <algorithm>
#include <cstdio>

#include "mpaas/core/error.hpp"

namespace mpaas {
namespace {

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

void flatten(const std::string& prefix, const Json& value,
             std::vector<std::pair<std::string, std::string>>& lines) {
  if (value.is_object() && !value.empty()) {
    for (const auto& [key, child] : value.items()) {
      std::string name = escape_for_terminal(key);
      flatten(prefix.empty() ? name : prefix + "." + name, child, lines);
    }
    return;
  }
  lines.emplace_back(prefix, text_of(value));
}

// Length of the valid UTF-8 sequence at `i` and its code point; 0 when the bytes there are
// not valid UTF-8 (overlong, surrogate, out of range or truncated).
size_t utf8_sequence(std::string_view text, size_t i, uint32_t& code_point) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = byte(i);
  size_t length = lead < 0x80           ? 1
                  : (lead >> 5) == 0x6  ? 2
                  : (lead >> 4) == 0xE  ? 3
                  : (lead >> 3) == 0x1E ? 4
                                        : 0;
  if (length == 0 || i + length > text.size())
    return 0;
  code_point = length == 1 ? lead : lead & (0x7F >> length);
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80)
      return 0;
    code_point = (code_point << 6) | (byte(i + k) & 0x3F);
  }
  static const uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code_point < smallest[length] || code_point > 0x10FFFF ||
      (code_point >= 0xD800 && code_point <= 0xDFFF))
    return 0;
  return length;
}

std::string hex_escape(unsigned value, const char* format) {
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), format, value);
  return buffer;
}

// Characters that move the cursor, repaint or reorder what a terminal shows: C0 and C1
// controls, DEL, and the bidirectional overrides and isolates.
bool is_terminal_control(uint32_t code_point) {
  return code_point < 0x20 || code_point == 0x7F || (code_point >= 0x80 && code_point <= 0x9F) ||
         (code_point >= 0x202A && code_point <= 0x202E) ||
         (code_point >= 0x2066 && code_point <= 0x2069);
}

// Strings that are not valid UTF-8 cannot be JSON strings: each invalid byte becomes \xNN
// and each backslash is doubled, so distinct names stay distinct (docs/json.md).
std::string json_safe(const std::string& text) {
  if (is_valid_utf8(text))
    return text;
  std::string safe;
  uint32_t code_point = 0;
  for (size_t i = 0; i < text.size();) {
    size_t length = utf8_sequence(text, i, code_point);
    if (length == 0) {
      safe += hex_escape(static_cast<unsigned char>(text[i]), "\\x%02x");
      ++i;
      continue;
    }
    safe += text[i] == '\\' ? std::string("\\\\") : text.substr(i, length);
    i += length;
  }
  return safe;
}

// Whether any string or key in `value` needs json_safe's rewriting; nearly always false, and
// walking the tree is much cheaper than copying it (a check prints a hundred releases).
bool needs_rewrite(const Json& value) {
  if (value.is_string())
    return !is_valid_utf8(value.get_ref<const std::string&>());
  if (value.is_array()) {
    for (const auto& item : value) {
      if (needs_rewrite(item))
        return true;
    }
  }
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) {
      if (!is_valid_utf8(key) || needs_rewrite(item))
        return true;
    }
  }
  return false;
}

Json json_safe(const Json& value) {
  if (value.is_string())
    return json_safe(value.get<std::string>());
  if (value.is_array()) {
    Json copy = Json::array();
    for (const auto& item : value)
      copy.push_back(json_safe(item));
    return copy;
  }
  if (value.is_object()) {
    Json copy = Json::object();
    for (const auto& [key, item] : value.items())
      copy[json_safe(key)] = json_safe(item);
    return copy;
  }
  return value;
}

std::string dump_json(const Json& value) {
  if (!needs_rewrite(value))
    return value.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
  return json_safe(value).dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string pad_right(const std::string& text, size_t width) {
  return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

}  // namespace

OutputFormat parse_output_format(const std::string& name) {
  if (name == "text")
    return OutputFormat::text;
  if (name == "json")
    return OutputFormat::json;
  throw usage_error("unknown output format '" + name + "', expected text or json", "output");
}

bool is_valid_utf8(std::string_view text) {
  uint32_t code_point = 0;
  for (size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {  // ASCII, the usual case
      ++i;
      continue;
    }
    size_t length = utf8_sequence(text, i, code_point);
    if (length == 0)
      return false;
    i += length;
  }
  return true;
}

std::string escape_for_terminal(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  uint32_t code_point = 0;
  for (size_t i = 0; i < text.size();) {
    size_t length = utf8_sequence(text, i, code_point);
    if (length == 0) {
      escaped += hex_escape(static_cast<unsigned char>(text[i]), "\\x%02x");
      ++i;
      continue;
    }
    if (!is_terminal_control(code_point)) {
      escaped.append(text.substr(i, length));
    } else if (code_point == '\n') {
      escaped += "\\n";
    } else if (code_point == '\t') {
      escaped += "\\t";
    } else if (code_point == '\r') {
      escaped += "\\r";
    } else {
      escaped += hex_escape(code_point, code_point < 0x100 ? "\\x%02x" : "\\u%04x");
    }
    i += length;
  }
  return escaped;
}

std::string text_of(const Json& value) {
  if (value.is_null())
    return "-";
  if (value.is_string())
    return escape_for_terminal(value.get<std::string>());
  if (value.is_array()) {
    std::string joined;
    for (const auto& item : value) {
      if (!joined.empty())
        joined += ", ";
      joined += text_of(item);
    }
    return joined;
  }
  return value.dump();
}

std::string render_table(const std::vector<Column>& columns, const Json& rows,
                         OutputFormat format) {
  if (format == OutputFormat::json) {
    return dump_json(rows.is_null() ? Json::array() : rows);
  }
  std::vector<size_t> widths;
  for (const auto& column : columns) {
    widths.push_back(column.header.size());
  }
  std::vector<std::vector<std::string>> cells;
  for (const auto& row : rows) {
    std::vector<std::string> line;
    for (size_t i = 0; i < columns.size(); ++i) {
      line.push_back(row.contains(columns[i].key) ? text_of(row[columns[i].key], columns[i].unit)
                                                  : "-");
      widths[i] = std::max(widths[i], line.back().size());
    }
    cells.push_back(std::move(line));
  }
  auto render_line = [&](const std::vector<std::string>& line) {
    std::string text;
    for (size_t i = 0; i < line.size(); ++i) {
      bool last = i + 1 == line.size();
      text += last ? line[i] : pad_right(line[i], widths[i]) + "  ";
    }
    // An empty last cell leaves no padding behind.
    while (!text.empty() && text.back() == ' ')
      text.pop_back();
    return text + "\n";
  };
  std::vector<std::string> headers;
  for (const auto& column : columns) {
    headers.push_back(upper(column.header));
  }
  std::string text = render_line(headers);
  for (const auto& line : cells) {
    text += render_line(line);
  }
  return text;
}

std::string text_of(const Json& value, Unit unit) {
  char buffer[64];
  switch (unit) {
    case Unit::bytes:
      if (value.is_number_unsigned() || value.is_number_integer())
        return human_bytes(value.get<uint64_t>());
      break;
    case Unit::percent:
      if (value.is_number()) {
        std::snprintf(buffer, sizeof buffer, "%.2f%%", value.get<double>() * 100);
        return buffer;
      }
      break;
    case Unit::seconds:
      if (value.is_number()) {
        std::snprintf(buffer, sizeof buffer, "%.2f s", value.get<double>());
        return buffer;
      }
      break;
    case Unit::short_hash:
      if (value.is_string())
        return escape_for_terminal(value.get<std::string>().substr(0, 12));
      break;
    case Unit::file_name:
      if (value.is_string()) {
        std::string path = value.get<std::string>();
        return escape_for_terminal(path.substr(path.find_last_of('/') + 1));
      }
      break;
    case Unit::count:
      if (value.is_array())
        return std::to_string(value.size());
      break;
    case Unit::plain:
      break;
  }
  return text_of(value);
}

namespace {

std::string aligned_lines(const std::vector<std::pair<std::string, std::string>>& lines) {
  size_t width = 0;
  for (const auto& [key, value] : lines) {
    width = std::max(width, key.size() + 1);
  }
  std::string text;
  for (const auto& [key, value] : lines) {
    text += pad_right(key + ":", width) + " " + value + "\n";
  }
  return text;
}

// The field at `key`; "a.b" reaches into objects. Null when absent.
const Json* find_field(const Json& record, const std::string& key) {
  const Json* field = &record;
  size_t start = 0;
  while (field && start <= key.size()) {
    size_t dot = std::min(key.find('.', start), key.size());
    std::string name = key.substr(start, dot - start);
    field = field->is_object() && field->contains(name) ? &field->at(name) : nullptr;
    start = dot + 1;
  }
  return field;
}

// The record's fields named by the columns ("a.b" reaches into objects); absent ones skipped.
std::vector<std::pair<std::string, std::string>> chosen_fields(const Json& record,
                                                               const std::vector<Column>& columns) {
  std::vector<std::pair<std::string, std::string>> lines;
  for (const auto& column : columns) {
    const Json* field = find_field(record, column.key);
    // An empty list says nothing in text; JSON keeps it.
    if (field && !(field->is_array() && field->empty()))
      lines.emplace_back(column.header, text_of(*field, column.unit));
  }
  return lines;
}

Unit unit_named(const std::string& name) {
  static const std::pair<const char*, Unit> units[] = {
      {"file_name", Unit::file_name}, {"bytes", Unit::bytes},           {"percent", Unit::percent},
      {"seconds", Unit::seconds},     {"short_hash", Unit::short_hash}, {"count", Unit::count}};
  for (const auto& [spelling, unit] : units) {
    if (name == spelling)
      return unit;
  }
  return Unit::plain;
}

// The template with each {key} or {key:unit} replaced by the field's text. The template is
// ours (a layout in lib), never input.
std::string filled_sentence(const Json& record, const std::string& text) {
  std::string filled;
  size_t at = 0;
  while (at < text.size()) {
    size_t open = text.find('{', at);
    size_t close = open == std::string::npos ? open : text.find('}', open);
    if (close == std::string::npos) {
      filled += text.substr(at);
      break;
    }
    filled += text.substr(at, open - at);
    std::string name = text.substr(open + 1, close - open - 1);
    size_t colon = name.find(':');
    Unit unit = colon == std::string::npos ? Unit::plain : unit_named(name.substr(colon + 1));
    const Json* field = find_field(record, name.substr(0, colon));
    filled += field ? text_of(*field, unit) : "-";
    at = close + 1;
  }
  return filled;
}

// A multi-line string shown bare: each line escaped, the line breaks kept.
std::string multiline_text(const std::string& text) {
  std::string shown;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = std::min(text.find('\n', start), text.size());
    shown += escape_for_terminal(text.substr(start, end - start)) + "\n";
    start = end + 1;
  }
  return shown;
}

}  // namespace

std::string render_record(const Json& record, OutputFormat format) {
  if (format == OutputFormat::json) {
    return dump_json(record);
  }
  std::vector<std::pair<std::string, std::string>> lines;
  flatten("", record, lines);
  return aligned_lines(lines);
}

std::string render(const Json& value, const TextLayout& layout, OutputFormat format) {
  if (format == OutputFormat::json)
    return dump_json(value);
  switch (layout.kind) {
    case TextLayout::Kind::table:
      return render_table(layout.columns, layout.field.empty() ? value : value.at(layout.field),
                          format);
    case TextLayout::Kind::field:
      return text_of(value.at(layout.field)) + "\n";
    case TextLayout::Kind::none:
      return "";
    case TextLayout::Kind::line:
      return filled_sentence(value, layout.field) + "\n";
    case TextLayout::Kind::record:
      break;
  }
  std::string lead = layout.lead.empty() ? "" : multiline_text(value.value(layout.lead, ""));
  std::string text =
      lead + (layout.columns.empty() ? render_record(value, format)
                                     : aligned_lines(chosen_fields(value, layout.columns)));
  for (const auto& section : layout.sections) {
    const Json* rows = find_field(value, section.field);
    if (rows && rows->is_array() && !rows->empty()) {
      text += '\n';
      text += render_table(section.columns, *rows, format);
    }
  }
  return text;
}

std::string human_bytes(uint64_t bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024.0 && unit < 4) {
    value /= 1024.0;
    ++unit;
  }
  char buffer[32];
  if (unit == 0) {
    std::snprintf(buffer, sizeof(buffer), "%llu B", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.1f %s", value, units[unit]);
  }
  return buffer;
}

Json to_json(const std::vector<ExitCodeRow>& table) {
  Json rows = Json::array();
  for (const auto& row : table)
    rows.push_back({{"code", row.code}, {"name", row.name}, {"meaning", row.meaning}});
  return rows;
}

TextLayout text_layout(const std::vector<ExitCodeRow>&) {
  return TextLayout::table({{"code", "code"}, {"name", "name"}, {"meaning", "meaning"}});
}

Json error_json(const Error& error) {
  Json body = {{"kind", kind_name(error.kind())},
               {"message", error.what()},
               {"subject", error.subject().empty() ? Json(nullptr) : Json(error.subject())}};
  return Json{{"error", body}};
}

}  // namespace mpaas
