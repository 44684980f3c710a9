// Variable resolution: built-ins, --set, defaults over earlier values, validation, prompts,
// and the one error naming every missing variable.
#include <catch2/catch.hpp>

#include "mpaas/core/error.hpp"
#include "mpaas/scaffold/variables.hpp"

using namespace mpaas;
using namespace mpaas::scaffold;

namespace {

Manifest sample_manifest() {
  return parse_manifest(R"(variables:
  greeting: {description: word to greet with, default: hello, validate: "^[a-z]+$"}
  message: {default: "{{greeting}} from {{name}}"}
  with_tests: {type: bool, default: true}
  ui: {type: choice, choices: [tabs, drawer], default: tabs}
  package: {default: "{{app_id}}", rule: java_package}
)",
                        "template.yaml");
}

std::string text_of(const Values& values, const std::string& name) {
  const Value* value = find_value(values, name);
  REQUIRE(value);
  return value->text;
}

ErrorKind kind_of_failure(const Manifest& manifest, const VariableRequest& request,
                          std::string& message) {
  try {
    resolve_variables(manifest, request);
  } catch (const Error& error) {
    message = error.what();
    return error.kind();
  }
  return ErrorKind::failure;
}

}  // namespace

TEST_CASE("defaults refer to the built-ins and earlier variables", "[scaffold][variables]") {
  VariableRequest request;
  request.name = "My Shop";
  auto values = resolve_variables(sample_manifest(), request);
  CHECK(text_of(values, "app_id") == "com.example.myshop");
  CHECK(text_of(values, "name") == "My Shop");
  CHECK(text_of(values, "slug") == "my-shop");
  CHECK(text_of(values, "identifier") == "MyShop");
  CHECK(text_of(values, "message") == "hello from My Shop");
  CHECK(text_of(values, "with_tests") == "true");
  CHECK(text_of(values, "package") == "com.example.myshop");
}

TEST_CASE("values given with --set win, are normalised and validated", "[scaffold][variables]") {
  VariableRequest request;
  request.name = "shop";
  request.app_id = "org.acme.shop";
  request.sets = {{"greeting", "hi"}, {"with_tests", "no"}, {"ui", "drawer"}};
  auto values = resolve_variables(sample_manifest(), request);
  CHECK(text_of(values, "message") == "hi from shop");
  CHECK(text_of(values, "with_tests") == "false");
  CHECK(text_of(values, "package") == "org.acme.shop");

  std::string message;
  request.sets = {{"greeting", "Hi!"}};
  CHECK(kind_of_failure(sample_manifest(), request, message) == ErrorKind::usage);
  CHECK(message == "'Hi!' does not match ^[a-z]+$ (--set greeting)");
  request.sets = {{"ui", "grid"}};
  kind_of_failure(sample_manifest(), request, message);
  CHECK(message == "'grid' is not one of tabs, drawer (--set ui)");
  request.sets = {{"with_tests", "maybe"}};
  kind_of_failure(sample_manifest(), request, message);
  CHECK(message == "'maybe' is not true or false (--set with_tests)");
  request.sets = {{"colour", "red"}};
  kind_of_failure(sample_manifest(), request, message);
  CHECK_THAT(message, Catch::StartsWith("unknown variable 'colour'; this template defines: "
                                        "greeting, message"));
  request.sets = {{"package", "com.example.new"}};
  kind_of_failure(sample_manifest(), request, message);
  CHECK_THAT(message, Catch::Contains("Java keyword") && Catch::EndsWith("(--set package)"));
  request.sets = {};
  request.app_id = "shop";
  kind_of_failure(sample_manifest(), request, message);
  CHECK_THAT(message, Catch::Contains("valid app id") && Catch::EndsWith("(--app-id)"));
}

TEST_CASE("every missing variable is named at once, exit code 2", "[scaffold][variables]") {
  auto manifest = parse_manifest(
      "variables:\n  a: {}\n  b: {default: \"{{a}}x\"}\n  c: {description: c}\n", "t.yaml");
  VariableRequest request;
  request.name = "p";
  std::string message;
  CHECK(kind_of_failure(manifest, request, message) == ErrorKind::usage);
  CHECK(message == "missing variables a, c: give them with --set NAME=VALUE (--set)");
  request.sets = {{"a", "1"}, {"c", "3"}};
  CHECK(text_of(resolve_variables(manifest, request), "b") == "1x");
}

TEST_CASE("on a terminal, variables are prompted for until valid", "[scaffold][variables]") {
  std::vector<std::string> answers = {"Nope!", "hey", "", "", "", ""};
  std::vector<std::string> asked;
  VariableRequest request;
  request.name = "shop";
  request.sets = {{"ui", "drawer"}};
  request.prompt = [&](const VariableSpec& spec, const std::string& suggestion,
                       const std::string& problem) {
    asked.push_back(spec.name + "[" + suggestion + "]" + (problem.empty() ? "" : "!"));
    std::string answer = answers.front();
    answers.erase(answers.begin());
    return answer;
  };
  auto values = resolve_variables(sample_manifest(), request);
  CHECK(asked == std::vector<std::string>{"greeting[hello]", "greeting[hello]!",
                                          "message[hey from shop]", "with_tests[true]",
                                          "package[com.example.shop]"});
  CHECK(text_of(values, "greeting") == "hey");
  CHECK(text_of(values, "message") == "hey from shop");
  CHECK(text_of(values, "ui") == "drawer");
}

TEST_CASE("parse_assignment splits at the first '='", "[scaffold][variables]") {
  CHECK(parse_assignment("a=b=c") == std::pair<std::string, std::string>{"a", "b=c"});
  CHECK(parse_assignment("a=") == std::pair<std::string, std::string>{"a", ""});
  CHECK_THROWS_AS(parse_assignment("=b"), Error);
  CHECK_THROWS_AS(parse_assignment("ab"), Error);
}
