// docs/json.md is the contract of every JSON form (the CLI prints them; the HTTP API will
// send them). Each form there is preceded by `<!-- check: ARGS -->` (or `check-stderr:` for
// forms printed on stderr); this test runs `mpaas --json ARGS` in a scratch home and
// requires the output to have the documented shape: the same keys at every level, and the
// same kind of value (string, number, boolean, array, object) wherever the doc is not null.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "process.hpp"
#include "temp_dir.hpp"

using namespace mpaas::test;
using nlohmann::json;

namespace {

struct DocumentedForm {
  std::vector<std::string> arguments;
  bool on_stderr = false;
  json example;
};

std::vector<std::string> split_words(const std::string& text) {
  std::istringstream words(text);
  std::vector<std::string> result;
  std::string word;
  while (words >> word)
    result.push_back(word);
  return result;
}

std::vector<DocumentedForm> documented_forms() {
  std::istringstream doc(read_text(source_dir() / "docs" / "json.md"));
  std::vector<DocumentedForm> forms;
  std::string line;
  while (std::getline(doc, line)) {
    bool on_stderr = line.rfind("<!-- check-stderr: ", 0) == 0;
    if (line.rfind("<!-- check: ", 0) != 0 && !on_stderr)
      continue;
    auto start = line.find(": ") + 2;
    DocumentedForm form{split_words(line.substr(start, line.rfind(" -->") - start)), on_stderr, {}};
    std::string block;
    while (std::getline(doc, line) && line != "```json") {
    }
    while (std::getline(doc, line) && line != "```")
      block += line + "\n";
    form.example = json::parse(block);
    forms.push_back(std::move(form));
  }
  return forms;
}

std::string kind_of(const json& value) {
  if (value.is_number())
    return "number";
  return value.type_name();
}

// Compares shapes; returns the first difference as "path: what", empty when they agree.
std::string shape_difference(const json& documented, const json& actual, const std::string& path) {
  if (documented.is_null())
    return "";
  if (kind_of(documented) != kind_of(actual))
    return path + ": documented " + kind_of(documented) + ", got " + kind_of(actual);
  if (documented.is_object()) {
    for (const auto& [key, value] : documented.items()) {
      if (!actual.contains(key))
        return path + "." + key + ": documented but missing";
      auto inner = shape_difference(value, actual[key], path + "." + key);
      if (!inner.empty())
        return inner;
    }
    for (const auto& [key, value] : actual.items()) {
      if (!documented.contains(key))
        return path + "." + key + ": printed but not documented";
    }
  }
  if (documented.is_array() && !documented.empty() && !actual.empty())
    return shape_difference(documented[0], actual[0], path + "[0]");
  return "";
}

// The files the documented command lines work on: two small binaries and their patch, a key
// pair, an H5 project and its signed package.
void set_up_inputs(const TempDir& home) {
  std::string old_bytes(4096, 'a'), new_bytes(4096, 'a');
  new_bytes[100] = 'b';
  write_text(home / "old.bin", old_bytes);
  write_text(home / "new.bin", new_bytes + "tail");
  // A device list for `release reach`.
  write_text(home / "devices.csv", "id,os_version\ndevice-1,13\ndevice-2,11\nother,13\n");
  // Events for `analytics ingest` (the last line is refused: no device_id).
  write_text(
      home / "events.ndjson",
      R"({"time":"2026-03-02T10:00:00Z","event_id":"e1","device_id":"d1","event":"launch","app_version":"1.0"})"
      "\n"
      R"({"time":"2026-03-02T11:00:00Z","event_id":"e2","device_id":"d2","event":"launch","app_version":"1.0"})"
      "\n"
      R"({"time":"2026-03-03T11:00:00Z","event_id":"e3","device_id":"d2","event":"launch","app_version":"1.1"})"
      "\n"
      R"({"time":"2026-03-03T11:00:00Z","event_id":"e4","event":"launch"})"
      "\n");
  RunOptions here{home.path(), {}, ""};
  for (const std::vector<std::string>& setup :
       {std::vector<std::string>{"diff", "old.bin", "new.bin", "-o", "p.mpd"},
        {"keys", "generate", "-o", "keys"},
        {"new", "h5", "shop", "--app-id", "com.example.shop", "--no-git"},
        {"offline", "build", "shop", "-o", "app.amr", "--key", "keys/private.pem"}}) {
    auto result = run_mpaas(setup, home.path(), here);
    INFO(setup.front() << ": " << result.err);
    REQUIRE(result.exit_code == 0);
  }
}

}  // namespace

TEST_CASE("every JSON form printed matches docs/json.md", "[cli][docs][json]") {
  auto forms = documented_forms();
  REQUIRE(forms.size() >= 10);
  TempDir home;
  set_up_inputs(home);
  for (const auto& form : forms) {
    std::vector<std::string> arguments = {"--json"};
    arguments.insert(arguments.end(), form.arguments.begin(), form.arguments.end());
    auto result = run_mpaas(arguments, home.path(), RunOptions{home.path(), {}, ""});
    std::string printed = form.on_stderr ? result.err : result.out;
    INFO("mpaas --json " << form.arguments.front() << "...: " << printed << result.err);
    auto actual = json::parse(printed);
    CHECK(shape_difference(form.example, actual, "$") == "");
  }
}

TEST_CASE("the shape check notices a missing, an extra and a retyped field", "[cli][docs][json]") {
  json documented = {{"a", 1}, {"b", {{"c", "x"}}}};
  CHECK(shape_difference(documented, {{"a", 2}, {"b", {{"c", "y"}}}}, "$") == "");
  CHECK(shape_difference(documented, {{"a", 2}}, "$") == "$.b: documented but missing");
  CHECK(shape_difference(documented, {{"a", 2}, {"b", {{"c", "y"}}}, {"d", 1}}, "$") ==
        "$.d: printed but not documented");
  CHECK(shape_difference(documented, {{"a", "2"}, {"b", {{"c", "y"}}}}, "$") ==
        "$.a: documented number, got string");
}
