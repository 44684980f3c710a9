// The platform client against a real `mpaas serve` when things go wrong: an upload killed
// halfway resumes, a server killed mid-rollout loses no acknowledged change, and fifty
// clients at once lose nothing. (The release scenarios themselves run on both platforms
// in platform_test.cpp.)
#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "background.hpp"
#include "gated_proxy.hpp"
#include "process.hpp"
#include "served.hpp"
#include "temp_dir.hpp"

using mpaas::test::RunOptions;
using mpaas::test::RunResult;
using mpaas::test::ServedPlatform;
using mpaas::test::TempDir;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

RunResult client(const TempDir& home, const ServedPlatform& server,
                 const std::vector<std::string>& arguments) {
  return mpaas::test::run_mpaas(arguments, home.path(),
                                RunOptions{home.path(), server.client_environment(), ""});
}

json client_json(const TempDir& home, const ServedPlatform& server,
                 std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), "--json");
  auto result = client(home, server, arguments);
  INFO(arguments[1] << " " << arguments[2] << ": " << result.err);
  REQUIRE(result.exit_code == 0);
  return json::parse(result.out);
}

// The largest file in the server's unfinished-uploads folder (0 when there is none).
uintmax_t largest_upload(const fs::path& home) {
  uintmax_t largest = 0;
  std::error_code error;
  for (const auto& entry :
       fs::directory_iterator(home / ".local/share/mpaas/platform/uploads", error)) {
    if (entry.is_regular_file(error))
      largest = std::max(largest, entry.file_size(error));
  }
  return largest;
}

std::string patterned(size_t size) {
  std::string bytes(size, '\0');
  uint32_t state = 12345;
  for (auto& byte : bytes) {
    state = state * 1103515245u + 12345u;
    byte = static_cast<char>(state >> 24);
  }
  return bytes;
}

}  // namespace

TEST_CASE("an upload killed halfway resumes from the server's offset and yields the same blob",
          "[cli][remote]") {
  TempDir home;
  ServedPlatform server(home.path());
  client_json(home, server, {"app", "create", "com.example.shop"});
  // Four chunks of the client's 16 MiB (HttpPlatformOptions::chunk_size).
  constexpr size_t chunk = 16u << 20;
  constexpr size_t size = 4 * chunk;
  auto bytes = patterned(size);
  mpaas::test::write_text(home / "big.apk", bytes);
  // An absolute path: the background process runs in the test's folder, not the home.
  std::vector<std::string> upload = {"release", "upload",           (home / "big.apk").string(),
                                     "--app",   "com.example.shop", "--platform",
                                     "android", "--version",        "2.0.0"};

  // The client reaches the server through a proxy that lets the first chunk and half of the
  // second through, then holds: the kill lands mid-upload on any machine, however fast.
  mpaas::test::GatedProxy proxy(server.port(), chunk + chunk / 2);
  auto through_proxy = server.client_environment();
  through_proxy["MPAAS_ENDPOINT"] = "http://127.0.0.1:" + std::to_string(proxy.port());
  auto env = mpaas::test::mpaas_environment(home.path());
  for (const auto& [name, value] : through_proxy)
    env[name] = value;
  mpaas::test::BackgroundProcess first(mpaas::test::mpaas_binary(), upload, env,
                                       home / "first.log");
  bool holding = proxy.wait_until_holding(std::chrono::seconds(60));
  first.stop(SIGKILL, std::chrono::seconds(10));
  // The server sees the connection cut. The half chunk came with a checksum it cannot be
  // checked against, so it goes; the first chunk, acknowledged, stays.
  auto settled = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  uintmax_t held = largest_upload(home.path());
  while (held != chunk && std::chrono::steady_clock::now() < settled) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    held = largest_upload(home.path());
  }
  INFO("forwarded: " << proxy.forwarded() << "; held at the kill: " << held
                     << "; the client said: " << first.stderr_text()
                     << "; the server said: " << server.process().stderr_text());
  REQUIRE(holding);
  REQUIRE(held == chunk);
  CHECK(client_json(home, server, {"release", "list", "--app", "com.example.shop"}).empty());

  // The same command again continues the same upload: no second creation.
  proxy.open();
  auto log_before = server.process().stderr_text();
  upload.insert(upload.begin(), "--json");
  auto rerun =
      mpaas::test::run_mpaas(upload, home.path(), RunOptions{home.path(), through_proxy, ""});
  INFO("the second run said: " << rerun.err);
  REQUIRE(rerun.exit_code == 0);
  auto release = json::parse(rerun.out);
  auto log = server.process().stderr_text().substr(log_before.size());
  CHECK(log.find("HEAD /v1/uploads/") != std::string::npos);
  CHECK(log.find("POST /v1/uploads ") == std::string::npos);
  CHECK(release["size"] == size);

  auto id = release["id"].get<std::string>();
  auto got = client(home, server, {"release", "download", id, "-o", "got.apk"});
  REQUIRE(got.exit_code == 0);
  CHECK(mpaas::test::read_text(home / "got.apk") == bytes);
  CHECK(largest_upload(home.path()) == 0);
}

TEST_CASE("a server killed with SIGKILL and restarted mid-rollout loses no acknowledged change",
          "[cli][remote]") {
  TempDir home;
  auto server = std::make_unique<ServedPlatform>(home.path());
  int port = server->port();
  client_json(home, *server, {"app", "create", "com.example.shop"});
  mpaas::test::write_text(home / "app.apk", "apk");
  std::string id =
      client_json(home, *server,
                  {"release", "upload", "app.apk", "--app", "com.example.shop", "--platform",
                   "android", "--version", "1.0.0", "--percent", "1"})["id"];
  auto environment = server->client_environment();

  // A rollout script raises the percentage step by step while the server dies and comes back.
  std::vector<int> acknowledged;
  std::atomic<bool> done{false};
  std::thread rollout([&] {
    for (int percent = 2; percent <= 12; ++percent) {
      auto result =
          mpaas::test::run_mpaas({"release", "rollout", id, "--percent", std::to_string(percent)},
                                 home.path(), RunOptions{home.path(), environment, ""});
      if (result.exit_code == 0)
        acknowledged.push_back(percent);
    }
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  CHECK(server->process().stop(SIGKILL, std::chrono::seconds(10)) == 128 + SIGKILL);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  server = std::make_unique<ServedPlatform>(home.path(), std::vector<std::string>{}, port);
  rollout.join();
  REQUIRE(done);
  INFO("acknowledged: " << acknowledged.size());
  REQUIRE(!acknowledged.empty());

  // Every acknowledged percentage is in the history, and the release ends at the last one
  // or later (a change the server made but could not acknowledge may follow it).
  auto history = client_json(home, *server, {"release", "history", id});
  std::set<std::string> recorded;
  for (const auto& change : history)
    recorded.insert(change["new"].get<std::string>());
  for (int percent : acknowledged)
    CHECK(recorded.count(std::to_string(percent)) == 1);
  auto shown = client_json(home, *server, {"release", "show", id});
  CHECK(shown["percent"].get<double>() >= acknowledged.back());
}

TEST_CASE("fifty clients creating releases at once lose nothing", "[cli][remote]") {
  TempDir home;
  ServedPlatform server(home.path());
  client_json(home, server, {"app", "create", "com.example.shop"});
  constexpr int clients = 50;
  for (int i = 0; i < clients; ++i)
    mpaas::test::write_text(home / ("a" + std::to_string(i) + ".apk"), patterned(1000 + i));
  std::vector<std::thread> threads;
  std::vector<std::string> failures(clients);
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      auto result = client(home, server,
                           {"release", "upload", "a" + std::to_string(i) + ".apk", "--app",
                            "com.example.shop", "--platform", "android", "--version",
                            "1." + std::to_string(i) + ".0", "--percent", "5"});
      if (result.exit_code != 0)
        failures[static_cast<size_t>(i)] = result.err;
    });
  }
  for (auto& thread : threads)
    thread.join();
  for (const auto& failure : failures)
    CHECK(failure == "");
  auto list = client_json(home, server, {"release", "list", "--app", "com.example.shop"});
  CHECK(list.size() == clients);
  std::set<uint64_t> sizes;
  for (const auto& release : list)
    sizes.insert(release["size"].get<uint64_t>());
  CHECK(sizes.size() == clients);
}
