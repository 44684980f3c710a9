// Every built-in template rendered with default and custom values: JSON and YAML files
// parse, the values are substituted everywhere and no Mustache tag is left.
#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "mpaas/scaffold/project.hpp"
#include "mpaas/scaffold/variables.hpp"

using namespace mpaas::scaffold;

namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::map<std::string, std::string> plan_of(const std::string& name, const std::string& app_id,
                                           const std::map<std::string, std::string>& sets) {
  auto tree = builtin_template(name);
  auto manifest = manifest_of(tree);
  VariableRequest request;
  request.name = "shopdemo";
  request.app_id = app_id;
  request.sets = sets;
  std::map<std::string, std::string> files;
  for (const auto& file : plan_project(tree, manifest, resolve_variables(manifest, request))) {
    INFO(name << ": " << file.path);
    CHECK(file.path.find("{{") == std::string::npos);
    if (file.binary) {
      CHECK(ends_with(file.path, ".png"));
    } else {
      CHECK(file.bytes.find("{{") == std::string::npos);
      CHECK(file.bytes.find("\n\n\n") == std::string::npos);  // no lines left by sections
    }
    if (ends_with(file.path, ".json"))
      CHECK_NOTHROW(nlohmann::json::parse(file.bytes));
    if (ends_with(file.path, ".yaml") || ends_with(file.path, ".yml"))
      CHECK_NOTHROW(YAML::Load(file.bytes));
    files[file.path] = file.bytes;
  }
  CHECK(files.count("mpaas.yaml"));
  CHECK(files.count(".gitignore"));
  CHECK_FALSE(files.count("template.yaml"));
  CHECK(YAML::Load(files["mpaas.yaml"])["app_id"].as<std::string>() ==
        (app_id.empty() ? "com.example.shopdemo" : app_id));
  return files;
}

}  // namespace

TEST_CASE("the built-in templates are the four of the issue", "[scaffold][builtin]") {
  std::vector<std::string> names;
  for (const auto& builtin : builtin_templates()) {
    names.push_back(builtin.name);
    CHECK_FALSE(builtin.description.empty());
  }
  CHECK(names == std::vector<std::string>{"android", "h5", "ios", "miniprogram"});
}

TEST_CASE("h5 writes the offline section mpaas offline build reads", "[scaffold][builtin]") {
  auto files = plan_of("h5", "", {});
  auto offline = YAML::Load(files["mpaas.yaml"])["offline"];
  CHECK(offline["id"].as<std::string>() == "80000001");
  CHECK(offline["name"].as<std::string>() == "shopdemo");
  CHECK(offline["version"].as<std::string>() == "1.0.0.1");
  CHECK(offline["root"].as<std::string>() == "www");
  CHECK(offline["main_url"].as<std::string>() == "/index.html");
  CHECK(offline["vhost"].as<std::string>() == "https://80000001.h5app.com");
  CHECK(offline["type"].as<std::string>() == "normal");
  CHECK(offline["include"][0].as<std::string>() == "**");
  CHECK(offline["exclude"][0].as<std::string>() == "**/*.md");
  CHECK(offline["client_version"]["ios"]["max"].as<std::string>() == "3.0.0");
  CHECK(offline["sign"]["key"].as<std::string>() == "keys/private.pem");
  CHECK(files.count("www/index.html"));
  CHECK(files.count("www/js/app.js"));
  CHECK(files.count("www/css/app.css"));
  CHECK(files.count("tests/smoke.test.js"));
  CHECK_THAT(files[".gitignore"], Catch::Contains("keys/private.pem") && Catch::Contains("*.amr"));

  auto custom = plan_of("h5", "org.acme.store",
                        {{"offline_id", "20000042"},
                         {"title", "A & B <Store>"},
                         {"offline_name", "store"},
                         {"with_tests", "false"}});
  auto custom_offline = YAML::Load(custom["mpaas.yaml"])["offline"];
  CHECK(custom_offline["id"].as<std::string>() == "20000042");
  CHECK(custom_offline["vhost"].as<std::string>() == "https://20000042.h5app.com");
  CHECK_THAT(custom["www/index.html"], Catch::Contains("<title>A & B <Store></title>"));
  CHECK_FALSE(custom.count("tests/smoke.test.js"));
}

TEST_CASE("android takes its package from the app id", "[scaffold][builtin]") {
  auto files = plan_of("android", "org.acme.store", {});
  CHECK_THAT(files["app/src/main/java/org/acme/store/MainActivity.kt"],
             Catch::StartsWith("package org.acme.store\n"));
  CHECK_THAT(files["app/build.gradle.kts"], Catch::Contains("applicationId = \"org.acme.store\"") &&
                                                Catch::Contains("minSdk = 24") &&
                                                Catch::Contains("testImplementation"));
  CHECK(files.count("app/src/test/java/org/acme/store/MainActivityTest.kt"));
  CHECK(files.count("settings.gradle.kts"));

  auto custom = plan_of("android", "org.acme.store",
                        {{"package", "org.acme.app"}, {"min_sdk", "26"}, {"with_tests", "no"}});
  CHECK(custom.count("app/src/main/java/org/acme/app/MainActivity.kt"));
  CHECK_THAT(custom["app/build.gradle.kts"], Catch::Contains("namespace = \"org.acme.app\"") &&
                                                 Catch::Contains("minSdk = 26") &&
                                                 !Catch::Contains("testImplementation"));
  CHECK_FALSE(custom.count("app/src/test/java/org/acme/app/MainActivityTest.kt"));
}

TEST_CASE("ios has an XcodeGen project.yml and Swift sources", "[scaffold][builtin]") {
  auto files = plan_of("ios", "", {});
  auto project = YAML::Load(files["project.yml"]);
  CHECK(project["name"].as<std::string>() == "Shopdemo");
  CHECK(project["targets"]["Shopdemo"]["settings"]["base"]["PRODUCT_BUNDLE_IDENTIFIER"]
            .as<std::string>() == "com.example.shopdemo");
  CHECK(project["targets"]["ShopdemoTests"]);
  CHECK_THAT(files["Sources/ShopdemoApp.swift"], Catch::Contains("struct ShopdemoApp: App"));

  auto custom = plan_of(
      "ios", "",
      {{"bundle_id", "com.acme.my-store"}, {"product_name", "Store"}, {"with_tests", "false"}});
  auto custom_project = YAML::Load(custom["project.yml"]);
  CHECK(custom_project["targets"]["Store"]["settings"]["base"]["PRODUCT_BUNDLE_IDENTIFIER"]
            .as<std::string>() == "com.acme.my-store");
  CHECK_FALSE(custom_project["targets"]["StoreTests"]);
  CHECK(custom.count("Sources/StoreApp.swift"));
  CHECK_FALSE(custom.count("Tests/StoreTests.swift"));
}

TEST_CASE("miniprogram has app.json and pages, tabs add a page", "[scaffold][builtin]") {
  auto files = plan_of("miniprogram", "", {});
  auto app = nlohmann::json::parse(files["app.json"]);
  CHECK(app["pages"] == nlohmann::json::array({"pages/index/index"}));
  CHECK(app["window"]["defaultTitle"] == "shopdemo");
  CHECK_FALSE(app.contains("tabBar"));
  CHECK(files.count("pages/index/index.axml"));
  CHECK_FALSE(files.count("pages/about/about.axml"));

  auto tabs = plan_of("miniprogram", "", {{"ui", "tabs"}, {"title", "My Store"}});
  auto tabs_app = nlohmann::json::parse(tabs["app.json"]);
  CHECK(tabs_app["pages"] == nlohmann::json::array({"pages/index/index", "pages/about/about"}));
  CHECK(tabs_app["tabBar"]["items"].size() == 2);
  CHECK(tabs_app["window"]["defaultTitle"] == "My Store");
  CHECK(tabs.count("pages/about/about.axml"));
}
