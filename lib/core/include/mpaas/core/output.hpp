// The output model: commands describe their result as data (JSON values) and this
// module renders it as an aligned text table, "key: value" lines, or JSON. No command
// formats JSON or aligns columns by hand. It returns strings; it never prints.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mpaas {

using Json = nlohmann::ordered_json;

enum class OutputFormat { text, json };

// Parses "text" or "json"; throws usage_error naming the value otherwise.
OutputFormat parse_output_format(const std::string& name);

struct Column {
  std::string key;     // field of each row
  std::string header;  // shown in text mode, upper-cased
};

// Rows are JSON objects. Text: a header line and aligned columns separated by two
// spaces. JSON: the rows as an array, every field kept (not only the columns).
std::string render_table(const std::vector<Column>& columns, const Json& rows, OutputFormat format);

// One record. Text: "key: value" lines with the keys aligned; nested objects are
// flattened to dotted keys. JSON: the object, pretty-printed.
std::string render_record(const Json& record, OutputFormat format);

// A JSON value as a text cell: strings bare, null as "-", arrays joined with ", ".
std::string text_of(const Json& value);

// Human units: "1.5 MiB", "830 B".
std::string human_bytes(uint64_t bytes);

}  // namespace mpaas
