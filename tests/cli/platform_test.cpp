// `mpaas app` and `mpaas release` end to end on the embedded platform: every command, its
// refusals with their exit codes and JSON shapes, concurrent processes on one data folder,
// and uploads killed at any point.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "process.hpp"
#include "served.hpp"
#include "temp_dir.hpp"

using mpaas::test::RunOptions;
using mpaas::test::RunResult;
using mpaas::test::TempDir;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// Where the commands' platform lives: in-process (the embedded platform), or behind a real
// `mpaas serve` on the same data folder, reached through the HTTP client. The scenarios
// below run on both: one suite, two platforms, the same results.
enum class Where { embedded, served };

struct Platform {
  TempDir home;
  std::unique_ptr<mpaas::test::ServedPlatform> server;

  explicit Platform(Where where = Where::embedded) {
    if (where == Where::served)
      server = std::make_unique<mpaas::test::ServedPlatform>(home.path());
  }

  RunResult run(std::vector<std::string> arguments, const std::string& input = "") {
    RunOptions options{home.path(), {}, input};
    if (server)
      options.env = server->client_environment();
    return mpaas::test::run_mpaas(arguments, home.path(), options);
  }

  json run_json(std::vector<std::string> arguments, int expected = 0) {
    arguments.insert(arguments.begin(), "--json");
    auto result = run(arguments);
    INFO((server ? "[mpaas serve] " : "[embedded] ")
         << arguments[1] << " " << arguments[2] << ": " << result.err);
    REQUIRE(result.exit_code == expected);
    return json::parse(expected == 0 ? result.out : result.err);
  }

  // The error kind printed under --json for a refused command line.
  std::string refusal(std::vector<std::string> arguments, int expected) {
    auto error = run_json(std::move(arguments), expected);
    return error["error"]["kind"].get<std::string>();
  }

  fs::path data() const { return home / ".local/share/mpaas/platform"; }
};

// Each scenario once per platform, named in the report.
Where each_platform() {
  return GENERATE(Where::embedded, Where::served);
}

void check_release_shape(const json& release) {
  for (const char* key : {"id", "app", "platform", "version", "kind", "state", "sha256",
                          "file_name", "created_at", "updated_at", "created_by"})
    CHECK(release[key].is_string());
  for (const char* key : {"percent", "size", "whitelist"})
    CHECK(release[key].is_number());
  CHECK(release["rules"].is_array());
  CHECK(release["mandatory"].is_boolean());
  CHECK(release.contains("window"));
  CHECK(release.contains("package"));
  CHECK(release["id"].get<std::string>().rfind("rel_", 0) == 0);
}

size_t regular_files(const fs::path& folder) {
  size_t count = 0;
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(folder, error);
       it != fs::recursive_directory_iterator(); ++it) {
    if (it->is_regular_file())
      ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("app commands create, list, show and delete with their exit codes", "[cli][platform]") {
  Platform p(each_platform());
  auto app = p.run_json({"app", "create", "com.example.shop", "--name", "Shop"});
  CHECK(app == json::parse(R"({"id": "com.example.shop", "name": "Shop", "releases": 0,
                               "created_at": ")" +
                           app["created_at"].get<std::string>() + "\"}"));
  CHECK(p.refusal({"app", "create", "com.example.shop"}, 6) == "conflict");
  CHECK(p.refusal({"app", "create", "bad/id"}, 2) == "usage");
  CHECK(p.run_json({"app", "list"}).size() == 1);
  CHECK(p.run_json({"app", "show", "com.example.shop"})["name"] == "Shop");
  CHECK(p.refusal({"app", "show", "com.example.none"}, 5) == "not-found");
  auto text = p.run({"app", "list"});
  CHECK_THAT(text.out, Catch::StartsWith("ID") && Catch::Contains("com.example.shop"));
  // Deleting needs --yes off a terminal.
  CHECK(p.run({"app", "delete", "com.example.shop"}).exit_code == 2);
  CHECK(p.run_json({"app", "show", "com.example.shop"})["id"] == "com.example.shop");
  auto deleted = p.run_json({"app", "delete", "com.example.shop", "--yes"});
  CHECK(deleted["deleted"] == true);
  CHECK(p.refusal({"app", "show", "com.example.shop"}, 5) == "not-found");
  CHECK(fs::exists(p.data() / "platform.db"));
}

TEST_CASE("release upload, list, show, history and download", "[cli][platform]") {
  Platform p(each_platform());
  p.run_json({"app", "create", "com.example.shop"});
  mpaas::test::write_text(p.home / "app.apk", std::string(100000, 'a') + "end");
  mpaas::test::write_text(p.home / "testers.txt", "# testers\ntester-1\n\ntester-2\n");
  auto release = p.run_json({"release",
                             "upload",
                             "app.apk",
                             "--app",
                             "com.example.shop",
                             "--platform",
                             "android",
                             "--version",
                             "1.2.0",
                             "--percent",
                             "12.5",
                             "--whitelist",
                             "testers.txt",
                             "--rule",
                             "os_version>=12",
                             "--notes",
                             "first",
                             "--mandatory",
                             "--min-app-version",
                             "1.0"});
  check_release_shape(release);
  CHECK(release["percent"] == 12.5);
  CHECK(release["state"] == "gray");
  CHECK(release["whitelist"] == 2);
  CHECK(release["rules"] == json::array({"os_version>=12"}));
  CHECK(release["size"] == 100003);
  CHECK(release["mandatory"] == true);
  std::string id = release["id"];

  // The same version again: a conflict, unless --if-absent with the same artifact.
  std::vector<std::string> again = {"release", "upload",           "app.apk",
                                    "--app",   "com.example.shop", "--platform",
                                    "android", "--version",        "1.2.0"};
  CHECK(p.refusal(again, 6) == "conflict");
  again.push_back("--if-absent");
  CHECK(p.run_json(again)["id"] == id);
  mpaas::test::write_text(p.home / "app.apk", "different");
  CHECK(p.refusal(again, 6) == "conflict");
  // Refusals of the request.
  CHECK(p.refusal({"release", "upload", "app.apk", "--app", "com.example.none", "--platform",
                   "android", "--version", "1.0"},
                  5) == "not-found");
  CHECK(p.refusal({"release", "upload", "app.apk", "--app", "com.example.shop", "--platform",
                   "android", "--version", "1.0", "--percent", "100.5"},
                  2) == "usage");
  CHECK(p.refusal({"release", "upload", "app.apk", "--app", "com.example.shop", "--platform",
                   "android", "--version", "1.0", "--rule", "os_version>>12"},
                  3) == "invalid-input");
  CHECK(p.refusal({"release", "upload", "app.apk", "--app", "com.example.shop", "--platform",
                   "android", "--version", "1.0", "--max-devices", "5"},
                  2) == "usage");
  CHECK(p.refusal({"release", "upload", "none.apk", "--app", "com.example.shop", "--platform",
                   "android", "--version", "1.0"},
                  5) == "not-found");

  auto list = p.run_json({"release", "list", "--app", "com.example.shop"});
  REQUIRE(list.size() == 1);
  check_release_shape(list[0]);
  CHECK(p.run_json({"release", "list", "--app", "com.example.shop", "--state", "paused"}).empty());
  CHECK(p.run_json({"release", "list", "--app", "com.example.shop", "--platform", "ios"}).empty());
  CHECK(p.run_json({"release", "show", id})["notes"] == "first");
  CHECK(p.run_json({"release", "show", "com.example.shop/android/1.2.0"})["id"] == id);
  CHECK(p.refusal({"release", "show", "rel_zzzzzzzzzzzz"}, 5) == "not-found");
  auto shown = p.run({"release", "show", id});
  CHECK_THAT(shown.out, Catch::Contains("state:") && Catch::Contains("gray"));

  auto history = p.run_json({"release", "history", id});
  REQUIRE(history.size() == 2);
  CHECK(history[0]["what"] == "created");
  CHECK(history[1]["what"] == "whitelist");
  for (const char* key : {"what", "at", "by", "release"})
    CHECK(history[0][key].is_string());

  auto download = p.run_json({"release", "download", id, "-o", "got.apk"});
  CHECK(download["sha256"] == release["sha256"]);
  CHECK(mpaas::test::read_text(p.home / "got.apk") == std::string(100000, 'a') + "end");
  CHECK(p.run({"release", "download", id}).exit_code == 2);  // -o is required
}

TEST_CASE("an .amr upload is read for its id and version, which must agree", "[cli][platform]") {
  Platform p(each_platform());
  REQUIRE(p.run({"new", "h5", "shop", "--app-id", "com.example.shop", "--no-git"}).exit_code == 0);
  REQUIRE(p.run({"offline", "build", "shop", "-o", "shop.amr"}).exit_code == 0);
  p.run_json({"app", "create", "com.example.shop"});
  std::vector<std::string> upload = {"release",          "upload",     "shop.amr", "--app",
                                     "com.example.shop", "--platform", "h5",       "--version"};
  auto wrong = upload;
  wrong.push_back("9.9.9.9");
  auto error = p.run_json(wrong, 2);
  CHECK_THAT(error["error"]["message"].get<std::string>(),
             Catch::Contains("the package's version is 1.0.0.1, not 9.9.9.9"));
  auto native = upload;
  native.insert(native.end(), {"1.0.0.1", "--kind", "native"});
  CHECK(p.refusal(native, 2) == "usage");
  upload.push_back("1.0.0.1");
  auto release = p.run_json(upload);
  CHECK(release["kind"] == "offline");
  CHECK(release["package"] == "80000001");
  CHECK(regular_files(p.data() / "blobs") == 1);
  mpaas::test::write_text(p.home / "broken.amr", "not a zip");
  auto broken = upload;
  broken[2] = "broken.amr";
  CHECK(p.refusal(broken, 3) == "invalid-input");
}

TEST_CASE("lifecycle commands and their refusals (exit 6, nothing changed)", "[cli][platform]") {
  Platform p(each_platform());
  p.run_json({"app", "create", "com.example.shop"});
  mpaas::test::write_text(p.home / "app.apk", "apk");
  std::string id =
      p.run_json({"release", "upload", "app.apk", "--app", "com.example.shop", "--platform",
                  "android", "--version", "1.0.0", "--percent", "10"})["id"];
  auto rolled = p.run_json({"release", "rollout", id, "--percent", "50"});
  check_release_shape(rolled);
  CHECK(rolled["percent"] == 50);
  CHECK(p.refusal({"release", "rollout", id, "--percent", "20"}, 6) == "conflict");
  CHECK(p.refusal({"release", "rollout", id}, 2) == "usage");
  CHECK(p.refusal({"release", "resume", id}, 6) == "conflict");
  CHECK(p.run_json({"release", "pause", id})["state"] == "paused");
  CHECK(p.run_json({"release", "resume", id})["state"] == "gray");
  auto finished = p.run_json({"release", "finish", id});
  CHECK(finished["state"] == "released");
  CHECK(finished["percent"] == 100);
  CHECK(p.refusal({"release", "resume", id}, 6) == "conflict");
  CHECK(p.run({"release", "rollback", id}).exit_code == 2);  // not confirmed
  CHECK(p.run_json({"release", "show", id})["state"] == "released");
  CHECK(p.run_json({"release", "rollback", id, "--yes"})["state"] == "rolled-back");
  CHECK(p.refusal({"release", "finish", id}, 6) == "conflict");
  CHECK(p.refusal({"release", "rollout", id, "--percent", "100"}, 6) == "conflict");
  CHECK(p.run_json({"release", "show", id})["state"] == "rolled-back");
  auto history = p.run_json({"release", "history", id});
  std::vector<std::string> news;
  for (const auto& change : history)
    news.push_back(change["new"].get<std::string>());
  CHECK(news == std::vector<std::string>{"gray at 10%", "50", "paused", "gray", "released", "100",
                                         "rolled-back"});
}

TEST_CASE("whitelist add, remove and list, and 100,000 ids from a file", "[cli][platform]") {
  Platform p(each_platform());
  p.run_json({"app", "create", "com.example.shop"});
  mpaas::test::write_text(p.home / "app.apk", "apk");
  std::string id = p.run_json({"release", "upload", "app.apk", "--app", "com.example.shop",
                               "--platform", "android", "--version", "1.0.0"})["id"];
  std::string ids = "# many\n";
  for (int i = 0; i < 100000; ++i)
    ids += "device-" + std::to_string(i) + "\n";
  mpaas::test::write_text(p.home / "ids.txt", ids);
  auto added = p.run_json({"release", "whitelist", "add", id, "--file", "ids.txt", "extra-1"});
  CHECK(added == json{{"release", id}, {"changed", 100001}, {"total", 100001}});
  auto removed = p.run_json({"release", "whitelist", "remove", id, "extra-1", "nobody"});
  CHECK(removed["changed"] == 1);
  CHECK(removed["total"] == 100000);
  auto listed = p.run_json({"release", "whitelist", "list", id});
  CHECK(listed["devices"].size() == 100000);
  CHECK(p.refusal({"release", "whitelist", "add", id}, 2) == "usage");
  mpaas::test::write_text(p.home / "bad.txt", "ok\nnot ok\n");
  CHECK(p.refusal({"release", "whitelist", "add", id, "--file", "bad.txt"}, 3) == "invalid-input");
  CHECK(p.refusal({"release", "whitelist", "add", id, "--file", "none.txt"}, 5) == "not-found");
  // Whitelisted devices get a 0 percent release; others do not.
  auto check = p.run_json({"release", "check", "--app", "com.example.shop", "--platform", "android",
                           "--device-id", "device-7"});
  CHECK(check["offers"].size() == 1);
  check = p.run_json({"release", "check", "--app", "com.example.shop", "--platform", "android",
                      "--device-id", "stranger"});
  CHECK(check["offers"].empty());
  CHECK_THAT(check["skipped"][0]["reason"].get<std::string>(), Catch::StartsWith("bucket "));
}

TEST_CASE("release check explains each decision; reach counts a device list", "[cli][platform]") {
  Platform p(each_platform());
  p.run_json({"app", "create", "com.example.shop"});
  mpaas::test::write_text(p.home / "app.apk", "apk");
  std::string id = p.run_json({"release", "upload", "app.apk", "--app", "com.example.shop",
                               "--platform", "android", "--version", "2.0.0", "--percent", "100",
                               "--rule", "os_version>=12", "--rule", "model!~*Lite"})["id"];
  auto check = p.run_json({"release", "check", "--app", "com.example.shop", "--platform", "android",
                           "--device-id", "d1", "--os-version", "11", "--model", "Pixel 7"});
  CHECK(check["device"] == json{{"id", "d1"},
                                {"app_version", nullptr},
                                {"os_version", "11"},
                                {"model", "Pixel 7"},
                                {"region", nullptr},
                                {"network", nullptr}});
  CHECK(check["offers"].empty());
  CHECK(check["skipped"] ==
        json::array({{{"release", id}, {"reason", "rule os_version>=12 failed: 11"}}}));
  auto offered =
      p.run_json({"release", "check", "--app", "com.example.shop", "--platform", "android",
                  "--device-id", "d1", "--os-version", "13", "--model", "Pixel 7"});
  REQUIRE(offered["offers"].size() == 1);
  check_release_shape(offered["offers"][0]);
  auto text = p.run({"release", "check", "--app", "com.example.shop", "--platform", "android",
                     "--device-id", "d1", "--os-version", "11"});
  CHECK_THAT(text.out, Catch::Contains("RELEASE") && Catch::Contains("rule os_version>=12 failed"));

  mpaas::test::write_text(p.home / "devices.csv",
                          "id,os_version,model\na,13,Pixel\nb,11,Pixel\nc,14,Galaxy Lite\n");
  auto reach = p.run_json({"release", "reach", id, "--devices", "devices.csv"});
  CHECK(reach == json{{"release", id}, {"total", 3}, {"reached", 1}, {"devices", {"a"}}});
  mpaas::test::write_text(
      p.home / "devices.ndjson",
      "{\"id\": \"a\", \"os_version\": \"13\", \"model\": \"Pixel\"}\n{\"id\": \"b\"}\n");
  reach = p.run_json({"release", "reach", id, "--devices", "devices.ndjson"});
  CHECK(reach["reached"] == 1);
  CHECK(p.refusal({"release", "reach", id, "--devices", "none.csv"}, 5) == "not-found");
  mpaas::test::write_text(p.home / "bad.csv", "model\nx\n");
  CHECK(p.refusal({"release", "reach", id, "--devices", "bad.csv"}, 3) == "invalid-input");
  // Pausing stops delivery at once.
  p.run_json({"release", "pause", id});
  reach = p.run_json({"release", "reach", id, "--devices", "devices.csv"});
  CHECK(reach["reached"] == 0);
}

TEST_CASE("the time window counts device-side checks only and never more than N",
          "[cli][platform]") {
  Platform p(each_platform());
  p.run_json({"app", "create", "com.example.shop"});
  mpaas::test::write_text(p.home / "app.apk", "apk");
  std::string id = p.run_json({"release", "upload", "app.apk", "--app", "com.example.shop",
                               "--platform", "android", "--version", "1.0.0", "--max-devices", "3",
                               "--until", "2999-01-01T00:00:00Z"})["id"];
  CHECK(p.run_json({"release", "show", id})["window"] ==
        json{{"max_devices", 3}, {"until", "2999-01-01T00:00:00Z"}, {"counted", 0}});
  CHECK(p.refusal(
            {"release", "upload", "app.apk", "--app", "com.example.shop", "--platform", "android",
             "--version", "1.0.1", "--max-devices", "3", "--until", "2000-01-01T00:00:00Z"},
            2) == "usage");
  for (int i = 0; i < 4; ++i) {
    auto simulated = p.run_json({"release", "check", "--app", "com.example.shop", "--platform",
                                 "android", "--device-id", "sim-" + std::to_string(i)});
    CHECK(simulated["offers"].size() == 1);
  }
  CHECK(p.run_json({"release", "show", id})["window"]["counted"] == 0);

  // Eight processes check in at once for eight devices: exactly three get places.
  std::vector<std::thread> threads;
  std::vector<int> offered(8, -1);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto result = p.run({"--json", "release", "check", "--count", "--app", "com.example.shop",
                           "--platform", "android", "--device-id", "device-" + std::to_string(i)});
      if (result.exit_code == 0)
        offered[i] = static_cast<int>(json::parse(result.out)["offers"].size());
    });
  }
  for (auto& thread : threads)
    thread.join();
  int got = 0;
  for (int count : offered) {
    CHECK(count >= 0);
    got += count;
  }
  CHECK(got == 3);
  CHECK(p.run_json({"release", "show", id})["window"]["counted"] == 3);
  // A counted device keeps it on its next check; a new one finds the window full.
  for (int i = 0; i < 8; ++i) {
    if (offered[i] == 1) {
      auto again =
          p.run_json({"release", "check", "--count", "--app", "com.example.shop", "--platform",
                      "android", "--device-id", "device-" + std::to_string(i)});
      CHECK(again["offers"].size() == 1);
    }
  }
  auto full = p.run_json({"release", "check", "--count", "--app", "com.example.shop", "--platform",
                          "android", "--device-id", "late"});
  CHECK(full["skipped"][0]["reason"] == "time window full (3 of 3 devices)");
  CHECK(p.run_json({"release", "show", id})["window"]["counted"] == 3);
  // Widening the window is a rollout; narrowing it is refused.
  CHECK(
      p.refusal({"release", "rollout", id, "--max-devices", "2", "--until", "2999-01-01T00:00:00Z"},
                6) == "conflict");
  CHECK(p.run_json({"release", "rollout", id, "--max-devices", "5", "--until",
                    "2999-01-01T00:00:00Z"})["window"]["max_devices"] == 5);
}

TEST_CASE("concurrent processes uploading and rolling out on one data folder lose nothing",
          "[cli][platform][concurrency]") {
  Platform p(each_platform());
  p.run_json({"app", "create", "com.example.shop"});
  constexpr int workers = 4, uploads = 2;
  for (int w = 0; w < workers; ++w) {
    for (int u = 0; u < uploads; ++u)
      mpaas::test::write_text(p.home / ("a" + std::to_string(w) + "-" + std::to_string(u) + ".apk"),
                              std::string(50000 + w * 10 + u, static_cast<char>('a' + w)));
  }
  std::vector<std::thread> threads;
  std::vector<std::string> failures(workers);
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      for (int u = 0; u < uploads; ++u) {
        auto version = std::to_string(w + 1) + "." + std::to_string(u) + ".0";
        auto upload = p.run({"--json", "release", "upload",
                             "a" + std::to_string(w) + "-" + std::to_string(u) + ".apk", "--app",
                             "com.example.shop", "--platform", "android", "--version", version});
        if (upload.exit_code != 0) {
          failures[w] += "upload " + version + ": " + upload.err;
          continue;
        }
        std::string id = json::parse(upload.out)["id"];
        for (const char* percent : {"10", "30"}) {
          auto rollout = p.run({"release", "rollout", id, "--percent", percent});
          if (rollout.exit_code != 0)
            failures[w] += "rollout: " + rollout.err;
        }
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  for (const auto& failure : failures)
    CHECK(failure == "");
  auto list = p.run_json({"release", "list", "--app", "com.example.shop"});
  CHECK(list.size() == workers * uploads);
  std::set<std::string> versions;
  for (const auto& release : list) {
    versions.insert(release["version"].get<std::string>());
    CHECK(release["percent"] == 30);
    auto history = p.run_json({"release", "history", release["id"].get<std::string>()});
    CHECK(history.size() == 3);
  }
  CHECK(versions.size() == workers * uploads);
  CHECK(regular_files(p.data() / "blobs") == workers * uploads);
  CHECK(regular_files(p.data() / "tmp") == 0);
}

TEST_CASE("an upload killed at any point leaves no release, and the next start no stray file",
          "[cli][platform][interrupt]") {
  Platform p;
  p.run_json({"app", "create", "com.example.shop"});
  // Large enough that the copy, sync and verification take a while.
  std::string big(48 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4096)
    big[i] = static_cast<char>(i / 4096);
  mpaas::test::write_text(p.home / "big.apk", big);
  int created = 0;
  for (int delay_ms : {0, 50, 150, 400, 1000}) {
    for (int signal_number : {SIGKILL, SIGINT}) {
      // The child is a copy of this test process until it execs: keep Catch's signal
      // handlers out of it (block, reset to default, unblock), so a signal that lands before
      // the exec simply ends it.
      sigset_t blocked, previous;
      sigemptyset(&blocked);
      sigaddset(&blocked, signal_number == SIGKILL ? SIGINT : signal_number);
      sigprocmask(SIG_BLOCK, &blocked, &previous);
      pid_t child = fork();
      if (child == 0) {
        signal(SIGINT, SIG_DFL);
        sigprocmask(SIG_SETMASK, &previous, nullptr);
        // The environment of run_mpaas: the home's XDG folders.
        setenv("HOME", p.home.path().c_str(), 1);
        setenv("XDG_DATA_HOME", (p.home / ".local/share").c_str(), 1);
        setenv("XDG_CONFIG_HOME", (p.home / ".config").c_str(), 1);
        if (chdir(p.home.path().c_str()) != 0)
          _exit(99);
        int null_fd = open("/dev/null", O_WRONLY);
        dup2(null_fd, 1);
        dup2(null_fd, 2);
        auto version = "1." + std::to_string(delay_ms) + "." + std::to_string(signal_number);
        execl(mpaas::test::mpaas_binary().c_str(), "mpaas", "release", "upload", "big.apk", "--app",
              "com.example.shop", "--platform", "android", "--version", version.c_str(),
              static_cast<char*>(nullptr));
        _exit(98);
      }
      sigprocmask(SIG_SETMASK, &previous, nullptr);
      REQUIRE(child > 0);
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      kill(child, signal_number);
      int status = 0;
      waitpid(child, &status, 0);
      // Whatever happened, the store is consistent: the release exists whole or not at all
      // (a kill after the commit may still leave it), no temp file is left after the next
      // start, and no blob without a release.
      auto list = p.run_json({"release", "list", "--app", "com.example.shop"});
      auto now_created = static_cast<int>(list.size());
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        CHECK(now_created == created + 1);
      else
        CHECK((now_created == created || now_created == created + 1));
      created = now_created;
      CHECK(regular_files(p.data() / "tmp") == 0);
      CHECK(regular_files(p.data() / "blobs") == (created > 0 ? 1u : 0u));
    }
  }
  // Each surviving release is whole: its artifact downloads and verifies.
  for (const auto& release : p.run_json({"release", "list", "--app", "com.example.shop"})) {
    auto got = p.run({"release", "download", release["id"].get<std::string>(), "-o", "got.apk"});
    CHECK(got.exit_code == 0);
  }
}

TEST_CASE("analytics ingest, query and compare print the same served as embedded",
          "[cli][platform][analytics]") {
  auto line = [](const std::string& id, const std::string& device, const std::string& time,
                 const std::string& name, const std::string& version) {
    return R"({"time":")" + time + R"(","event_id":")" + id + R"(","device_id":")" + device +
           R"(","event":")" + name + R"(","app_version":")" + version + "\"}\n";
  };
  std::string ndjson;
  for (int d = 0; d < 60; ++d) {
    std::string device = "d" + std::to_string(d), version = d < 30 ? "2.3.0" : "2.3.1";
    ndjson += line("l" + std::to_string(d), device, "2026-03-02T10:00:00Z", "launch", version);
    ndjson += line("v" + std::to_string(d), device, "2026-03-02T10:01:00Z", "page_view", version);
    if (d % 7 == 0 || d > 50)
      ndjson += line("c" + std::to_string(d), device, "2026-03-02T10:05:00Z", "crash", version);
    if (d % 3 == 0)
      ndjson += line("r" + std::to_string(d), device, "2026-03-03T23:30:00Z", "launch", version);
  }
  ndjson += "{\"time\":\"later\"}\n";
  std::string csv =
      "time,event_id,device_id,event,app_version,region\n"
      "2026-03-04T09:00:00Z,x1,d1,launch,2.3.1,eu\n"
      "2026-03-04T09:00:00Z,l1,d1,launch,2.3.0,eu\n"
      "2026-03-04T09:10:00Z,x2,d2,purchase,2.3.1,us\n"
      "not,a,row\n";
  const std::string app = "com.example.shop";
  // Every command's exit code and stdout, in order, and whether stderr named the bad lines.
  auto scenario = [&](Platform& p) {
    mpaas::test::write_text(p.home / "day1.ndjson", ndjson);
    mpaas::test::write_text(p.home / "day2.csv", csv);
    mpaas::test::write_text(p.home / "bad.ndjson",
                            line("z1", "d9", "2026-03-05T10:00:00Z", "launch", "2.3.1") + "oops\n");
    std::vector<std::string> seen;
    auto record = [&](std::vector<std::string> arguments) {
      auto result = p.run(arguments);
      seen.push_back(std::to_string(result.exit_code) + "\n" + result.out);
      return result;
    };
    REQUIRE(p.run({"app", "create", app}).exit_code == 0);
    auto first = record({"--json", "analytics", "ingest", "day1.ndjson", "--app", app});
    CHECK(first.err.find(
              "day1.ndjson:" + std::to_string(std::count(ndjson.begin(), ndjson.end(), '\n')) +
              ": bad time 'later'") != std::string::npos);
    auto second = record({"--json", "analytics", "ingest", "day2.csv", "--app", app});
    CHECK(second.err.find("day2.csv:5:") != std::string::npos);
    // The same file again on stdin: every event a duplicate.
    auto again = p.run({"--json", "analytics", "ingest", "-", "--app", app}, ndjson);
    seen.push_back(std::to_string(again.exit_code) + "\n" + again.out);
    auto strict = record({"--json", "analytics", "ingest", "bad.ndjson", "--app", app, "--strict"});
    CHECK(strict.exit_code == 3);
    seen.push_back(strict.err);
    std::vector<std::string> range = {"--app", app, "--from", "2026-03-02", "--to", "2026-03-05"};
    auto query = [&](std::vector<std::string> metric, std::vector<std::string> extra) {
      std::vector<std::string> arguments = {"analytics", "query"};
      arguments.insert(arguments.end(), metric.begin(), metric.end());
      arguments.insert(arguments.end(), range.begin(), range.end());
      arguments.insert(arguments.end(), extra.begin(), extra.end());
      auto result = record(arguments);
      CHECK(result.exit_code == 0);
    };
    query({"active-devices"}, {"--json"});
    query({"active-devices"}, {"--csv", "--tz", "Europe/Berlin", "--group-by", "app_version"});
    query({"crash-free"}, {"--json", "--where", "app_version=2.3.1"});
    query({"crash-free"}, {});
    query({"event", "launch"}, {"--csv", "--where", "region=eu", "--where", "region=us"});
    query({"retention"}, {"--csv"});
    query({"retention"}, {"--json", "--tz", "Asia/Shanghai"});
    query({"funnel", "launch", "page_view", "crash"}, {"--csv", "--window", "30m"});
    query({"new-devices"}, {"--json", "--interval", "week"});
    std::vector<std::string> compare = {"analytics", "compare",    "--app",     app,
                                        "--version", "2.3.0",      "--version", "2.3.1",
                                        "--from",    "2026-03-01", "--to",      "2026-03-09"};
    CHECK(record(compare).exit_code == 0);
    compare.insert(compare.begin(), "--json");
    CHECK(record(compare).exit_code == 0);
    auto refused = record({"--json", "analytics", "query", "launches", "--app", "com.example.none",
                           "--from", "2026-03-02", "--to", "2026-03-03"});
    CHECK(refused.exit_code == 5);
    return seen;
  };
  Platform embedded(Where::embedded);
  auto here = scenario(embedded);
  Platform served(Where::served);
  auto there = scenario(served);
  REQUIRE(here.size() == there.size());
  for (size_t i = 0; i < here.size(); ++i) {
    INFO("output " << i);
    CHECK(there[i] == here[i]);
  }
  CHECK(json::parse(here[0].substr(2))["ingested"].get<int>() > 0);
}
