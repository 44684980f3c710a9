// The embedded platform in-process: apps, uploads into the blob folder, the lifecycle and its
// refusals, history, whitelists, update checks, the time window, and data safety (stale temp
// files, interrupted uploads).
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <set>

#include "error_kind.hpp"
#include "mpaas/core/clock.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/core/interrupt.hpp"
#include "mpaas/core/sha256.hpp"
#include "mpaas/platform/local.hpp"
#include "temp_dir.hpp"

using namespace mpaas;
using namespace mpaas::platform;
using mpaas::test::kind_of_error;
using mpaas::test::TempDir;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  TempDir home;
  FakeClock clock;
  fs::path folder = home / "platform";
  std::unique_ptr<Platform> store;

  Fixture() {
    clock.set(std::chrono::system_clock::time_point(std::chrono::seconds(1750000000)));
    store = open_local_platform(folder, "tester", clock);
    store->create_app("com.example.shop", "Shop");
  }

  fs::path artifact(const std::string& name, const std::string& content) {
    auto path = home / name;
    test::write_text(path, content);
    return path;
  }

  Release upload(const std::string& version, const std::string& content, BasisPoints percent = 0,
                 const std::string& platform_name = "android") {
    UploadRequest request;
    request.file = artifact("app-" + version + ".apk", content);
    request.app = "com.example.shop";
    request.platform = platform_name;
    request.version = version;
    request.percent = percent;
    NullProgress progress;
    return store->upload(request, progress);
  }

  void reopen() {
    store.reset();
    store = open_local_platform(folder, "tester", clock);
  }
};

size_t files_under(const fs::path& folder) {
  size_t count = 0;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    if (entry.is_regular_file())
      ++count;
  }
  return count;
}

std::string bytes_of(const fs::path& path) {
  return test::read_text(path);
}

LifecycleChange action(LifecycleChange::Action what) {
  LifecycleChange change;
  change.action = what;
  return change;
}

LifecycleChange rollout(BasisPoints percent) {
  LifecycleChange change;
  change.action = LifecycleChange::Action::rollout;
  change.percent = percent;
  return change;
}

}  // namespace

TEST_CASE("apps are created, listed, shown and deleted", "[platform][local]") {
  Fixture f;
  CHECK(kind_of_error([&] { f.store->create_app("com.example.shop", ""); }) == ErrorKind::conflict);
  CHECK(kind_of_error([&] { f.store->create_app("bad id", ""); }) == ErrorKind::usage);
  auto other = f.store->create_app("com.example.other", "");
  CHECK(other.name == "com.example.other");
  auto list = f.store->list_apps();
  REQUIRE(list.apps.size() == 2);
  CHECK(list.apps[0].id == "com.example.other");
  CHECK(to_json(list)[1]["name"] == "Shop");
  f.upload("1.0.0", "apk bytes");
  CHECK(f.store->show_app("com.example.shop").releases == 1);
  CHECK(kind_of_error([&] { f.store->show_app("com.example.none"); }) == ErrorKind::not_found);
  auto deleted = f.store->delete_app("com.example.shop");
  CHECK(deleted.releases_deleted == 1);
  CHECK(files_under(f.folder / "blobs") == 0);  // its artifact went with it
  CHECK(kind_of_error([&] { f.store->show_app("com.example.shop"); }) == ErrorKind::not_found);
}

TEST_CASE("an upload stores a verified blob and creates a gray release", "[platform][local]") {
  Fixture f;
  auto release = f.upload("1.2.0", "the apk", 1250);
  CHECK(is_release_id(release.id));
  CHECK(release.state == ReleaseState::gray);
  CHECK(release.percent == 1250);
  CHECK(release.kind == "native");
  CHECK(release.sha256 == to_hex(sha256_of("the apk")));
  CHECK(release.size == 7);
  auto blob = f.folder / "blobs" / release.sha256.substr(0, 2) / release.sha256;
  CHECK(bytes_of(blob) == "the apk");
  CHECK(files_under(f.folder / "tmp") == 0);
  auto json = to_json(release);
  for (const char* key : {"id", "app", "platform", "version", "kind", "state", "percent", "sha256",
                          "size", "created_at"})
    CHECK(json.contains(key));
  CHECK(json["percent"] == 12.5);
  CHECK(json["state"] == "gray");
  // Found by id and by APP/PLATFORM/VERSION.
  CHECK(f.store->show_release(release.id).version == "1.2.0");
  CHECK(f.store->show_release("com.example.shop/android/1.2.0").id == release.id);
  CHECK(kind_of_error([&] { f.store->show_release("rel_aaaaaaaaaaaa"); }) == ErrorKind::not_found);
  CHECK(kind_of_error([&] { f.store->show_release("nonsense"); }) == ErrorKind::usage);
  // Download verifies, and refuses a blob that changed on disk.
  NullProgress progress;
  auto got = f.store->download(release.id, f.home / "got.apk", progress);
  CHECK(bytes_of(f.home / "got.apk") == "the apk");
  CHECK(got.sha256 == release.sha256);
  fs::permissions(blob, fs::perms::owner_write, fs::perm_options::add);
  test::write_text(blob, "tampered");
  CHECK(kind_of_error([&] { f.store->download(release.id, f.home / "bad.apk", progress); }) ==
        ErrorKind::verification);
  CHECK_FALSE(fs::exists(f.home / "bad.apk"));
}

TEST_CASE("an artifact is opened for reading by id or APP/PLATFORM/VERSION", "[platform][local]") {
  Fixture f;
  auto release = f.upload("1.0.0", "the artifact bytes");
  auto artifact = f.store->open_artifact("com.example.shop/android/1.0.0");
  CHECK(artifact.release.id == release.id);
  std::string bytes((std::istreambuf_iterator<char>(*artifact.bytes)),
                    std::istreambuf_iterator<char>());
  CHECK(bytes == "the artifact bytes");
  CHECK(kind_of_error([&] { f.store->open_artifact("rel_aaaaaaaaaaaa"); }) == ErrorKind::not_found);
}

TEST_CASE("an upload needs an existing app and valid fields", "[platform][local]") {
  Fixture f;
  UploadRequest request;
  request.file = f.artifact("a.apk", "x");
  request.app = "com.example.none";
  request.platform = "android";
  request.version = "1.0";
  NullProgress progress;
  CHECK(kind_of_error([&] { f.store->upload(request, progress); }) == ErrorKind::not_found);
  request.app = "com.example.shop";
  request.version = "1.x";
  CHECK(kind_of_error([&] { f.store->upload(request, progress); }) == ErrorKind::usage);
  request.version = "1.0";
  request.rules = {"os_version>>12"};
  CHECK(kind_of_error([&] { f.store->upload(request, progress); }) == ErrorKind::invalid_input);
  request.rules = {};
  request.file = f.home / "missing.apk";
  CHECK(kind_of_error([&] { f.store->upload(request, progress); }) == ErrorKind::not_found);
  request.file = f.home.path();  // a folder
  CHECK(kind_of_error([&] { f.store->upload(request, progress); }) == ErrorKind::invalid_input);
  CHECK(f.store->show_app("com.example.shop").releases == 0);
  CHECK(files_under(f.folder / "blobs") == 0);
}

TEST_CASE("the same version twice is a conflict unless if-absent with the same artifact",
          "[platform][local]") {
  Fixture f;
  auto first = f.upload("1.0.0", "one");
  CHECK(kind_of_error([&] { f.upload("1.0.0", "one"); }) == ErrorKind::conflict);
  UploadRequest request;
  request.file = f.artifact("again.apk", "one");
  request.app = "com.example.shop";
  request.platform = "android";
  request.version = "1.0.0";
  request.if_absent = true;
  NullProgress progress;
  auto again = f.store->upload(request, progress);
  CHECK(again.id == first.id);
  CHECK(f.store->history(first.id).changes.size() == 1);
  request.file = f.artifact("other.apk", "two");
  CHECK(kind_of_error([&] { f.store->upload(request, progress); }) == ErrorKind::conflict);
  // The refused artifact left no blob behind; the same version on another platform is fine.
  CHECK(files_under(f.folder / "blobs") == 1);
  CHECK(files_under(f.folder / "tmp") == 0);
  f.upload("1.0.0", "one", 0, "ios");
  CHECK(files_under(f.folder / "blobs") == 1);  // content-addressed: stored once
}

TEST_CASE("lifecycle transitions, refusals that change nothing, and the history",
          "[platform][local]") {
  Fixture f;
  auto release = f.upload("1.0.0", "x", 1000);
  auto id = release.id;
  CHECK(f.store->change(id, rollout(5000)).percent == 5000);
  // Lowering the percentage is refused and changes nothing.
  CHECK(kind_of_error([&] { f.store->change(id, rollout(2000)); }) == ErrorKind::conflict);
  CHECK(f.store->show_release(id).percent == 5000);
  CHECK(kind_of_error([&] { f.store->change(id, action(LifecycleChange::Action::resume)); }) ==
        ErrorKind::conflict);
  CHECK(f.store->change(id, action(LifecycleChange::Action::pause)).state == ReleaseState::paused);
  CHECK(kind_of_error([&] { f.store->change(id, action(LifecycleChange::Action::pause)); }) ==
        ErrorKind::conflict);
  CHECK(kind_of_error([&] { f.store->change(id, rollout(6000)); }) == ErrorKind::conflict);
  CHECK(f.store->change(id, action(LifecycleChange::Action::resume)).state == ReleaseState::gray);
  auto finished = f.store->change(id, action(LifecycleChange::Action::finish));
  CHECK(finished.state == ReleaseState::released);
  CHECK(finished.percent == 10000);
  CHECK(kind_of_error([&] { f.store->change(id, action(LifecycleChange::Action::resume)); }) ==
        ErrorKind::conflict);
  CHECK(f.store->change(id, action(LifecycleChange::Action::rollback)).state ==
        ReleaseState::rolled_back);
  for (auto what : {LifecycleChange::Action::rollout, LifecycleChange::Action::pause,
                    LifecycleChange::Action::resume, LifecycleChange::Action::finish,
                    LifecycleChange::Action::rollback}) {
    auto change = action(what);
    change.percent = 10000;
    CHECK(kind_of_error([&] { f.store->change(id, change); }) == ErrorKind::conflict);
  }
  CHECK(kind_of_error([&] { f.store->whitelist_add(id, {"d1"}); }) == ErrorKind::conflict);
  CHECK(f.store->show_release(id).state == ReleaseState::rolled_back);

  auto history = f.store->history(id);
  std::vector<std::string> lines;
  for (const auto& change : history.changes)
    lines.push_back(change.what + ":" + change.old_value + "->" + change.new_value);
  CHECK(lines == std::vector<std::string>{"created:->gray at 10%", "percent:10->50",
                                          "state:gray->paused", "state:paused->gray",
                                          "state:gray->released", "percent:50->100",
                                          "state:released->rolled-back"});
  CHECK(history.changes[0].by == "tester");
  auto json = to_json(history);
  CHECK(json[0]["old"].is_null());
  CHECK(json[1]["new"] == "50");
}

TEST_CASE("a draft reaches no one until its rollout starts", "[platform][local]") {
  Fixture f;
  UploadRequest request;
  request.file = f.artifact("a.apk", "x");
  request.app = "com.example.shop";
  request.platform = "android";
  request.version = "2.0.0";
  request.draft = true;
  request.percent = 10000;
  NullProgress progress;
  auto draft = f.store->upload(request, progress);
  CHECK(draft.state == ReleaseState::draft);
  CheckRequest check{"com.example.shop", "android", Device{"d1", "", "", "", "", ""}, false};
  CHECK(f.store->check(check).offers.empty());
  f.store->change(draft.id, rollout(10000));
  CHECK(f.store->check(check).offers.size() == 1);
}

TEST_CASE("whitelists take many ids in one transaction and count each once", "[platform][local]") {
  Fixture f;
  auto release = f.upload("1.0.0", "x");
  std::vector<std::string> ids;
  for (int i = 0; i < 100000; ++i)
    ids.push_back("device-" + std::to_string(i));
  auto added = f.store->whitelist_add(release.id, ids);
  CHECK(added.changed == 100000);
  CHECK(added.total == 100000);
  auto again = f.store->whitelist_add(release.id, {"device-1", "device-new"});
  CHECK(again.changed == 1);
  CHECK(again.total == 100001);
  auto removed = f.store->whitelist_remove(release.id, {"device-1", "device-unknown"});
  CHECK(removed.changed == 1);
  CHECK(removed.total == 100000);
  CHECK(f.store->show_release(release.id).whitelist == 100000);
  CHECK(f.store->whitelist_list(release.id).devices.size() == 100000);
  CHECK(kind_of_error([&] { f.store->whitelist_add(release.id, {"bad id"}); }) ==
        ErrorKind::invalid_input);
}

TEST_CASE("every check keeps the newest offered release of a kind, whatever came before it",
          "[platform][local]") {
  Fixture f;
  // Natives made out of version order, hot-fixes beside them: each native group keeps its
  // newest offered one; every offered hot-fix is kept.
  struct Made {
    std::string version, kind;
    BasisPoints percent;
  };
  std::vector<Release> releases;
  NullProgress progress;
  for (const auto& made : std::vector<Made>{{"1.0.0", "native", 10000},
                                            {"1.2.0", "native", 5000},
                                            {"1.1.0", "native", 10000},
                                            {"1.3.0", "native", 2000},
                                            {"1.0.1", "hotfix", 10000},
                                            {"1.0.2", "hotfix", 5000}}) {
    UploadRequest request;
    request.file = f.artifact(made.kind + made.version, made.kind + made.version);
    request.app = "com.example.shop";
    request.platform = "android";
    request.version = made.version;
    request.kind = made.kind;
    request.percent = made.percent;
    releases.push_back(f.store->upload(request, progress));
  }
  // What each device should get, from the release-by-release decisions.
  auto expected = [&](const std::string& device_id) {
    std::map<std::string, std::string> reasons;  // release -> "" when offered
    const Release* newest = nullptr;
    for (const auto& release : releases) {
      auto decision =
          decide_now(release, {}, false, false, 0, 0, Device{device_id, "", "", "", "", ""});
      reasons[release.id] = decision.offered ? "" : decision.reason;
      if (decision.offered && release.kind == "native" &&
          (!newest || compare_versions(release.version, newest->version, "v") > 0))
        newest = &release;
    }
    for (const auto& release : releases) {
      if (release.kind == "native" && reasons[release.id].empty() && &release != newest)
        reasons[release.id] = "superseded by " + newest->id + " (" + newest->version + ")";
    }
    return reasons;
  };
  auto checked = [&](const std::string& device_id) {
    auto result = f.store->check(
        CheckRequest{"com.example.shop", "android", Device{device_id, "", "", "", "", ""}, false});
    std::map<std::string, std::string> reasons;
    for (const auto& offer : result.offers)
      reasons[offer->id] = "";
    for (const auto& skip : result.skipped)
      reasons[skip.release] = skip.reason;
    CHECK(result.decisions.size() == releases.size());
    return reasons;
  };
  // Devices one after another on the same platform: each check reuses the last one's
  // storage, and none may show another's reasons.
  std::set<std::string> newest_seen;
  for (int round = 0; round < 2; ++round) {
    for (int d = 0; d < 60; ++d) {
      auto id = "device-" + std::to_string(d);
      INFO(id << " round " << round);
      auto got = checked(id);
      CHECK(got == expected(id));
      for (const auto& [release, reason] : got) {
        if (reason.empty())
          newest_seen.insert(release);
      }
    }
  }
  // Both halves of the 50% and 20% releases were met, so every path above was taken.
  CHECK(newest_seen.count(releases[1].id) == 1);
  CHECK(newest_seen.count(releases[3].id) == 1);
  CHECK(newest_seen.count(releases[5].id) == 1);
}

TEST_CASE("a check offers the newest applicable release and says why others are skipped",
          "[platform][local]") {
  Fixture f;
  auto old_release = f.upload("1.0.0", "old", 10000);
  UploadRequest request;
  request.file = f.artifact("new.apk", "new");
  request.app = "com.example.shop";
  request.platform = "android";
  request.version = "1.10.0";
  request.percent = 0;
  request.rules = {"os_version>=12"};
  NullProgress progress;
  auto newer = f.store->upload(request, progress);
  f.store->whitelist_add(newer.id, {"tester-1"});
  request.file = f.artifact("paused.apk", "paused");
  request.version = "1.9.0";
  request.rules = {};
  request.percent = 10000;
  auto paused = f.store->upload(request, progress);
  f.store->change(paused.id, action(LifecycleChange::Action::pause));

  CheckRequest check{"com.example.shop", "android", Device{"tester-1", "", "11", "", "", ""},
                     false};
  auto result = f.store->check(check);
  REQUIRE(result.offers.size() == 1);
  CHECK(result.offers[0]->id == newer.id);  // whitelisted beats the rule
  REQUIRE(result.skipped.size() == 2);
  std::map<std::string, std::string> reasons;
  for (const auto& skip : result.skipped)
    reasons[skip.release] = skip.reason;
  CHECK(reasons[old_release.id] == "superseded by " + newer.id + " (1.10.0)");
  CHECK(reasons[paused.id] == "paused");

  check.device.id = "someone";
  result = f.store->check(check);
  REQUIRE(result.offers.size() == 1);
  CHECK(result.offers[0]->id == old_release.id);
  reasons.clear();
  for (const auto& skip : result.skipped)
    reasons[skip.release] = skip.reason;
  CHECK(reasons[newer.id] == "rule os_version>=12 failed: 11");
  auto json = to_json(result);
  CHECK(json["device"]["id"] == "someone");
  CHECK(json["offers"].is_array());
  CHECK(json["skipped"][0].contains("reason"));
  // Other platforms and unknown apps.
  check.platform = "ios";
  CHECK(f.store->check(check).offers.empty());
  check.app = "com.example.none";
  CHECK(kind_of_error([&] { f.store->check(check); }) == ErrorKind::not_found);
}

TEST_CASE("the time window gives the first N distinct devices a place, counted checks only",
          "[platform][local]") {
  Fixture f;
  UploadRequest request;
  request.file = f.artifact("w.apk", "w");
  request.app = "com.example.shop";
  request.platform = "android";
  request.version = "3.0.0";
  request.window = TimeWindow{2, 1750000000 + 3600, 0};
  NullProgress progress;
  auto release = f.store->upload(request, progress);
  REQUIRE(release.window);
  auto check_for = [&](const std::string& device, bool count) {
    CheckRequest check{"com.example.shop", "android", Device{device, "", "", "", "", ""}, count};
    return f.store->check(check);
  };
  // A simulation offers a free place without taking it.
  for (int i = 0; i < 5; ++i)
    CHECK(check_for("sim-" + std::to_string(i), false).offers.size() == 1);
  CHECK(f.store->show_release(release.id).window->counted == 0);
  CHECK(check_for("a", true).offers.size() == 1);
  CHECK(check_for("a", true).offers.size() == 1);  // counted once, keeps it
  CHECK(f.store->show_release(release.id).window->counted == 1);
  CHECK(check_for("b", true).offers.size() == 1);
  auto full = check_for("c", true);
  CHECK(full.offers.empty());
  CHECK(full.skipped[0].reason == "time window full (2 of 2 devices)");
  CHECK(check_for("c", false).offers.empty());
  CHECK(check_for("b", false).offers.size() == 1);
  CHECK(f.store->show_release(release.id).window->counted == 2);
  // After the end no new device gets in; counted ones keep it.
  f.clock.advance(std::chrono::hours(2));
  CHECK(check_for("d", true).skipped[0].reason.rfind("time window closed at", 0) == 0);
  CHECK(check_for("a", true).offers.size() == 1);
  // Pause stops delivery at once, counted or not.
  f.store->change(release.id, action(LifecycleChange::Action::pause));
  CHECK(check_for("a", true).offers.empty());
}

TEST_CASE("reach decides a CSV or NDJSON device list in one pass", "[platform][local]") {
  Fixture f;
  auto release = f.upload("1.0.0", "x", 5000);
  f.store->whitelist_add(release.id, {"vip"});
  f.store->change(release.id, action(LifecycleChange::Action::pause));
  f.store->change(release.id, action(LifecycleChange::Action::resume));
  auto gate = f.store->gate(release.id);
  std::string csv = "id,os_version,model\nvip,10,Pixel\n";
  size_t expected = 1;
  for (int i = 0; i < 1000; ++i) {
    auto id = "device-" + std::to_string(i);
    csv += id + ",13,\"Pixel, 7\"\n";
    if (bucket(release.id, id) < 5000)
      ++expected;
  }
  std::istringstream csv_in(csv);
  auto result = reach(gate, csv_in, "devices.csv");
  CHECK(result.total == 1001);
  CHECK(result.reached == expected);
  CHECK(result.devices[0] == "vip");
  std::istringstream ndjson_in("{\"id\": \"vip\"}\n\n{\"device_id\": \"x\", \"os_version\": 12}\n");
  auto from_json = reach(gate, ndjson_in, "devices.ndjson");
  CHECK(from_json.total == 2);
  std::istringstream bad("os_version\n12\n");
  CHECK(kind_of_error([&] { reach(gate, bad, "bad.csv"); }) == ErrorKind::invalid_input);
  std::istringstream short_row("id,model\nx\n");
  CHECK(kind_of_error([&] { reach(gate, short_row, "bad.csv"); }) == ErrorKind::invalid_input);
}

TEST_CASE("id lists skip blanks and comments and refuse bad ids with their line", "[platform]") {
  std::istringstream in("# testers\n\n  device-1  \ndevice-2\r\n");
  CHECK(read_id_list(in, "ids.txt") == std::vector<std::string>{"device-1", "device-2"});
  std::istringstream bad("ok\nnot ok\n");
  try {
    read_id_list(bad, "ids.txt");
    FAIL("accepted");
  } catch (const Error& error) {
    CHECK(std::string(error.what()).find("at line 2 (ids.txt)") != std::string::npos);
  }
}

TEST_CASE("times are RFC 3339 and release ids readable base32", "[platform]") {
  CHECK(parse_time("2025-07-01T12:00:00Z", "until") == 1751371200);
  CHECK(parse_time("2025-07-01T20:00:00+08:00", "until") == 1751371200);
  CHECK(format_time(1751371200) == "2025-07-01T12:00:00Z");
  for (const char* bad : {"2025-07-01", "2025-13-01T00:00:00Z", "2025-07-01T12:00:00",
                          "2025-07-01T12:00:00.5Z", "tomorrow"}) {
    CHECK_THROWS_AS(parse_time(bad, "until"), Error);
  }
  auto id = new_release_id();
  CHECK(is_release_id(id));
  CHECK(id != new_release_id());
  CHECK_FALSE(is_release_id("rel_ABCDEFGHIJKL"));
  CHECK_FALSE(is_release_id("rel_abc"));
}

TEST_CASE("stale temp files of dead uploads are removed at the next open, with their blobs",
          "[platform][local]") {
  Fixture f;
  auto kept = f.upload("1.0.0", "kept");
  // A copy that never finished, a verified copy published but never committed, and a
  // verified copy of a blob a release does use.
  test::write_text(f.folder / "tmp" / "upload-dead01", "partial");
  std::string orphan = "orphan";
  auto orphan_sha = to_hex(sha256_of(orphan));
  test::write_text(f.folder / "tmp" / (orphan_sha + ".blob"), orphan);
  test::write_text(f.folder / "blobs" / orphan_sha.substr(0, 2) / orphan_sha, orphan);
  test::write_text(f.folder / "tmp" / (kept.sha256 + ".blob"), "kept");
  f.reopen();
  CHECK(files_under(f.folder / "tmp") == 0);
  CHECK_FALSE(fs::exists(f.folder / "blobs" / orphan_sha.substr(0, 2) / orphan_sha));
  CHECK(fs::exists(f.folder / "blobs" / kept.sha256.substr(0, 2) / kept.sha256));
}

TEST_CASE("an upload interrupted by a stop request leaves no release and no blob",
          "[platform][local]") {
  Fixture f;
  UploadRequest request;
  request.file = f.artifact("big.apk", std::string(3 << 20, 'x'));
  request.app = "com.example.shop";
  request.platform = "android";
  request.version = "1.0.0";
  NullProgress progress;
  request_stop();
  CHECK(kind_of_error([&] { f.store->upload(request, progress); }) == ErrorKind::interrupted);
  clear_stop_request();
  CHECK(f.store->show_app("com.example.shop").releases == 0);
  CHECK(files_under(f.folder / "tmp") == 0);
  CHECK(files_under(f.folder / "blobs") == 0);
}

// ---- schema: migrations, newer and corrupt databases ----

namespace {

void exec_sql(sqlite3* db, const char* sql) {
  char* message = nullptr;
  int code = sqlite3_exec(db, sql, nullptr, nullptr, &message);
  INFO((message ? message : ""));
  sqlite3_free(message);
  REQUIRE(code == SQLITE_OK);
}

// Schema version 1 as the first release of the platform wrote it, typed out here on purpose
// (not taken from the code under test), with one app and one release in it.
void write_version_1(const fs::path& file) {
  fs::create_directories(file.parent_path());
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  exec_sql(db, R"sql(
    CREATE TABLE apps (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL);
    CREATE TABLE releases (id TEXT PRIMARY KEY, app TEXT NOT NULL REFERENCES apps(id),
      platform TEXT NOT NULL, kind TEXT NOT NULL, package TEXT NOT NULL DEFAULT '',
      version TEXT NOT NULL, state TEXT NOT NULL, percent INTEGER NOT NULL,
      sha256 TEXT NOT NULL, size INTEGER NOT NULL, file_name TEXT NOT NULL,
      min_app_version TEXT NOT NULL DEFAULT '', max_app_version TEXT NOT NULL DEFAULT '',
      notes TEXT NOT NULL DEFAULT '', mandatory INTEGER NOT NULL DEFAULT 0,
      rules TEXT NOT NULL DEFAULT '[]', whitelist_count INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, created_by TEXT NOT NULL,
      UNIQUE (app, platform, kind, package, version));
    CREATE INDEX releases_by_sha256 ON releases(sha256);
    CREATE TABLE changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, release TEXT NOT NULL,
      what TEXT NOT NULL, old_value TEXT, new_value TEXT, at INTEGER NOT NULL, by TEXT NOT NULL);
    CREATE INDEX changes_by_release ON changes(release, seq);
    CREATE TABLE whitelist (release TEXT NOT NULL, device TEXT NOT NULL,
      PRIMARY KEY (release, device)) WITHOUT ROWID;
    INSERT INTO apps VALUES ('com.example.old', 'Old', 1700000000);
    INSERT INTO releases (id, app, platform, kind, version, state, percent, sha256, size,
      file_name, rules, whitelist_count, created_at, updated_at, created_by)
      VALUES ('rel_aaaaaaaaaaaa', 'com.example.old', 'android', 'native', '1.0.0', 'gray', 2500,
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 0, 'a.apk',
      '["os_version>=12"]', 1, 1700000000, 1700000000, 'someone');
    INSERT INTO whitelist VALUES ('rel_aaaaaaaaaaaa', 'vip');
    INSERT INTO changes (release, what, new_value, at, by)
      VALUES ('rel_aaaaaaaaaaaa', 'created', 'gray at 25%', 1700000000, 'someone');
    PRAGMA application_id = 1836081523;
    PRAGMA user_version = 1;
  )sql");
  sqlite3_close(db);
}

int64_t user_version(const fs::path& file) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &statement, nullptr);
  sqlite3_step(statement);
  auto version = sqlite3_column_int64(statement, 0);
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return version;
}

std::string journal_mode(const fs::path& file) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &statement, nullptr);
  sqlite3_step(statement);
  std::string mode = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return mode;
}

}  // namespace

// WAL is set once, when the file is created or migrated (it is stored in the file), so that
// readers run beside a writer; a start on a current database does not set it again.
TEST_CASE("new and migrated databases are in WAL mode", "[platform][local][schema]") {
  TempDir home;
  FakeClock clock;
  open_local_platform(home / "new", "tester", clock).reset();
  CHECK(journal_mode(home / "new" / "platform.db") == "wal");
  write_version_1(home / "old" / "platform.db");
  CHECK(journal_mode(home / "old" / "platform.db") == "delete");
  open_local_platform(home / "old", "tester", clock).reset();
  CHECK(journal_mode(home / "old" / "platform.db") == "wal");
}

TEST_CASE("a version 1 database is migrated with its data kept", "[platform][local][schema]") {
  TempDir home;
  FakeClock clock;
  clock.set(std::chrono::system_clock::time_point(std::chrono::seconds(1750000000)));
  auto folder = home / "platform";
  write_version_1(folder / "platform.db");
  auto store = open_local_platform(folder, "tester", clock);
  CHECK(user_version(folder / "platform.db") == local_schema_version());
  auto release = store->show_release("rel_aaaaaaaaaaaa");
  CHECK(release.percent == 2500);
  CHECK(release.rules == std::vector<std::string>{"os_version>=12"});
  CHECK(release.whitelist == 1);
  CHECK_FALSE(release.window);
  CHECK(store->history(release.id).changes.size() == 1);
  // The new schema's features work on the migrated data.
  LifecycleChange window;
  window.action = LifecycleChange::Action::rollout;
  window.window = TimeWindow{10, 1750000000 + 60, 0};
  CHECK(kind_of_error([&] { store->change(release.id, window); }) == ErrorKind::conflict);
  store->change(release.id, rollout(5000));
  CheckRequest check{"com.example.old", "android", Device{"vip", "", "", "", "", ""}, true};
  CHECK(store->check(check).offers.size() == 1);
  // Opening again is a no-op.
  store.reset();
  store = open_local_platform(folder, "tester", clock);
  CHECK(store->show_release(release.id).percent == 5000);
}

namespace {

// Version 2 as it shipped: version 1 plus the time window, typed out here too.
void write_version_2(const fs::path& file) {
  write_version_1(file);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  exec_sql(db, R"sql(
    ALTER TABLE releases ADD COLUMN window_max INTEGER;
    ALTER TABLE releases ADD COLUMN window_until INTEGER;
    ALTER TABLE releases ADD COLUMN window_counted INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE window_devices (release TEXT NOT NULL, device TEXT NOT NULL,
      at INTEGER NOT NULL, PRIMARY KEY (release, device)) WITHOUT ROWID;
    UPDATE releases SET window_max = 5, window_until = 1750000600, window_counted = 1;
    INSERT INTO window_devices VALUES ('rel_aaaaaaaaaaaa', 'early', 1700000100);
    PRAGMA user_version = 2;
  )sql");
  sqlite3_close(db);
}

bool has_index(const fs::path& file, const std::string& name) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", -1,
                     &statement, nullptr);
  sqlite3_bind_text(statement, 1, name.c_str(), -1, SQLITE_TRANSIENT);
  bool found = sqlite3_step(statement) == SQLITE_ROW;
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return found;
}

}  // namespace

TEST_CASE("a version 2 database is migrated with its time window kept",
          "[platform][local][schema]") {
  TempDir home;
  FakeClock clock;
  clock.set(std::chrono::system_clock::time_point(std::chrono::seconds(1750000000)));
  auto folder = home / "platform";
  write_version_2(folder / "platform.db");
  CHECK_FALSE(has_index(folder / "platform.db", "releases_by_app"));
  auto store = open_local_platform(folder, "tester", clock);
  CHECK(user_version(folder / "platform.db") == local_schema_version());
  CHECK(has_index(folder / "platform.db", "releases_by_app"));
  auto release = store->show_release("rel_aaaaaaaaaaaa");
  REQUIRE(release.window);
  CHECK(release.window->max_devices == 5);
  CHECK(release.window->counted == 1);
  // The device counted before the migration keeps its place.
  CheckRequest check{"com.example.old", "android", Device{"early", "", "13", "", "", ""}, true};
  CHECK(store->check(check).offers.size() == 1);
  CHECK(store->show_release(release.id).window->counted == 1);
}

TEST_CASE("a database from a newer schema is refused and not written",
          "[platform][local][schema]") {
  TempDir home;
  FakeClock clock;
  auto folder = home / "platform";
  { open_local_platform(folder, "tester", clock)->create_app("com.example.shop", ""); }
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((folder / "platform.db").c_str(), &db) == SQLITE_OK);
    exec_sql(db, "PRAGMA journal_mode=DELETE; PRAGMA user_version = 99;");
    sqlite3_close(db);
  }
  auto before = bytes_of(folder / "platform.db");
  try {
    open_local_platform(folder, "tester", clock);
    FAIL("opened");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::failure);
    CHECK_THAT(error.what(),
               Catch::Contains("schema version 99") && Catch::Contains("upgrade mpaas"));
  }
  CHECK(bytes_of(folder / "platform.db") == before);
  CHECK(user_version(folder / "platform.db") == 99);
}

TEST_CASE("a corrupt or foreign database is refused and not written", "[platform][local][schema]") {
  TempDir home;
  FakeClock clock;
  auto folder = home / "platform";
  fs::create_directories(folder);
  std::string garbage;
  for (int i = 0; i < 8192; ++i)
    garbage += static_cast<char>((i * 7919) & 0xff);
  test::write_text(folder / "platform.db", garbage);
  CHECK(kind_of_error([&] { open_local_platform(folder, "tester", clock); }) ==
        ErrorKind::invalid_input);
  CHECK(bytes_of(folder / "platform.db") == garbage);

  // A SQLite database of something else.
  fs::remove(folder / "platform.db");
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((folder / "platform.db").c_str(), &db) == SQLITE_OK);
    exec_sql(db, "CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('mine');");
    sqlite3_close(db);
  }
  auto before = bytes_of(folder / "platform.db");
  CHECK(kind_of_error([&] { open_local_platform(folder, "tester", clock); }) ==
        ErrorKind::invalid_input);
  CHECK(bytes_of(folder / "platform.db") == before);
}

TEST_CASE("the history names a time window of one device in the singular", "[platform][local]") {
  Fixture f;
  UploadRequest request;
  request.file = f.artifact("one.apk", "one");
  request.app = "com.example.shop";
  request.platform = "android";
  request.version = "4.0.0";
  request.draft = true;
  NullProgress progress;
  auto release = f.store->upload(request, progress);
  LifecycleChange change;
  change.window = TimeWindow{1, 1750000000 + 3600, 0};
  f.store->change(release.id, change);
  auto history = f.store->history(release.id);
  auto window = std::find_if(history.changes.begin(), history.changes.end(),
                             [](const ReleaseChange& c) { return c.what == "window"; });
  REQUIRE(window != history.changes.end());
  CHECK(window->new_value.rfind("1 device until ", 0) == 0);
}
