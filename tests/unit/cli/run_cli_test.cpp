// run_cli in-process with fake streams, a fixed clock and a temp HOME: argv tables that pin
// down exit codes and which stream carries what, without spawning the binary.
#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "in_process.hpp"

using namespace mpaas;

using test::InProcess;

TEST_CASE("argv maps to exit codes and streams", "[cli][argv]") {
  struct Row {
    std::vector<std::string> argv;
    int exit_code;
    bool prints_data;
    bool prints_error;
  };
  const std::vector<Row> table = {
      {{}, 0, true, false},
      {{"--help"}, 0, true, false},
      {{"config"}, 0, true, false},
      {{"config", "path"}, 0, true, false},
      {{"config", "get", "endpoint"}, 5, false, true},
      {{"config", "get"}, 2, false, true},
      {{"config", "set", "Bad Key", "x"}, 2, false, true},
      {{"nope"}, 2, false, true},
      {{"config", "list", "--bogus"}, 2, false, true},
      {{"--output", "xml", "config", "list"}, 2, false, true},
      {{"completion", "tcsh"}, 2, false, true},
      {{"help", "exit-codes"}, 0, true, false},
      {{"version", "--json"}, 0, true, false},
  };
  for (const auto& row : table) {
    InProcess app;
    std::string joined;
    for (const auto& word : row.argv)
      joined += word + " ";
    INFO("mpaas " << joined);
    CHECK(app.run(row.argv) == row.exit_code);
    CHECK(!app.out.str().empty() == row.prints_data);
    CHECK(!app.err.str().empty() == row.prints_error);
    if (row.prints_error) {
      std::string error = app.err.str();
      CHECK_THAT(error, Catch::StartsWith("mpaas: error: "));
      CHECK(std::count(error.begin(), error.end(), '\n') == 1);
    }
  }
}

TEST_CASE("global flags reach the context wherever they are placed", "[cli][argv]") {
  InProcess before;
  before.run({"--quiet", "-o", "json", "--yes", "config", "path"});
  CHECK(before.context.global.quiet);
  CHECK(before.context.global.yes);
  CHECK(before.context.output_format() == OutputFormat::json);

  InProcess after;
  after.run({"config", "path", "--endpoint", "http://x", "--data-dir", "/d", "-v", "--no-color"});
  CHECK(after.context.config.get("endpoint")->value == "http://x");
  CHECK(after.context.data_dir() == "/d");
  CHECK(after.context.global.verbose);
  CHECK_FALSE(after.context.color_enabled());
}

TEST_CASE("colour needs a terminal and no NO_COLOR", "[cli][argv]") {
  InProcess app;
  app.context.terminal.stdout_is_tty = true;
  app.run({"config", "path"});
  CHECK(app.context.color_enabled());
  app.context.environment["NO_COLOR"] = "1";
  CHECK_FALSE(app.context.color_enabled());
}

TEST_CASE("confirm refuses without a terminal unless --yes", "[cli][argv]") {
  InProcess app;
  CHECK_FALSE(app.context.confirm("delete?"));
  app.context.terminal.stdin_is_tty = true;
  app.in.str("y\n");
  CHECK(app.context.confirm("delete?"));
  app.context.terminal.stdin_is_tty = false;
  app.context.global.yes = true;
  CHECK(app.context.confirm("delete?"));
}

TEST_CASE("progress is a bar only on a terminal and not with --quiet", "[cli][argv]") {
  InProcess app;
  app.run({"config", "path"});
  app.context.progress()->start("x", 10);
  CHECK(app.err.str().empty());
  app.context.terminal.stderr_is_tty = true;
  app.context.progress()->start("x", 10);
  CHECK_THAT(app.err.str(), Catch::Contains("x ["));
  std::ostringstream().swap(app.err);
  app.context.global.quiet = true;
  app.context.progress()->start("x", 10);
  CHECK(app.err.str().empty());
}

TEST_CASE("under --json an error is one JSON line on stderr with kind, message and subject",
          "[cli][argv][errors]") {
  for (const std::vector<std::string>& argv :
       {std::vector<std::string>{"--json", "config", "get", "endpoint"},
        std::vector<std::string>{"config", "get", "endpoint", "--output", "json"}}) {
    InProcess app;
    CHECK(app.run(argv) == 5);
    CHECK(app.out.str().empty());
    auto error = nlohmann::json::parse(app.err.str());
    CHECK(error["error"]["kind"] == "not-found");
    CHECK_THAT(error["error"]["message"].get<std::string>(), Catch::Contains("endpoint"));
    CHECK(error["error"].contains("subject"));
  }
  InProcess usage;
  usage.context.environment["MPAAS_OUTPUT"] = "json";
  CHECK(usage.run({"nope"}) == 2);
  CHECK(nlohmann::json::parse(usage.err.str())["error"]["kind"] == "usage");
}

TEST_CASE("a broken output setting is itself reported, as text", "[cli][argv][errors]") {
  InProcess app;
  app.context.environment["MPAAS_OUTPUT"] = "xml";
  CHECK(app.run({"version"}) == 3);  // a bad value in the environment is invalid input
  CHECK_THAT(app.err.str(), Catch::StartsWith("mpaas: error: unknown output format 'xml'"));
}

TEST_CASE("the -o flag names a written file and the data format is --json or --output",
          "[cli][argv]") {
  InProcess old_spelling;
  CHECK(old_spelling.run({"config", "path", "-o", "json"}) == 0);
  CHECK(nlohmann::json::parse(old_spelling.out.str()).contains("data_dir"));
  InProcess long_form;
  CHECK(long_form.run({"--output", "json", "help", "exit-codes"}) == 0);
  CHECK(nlohmann::json::parse(long_form.out.str()).is_array());
  InProcess writes_file;
  test::write_text(writes_file.home / "old.bin", "hello old world");
  test::write_text(writes_file.home / "new.bin", "hello new world");
  CHECK(writes_file.run({"diff", "old.bin", "new.bin", "-o", "p.mpd", "--json"}) == 0);
  CHECK(std::filesystem::exists(writes_file.home / "p.mpd"));
  CHECK(nlohmann::json::parse(writes_file.out.str()).is_object());
}

TEST_CASE("the command builder records choices, defaults and ranges for help and completion",
          "[cli][argv]") {
  InProcess app;
  app.run({"version"});
  bool codec_seen = false, shell_seen = false;
  for (const auto& [option, info] : app.context.option_metadata) {
    if (std::find(info.flags.begin(), info.flags.end(), "--codec") != info.flags.end()) {
      codec_seen = true;
      CHECK(info.takes_value);
      CHECK(std::find(info.choices.begin(), info.choices.end(), "zstd") != info.choices.end());
    }
    if (info.positional_name == "shell") {
      shell_seen = true;
      CHECK(info.choices == std::vector<std::string>{"bash", "zsh", "fish"});
    }
  }
  CHECK(codec_seen);
  CHECK(shell_seen);
}

TEST_CASE("sizes that overflow 64 bits are refused, not wrapped", "[cli][argv]") {
  InProcess app;
  test::write_text(app.home / "a", "a");
  test::write_text(app.home / "b", "b");
  CHECK(app.run({"diff", "a", "b", "-o", "p", "--memory-limit", "999999999999G"}) == 2);
  CHECK_THAT(app.err.str(), Catch::Contains("too large"));
  CHECK_FALSE(std::filesystem::exists(app.home / "p"));
}

TEST_CASE("error and warning labels are coloured only on a terminal without NO_COLOR",
          "[cli][argv]") {
  InProcess plain;
  plain.run({"nope"});
  CHECK(plain.err.str().find('\033') == std::string::npos);
  InProcess coloured;
  coloured.context.terminal.stderr_is_tty = true;
  coloured.run({"nope"});
  CHECK(coloured.err.str().find("\033[31merror:") != std::string::npos);
  InProcess disabled;
  disabled.context.terminal.stderr_is_tty = true;
  disabled.run({"--no-color", "nope"});
  CHECK(disabled.err.str().find('\033') == std::string::npos);
}

TEST_CASE("the command layer names the flag for the domain field lib reports",
          "[cli][argv][errors]") {
  InProcess app;
  test::write_text(app.home / "a", "a");
  test::write_text(app.home / "b", "b");
  CHECK(app.run({"diff", "a", "b", "-o", "p", "--level", "42"}) == 2);
  CHECK_THAT(app.err.str(), Catch::EndsWith("for lzma (--level)\n"));
  InProcess json;
  test::write_text(json.home / "a", "a");
  test::write_text(json.home / "b", "b");
  CHECK(json.run({"--json", "diff", "a", "b", "-o", "p", "--level", "42"}) == 2);
  CHECK(nlohmann::json::parse(json.err.str())["error"]["subject"] == "level");
}
