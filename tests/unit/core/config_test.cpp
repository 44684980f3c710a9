// Configuration layers: precedence, sources, sections, editing, and malformed files.
#include <catch2/catch.hpp>

#include "mpaas/core/config.hpp"
#include "mpaas/core/error.hpp"
#include "temp_dir.hpp"

using namespace mpaas;
using mpaas::test::TempDir;
using mpaas::test::write_text;

namespace {

struct Fixture {
  TempDir home;
  ConfigInputs inputs;
  Fixture() {
    inputs.environment["HOME"] = home.path().string();
    inputs.environment["XDG_CONFIG_HOME"] = (home / "config").string();
    inputs.cwd = home / "project" / "sub";
    std::filesystem::create_directories(inputs.cwd);
  }
  std::filesystem::path user_file() const { return home / "config" / "mpaas" / "config.yaml"; }
};

}  // namespace

TEST_CASE("flags beat env beat project beat profile beat defaults", "[core][config]") {
  Fixture f;
  write_text(f.user_file(), "profiles:\n  default:\n    endpoint: from-profile\n    a: p\n");
  write_text(f.home / "project" / "mpaas.yaml", "endpoint: from-project\nb: project\n");
  f.inputs.environment["MPAAS_ENDPOINT"] = "from-env";
  f.inputs.flags["endpoint"] = "from-flag";

  CHECK(Config::load(f.inputs).get("endpoint")->value == "from-flag");
  CHECK(Config::load(f.inputs).get("endpoint")->source == "flag --endpoint");
  f.inputs.flags.clear();
  CHECK(Config::load(f.inputs).get("endpoint")->source == "env MPAAS_ENDPOINT");
  f.inputs.environment.erase("MPAAS_ENDPOINT");
  auto project = Config::load(f.inputs).get("endpoint");
  CHECK(project->value == "from-project");
  CHECK_THAT(project->source, Catch::StartsWith("project ") && Catch::EndsWith("mpaas.yaml"));
  std::filesystem::remove(f.home / "project" / "mpaas.yaml");
  CHECK(Config::load(f.inputs).get("endpoint")->value == "from-profile");
  CHECK(Config::load(f.inputs).get("output")->source == "default");
}

TEST_CASE("environment variables map to dotted keys", "[core][config]") {
  Fixture f;
  f.inputs.environment["MPAAS_OFFLINE__ID"] = "80000001";
  f.inputs.environment["MPAAS_DATA_DIR"] = "/tmp/data";
  Config config = Config::load(f.inputs);
  CHECK(config.get("offline.id")->value == "80000001");
  CHECK(config.get("offline.id")->source == "env MPAAS_OFFLINE__ID");
  CHECK(config.get("data_dir")->value == "/tmp/data");
}

TEST_CASE("profiles are chosen by flag, then env, then the file", "[core][config]") {
  Fixture f;
  write_text(f.user_file(),
             "profile: staging\nprofiles:\n  default: {endpoint: d}\n  staging: {endpoint: s}\n"
             "  prod: {endpoint: p}\n");
  CHECK(Config::load(f.inputs).get("endpoint")->value == "s");
  f.inputs.environment["MPAAS_PROFILE"] = "default";
  CHECK(Config::load(f.inputs).get("endpoint")->value == "d");
  f.inputs.profile_flag = "prod";
  CHECK(Config::load(f.inputs).get("endpoint")->value == "p");
  f.inputs.profile_flag = "nope";
  Config missing = Config::load(f.inputs);
  CHECK_FALSE(missing.profile_exists());
  CHECK_FALSE(missing.get("endpoint"));
}

TEST_CASE("sections return the project's YAML tree", "[core][config]") {
  Fixture f;
  write_text(f.home / "project" / "mpaas.yaml",
             "offline:\n  id: \"80000001\"\n  include: [\"**\"]\n");
  Config config = Config::load(f.inputs);
  YAML::Node offline = config.section("offline");
  REQUIRE(offline.IsMap());
  CHECK(offline["id"].as<std::string>() == "80000001");
  CHECK(offline["include"][0].as<std::string>() == "**");
  CHECK(config.get("offline.include")->value == "[\"**\"]");
  CHECK_FALSE(config.section("missing").IsDefined());
}

TEST_CASE("malformed YAML names file, line and column and is left untouched", "[core][config]") {
  Fixture f;
  std::string broken = "profiles:\n  default:\n    endpoint: [unclosed\n";
  write_text(f.user_file(), broken);
  try {
    Config::load(f.inputs);
    FAIL("expected invalid_input");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::invalid_input);
    CHECK_THAT(error.what(), Catch::Contains("line ") && Catch::Contains("column ") &&
                                 Catch::Contains(f.user_file().string()));
  }
  CHECK_THROWS_AS(set_config_value(f.user_file(), "default", "endpoint", "x"), Error);
  CHECK(test::read_text(f.user_file()) == broken);
}

TEST_CASE("set and unset edit the profile and keep other keys", "[core][config]") {
  Fixture f;
  write_text(f.user_file(), "profiles:\n  default:\n    keep: me\n");
  set_config_value(f.user_file(), "default", "endpoint", "http://e");
  set_config_value(f.user_file(), "staging", "offline.id", "80000002");
  YAML::Node root = load_yaml_file(f.user_file());
  CHECK(root["profiles"]["default"]["keep"].as<std::string>() == "me");
  CHECK(root["profiles"]["default"]["endpoint"].as<std::string>() == "http://e");
  CHECK(root["profiles"]["staging"]["offline"]["id"].as<std::string>() == "80000002");
  CHECK(unset_config_value(f.user_file(), "default", "endpoint"));
  CHECK_FALSE(unset_config_value(f.user_file(), "default", "endpoint"));
  CHECK_FALSE(load_yaml_file(f.user_file())["profiles"]["default"]["endpoint"]);
  CHECK_THROWS_AS(check_config_key("Bad Key"), Error);
}

TEST_CASE("secret keys are recognised and masked", "[core][config]") {
  CHECK(is_secret_key("token"));
  CHECK(is_secret_key("profiles.api_token"));
  CHECK(is_secret_key("signing_key"));
  CHECK_FALSE(is_secret_key("endpoint"));
  CHECK(mask_secret("abc") == "********");
}
