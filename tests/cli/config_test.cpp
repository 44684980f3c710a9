// `mpaas config` through the binary: precedence with sources, editing, masking, errors.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "process.hpp"
#include "temp_dir.hpp"

using mpaas::test::read_text;
using mpaas::test::run_mpaas;
using mpaas::test::RunOptions;
using mpaas::test::TempDir;
using mpaas::test::write_text;

namespace {
std::string source_of(const std::string& list_json, const std::string& key) {
  for (const auto& row : nlohmann::json::parse(list_json)) {
    if (row["key"] == key)
      return row["source"].get<std::string>() + "=" + row["value"].get<std::string>();
  }
  return "";
}
}  // namespace

TEST_CASE("config set then get round-trips through the user config", "[cli][config]") {
  TempDir home;
  CHECK(run_mpaas({"config", "set", "endpoint", "https://e.example"}, home.path()).exit_code == 0);
  auto get = run_mpaas({"config", "get", "endpoint"}, home.path());
  CHECK(get.exit_code == 0);
  CHECK(get.out == "https://e.example\n");
  CHECK_THAT(read_text(home / ".config/mpaas/config.yaml"),
             Catch::Contains("profiles:") && Catch::Contains("endpoint: https://e.example"));
  auto missing = run_mpaas({"config", "get", "nothing"}, home.path());
  CHECK(missing.exit_code == 5);
  CHECK(missing.err == "mpaas: error: no value for 'nothing' (KEY)\n");
}

TEST_CASE("config list -o json shows each value and its source by precedence", "[cli][config]") {
  TempDir home;
  write_text(home / ".config/mpaas/config.yaml", "profiles:\n  default:\n    endpoint: p\n");
  write_text(home / "proj/mpaas.yaml", "endpoint: proj\n");
  std::filesystem::create_directories(home / "proj/deep");
  RunOptions in_project;
  in_project.cwd = home / "proj/deep";

  auto project = run_mpaas({"config", "list", "-o", "json"}, home.path(), in_project);
  REQUIRE(project.exit_code == 0);
  CHECK(source_of(project.out, "endpoint") ==
        "project " + (home / "proj/mpaas.yaml").string() + "=proj");

  in_project.env["MPAAS_ENDPOINT"] = "env";
  auto env = run_mpaas({"config", "list", "-o", "json"}, home.path(), in_project);
  CHECK(source_of(env.out, "endpoint") == "env MPAAS_ENDPOINT=env");

  auto flag =
      run_mpaas({"--endpoint", "flag", "config", "list", "-o", "json"}, home.path(), in_project);
  CHECK(source_of(flag.out, "endpoint") == "flag --endpoint=flag");

  auto profile = run_mpaas({"config", "list", "-o", "json"}, home.path());
  CHECK_THAT(source_of(profile.out, "endpoint"),
             Catch::StartsWith("profile default (") && Catch::EndsWith("=p"));
  CHECK(source_of(profile.out, "output") == "flag --output=json");
  CHECK(source_of(profile.out, "data_dir") == "default=" + (home / ".local/share/mpaas").string());
}

TEST_CASE("profiles are selected with --profile", "[cli][config]") {
  TempDir home;
  CHECK(run_mpaas({"--profile", "staging", "config", "set", "endpoint", "s"}, home.path())
            .exit_code == 0);
  CHECK(run_mpaas({"config", "set", "endpoint", "d"}, home.path()).exit_code == 0);
  CHECK(run_mpaas({"config", "get", "endpoint", "--profile", "staging"}, home.path()).out == "s\n");
  CHECK(run_mpaas({"config", "get", "endpoint"}, home.path()).out == "d\n");
  auto unknown = run_mpaas({"--profile", "nope", "config", "list"}, home.path());
  CHECK(unknown.exit_code == 0);
  CHECK_THAT(unknown.err, Catch::Contains("warning: profile 'nope' is not defined"));
}

TEST_CASE("config set --project writes mpaas.yaml and unset removes keys", "[cli][config]") {
  TempDir home;
  CHECK(
      run_mpaas({"config", "set", "--project", "offline.id", "80000001"}, home.path()).exit_code ==
      0);
  CHECK_THAT(read_text(home / "mpaas.yaml"), Catch::Contains("offline:\n  id: 80000001"));
  CHECK(run_mpaas({"config", "get", "offline.id"}, home.path()).out == "80000001\n");
  CHECK(run_mpaas({"config", "unset", "--project", "offline.id"}, home.path()).exit_code == 0);
  CHECK(run_mpaas({"config", "unset", "--project", "offline.id"}, home.path()).exit_code == 5);
}

TEST_CASE("secrets are masked in list and get unless revealed", "[cli][config]") {
  TempDir home;
  CHECK(run_mpaas({"config", "set", "token", "s3cr3t-value"}, home.path()).exit_code == 0);
  auto list = run_mpaas({"config", "list"}, home.path());
  CHECK_FALSE(list.out.find("s3cr3t-value") != std::string::npos);
  CHECK_THAT(list.out, Catch::Contains("********"));
  CHECK(run_mpaas({"config", "get", "token"}, home.path()).out == "********\n");
  CHECK(run_mpaas({"config", "get", "token", "--reveal"}, home.path()).out == "s3cr3t-value\n");
}

TEST_CASE("malformed YAML exits 3 with file, line and column and stays untouched",
          "[cli][config]") {
  TempDir home;
  std::string broken = "profiles:\n  default: {endpoint: [x\n";
  write_text(home / "mpaas.yaml", broken);
  auto list = run_mpaas({"config", "list"}, home.path());
  CHECK(list.exit_code == 3);
  CHECK_THAT(list.err, Catch::StartsWith("mpaas: error: invalid YAML at line ") &&
                           Catch::Contains("column") && Catch::Contains("mpaas.yaml"));
  auto set = run_mpaas({"config", "set", "--project", "a", "b"}, home.path());
  CHECK(set.exit_code == 3);
  CHECK(read_text(home / "mpaas.yaml") == broken);
}

TEST_CASE("config path reports the files in use", "[cli][config]") {
  TempDir home;
  auto result = run_mpaas({"config", "path", "-o", "json"}, home.path());
  REQUIRE(result.exit_code == 0);
  auto paths = nlohmann::json::parse(result.out);
  CHECK(paths["user_config"] == (home / ".config/mpaas/config.yaml").string());
  CHECK(paths["project_file"].is_null());
  CHECK(paths["data_dir"] == (home / ".local/share/mpaas").string());
}
