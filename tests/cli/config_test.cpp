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

namespace {
namespace fs = std::filesystem;

fs::perms mode_of(const fs::path& path) {
  return fs::status(path).permissions() & fs::perms::all;
}

// The environment run_mpaas gives the binary, for runs through a shell.
RunOptions shell_options(const TempDir& home) {
  RunOptions options;
  options.cwd = home.path();
  options.env["HOME"] = home.path().string();
  options.env["XDG_CONFIG_HOME"] = (home / ".config").string();
  options.env["XDG_DATA_HOME"] = (home / ".local/share").string();
  options.env["MPAAS"] = mpaas::test::mpaas_binary();
  for (const char* name : {"MPAAS_ENDPOINT", "MPAAS_PROFILE", "MPAAS_OUTPUT", "MPAAS_DATA_DIR"})
    options.env[name] = "\x01";
  return options;
}
}  // namespace

TEST_CASE("concurrent config set of different keys keeps every key", "[cli][config]") {
  TempDir home;
  for (int round = 0; round < 3; ++round) {
    std::string script;
    for (int i = 0; i < 8; ++i) {
      script += "\"$MPAAS\" config set key" + std::to_string(round) + "_" + std::to_string(i) +
                " v" + std::to_string(i) + " & pids=\"$pids $!\"\n";
    }
    script += "fail=0; for pid in $pids; do wait $pid || fail=1; done; exit $fail\n";
    auto result = mpaas::test::run_program("sh", {"-c", script}, shell_options(home));
    CHECK(result.exit_code == 0);
    CHECK(result.err.empty());
  }
  std::string text = read_text(home / ".config/mpaas/config.yaml");
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 8; ++i) {
      std::string line =
          "    key" + std::to_string(round) + "_" + std::to_string(i) + ": v" + std::to_string(i);
      INFO(line);
      CHECK(text.find(line + "\n") != std::string::npos);
    }
  }
  CHECK(mode_of(home / ".config/mpaas/config.yaml") == fs::perms(0600));
  // No lock or temp file is left behind.
  CHECK(std::distance(fs::directory_iterator(home / ".config/mpaas"), fs::directory_iterator()) ==
        1);
}

TEST_CASE("config set writes through a symlinked config and keeps modes", "[cli][config]") {
  TempDir home;
  write_text(home / "dotfiles/mpaas.yaml", "# mine\nprofiles:\n  default:\n    a: 1\n");
  fs::permissions(home / "dotfiles/mpaas.yaml", fs::perms(0640));
  fs::create_directories(home / ".config/mpaas");
  fs::create_symlink(home / "dotfiles/mpaas.yaml", home / ".config/mpaas/config.yaml");
  REQUIRE(run_mpaas({"config", "set", "endpoint", "https://e"}, home.path()).exit_code == 0);
  CHECK(fs::is_symlink(home / ".config/mpaas/config.yaml"));
  CHECK(read_text(home / "dotfiles/mpaas.yaml") ==
        "# mine\nprofiles:\n  default:\n    a: 1\n    endpoint: https://e\n");
  CHECK(mode_of(home / "dotfiles/mpaas.yaml") == fs::perms(0640));

  write_text(home / "mpaas.yaml", "offline:\n  id: \"80000001\"\n");
  fs::permissions(home / "mpaas.yaml", fs::perms(0640));
  REQUIRE(run_mpaas({"config", "set", "--project", "offline.name", "h5"}, home.path()).exit_code ==
          0);
  CHECK(mode_of(home / "mpaas.yaml") == fs::perms(0640));
}

TEST_CASE("config set refuses a read-only config file", "[cli][config]") {
  TempDir home;
  std::string text = "profiles:\n  default:\n    a: 1\n";
  write_text(home / ".config/mpaas/config.yaml", text);
  fs::permissions(home / ".config/mpaas/config.yaml", fs::perms(0400));
  auto set = run_mpaas({"config", "set", "b", "2"}, home.path());
  CHECK(set.exit_code == 6);
  CHECK(set.err == "mpaas: error: the file is read-only; make it writable to change it (" +
                       (home / ".config/mpaas/config.yaml").string() + ")\n");
  CHECK(read_text(home / ".config/mpaas/config.yaml") == text);
  CHECK(mode_of(home / ".config/mpaas/config.yaml") == fs::perms(0400));
}

TEST_CASE("config set --project keeps the comments and quoting of mpaas.yaml", "[cli][config]") {
  TempDir home;
  std::string before =
      "# mpaas project settings\n"
      "app_id: \"ABC123\"  # from the console\n"
      "offline:\n"
      "  id: \"80000001\"\n"
      "  version: '1.0.0.1'   # bumped by CI\n"
      "  include: [\"**\"]\n";
  write_text(home / "mpaas.yaml", before);
  REQUIRE(run_mpaas({"config", "set", "--project", "offline.version", "1.0.0.2"}, home.path())
              .exit_code == 0);
  std::string expected = before;
  expected.replace(expected.find("'1.0.0.1'"), 9, "'1.0.0.2'");
  CHECK(read_text(home / "mpaas.yaml") == expected);
}

TEST_CASE("a long config key is a one-line usage error, not a crash", "[cli][config]") {
  TempDir home;
  auto result = run_mpaas({"config", "set", std::string(40000, 'a'), "v"}, home.path());
  CHECK(result.exit_code == 2);
  CHECK(result.err.find('\n') == result.err.size() - 1);
  CHECK_THAT(result.err, Catch::Contains("longer than 256 characters"));
  auto get = run_mpaas({"config", "get", std::string(40000, 'a')}, home.path());
  CHECK(get.exit_code == 2);
  auto value = run_mpaas({"config", "set", "a", std::string(20000, 'v')}, home.path());
  CHECK(value.exit_code == 2);
  CHECK_THAT(value.err, Catch::Contains("at most 16384"));
}

TEST_CASE("an alias bomb, a cycle or deep nesting in mpaas.yaml is refused with exit 3",
          "[cli][config]") {
  TempDir home;
  std::string bomb = "l0: &l0 {a: x, b: x, c: x, d: x, e: x, f: x, g: x, h: x, i: x, j: x}\n";
  for (int level = 1; level < 6; ++level) {
    std::string previous = "*l" + std::to_string(level - 1);
    bomb += "l" + std::to_string(level) + ": &l" + std::to_string(level) + " {a: " + previous +
            ", b: " + previous + ", c: " + previous + ", d: " + previous + ", e: " + previous +
            ", f: " + previous + ", g: " + previous + ", h: " + previous + ", i: " + previous +
            ", j: " + previous + "}\n";
  }
  write_text(home / "mpaas.yaml", bomb);
  auto list = run_mpaas({"config", "list"}, home.path());
  CHECK(list.exit_code == 3);
  CHECK_THAT(list.err, Catch::Contains("aliases") &&
                           Catch::Contains("(" + (home / "mpaas.yaml").string() + ")"));
  CHECK(list.out.empty());

  write_text(home / "mpaas.yaml", "a: &x {b: *x}\n");  // a cycle: old code recursed to SIGSEGV
  auto cycle = run_mpaas({"config", "list"}, home.path());
  CHECK(cycle.exit_code == 3);
  CHECK_THAT(cycle.err, Catch::Contains("refers to a node that contains it"));

  write_text(home / "mpaas.yaml", "a: " + std::string(5000, '[') + std::string(5000, ']') + "\n");
  auto deep = run_mpaas({"config", "get", "a"}, home.path());
  CHECK(deep.exit_code == 3);
  CHECK_THAT(deep.err, Catch::Contains("deeper than 64 levels") && Catch::Contains("mpaas.yaml"));
}

TEST_CASE("a broken output setting names its file and config set can repair it", "[cli][config]") {
  TempDir home;
  write_text(home / ".config/mpaas/config.yaml", "profiles:\n  default:\n    output: xml\n");
  auto other = run_mpaas({"keys", "generate", "-o", (home / "k").string()}, home.path());
  CHECK(other.exit_code == 3);
  CHECK_THAT(other.err, Catch::Contains("'xml'") && Catch::Contains("output in profile default") &&
                            Catch::Contains((home / ".config/mpaas/config.yaml").string()));
  auto list = run_mpaas({"config", "list"}, home.path());
  CHECK(list.exit_code == 0);
  CHECK_THAT(list.out, Catch::Contains("xml"));
  CHECK(run_mpaas({"config", "get", "output"}, home.path()).out == "xml\n");
  CHECK(run_mpaas({"config", "path"}, home.path()).exit_code == 0);
  auto set = run_mpaas({"config", "set", "output", "text"}, home.path());
  CHECK(set.exit_code == 0);
  CHECK(run_mpaas({"config", "get", "output"}, home.path()).out == "text\n");
  write_text(home / ".config/mpaas/config.yaml", "profiles:\n  default:\n    output: xml\n");
  CHECK(run_mpaas({"config", "unset", "output"}, home.path()).exit_code == 0);
  CHECK(run_mpaas({"keys", "generate", "-o", (home / "k").string()}, home.path()).exit_code == 0);
}

TEST_CASE("wrongly typed config files exit 3 naming file and field", "[cli][config]") {
  TempDir home;
  write_text(home / ".config/mpaas/config.yaml", "profiles:\n  default: [a, b]\n");
  auto list = run_mpaas({"config", "list"}, home.path());
  CHECK(list.exit_code == 3);
  CHECK(list.err == "mpaas: error: expected a mapping of settings (profiles.default in " +
                        (home / ".config/mpaas/config.yaml").string() + ")\n");
}

TEST_CASE("every spelling of a credential is masked in list and get", "[cli][config]") {
  TempDir home;
  std::vector<std::string> keys = {"api_key",     "private_key", "passwd",      "apitoken",
                                   "credentials", "auth.bearer", "db.password", "client-secret"};
  for (size_t i = 0; i < keys.size(); ++i) {
    REQUIRE(run_mpaas({"config", "set", keys[i], "s3cr3t" + std::to_string(i)}, home.path())
                .exit_code == 0);
  }
  auto list = run_mpaas({"config", "list", "-o", "json"}, home.path());
  REQUIRE(list.exit_code == 0);
  CHECK(list.out.find("s3cr3t") == std::string::npos);
  for (const auto& key : keys) {
    INFO(key);
    CHECK(run_mpaas({"config", "get", key}, home.path()).out == "********\n");
  }
  CHECK(run_mpaas({"config", "get", "apitoken", "--reveal"}, home.path()).out == "s3cr3t3\n");
}
