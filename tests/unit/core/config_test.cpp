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

TEST_CASE("the secret rule covers every common spelling of a credential", "[core][config]") {
  for (const char* key : {"api_key",
                          "apikey",
                          "api-key",
                          "API_KEY",
                          "apiKey",
                          "private_key",
                          "privateKey",
                          "passwd",
                          "db.password",
                          "apitoken",
                          "credentials",
                          "credentials.user",
                          "auth.bearer",
                          "aws.secret_access_key",
                          "access_key",
                          "http.authorization",
                          "session_cookie",
                          "signing-key",
                          "offline.passphrase",
                          "github.pwd",
                          "x.client_secret.y"}) {
    INFO(key);
    CHECK(is_secret_key(key));
  }
  for (const char* key : {"endpoint", "offline.id", "offline.sign.key", "data_dir", "output",
                          "author", "keyboard", "monkey"}) {
    INFO(key);
    CHECK_FALSE(is_secret_key(key));
  }
}

TEST_CASE("long keys get a one-line error and no regex recursion", "[core][config]") {
  std::string long_key(40000, 'a');
  try {
    check_config_key(long_key);
    FAIL("expected usage_error");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::usage);
    CHECK(std::string(error.what()).size() < 200);
    CHECK_THAT(error.what(), Catch::Contains("longer than 256"));
  }
  check_config_key(std::string(256, 'a'));
  CHECK_THROWS_AS(check_config_key(std::string(257, 'a')), Error);
  for (const char* bad : {"", ".a", "a.", "a..b", "A", "a b", "a/b"}) {
    INFO(bad);
    CHECK_THROWS_AS(check_config_key(bad), Error);
  }
  check_config_key("offline.client_version.android-x.min_2");
  CHECK(is_secret_key(std::string(100000, 'a') + ".token"));
  CHECK_FALSE(is_secret_key(std::string(100000, '.')));
  CHECK_THROWS_AS(check_config_value(std::string(max_config_value_length + 1, 'v')), Error);
  CHECK_THROWS_AS(check_config_value("\xff\xfe"), Error);
  check_config_value("h\xc3\xa9llo\nworld");
  CHECK_THROWS_AS(check_profile_name(std::string(65, 'p')), Error);
}

TEST_CASE("a long key inside a config file is refused naming the file", "[core][config]") {
  Fixture f;
  // (yaml-cpp itself refuses implicit keys past 1024 characters, as YAML says.)
  write_text(f.home / "project" / "mpaas.yaml", std::string(1000, 'k') + ": v\n");
  try {
    Config::load(f.inputs);
    FAIL("expected invalid_input");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::invalid_input);
    CHECK_THAT(error.what(), Catch::Contains("longer than 256") &&
                                 Catch::Contains((f.home / "project" / "mpaas.yaml").string()));
    CHECK(std::string(error.what()).size() < 400);
  }
  // Nested keys that each look harmless add up too.
  std::string nested;
  for (int level = 0; level < 10; ++level)
    nested += std::string(static_cast<size_t>(level) * 2, ' ') + std::string(30, 'n') + ":\n";
  write_text(f.home / "project" / "mpaas.yaml", nested + std::string(20, ' ') + "leaf: v\n");
  CHECK_THROWS_WITH(Config::load(f.inputs), Catch::Contains("longer than 256"));
}

namespace {

// Mappings of ten entries, each level aliasing the previous one ten times: `levels` levels
// expand to 10^levels leaves from a few hundred bytes.
std::string alias_bomb(int levels) {
  std::string text = "l0: &l0 {a: x, b: x, c: x, d: x, e: x, f: x, g: x, h: x, i: x, j: x}\n";
  for (int level = 1; level < levels; ++level) {
    std::string previous = "*l" + std::to_string(level - 1);
    text += "l" + std::to_string(level) + ": &l" + std::to_string(level) + " {";
    for (char name = 'a'; name <= 'j'; ++name)
      text += std::string(name == 'a' ? "" : ", ") + name + ": " + previous;
    text += "}\n";
  }
  return text;
}

}  // namespace

TEST_CASE("alias bombs are refused before they expand", "[core][config]") {
  Fixture f;
  auto project = f.home / "project" / "mpaas.yaml";
  // 10^6 leaves: old code flattened them all (seconds and hundreds of MB) and said nothing.
  write_text(project, alias_bomb(6));
  try {
    Config::load(f.inputs);
    FAIL("expected invalid_input");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::invalid_input);
    CHECK_THAT(error.what(), Catch::Contains("aliases") && Catch::Contains(project.string()));
  }
  // The 700-byte billion laughs: refused as fast as the small one.
  std::string bomb = alias_bomb(10);
  CHECK(bomb.size() < 1000);
  CHECK_THROWS_WITH(parse_yaml(bomb, "bomb.yaml"),
                    Catch::Contains("aliases") && Catch::Contains("(bomb.yaml)"));
  // An alias inside its own anchor would make every walk of the tree loop forever.
  CHECK_THROWS_WITH(
      parse_yaml("a: &x {b: *x}\n", "cycle.yaml"),
      Catch::Contains("refers to a node that contains it") && Catch::Contains("(cycle.yaml)"));
  CHECK_THROWS_WITH(parse_yaml("a: &x [1, [*x]]\n", "cycle.yaml"),
                    Catch::Contains("refers to a node that contains it"));
  // Aliases that stay small are fine.
  auto fine = parse_yaml("base: &b {endpoint: x}\nother: *b\n", "fine.yaml");
  CHECK(fine["other"]["endpoint"].as<std::string>() == "x");
}

TEST_CASE("deep nesting is refused naming the file", "[core][config]") {
  Fixture f;
  auto project = f.home / "project" / "mpaas.yaml";
  for (std::string open : {"[", "{a: "}) {
    std::string close = open == "[" ? "]" : "}";
    std::string text = "deep: ";
    for (int i = 0; i < 1000; ++i)
      text += open;
    for (int i = 0; i < 1000; ++i)
      text += close;
    write_text(project, text + "\n");
    try {
      Config::load(f.inputs);
      FAIL("expected invalid_input");
    } catch (const Error& error) {
      CHECK(error.kind() == ErrorKind::invalid_input);
      CHECK_THAT(error.what(),
                 Catch::Contains("deeper than 64") && Catch::Contains(project.string()));
    }
  }
  std::string block;  // block style, one level per line
  for (int i = 0; i < 200; ++i)
    block += std::string(static_cast<size_t>(i) * 2, ' ') + "k:\n";
  CHECK_THROWS_WITH(parse_yaml(block, "block.yaml"), Catch::Contains("deeper than 64"));
  CHECK_THROWS_WITH(parse_yaml(std::string(max_yaml_file_size + 1, '#'), "big.yaml"),
                    Catch::Contains("larger than 1 MiB"));
}

TEST_CASE("wrongly typed config files name the file and field", "[core][config]") {
  Fixture f;
  struct Case {
    const char* text;
    const char* field;
  };
  for (auto [text, field] : {Case{"profiles: [a, b]\n", "profiles in "},
                             Case{"profiles: {default: 3}\n", "profiles.default in "},
                             Case{"profile: [a]\n", "profile in "},
                             Case{"profiles:\n  default:\n    ? [a, b]\n    : c\n", "plain key"}}) {
    INFO(text);
    write_text(f.user_file(), text);
    try {
      Config::load(f.inputs);
      FAIL("expected invalid_input");
    } catch (const Error& error) {
      CHECK(error.kind() == ErrorKind::invalid_input);
      CHECK_THAT(error.what(), Catch::Contains(field) && Catch::Contains(f.user_file().string()));
    }
  }
}

TEST_CASE("set keeps comments, quoting and order of the file", "[core][config]") {
  Fixture f;
  auto project = f.home / "project" / "mpaas.yaml";
  std::string original =
      "# project settings\n"
      "app_id: 'ABC123'   # from the console\n"
      "offline:\n"
      "  id: \"80000001\"  # eight digits\n"
      "  name: h5app\n"
      "\n"
      "  # the version is bumped by CI\n"
      "  version: \"1.0.0.1\"\n"
      "# signing\n"
      "other: {a: 1, b: [x, y]}\n";
  write_text(project, original);
  set_config_value(project, "", "offline.version", "1.0.0.2");
  set_config_value(project, "", "app_id", "XYZ");
  set_config_value(project, "", "offline.root", "dist");
  set_config_value(project, "", "other.c", "a, b");
  set_config_value(project, "", "endpoint", "https://e.example");
  CHECK(test::read_text(project) ==
        "# project settings\n"
        "app_id: 'XYZ'   # from the console\n"
        "offline:\n"
        "  id: \"80000001\"  # eight digits\n"
        "  name: h5app\n"
        "\n"
        "  # the version is bumped by CI\n"
        "  version: \"1.0.0.2\"\n"
        "  root: dist\n"
        "# signing\n"
        "other: {a: 1, b: [x, y], c: \"a, b\"}\n"
        "endpoint: https://e.example\n");
  CHECK(unset_config_value(project, "", "offline.name"));
  CHECK(unset_config_value(project, "", "other.a"));
  CHECK(unset_config_value(project, "", "app_id"));
  CHECK(test::read_text(project) ==
        "# project settings\n"
        "offline:\n"
        "  id: \"80000001\"  # eight digits\n"
        "\n"
        "  # the version is bumped by CI\n"
        "  version: \"1.0.0.2\"\n"
        "  root: dist\n"
        "# signing\n"
        "other: {b: [x, y], c: \"a, b\"}\n"
        "endpoint: https://e.example\n");
}

TEST_CASE("set creates profiles and fills empty parents", "[core][config]") {
  Fixture f;
  set_config_value(f.user_file(), "default", "endpoint", "http://e");
  CHECK(test::read_text(f.user_file()) == "profiles:\n  default:\n    endpoint: http://e\n");
  write_text(f.user_file(), "profile: staging  # active\nprofiles:\n  staging: ~  # later\n");
  set_config_value(f.user_file(), "staging", "offline.id", "80000002");
  CHECK(test::read_text(f.user_file()) ==
        "profile: staging  # active\nprofiles:\n  staging:  # later\n    offline:\n"
        "      id: 80000002\n");
  write_text(f.user_file(), "profiles:\n  default: {endpoint: d}\n");
  set_config_value(f.user_file(), "default", "offline.id", "1");
  set_config_value(f.user_file(), "prod", "token", "yes");
  CHECK(test::read_text(f.user_file()) ==
        "profiles:\n  default: {endpoint: d, offline: {id: 1}}\n  prod:\n    token: yes\n");
  CHECK(Config::load(f.inputs).get("offline.id")->value == "1");
}

TEST_CASE("set writes values that read back exactly", "[core][config]") {
  Fixture f;
  for (std::string value :
       {"", "~", "null", "true", "a: b", "#x", "x #y", "multi\nline", " lead", "- x", "[a]", "{a}",
        "'q'", "\"dq\"", "tab\there", "h\xc3\xa9llo", "\x01"}) {
    INFO(value);
    set_config_value(f.user_file(), "default", "endpoint", value);
    CHECK(Config::load(f.inputs).get("endpoint")->value == value);
    CHECK(test::read_text(f.user_file()).rfind("profiles:\n  default:\n    endpoint: ", 0) == 0);
  }
}

TEST_CASE("an edit through an alias is refused, not spread", "[core][config]") {
  Fixture f;
  std::string shared = "profiles:\n  default: &base\n    endpoint: d\n  staging: *base\n";
  write_text(f.user_file(), shared);
  try {
    set_config_value(f.user_file(), "staging", "token", "t");
    FAIL("expected conflict");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::conflict);
    CHECK_THAT(error.what(), Catch::Contains("alias") && Catch::Contains(f.user_file().string()));
  }
  CHECK(test::read_text(f.user_file()) == shared);
  // Replacing the alias itself is fine.
  set_config_value(f.user_file(), "", "profiles.staging", "none");
  CHECK(test::read_text(f.user_file()) ==
        "profiles:\n  default: &base\n    endpoint: d\n  staging: none\n");
}

TEST_CASE("set refuses a value where a mapping is needed", "[core][config]") {
  Fixture f;
  write_text(f.user_file(), "profiles:\n  default:\n    offline: 3\n");
  try {
    set_config_value(f.user_file(), "default", "offline.id", "1");
    FAIL("expected conflict");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::conflict);
    CHECK_THAT(error.what(), Catch::Contains("'profiles.default.offline' is not a mapping"));
  }
}

TEST_CASE("edits keep CRLF line ends, block sequences and a byte order mark", "[core][config]") {
  Fixture f;
  auto project = f.home / "project" / "mpaas.yaml";
  write_text(project,
             "\xEF\xBB\xBF"
             "a: 1\r\nlist:\r\n- x\r\n- y\r\nb: 2\r\n");
  set_config_value(project, "", "a", "3");
  set_config_value(project, "", "list", "z");
  set_config_value(project, "", "c", "4");
  CHECK(test::read_text(project) ==
        "\xEF\xBB\xBF"
        "a: 3\r\nlist: z\r\nb: 2\r\nc: 4\r\n");
  CHECK(unset_config_value(project, "", "a"));
  CHECK(test::read_text(project) ==
        "\xEF\xBB\xBF"
        "list: z\r\nb: 2\r\nc: 4\r\n");
}

TEST_CASE("set keeps the mode of the file and writes through a symlink", "[core][config]") {
  Fixture f;
  auto real = f.home / "dotfiles" / "mpaas.yaml";
  write_text(real, "profiles:\n  default:\n    a: 1\n");
  std::filesystem::permissions(real, std::filesystem::perms(0640));
  std::filesystem::create_directories(f.user_file().parent_path());
  std::filesystem::create_symlink("../../dotfiles/mpaas.yaml", f.user_file());
  set_config_value(f.user_file(), "default", "b", "2");
  CHECK(std::filesystem::is_symlink(f.user_file()));
  CHECK(test::read_text(real) == "profiles:\n  default:\n    a: 1\n    b: 2\n");
  CHECK((std::filesystem::status(real).permissions() & std::filesystem::perms::all) ==
        std::filesystem::perms(0640));
  CHECK(unset_config_value(f.user_file(), "default", "a"));
  CHECK(std::filesystem::is_symlink(f.user_file()));
  // No temp or lock file is left beside either.
  CHECK(std::distance(std::filesystem::directory_iterator(real.parent_path()),
                      std::filesystem::directory_iterator()) == 1);
  CHECK(std::distance(std::filesystem::directory_iterator(f.user_file().parent_path()),
                      std::filesystem::directory_iterator()) == 1);
}

TEST_CASE("set refuses a read-only file and leaves it alone", "[core][config]") {
  Fixture f;
  std::string text = "profiles:\n  default:\n    a: 1\n";
  write_text(f.user_file(), text);
  std::filesystem::permissions(f.user_file(), std::filesystem::perms(0444));
  try {
    set_config_value(f.user_file(), "default", "b", "2");
    FAIL("expected conflict");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::conflict);
    CHECK_THAT(error.what(),
               Catch::Contains("read-only") && Catch::Contains(f.user_file().string()));
  }
  CHECK_THROWS_AS(unset_config_value(f.user_file(), "default", "a"), Error);
  CHECK(test::read_text(f.user_file()) == text);
  CHECK((std::filesystem::status(f.user_file()).permissions() & std::filesystem::perms::all) ==
        std::filesystem::perms(0444));
}
