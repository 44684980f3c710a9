// The binary end to end: help, version, unknown names with suggestions, exit codes, and
// the separation of data (stdout) from everything else (stderr).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "process.hpp"
#include "temp_dir.hpp"

using mpaas::test::run_mpaas;
using mpaas::test::TempDir;

TEST_CASE("mpaas --help lists every command group with a summary", "[cli]") {
  TempDir home;
  auto result = run_mpaas({"--help"}, home.path());
  CHECK(result.exit_code == 0);
  for (const char* group : {"config", "version", "completion", "help"}) {
    CHECK_THAT(result.out, Catch::Contains(group));
  }
  CHECK_THAT(result.out, Catch::Contains("Examples:"));
  CHECK_FALSE(result.out.find("__generate-man") != std::string::npos);
  CHECK(result.err.empty());
}

TEST_CASE("each group's help shows usage and an example", "[cli]") {
  TempDir home;
  for (const char* group : {"config", "version", "completion", "help"}) {
    auto result = run_mpaas({group, "--help"}, home.path());
    INFO(group);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("Usage:") || Catch::Contains("USAGE"));
    CHECK_THAT(result.out, Catch::Contains("\nExamples:\n  ") &&
                               Catch::Contains("mpaas " + std::string(group)));
  }
}

TEST_CASE("mpaas --version prints the version and commit", "[cli]") {
  TempDir home;
  auto result = run_mpaas({"--version"}, home.path());
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Matches("mpaas \\d+\\.\\d+\\.\\d+ \\(commit [0-9a-f]+\\)\n"));
}

TEST_CASE("version -o json adds the linked library versions", "[cli]") {
  TempDir home;
  auto result = run_mpaas({"version", "-o", "json"}, home.path());
  REQUIRE(result.exit_code == 0);
  auto parsed = nlohmann::json::parse(result.out);
  for (const char* library :
       {"libgit2", "libcurl", "libarchive", "openssl", "yaml-cpp", "sqlite", "zstd"}) {
    INFO(library);
    CHECK_FALSE(parsed["libraries"][library].get<std::string>().empty());
  }
  CHECK(result.err.empty());
}

TEST_CASE("unknown commands and flags exit 2 with a suggestion on one line", "[cli]") {
  TempDir home;
  auto command = run_mpaas({"confg", "list"}, home.path());
  CHECK(command.exit_code == 2);
  CHECK(command.out.empty());
  CHECK(command.err ==
        "mpaas: error: unknown command 'confg' for 'mpaas', did you mean 'config'?\n");

  auto verb = run_mpaas({"config", "lst"}, home.path());
  CHECK(verb.exit_code == 2);
  CHECK_THAT(verb.err, Catch::Contains("did you mean 'list'?"));

  auto flag = run_mpaas({"config", "list", "--verbos"}, home.path());
  CHECK(flag.exit_code == 2);
  CHECK_THAT(flag.err, Catch::Contains("unknown flag '--verbos'") &&
                           Catch::Contains("did you mean '--verbose'?"));
  CHECK(std::count(flag.err.begin(), flag.err.end(), '\n') == 1);
}

TEST_CASE("a bad flag value is a usage error", "[cli]") {
  TempDir home;
  auto result = run_mpaas({"-o", "yaml", "version"}, home.path());
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::StartsWith("mpaas: error: "));
}

TEST_CASE("help exit-codes prints the table as text and JSON", "[cli]") {
  TempDir home;
  auto text = run_mpaas({"help", "exit-codes"}, home.path());
  CHECK(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::Contains("130") && Catch::Contains("verification"));
  auto json = run_mpaas({"help", "exit-codes", "-o", "json"}, home.path());
  auto rows = nlohmann::json::parse(json.out);
  CHECK(rows.size() == 10);
  CHECK(rows[4]["code"] == 4);
  auto unknown = run_mpaas({"help", "confg"}, home.path());
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("did you mean 'config'?"));
}

TEST_CASE("the --json flag is a shorthand for -o json and MPAAS_OUTPUT sets the default", "[cli]") {
  TempDir home;
  auto flag = run_mpaas({"help", "exit-codes", "--json"}, home.path());
  CHECK(nlohmann::json::parse(flag.out).is_array());
  mpaas::test::RunOptions options;
  options.env["MPAAS_OUTPUT"] = "json";
  auto env = run_mpaas({"help", "exit-codes"}, home.path(), options);
  CHECK(nlohmann::json::parse(env.out).is_array());
}
