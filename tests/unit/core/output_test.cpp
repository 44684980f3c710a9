// The output model renders the same data as aligned text or as JSON.
#include <catch2/catch.hpp>
#include <algorithm>

#include "mpaas/core/error.hpp"
#include "mpaas/core/output.hpp"

using namespace mpaas;

TEST_CASE("tables align columns in text and keep every field in JSON", "[core][output]") {
  Json rows = Json::array({{{"name", "endpoint"}, {"value", "http://x"}, {"extra", 1}},
                           {{"name", "output"}, {"value", nullptr}, {"extra", 2}}});
  std::vector<Column> columns{{"name", "name"}, {"value", "value"}};
  CHECK(render_table(columns, rows, OutputFormat::text) ==
        "NAME      VALUE\n"
        "endpoint  http://x\n"
        "output    -\n");
  Json parsed = Json::parse(render_table(columns, rows, OutputFormat::json));
  CHECK(parsed == rows);
}

TEST_CASE("an empty table renders as a header or as []", "[core][output]") {
  CHECK(render_table({{"a", "a"}}, Json::array(), OutputFormat::text) == "A\n");
  CHECK(Json::parse(render_table({{"a", "a"}}, Json::array(), OutputFormat::json)) ==
        Json::array());
}

TEST_CASE("records flatten nested objects into dotted keys in text", "[core][output]") {
  Json record{{"version", "0.1.0"},
              {"libraries", {{"zstd", "1.5.4"}, {"sqlite", "3.40"}}},
              {"tags", {"a", "b"}}};
  CHECK(render_record(record, OutputFormat::text) ==
        "version:          0.1.0\n"
        "libraries.zstd:   1.5.4\n"
        "libraries.sqlite: 3.40\n"
        "tags:             a, b\n");
  CHECK(Json::parse(render_record(record, OutputFormat::json)) == record);
}

TEST_CASE("output formats parse and unknown ones are usage errors", "[core][output]") {
  CHECK(parse_output_format("json") == OutputFormat::json);
  CHECK(parse_output_format("text") == OutputFormat::text);
  CHECK_THROWS_AS(parse_output_format("yaml"), Error);
}

TEST_CASE("human_bytes picks binary units", "[core][output]") {
  CHECK(human_bytes(830) == "830 B");
  CHECK(human_bytes(1536) == "1.5 KiB");
  CHECK(human_bytes(5ull * 1024 * 1024 * 1024) == "5.0 GiB");
}

TEST_CASE("text output escapes what could repaint the terminal or forge a row",
          "[core][output][security]") {
  CHECK(escape_for_terminal("plain text, ünïcode") == "plain text, ünïcode");
  CHECK(escape_for_terminal("a\nb\tc\r") == "a\\nb\\tc\\r");
  CHECK(escape_for_terminal("\x1b[2K\x1b[1Avalid") == "\\x1b[2K\\x1b[1Avalid");
  CHECK(escape_for_terminal("del\x7f") == "del\\x7f");
  CHECK(escape_for_terminal("c1\xc2\x9b") == "c1\\x9b");                // CSI as a C1 control
  CHECK(escape_for_terminal("bidi\xe2\x80\xae") == "bidi\\u202e");       // right-to-left override
  CHECK(escape_for_terminal("bad\xff\xfe") == "bad\\xff\\xfe");          // not UTF-8
  CHECK(escape_for_terminal("overlong\xc0\xaf") == "overlong\\xc0\\xaf");  // overlong '/'

  Json rows = Json::array({{{"name", "evil\nNAME  forged"}, {"url", "\x1b]0;title\x07"}}});
  std::string table = render_table({{"name", "name"}, {"url", "url"}}, rows, OutputFormat::text);
  CHECK(std::count(table.begin(), table.end(), '\n') == 2);  // header and one row
  CHECK(table.find('\x1b') == std::string::npos);
  std::string record = render_record({{"launch\x1b", "x\ny"}}, OutputFormat::text);
  CHECK(record == "launch\\x1b: x\\ny\n");
}

TEST_CASE("JSON stays exact, and non-UTF-8 strings are represented losslessly",
          "[core][output][security]") {
  Json record = {{"name", "a\nb\x1b"}};
  CHECK(Json::parse(render_record(record, OutputFormat::json)) == record);
  Json names = Json::array({std::string("caf\xe9"), "caf\\xe9", std::string("x\\\xff")});
  Json parsed = Json::parse(render_table({}, names, OutputFormat::json));
  CHECK(parsed[0] == "caf\\xe9");
  CHECK(parsed[1] == "caf\\xe9");  // valid UTF-8 is never changed...
  CHECK(parsed[2] == "x\\\\\\xff");  // ...and an invalid string doubles its backslashes
  CHECK(is_valid_utf8("ünïcode"));
  CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));  // a surrogate
}

TEST_CASE("typed results render their text from their one JSON form", "[core][output]") {
  Json value = {{"key", "endpoint"}, {"value", "http://x"}, {"rows", {{{"a", 1}}}}};
  CHECK(render(value, TextLayout::bare("value"), OutputFormat::text) == "http://x\n");
  CHECK(render(value, TextLayout::table({{"a", "a"}}, "rows"), OutputFormat::text) == "A\n1\n");
  CHECK(Json::parse(render(value, {}, OutputFormat::json)) == value);
  CHECK(render(value, TextLayout::quiet(), OutputFormat::text).empty());
  CHECK(Json::parse(render(value, TextLayout::quiet(), OutputFormat::json)) == value);
}

TEST_CASE("records show chosen fields with labels and units, after a bare lead", "[core][output]") {
  Json value = {{"pem", "-----BEGIN X-----\nAB\x1b[2J\n-----END X-----\n"},
                {"size", 1536},
                {"ratio", 0.01234},
                {"seconds", 1.5},
                {"commit", "0123456789abcdef0123"},
                {"files", {"a", "b", "c"}},
                {"nested", {{"inner", "yes"}}}};
  auto layout = TextLayout::record({{"size", "size", Unit::bytes},
                                    {"ratio", "ratio", Unit::percent},
                                    {"seconds", "time", Unit::seconds},
                                    {"commit", "commit", Unit::short_hash},
                                    {"files", "files", Unit::count},
                                    {"nested.inner", "inner"},
                                    {"absent", "absent"}},
                                   "pem");
  CHECK(render(value, layout, OutputFormat::text) ==
        "-----BEGIN X-----\nAB\\x1b[2J\n-----END X-----\n"
        "size:   1.5 KiB\n"
        "ratio:  1.23%\n"
        "time:   1.50 s\n"
        "commit: 0123456789ab\n"
        "files:  3\n"
        "inner:  yes\n");
  CHECK(Json::parse(render(value, layout, OutputFormat::json)) == value);
}

TEST_CASE("errors have one JSON form with kind, message and subject", "[core][output][errors]") {
  Json json = error_json(invalid_input("bad version (offline.version)", "offline.version"));
  CHECK(json == Json{{"error",
                      {{"kind", "invalid-input"},
                       {"message", "bad version (offline.version)"},
                       {"subject", "offline.version"}}}});
  CHECK(error_json(failure("x"))["error"]["subject"].is_null());
}
