// The output model renders the same data as aligned text or as JSON.
#include <catch2/catch.hpp>

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
