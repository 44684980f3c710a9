// Gray-release decisions: the bucket's spread and stability, rules, versions, and decide.
#include <catch2/catch.hpp>

#include <random>
#include <set>

#include "mpaas/core/error.hpp"
#include "mpaas/platform/rollout.hpp"

using namespace mpaas;
using namespace mpaas::platform;

namespace {

std::vector<std::string> random_device_ids(size_t count, uint64_t seed) {
  std::mt19937_64 random(seed);
  std::vector<std::string> ids;
  ids.reserve(count);
  char buffer[40];
  for (size_t i = 0; i < count; ++i) {
    std::snprintf(buffer, sizeof buffer, "%016llx%016llx",
                  static_cast<unsigned long long>(random()),
                  static_cast<unsigned long long>(random()));
    ids.emplace_back(buffer);
  }
  return ids;
}

// The view names its fields without owning them: ids here are literals, rules live in the
// test's own vectors.
RolloutView gray(std::string_view id, BasisPoints percent) {
  RolloutView view;
  view.release_id = id;
  view.state = ReleaseState::gray;
  view.percent = percent;
  return view;
}

Device device(const std::string& id) {
  Device d;
  d.id = id;
  return d;
}

std::string rule_error(const std::string& text) {
  try {
    parse_rule(text);
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::invalid_input);
    return error.what();
  }
  FAIL("rule accepted: " << text);
  return "";
}

}  // namespace

TEST_CASE("bucket matches the test vectors of docs/rollout.md", "[platform][rollout]") {
  // Computed independently: sha256("rel_a:device-1") etc. with sha256sum, first 8 bytes
  // as a big-endian number, modulo 10000 (see docs/rollout.md).
  CHECK(bucket("rel_a", "device-1") == 520);
  CHECK(bucket("rel_a", "device-2") == 8597);
  CHECK(bucket("rel_b", "device-1") == 7716);
  CHECK(bucket("", "") == 4368);
}

TEST_CASE("the share of devices reached is the percentage, within half a point",
          "[platform][rollout]") {
  auto ids = random_device_ids(100000, 42);
  for (BasisPoints percent : {100u, 1000u, 2500u, 5000u, 9000u}) {
    size_t reached = 0;
    for (const auto& id : ids)
      reached += decide(gray("rel_share", percent), device(id)).offered;
    double share = 100.0 * static_cast<double>(reached) / static_cast<double>(ids.size());
    INFO("percent " << percent / 100.0 << " reached " << share);
    CHECK(std::abs(share - percent / 100.0) <= 0.5);
  }
}

TEST_CASE("raising the percentage never drops a device", "[platform][rollout]") {
  auto ids = random_device_ids(20000, 7);
  std::set<std::string> before;
  for (BasisPoints percent = 0; percent <= 10000; percent += 500) {
    std::set<std::string> now;
    for (const auto& id : ids) {
      if (decide(gray("rel_raise", percent), device(id)).offered)
        now.insert(id);
    }
    for (const auto& id : before)
      REQUIRE(now.count(id) == 1);
    CHECK(now.size() >= before.size());
    before = std::move(now);
  }
  CHECK(before.size() == ids.size());
}

TEST_CASE("two releases spread independently", "[platform][rollout]") {
  auto ids = random_device_ids(100000, 99);
  size_t both = 0;
  for (const auto& id : ids) {
    both += decide(gray("rel_one", 5000), device(id)).offered &&
            decide(gray("rel_two", 5000), device(id)).offered;
  }
  double overlap = 100.0 * static_cast<double>(both) / static_cast<double>(ids.size());
  INFO("overlap " << overlap);
  CHECK(std::abs(overlap - 25.0) <= 1.0);
}

TEST_CASE("paused, rolled-back and draft releases reach no one at once; whitelist and finish",
          "[platform][rollout]") {
  RolloutView view = gray("rel_state", 10000);
  CHECK(decide(view, device("d")).offered);
  for (auto [state, reason] : {std::pair{ReleaseState::paused, "paused"},
                               std::pair{ReleaseState::rolled_back, "rolled back"},
                               std::pair{ReleaseState::draft, "draft"}}) {
    view.state = state;
    view.device_whitelisted = true;
    auto decision = decide(view, device("d"));
    CHECK_FALSE(decision.offered);
    CHECK(decision.reason == reason);
  }
  RolloutView none = gray("rel_state", 0);
  CHECK_FALSE(decide(none, device("d")).offered);
  CHECK(decide(none, device("d")).reason.rfind("bucket ", 0) == 0);
  none.device_whitelisted = true;
  CHECK(decide(none, device("d")).offered);
  CHECK(decide(none, device("d")).reason == "whitelisted");
  none.device_whitelisted = false;
  none.state = ReleaseState::released;
  CHECK(decide(none, device("d")).offered);
}

TEST_CASE("all rules must match and the reason names the failed one", "[platform][rollout]") {
  RolloutView view = gray("rel_rules", 10000);
  std::vector<Rule> rules = {parse_rule("os_version>=12"),
                             parse_rule("model~Pixel*"),
                             parse_rule("region in (CN-ZJ, CN-SH)"),
                             parse_rule("network=wifi"),
                             parse_rule("model!~*Lite"),
                             parse_rule("app_version<2.0.0")};
  view.rules = rules;
  Device phone{"d1", "1.9.3", "13", "Pixel 7", "CN-SH", "wifi"};
  CHECK(decide(view, phone).offered);
  Device old = phone;
  old.os_version = "11";
  CHECK(decide(view, old).reason == "rule os_version>=12 failed: 11");
  Device lite = phone;
  lite.model = "Pixel 6 Lite";
  CHECK(decide(view, lite).reason == "rule model!~*Lite failed: Pixel 6 Lite");
  Device elsewhere = phone;
  elsewhere.region = "US-CA";
  CHECK(decide(view, elsewhere).reason == "rule region in (CN-ZJ,CN-SH) failed: US-CA");
  Device unknown = phone;
  unknown.network.clear();
  CHECK(decide(view, unknown).reason == "rule network=wifi failed: unknown");
  Device newer = phone;
  newer.app_version = "2.0";
  CHECK(decide(view, newer).reason == "rule app_version<2.0.0 failed: 2.0");
}

TEST_CASE("versions compare as versions, never as strings", "[platform][rollout]") {
  CHECK(compare_versions("1.10.0", "1.9.0", "v") > 0);
  CHECK(compare_versions("2.0", "2.0.0.0", "v") == 0);
  CHECK(compare_versions("12", "9", "v") > 0);
  CHECK(compare_versions("1.2.3.4", "1.2.3.5", "v") < 0);
  for (const char* bad : {"", "1.", ".1", "1..2", "1.2.3.4.5", "v1", "1.2-beta", "1234567890"})
    CHECK_FALSE(is_version(bad));
  CHECK_THROWS_AS(compare_versions("1.x", "1", "app_version"), Error);
  RolloutView view = gray("rel_range", 10000);
  view.min_app_version = "1.9.0";
  view.max_app_version = "1.10.5";
  CHECK(decide(view, Device{"d", "1.10.0", "", "", "", ""}).offered);
  CHECK_FALSE(decide(view, Device{"d", "1.8.9", "", "", "", ""}).offered);
  CHECK_FALSE(decide(view, Device{"d", "1.11", "", "", "", ""}).offered);
  CHECK_FALSE(decide(view, Device{"d", "", "", "", "", ""}).offered);
}

TEST_CASE("rule parse errors point at the column", "[platform][rollout]") {
  CHECK_THAT(rule_error("os_version>>12"), Catch::Contains("at column 12"));
  CHECK_THAT(rule_error("colour=red"), Catch::Contains("unknown field 'colour'"));
  CHECK_THAT(rule_error("model"), Catch::Contains("ends early"));
  CHECK_THAT(rule_error("region in (CN-ZJ,"), Catch::Contains("expected a value"));
  CHECK_THAT(rule_error("region in (A) x"), Catch::Contains("at column 15"));
  CHECK_THAT(rule_error("model>Pixel"), Catch::Contains("by order"));
  CHECK_THAT(rule_error("os_version>=twelve"), Catch::Contains("not a version"));
  CHECK_THAT(rule_error(std::string(2000, 'a')), Catch::Contains("longer than"));
  CHECK(parse_rule("  network = wifi ").text == "network=wifi");
}

TEST_CASE("globs match in bounded time, with * and ? only", "[platform][rollout]") {
  RolloutView view = gray("rel_glob", 10000);
  std::vector<Rule> stars = {parse_rule("model~" + std::string(500, '*') + "b")};
  view.rules = stars;
  Device d{"d", "", "", std::string(1000, 'a'), "", ""};
  CHECK_FALSE(decide(view, d).offered);  // a backtracking matcher would take forever here
  std::vector<Rule> pixel = {parse_rule("model~Pix?l*")};
  view.rules = pixel;
  d.model = "Pixel 8";
  CHECK(decide(view, d).offered);
  d.model = "pixel 8";
  CHECK_FALSE(decide(view, d).offered);
}

TEST_CASE("percentages are basis points in 0.01 steps", "[platform][rollout]") {
  CHECK(parse_percent("12.5", "percent") == 1250);
  CHECK(parse_percent("0.01", "percent") == 1);
  CHECK(parse_percent("100", "percent") == 10000);
  CHECK(parse_percent("0", "percent") == 0);
  for (const char* bad : {"", "100.01", "101", "-1", "1.234", "1.", ".5", "5%", "1e2"})
    CHECK_THROWS_AS(parse_percent(bad, "percent"), Error);
  CHECK(percent_text(1250) == "12.5");
  CHECK(percent_text(1) == "0.01");
  CHECK(percent_text(10000) == "100");
  CHECK(percent_text(1005) == "10.05");
}
