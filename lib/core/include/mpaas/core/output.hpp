// The output model: commands describe their result as data (JSON values) and this
// module renders it as an aligned text table, "key: value" lines, or JSON. No command
// formats JSON or aligns columns by hand. It returns strings; it never prints.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace mpaas {

class Error;
struct ExitCodeRow;

using Json = nlohmann::ordered_json;

enum class OutputFormat { text, json };

// Parses "text" or "json"; throws usage_error naming the value otherwise.
OutputFormat parse_output_format(const std::string& name);

// How a number or string reads in text mode; JSON keeps the exact value.
enum class Unit {
  plain,       // as it is
  bytes,       // 1536 -> "1.5 KiB"
  percent,     // a ratio: 0.0123 -> "1.23%"
  seconds,     // 1.5 -> "1.50 s"
  short_hash,  // the first 12 characters (a commit, a digest)
  count,       // an array by its length: ["a", "b"] -> "2"
};

struct Column {
  Column(std::string key_, std::string header_, Unit unit_ = Unit::plain)
      : key(std::move(key_)), header(std::move(header_)), unit(unit_) {}
  std::string key;     // field of each row; a record may name a nested one as "a.b"
  std::string header;  // shown in text mode (tables upper-case it, records use it as the label)
  Unit unit = Unit::plain;
};

// Rows are JSON objects. Text: a header line and aligned columns separated by two
// spaces. JSON: the rows as an array, every field kept (not only the columns).
std::string render_table(const std::vector<Column>& columns, const Json& rows, OutputFormat format);

// How a typed result reads as text. Its JSON form is always its to_json(); the text is
// rendered from that same JSON, so the two can never tell different stories.
struct TextLayout {
  enum class Kind {
    record,  // "key: value" lines (nested objects flattened to dotted keys)
    table,   // aligned columns; the rows are the JSON array, or the array at `field`
    field,   // only the value of `field`, bare (e.g. `config get` prints the value)
    none,    // nothing on stdout in text mode (a command as quiet as cp); JSON as always
  };
  Kind kind = Kind::record;
  // Table: its columns. Record: the fields shown, in this order, with these labels and
  // units (every field, flattened, when empty).
  std::vector<Column> columns;
  std::string field;
  // Record: a multi-line string field printed bare before the "key: value" lines (a PEM).
  std::string lead;

  // The layouts by name; `{}` is a record of every field.
  static TextLayout record(std::vector<Column> columns, std::string lead = "") {
    TextLayout layout;
    layout.columns = std::move(columns);
    layout.lead = std::move(lead);
    return layout;
  }
  static TextLayout table(std::vector<Column> columns, std::string field = "") {
    TextLayout layout;
    layout.kind = Kind::table;
    layout.columns = std::move(columns);
    layout.field = std::move(field);
    return layout;
  }
  static TextLayout bare(std::string field) {
    TextLayout layout;
    layout.kind = Kind::field;
    layout.field = std::move(field);
    return layout;
  }
  static TextLayout quiet() {
    TextLayout layout;
    layout.kind = Kind::none;
    return layout;
  }
};

// Renders a result's JSON as text by its layout, or as JSON.
std::string render(const Json& value, const TextLayout& layout, OutputFormat format);

// One record. Text: "key: value" lines with the keys aligned; nested objects are
// flattened to dotted keys. JSON: the object, pretty-printed.
std::string render_record(const Json& record, OutputFormat format);

// Text output is escaped for the terminal: control characters (C0, C1, DEL, bidi overrides)
// and bytes that are not UTF-8 are shown as \n, \t, \xNN or \uNNNN, so a package field can
// neither repaint the screen nor forge a table row. JSON output stays exact; strings that
// are not valid UTF-8 get \xNN for each invalid byte (and doubled backslashes).
std::string escape_for_terminal(std::string_view text);
bool is_valid_utf8(std::string_view text);

// A JSON value as a text cell: strings bare, null as "-", arrays joined with ", ".
std::string text_of(const Json& value);
// The same, read in a unit (a byte count as "1.5 MiB", a ratio as "1.23%").
std::string text_of(const Json& value, Unit unit);

// The JSON form of an error, shared by the CLI (stderr under --json) and the HTTP API:
// {"error": {"kind": "invalid-input", "message": "...", "subject": "mpaas.yaml"}}.
Json error_json(const Error& error);

// The exit-code table as a typed result (`mpaas help exit-codes`, docs/json.md).
Json to_json(const std::vector<ExitCodeRow>& table);
TextLayout text_layout(const std::vector<ExitCodeRow>& table);

// Human units: "1.5 MiB", "830 B".
std::string human_bytes(uint64_t bytes);

}  // namespace mpaas
