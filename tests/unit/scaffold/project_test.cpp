// Planning a project in memory (conditions, names, binary files) and writing it with
// rollback: a failure halfway leaves the disk exactly as it was.
#include <sys/stat.h>
#include <catch2/catch.hpp>

#include "mpaas/core/error.hpp"
#include "mpaas/scaffold/project.hpp"
#include "mpaas/scaffold/variables.hpp"
#include "temp_dir.hpp"

using namespace mpaas;
using namespace mpaas::scaffold;
using mpaas::test::read_text;
using mpaas::test::TempDir;
using mpaas::test::write_text;
namespace fs = std::filesystem;

namespace {

const std::string binary_bytes("\x89PNG\r\n\x1a\n\0{{name}}\xff", 17);

TemplateTree sample_tree() {
  return {"test",
          {{"template.yaml", R"(variables:
  package: {default: "{{app_id}}"}
  with_tests: {type: bool, default: false}
  ui: {type: choice, choices: [tabs, drawer], default: tabs}
files:
  - {path: "tests/**", when: with_tests}
  - {path: "drawer.js", when: ui == drawer}
  - {path: "tabs.js", when: "ui != drawer"}
)",
            0644},
           {"src/{{package_path}}/Main.kt", "package {{package}}\n", 0644},
           {"run.sh", "#!/bin/sh\necho {{name}}\n", 0755},
           {"logo.png", binary_bytes, 0644},
           {"tests/a.test", "test {{name}}", 0644},
           {"drawer.js", "drawer", 0644},
           {"tabs.js", "tabs", 0644}}};
}

std::vector<PlannedFile> plan_with(const std::map<std::string, std::string>& sets) {
  auto tree = sample_tree();
  auto manifest = manifest_of(tree);
  VariableRequest request;
  request.name = "demo";
  request.sets = sets;
  return plan_project(tree, manifest, resolve_variables(manifest, request));
}

std::vector<std::string> paths_of(const std::vector<PlannedFile>& plan) {
  std::vector<std::string> paths;
  for (const auto& file : plan)
    paths.push_back(file.path);
  return paths;
}

}  // namespace

TEST_CASE("plans render names and contents and apply conditions", "[scaffold][project]") {
  auto plan = plan_with({});
  CHECK(paths_of(plan) ==
        std::vector<std::string>{"logo.png", "run.sh", "src/com/example/demo/Main.kt", "tabs.js"});
  CHECK(plan[0].binary);
  CHECK(plan[0].bytes == binary_bytes);
  CHECK(plan[1].mode == 0755);
  CHECK(plan[1].bytes == "#!/bin/sh\necho demo\n");
  CHECK(plan[2].bytes == "package com.example.demo\n");

  auto other = plan_with({{"with_tests", "true"}, {"ui", "drawer"}});
  CHECK(paths_of(other) == std::vector<std::string>{"drawer.js", "logo.png", "run.sh",
                                                    "src/com/example/demo/Main.kt",
                                                    "tests/a.test"});
}

TEST_CASE("a value cannot place a file outside the project", "[scaffold][project]") {
  for (std::string bad : {"..", "a..b/../..", "", "/etc"}) {
    TemplateTree tree{
        "t", {{"template.yaml", "variables:\n  dir: {}\n", 0644}, {"{{dir}}/x", "x", 0644}}};
    VariableRequest request;
    request.name = "p";
    request.sets = {{"dir", bad}};
    auto manifest = manifest_of(tree);
    auto values = resolve_variables(manifest, request);
    try {
      plan_project(tree, manifest, values);
      FAIL("no error for '" + bad + "'");
    } catch (const Error& error) {
      CHECK(error.kind() == ErrorKind::usage);
      CHECK_THAT(error.what(), Catch::Contains("leaves the project folder"));
    }
  }
}

TEST_CASE("binary detection: NUL bytes and invalid UTF-8", "[scaffold][project]") {
  CHECK_FALSE(is_binary("plain text"));
  CHECK_FALSE(is_binary("caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80"));
  CHECK(is_binary(std::string("a\0b", 3)));
  CHECK(is_binary("\xff\xfe"));
  CHECK(is_binary("\xc3"));
  CHECK(is_binary("\xe4\xb8"));
}

TEST_CASE("the writer keeps file modes and bytes", "[scaffold][project]") {
  TempDir temp;
  {
    ProjectWriter writer(temp / "new/project", false);
    for (const auto& file : plan_with({}))
      writer.write(file);
    writer.commit();
  }
  CHECK(read_text(temp / "new/project/logo.png") == binary_bytes);
  struct stat info {};
  REQUIRE(::stat((temp / "new/project/run.sh").c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0755);
}

TEST_CASE("a non-empty folder is refused without --force", "[scaffold][project]") {
  TempDir temp;
  write_text(temp / "p/keep.txt", "mine");
  try {
    ProjectWriter writer(temp / "p", false);
    FAIL("not refused");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::conflict);
  }
  write_text(temp / "file", "x");
  CHECK_THROWS_AS(ProjectWriter(temp / "file", true), Error);
  CHECK(read_text(temp / "p/keep.txt") == "mine");
}

TEST_CASE("a failure halfway removes what was created and restores what was replaced",
          "[scaffold][project]") {
  TempDir temp;
  write_text(temp / "p/keep.txt", "mine");
  write_text(temp / "p/run.sh", "old script");
  fs::create_directories(temp / "p/tabs.js");  // a folder where the plan puts a file
  {
    ProjectWriter writer(temp / "p", true);
    try {
      for (const auto& file : plan_with({}))
        writer.write(file);
      FAIL("no conflict");
    } catch (const Error& error) {
      CHECK(error.kind() == ErrorKind::conflict);
    }
  }
  std::vector<std::string> left;
  for (const auto& entry : fs::recursive_directory_iterator(temp / "p"))
    left.push_back(fs::relative(entry.path(), temp / "p").string());
  std::sort(left.begin(), left.end());
  CHECK(left == std::vector<std::string>{"keep.txt", "run.sh", "tabs.js"});
  CHECK(read_text(temp / "p/run.sh") == "old script");

  {
    ProjectWriter writer(temp / "fresh/deeper", false);
    writer.write(plan_with({})[0]);
  }
  CHECK_FALSE(fs::exists(temp / "fresh"));
}
