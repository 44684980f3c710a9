// offline/settings: YAML parsing, mPaaS rules and globs.
#include <catch2/catch.hpp>

#include "mpaas/core/error.hpp"
#include "mpaas/offline/settings.hpp"

using namespace mpaas::offline;

namespace {
std::string invalid_message(const Settings& settings) {
  try {
    validate_settings(settings);
  } catch (const mpaas::Error& error) {
    CHECK(error.kind() == mpaas::ErrorKind::invalid_input);
    return error.what();
  }
  return "";
}
}  // namespace

TEST_CASE("the offline section parses with defaults", "[offline]") {
  auto settings = settings_from_yaml(YAML::Load(R"(
id: "80000001"
name: h5app
version: 1.0.0.1
include: ["**"]
exclude: ["**/*.md"]
client_version: {android: {min: 1.0.0}, ios: {min: 1.0.0, max: 3.0.0}}
sign: {key: keys/private.pem}
)"));
  CHECK(settings.id == "80000001");
  CHECK(settings.root == "www");
  CHECK(settings.main_url == "/index.html");
  CHECK(settings.exclude == std::vector<std::string>{"**/*.md"});
  CHECK(settings.ios.max == "3.0.0");
  CHECK(settings.android.min == "1.0.0");
  CHECK(settings.sign_key == "keys/private.pem");
  CHECK(invalid_message(settings).empty());
  CHECK_THROWS_WITH(settings_from_yaml(YAML::Load("include: {a: 1}")),
                    "expected a list of globs (offline.include)");
}

TEST_CASE("ids, versions and types follow the mPaaS rules", "[offline]") {
  Settings settings;
  settings.id = "80000001";
  settings.name = "h5app";
  settings.version = "1.0.0.1";
  CHECK(invalid_message(settings).empty());
  settings.version = "2.1.0-beta.1";
  CHECK(invalid_message(settings).empty());
  settings.version = "1.0";
  CHECK(invalid_message(settings) ==
        "the version must be four-part (1.0.0.1) or semver, not '1.0' (offline.version)");
  settings.version = "1.0.0.1";
  for (std::string id : {"20000196", "66666692", "68687029", "68687209", "66666601", "20000999"}) {
    settings.id = id;
    CHECK(invalid_message(settings) ==
          "the package id " + id + " is reserved by mPaaS (offline.id)");
  }
  settings.id = "8000001";
  CHECK(invalid_message(settings) == "the package id must be 8 digits, not '8000001' (offline.id)");
  settings.id = "80000001";
  settings.type = "shared";
  CHECK(invalid_message(settings) == "the type must be normal or global (offline.type)");
}

TEST_CASE("globs match segments, and ** spans folders", "[offline]") {
  CHECK(glob_match("**", "a/b/c.js"));
  CHECK(glob_match("**/*.md", "README.md"));
  CHECK(glob_match("**/*.md", "docs/deep/x.md"));
  CHECK_FALSE(glob_match("**/*.md", "docs/x.mdx"));
  CHECK(glob_match("*.html", "index.html"));
  CHECK_FALSE(glob_match("*.html", "sub/index.html"));
  CHECK(glob_match("js/**", "js/a/b.js"));
  CHECK_FALSE(glob_match("js/**", "css/a.css"));
  CHECK(glob_match("./img/?.png", "img/a.png"));
  CHECK_FALSE(glob_match("img/?.png", "img/ab.png"));
  CHECK(glob_match("a/**/b", "a/b"));
  CHECK(glob_match("a/**/b", "a/x/y/b"));
  Settings settings;
  settings.exclude = {"**/*.md"};
  CHECK(is_selected(settings, "index.html"));
  CHECK_FALSE(is_selected(settings, "notes/x.md"));
}

namespace {
std::string invalid_settings(const std::string& yaml, const std::string& source = "") {
  try {
    settings_from_yaml(YAML::Load(yaml), source);
  } catch (const mpaas::Error& error) {
    CHECK(error.kind() == mpaas::ErrorKind::invalid_input);
    return error.what();
  }
  return "";
}
}  // namespace

TEST_CASE("a signing key given as a plain value is an error, not an unsigned build", "[offline]") {
  CHECK(invalid_settings("sign: keys/private.pem", "/p/mpaas.yaml") ==
        "expected a mapping such as {key: keys/private.pem} (offline.sign in /p/mpaas.yaml)");
  CHECK(invalid_settings("sign: {}") == "expected the path of the signing key (offline.sign.key)");
  CHECK(invalid_settings("sign: {key: [a]}") ==
        "expected a single value, not a list or mapping (offline.sign.key)");
  CHECK(settings_from_yaml(YAML::Load("sign:")).sign_key.empty());  // empty: unsigned
}

TEST_CASE("wrongly typed settings name their key", "[offline]") {
  CHECK(invalid_settings("id: [80000001]") ==
        "expected a single value, not a list or mapping (offline.id)");
  CHECK(invalid_settings("version: {a: 1}", "m.yaml") ==
        "expected a single value, not a list or mapping (offline.version in m.yaml)");
  CHECK(invalid_settings("client_version: 1.0") ==
        "expected a mapping such as {android: {min: 1.0.0}} (offline.client_version)");
  CHECK(invalid_settings("client_version: {ios: 1.0}") ==
        "expected a mapping such as {min: 1.0.0} (offline.client_version.ios)");
  CHECK(invalid_settings("exclude: [[a]]") == "expected a list of globs (offline.exclude)");
  CHECK(invalid_settings("? [a]\n: b\n") == "expected plain names as keys (offline)");
  try {
    settings_from_yaml(YAML::Load("[a, b]"));
    FAIL("expected invalid_input");
  } catch (const mpaas::Error& error) {
    CHECK(std::string(error.what()) == "expected a mapping of settings (offline)");
    CHECK(error.subject() == "offline");
  }
}

TEST_CASE("unknown settings are warnings naming the key, with a suggestion", "[offline]") {
  auto settings = settings_from_yaml(YAML::Load(R"(
id: "80000001"
signing: {key: keys/private.pem}
client_version: {android: {min: 1.0.0, mx: 2.0.0}, harmony: {min: 1}}
future_option: true
)"),
                                     "/p/mpaas.yaml");
  CHECK(settings.id == "80000001");
  CHECK(settings.sign_key.empty());
  REQUIRE(settings.warnings.size() == 4);
  CHECK(settings.warnings[0] ==
        "unknown setting offline.signing is ignored (did you mean offline.sign?) (/p/mpaas.yaml)");
  CHECK(settings.warnings[1] == "unknown setting offline.future_option is ignored (/p/mpaas.yaml)");
  CHECK(settings.warnings[2] ==
        "unknown setting offline.client_version.harmony is ignored (/p/mpaas.yaml)");
  CHECK(settings.warnings[3] ==
        "unknown setting offline.client_version.android.mx is ignored (did you mean "
        "offline.client_version.android.max?) (/p/mpaas.yaml)");
}

TEST_CASE("the default vhost comes from the id, and a given one is kept", "[offline][settings]") {
  Settings settings;
  apply_defaults(settings);
  CHECK(settings.vhost.empty());  // no id, no default
  settings.id = "80000001";
  apply_defaults(settings);
  CHECK(settings.vhost == "https://80000001.h5app.com");
  settings.vhost = "https://cdn.example.com";
  apply_defaults(settings);
  CHECK(settings.vhost == "https://cdn.example.com");
}
