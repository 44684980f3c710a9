// argv -> options tables for `mpaas app` and `mpaas release`, and in-process runs of the
// platform commands against a temp data folder with a fixed clock.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "app/options.hpp"
#include "in_process.hpp"
#include "release/options.hpp"

using namespace mpaas;
using test::InProcess;
using test::parsed;
using test::refused;

TEST_CASE("argv table: app", "[cli][argv][platform]") {
  auto create = parsed<AppCreateOptions>({"app", "create", "com.example.shop", "--name", "Shop"});
  CHECK(create.id == "com.example.shop");
  CHECK(create.name == "Shop");
  CHECK(parsed<AppShowOptions>({"app", "show", "x"}).id == "x");
  CHECK(parsed<AppDeleteOptions>({"app", "delete", "x", "--yes"}).id == "x");
  CHECK(refused({"app", "create"}) == 2);
}

TEST_CASE("argv table: release", "[cli][argv][platform]") {
  auto upload = parsed<ReleaseUploadOptions>({"release",
                                              "upload",
                                              "a.apk",
                                              "--app",
                                              "com.example.shop",
                                              "--platform",
                                              "android",
                                              "--version",
                                              "1.2.0",
                                              "--percent",
                                              "12.5",
                                              "--rule",
                                              "os_version>=12",
                                              "--rule",
                                              "model~Pixel*",
                                              "--draft",
                                              "--if-absent",
                                              "--max-devices",
                                              "100",
                                              "--until",
                                              "2025-07-01T12:00:00Z",
                                              "--whitelist",
                                              "ids.txt",
                                              "--mandatory",
                                              "--kind",
                                              "hotfix"});
  CHECK(upload.file == "a.apk");
  CHECK(upload.percent == "12.5");
  CHECK(upload.rules == std::vector<std::string>{"os_version>=12", "model~Pixel*"});
  CHECK(upload.draft);
  CHECK(upload.if_absent);
  CHECK(upload.mandatory);
  CHECK(upload.kind == "hotfix");
  CHECK(upload.window.max_devices == 100);
  CHECK(upload.window.until == "2025-07-01T12:00:00Z");
  CHECK(upload.whitelist_file == "ids.txt");
  CHECK(refused({"release", "upload", "a.apk", "--app", "x", "--platform", "windows", "--version",
                 "1"}) == 2);
  CHECK(refused({"release", "upload", "a.apk", "--platform", "ios", "--version", "1"}) == 2);
  CHECK(refused({"release", "upload", "a.apk", "--app", "x", "--platform", "ios", "--version", "1",
                 "--max-devices", "0", "--until", "2025-07-01T12:00:00Z"}) == 2);

  auto list = parsed<ReleaseListOptions>(
      {"release", "list", "--app", "x", "--state", "rolled-back", "--platform", "h5"});
  CHECK(list.state == "rolled-back");
  CHECK(list.platform == "h5");
  CHECK(refused({"release", "list", "--app", "x", "--state", "done"}) == 2);
  CHECK(parsed<ReleaseDownloadOptions>({"release", "download", "r", "-o", "f"}).output == "f");
  auto rollout = parsed<ReleaseRolloutOptions>({"release", "rollout", "r", "--percent", "50"});
  CHECK(rollout.percent == "50");
  for (const char* verb : {"show", "history", "pause", "resume", "finish", "rollback"})
    CHECK(parsed<ReleaseRefOptions>({"release", verb, "r"}).release == "r");
  auto add =
      parsed<WhitelistEditOptions>({"release", "whitelist", "add", "r", "d1", "d2", "--file", "-"});
  CHECK(add.devices == std::vector<std::string>{"d1", "d2"});
  CHECK(add.file == "-");
  auto check = parsed<ReleaseCheckOptions>({"release", "check", "--app", "x", "--platform",
                                            "android", "--device-id", "d", "--app-version", "1.0",
                                            "--os-version", "13", "--model", "Pixel", "--region",
                                            "CN-ZJ", "--network", "wifi", "--count"});
  CHECK(check.count);
  CHECK(check.region == "CN-ZJ");
  CHECK(refused({"release", "check", "--app", "x", "--platform", "android"}) == 2);
  CHECK(parsed<ReleaseReachOptions>({"release", "reach", "r", "--devices", "d.csv"}).devices ==
        "d.csv");
}

TEST_CASE("platform commands run in process against the data folder", "[cli][platform]") {
  InProcess app;
  REQUIRE(app.run({"app", "create", "com.example.shop"}) == 0);
  test::write_text(app.home / "a.apk", "apk");
  REQUIRE(app.run({"--json", "release", "upload", "a.apk", "--app", "com.example.shop",
                   "--platform", "android", "--version", "1.0.0", "--percent", "5"}) == 0);
  auto release = nlohmann::json::parse(app.out.str().substr(app.out.str().find('{')));
  CHECK(release["created_at"] == "1970-01-01T00:00:00Z");  // the fake clock
  CHECK(std::filesystem::exists(app.home / ".local/share/mpaas/platform/platform.db"));
  // Rollback refused off a terminal without --yes; asked and confirmed on one.
  CHECK(app.run({"release", "rollback", "com.example.shop/android/1.0.0"}) == 2);
  InProcess terminal("y\n", true);
  terminal.context.environment = app.context.environment;
  CHECK(terminal.run({"release", "rollback", "com.example.shop/android/1.0.0"}) == 0);
  CHECK_THAT(terminal.err.str(), Catch::Contains("roll back"));
  CHECK_THAT(terminal.out.str(), Catch::Contains("rolled-back"));
}
