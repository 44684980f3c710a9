// template.yaml parsing and file-pattern globs.
#include <catch2/catch.hpp>

#include "mpaas/core/error.hpp"
#include "mpaas/scaffold/manifest.hpp"

using namespace mpaas;
using namespace mpaas::scaffold;

TEST_CASE("the template.yaml of the issue parses", "[scaffold][manifest]") {
  auto manifest = parse_manifest(R"(description: H5 offline package
variables:
  greeting: {description: word to greet with, default: hello, validate: "^[a-z]+$"}
  with_tests: {type: bool, default: true}
  ui: {type: choice, choices: [tabs, drawer], default: tabs}
files:
  - {path: "tests/**", when: with_tests}
)",
                                 "t/template.yaml");
  CHECK(manifest.description == "H5 offline package");
  REQUIRE(manifest.variables.size() == 3);
  CHECK(manifest.variables[0].name == "greeting");
  CHECK(manifest.variables[0].validate == "^[a-z]+$");
  CHECK(*manifest.variables[0].default_value == "hello");
  CHECK(manifest.variables[1].type == VariableType::boolean);
  CHECK(manifest.variables[2].choices == std::vector<std::string>{"tabs", "drawer"});
  REQUIRE(manifest.files.size() == 1);
  CHECK(manifest.files[0].pattern == "tests/**");
  CHECK(manifest.files[0].when == "with_tests");
}

TEST_CASE("malformed template.yaml files are refused with exit code 3", "[scaffold][manifest]") {
  auto refused = [](const std::string& text) {
    try {
      parse_manifest(text, "t/template.yaml");
    } catch (const Error& error) {
      CHECK(error.kind() == ErrorKind::invalid_input);
      return std::string(error.what());
    }
    return std::string();
  };
  CHECK_THAT(refused("descripton: typo\n"), Catch::Contains("unknown key 'descripton'"));
  CHECK_THAT(refused("variables:\n  a: {validate: \"[\"}\n"), Catch::Contains("invalid regex"));
  CHECK_THAT(refused("variables:\n  a: {type: number}\n"), Catch::Contains("unknown type"));
  CHECK_THAT(refused("variables:\n  a: {type: choice}\n"), Catch::Contains("needs choices"));
  CHECK_THAT(refused("variables:\n  a: {rule: nope}\n"), Catch::Contains("unknown rule 'nope'"));
  CHECK_THAT(refused("variables: [\n"), Catch::Contains("invalid YAML at line"));
  CHECK_THAT(refused("files:\n  - {path: x}\n"), Catch::Contains("a path and a when"));
}

TEST_CASE("globs: * within a segment, ** across segments", "[scaffold][manifest]") {
  CHECK(glob_matches("tests/**", "tests/a.js"));
  CHECK(glob_matches("tests/**", "tests/deep/er/a.js"));
  CHECK_FALSE(glob_matches("tests/**", "www/tests/a.js"));
  CHECK_FALSE(glob_matches("tests/**", "tests.js"));
  CHECK(glob_matches("**/*.md", "README.md"));
  CHECK(glob_matches("**/*.md", "docs/a/b.md"));
  CHECK(glob_matches("*.md", "README.md"));
  CHECK_FALSE(glob_matches("*.md", "docs/README.md"));
  CHECK(glob_matches("pages/*/index.?s", "pages/home/index.js"));
  CHECK_FALSE(glob_matches("pages/*/index.js", "pages/a/b/index.js"));
  CHECK(glob_matches("a/**/z", "a/z"));
  CHECK(glob_matches("a/**/z", "a/b/c/z"));
}
