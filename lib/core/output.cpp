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
      flatten(prefix.empty() ? key : prefix + "." + key, child, lines);
    }
    return;
  }
  lines.emplace_back(prefix, text_of(value));
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
  throw usage_error("unknown output format '" + name + "', expected text or json (--output)");
}

std::string text_of(const Json& value) {
  if (value.is_null())
    return "-";
  if (value.is_string())
    return value.get<std::string>();
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
    return (rows.is_null() ? Json::array() : rows).dump(2) + "\n";
  }
  std::vector<size_t> widths;
  for (const auto& column : columns) {
    widths.push_back(column.header.size());
  }
  std::vector<std::vector<std::string>> cells;
  for (const auto& row : rows) {
    std::vector<std::string> line;
    for (size_t i = 0; i < columns.size(); ++i) {
      line.push_back(row.contains(columns[i].key) ? text_of(row[columns[i].key]) : "-");
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

std::string render_record(const Json& record, OutputFormat format) {
  if (format == OutputFormat::json) {
    return record.dump(2) + "\n";
  }
  std::vector<std::pair<std::string, std::string>> lines;
  flatten("", record, lines);
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

}  // namespace mpaas
