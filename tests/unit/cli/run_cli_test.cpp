// run_cli in-process with fake streams, a fixed clock and a temp HOME: argv tables that pin
// down exit codes and which stream carries what, without spawning the binary.
#include <catch2/catch.hpp>
#include <sstream>

#include "app.hpp"
#include "temp_dir.hpp"

using namespace mpaas;

namespace {

struct InProcess {
  test::TempDir home;
  std::ostringstream out;
  std::ostringstream err;
  std::istringstream in;
  FakeClock clock;
  Context context{out, err, in, clock};

  InProcess() {
    context.environment["HOME"] = home.path().string();
    context.environment["XDG_CONFIG_HOME"] = (home / "config").string();
    context.cwd = home.path();
  }
  int run(const std::vector<std::string>& arguments) { return run_cli(arguments, context); }
};

}  // namespace

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
