// Naming rules: every refusal names the rule and the part of the value that breaks it.
#include <catch2/catch.hpp>

#include "mpaas/core/error.hpp"
#include "mpaas/scaffold/rules.hpp"

using namespace mpaas;
using namespace mpaas::scaffold;

namespace {
std::string problem(const std::string& rule, const std::string& value) {
  try {
    check_rule(rule, value, "--app-id");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::usage);
    return error.what();
  }
  return "";
}
}  // namespace

TEST_CASE("app ids are reverse-domain names", "[scaffold][rules]") {
  CHECK(problem("app_id", "com.example.shop") == "");
  CHECK(problem("app_id", "com.Example.shop_2") == "");
  CHECK(problem("app_id", "shop") ==
        "'shop' is not a valid app id (reverse domain: letters, digits and '_', each segment "
        "starting with a letter): it needs at least two segments separated by dots (--app-id)");
  CHECK_THAT(problem("app_id", "com..shop"), Catch::Contains("a segment is empty"));
  CHECK_THAT(problem("app_id", "com.example.my-shop"),
             Catch::Contains("segment 'my-shop' holds '-'"));
  CHECK_THAT(problem("app_id", "com.1shop"), Catch::Contains("'1shop' must start with a letter"));
  CHECK_THAT(problem("app_id", ""), Catch::Contains("it is empty"));
}

TEST_CASE("Java packages refuse keywords, bundle ids allow '-'", "[scaffold][rules]") {
  CHECK(problem("java_package", "com.example.shop") == "");
  CHECK_THAT(problem("java_package", "com.example.class"),
             Catch::Contains("Java package name") && Catch::Contains("'class' is a Java keyword"));
  CHECK(problem("bundle_id", "com.example.my-shop") == "");
  CHECK(problem("bundle_id", "com.example.2shop") == "");
  CHECK_THAT(problem("bundle_id", "com.example.my_shop"),
             Catch::Contains("iOS bundle id") && Catch::Contains("holds '_'"));
}

TEST_CASE("offline package ids are 8 digits", "[scaffold][rules]") {
  CHECK(problem("offline_id", "80000001") == "");
  CHECK_THAT(problem("offline_id", "8000001"), Catch::Contains("exactly 8 digits"));
  CHECK_THAT(problem("offline_id", "8000000a"), Catch::Contains("offline package id"));
}

TEST_CASE("names derived from a folder name", "[scaffold][rules]") {
  CHECK(slug_of("My Shop--2") == "my-shop-2");
  CHECK(slug_of("---") == "app");
  CHECK(identifier_of("my-shop 2") == "MyShop2");
  CHECK(identifier_of("2go") == "App2go");
  CHECK(default_app_id("My Shop") == "com.example.myshop");
  CHECK(default_app_id("42") == "com.example.app42");
  CHECK(default_app_id("class") == "com.example.classapp");
  for (const auto& name : {"My Shop", "42", "class", "x", "--"})
    CHECK(problem("java_package", default_app_id(name)) == "");
}
