// The platform's results read back from JSON (what the HTTP client receives): every form
// round-trips to the same bytes, and a malformed reply is a failure naming the field.
#include <catch2/catch.hpp>
#include <functional>

#include "mpaas/core/error.hpp"
#include "mpaas/platform/from_json.hpp"

using namespace mpaas;
using namespace mpaas::platform;

namespace {

constexpr int64_t june_15 = 1750000000;  // 2025-06-15T15:06:40Z

Release sample_release(const std::string& id) {
  Release release;
  release.id = id;
  release.app = "com.example.shop";
  release.platform = "android";
  release.kind = "offline";
  release.package = "80000001";
  release.version = "1.2.0";
  release.state = ReleaseState::rolled_back;
  release.percent = 1250;
  release.sha256 = std::string(64, 'a');
  release.size = 4100;
  release.file_name = "shop.apk";
  release.min_app_version = "1.0";
  release.max_app_version = "2.0";
  release.notes = "first";
  release.mandatory = true;
  release.rules = {"os_version>=12", "model~Pixel*"};
  release.whitelist = 2;
  release.window = TimeWindow{1000, june_15 + 3600, 17};
  release.created_at = june_15;
  release.updated_at = june_15 + 1;
  release.created_by = "me";
  return release;
}

// A release with every optional field absent: the nulls of the JSON form.
Release bare_release() {
  Release release;
  release.id = "rel_aaaaaaaaaaaa";
  release.app = "a";
  release.platform = "ios";
  release.kind = "native";
  release.version = "1";
  release.percent = 1;  // 0.01
  release.created_at = 0;
  release.updated_at = 0;
  return release;
}

Token sample_token(bool with_secret) {
  Token token;
  token.id = "tok_aaaaaaaaaaaa";
  token.name = "ci";
  token.scope = Scope::release;
  token.created_at = june_15;
  token.expires_at = with_secret ? 0 : june_15 + 86400;
  token.revoked_at = with_secret ? 0 : june_15 + 2;
  token.last_used_at = with_secret ? 0 : june_15 + 1;
  if (with_secret)
    token.secret = "mpaas_secret";
  return token;
}

std::string dumped(const Json& json) {
  return json.dump();
}

// The failure a reader gives for `json`: its kind, and the subject naming the field.
Error refusal(const std::function<void()>& read) {
  try {
    read();
  } catch (const Error& error) {
    return error;
  }
  FAIL("no error");
  return failure("none");
}

}  // namespace

TEST_CASE("from_json: every platform result round-trips", "[platform][from_json]") {
  App app{"com.example.shop", "Shop", june_15, 3};
  CHECK(dumped(to_json(app_from_json(to_json(app)))) == dumped(to_json(app)));
  AppList apps{{app, App{"b", "B", 0, 0}}};
  CHECK(dumped(to_json(app_list_from_json(to_json(apps)))) == dumped(to_json(apps)));
  AppDeleted deleted{"com.example.old", 4};
  CHECK(dumped(to_json(app_deleted_from_json(to_json(deleted)))) == dumped(to_json(deleted)));

  for (const Release& release : {sample_release("rel_k3x9qm2ab7fd"), bare_release()})
    CHECK(dumped(to_json(release_from_json(to_json(release)))) == dumped(to_json(release)));
  ReleaseList releases{{sample_release("rel_k3x9qm2ab7fd"), bare_release()}};
  CHECK(dumped(to_json(release_list_from_json(to_json(releases)))) == dumped(to_json(releases)));

  History history{"rel_k3x9qm2ab7fd",
                  {{2, "rel_k3x9qm2ab7fd", "created", "", "gray at 10%", june_15, "me"},
                   {3, "rel_k3x9qm2ab7fd", "percent", "10", "50", june_15 + 5, "ci"}}};
  auto history_back = history_from_json(to_json(history));
  CHECK(dumped(to_json(history_back)) == dumped(to_json(history)));
  CHECK(history_back.release == "rel_k3x9qm2ab7fd");
  CHECK(history_from_json(Json::array(), "x/y/1").release == "x/y/1");

  WhitelistChange change{"rel_k3x9qm2ab7fd", 2, 5};
  CHECK(dumped(to_json(whitelist_change_from_json(to_json(change)))) == dumped(to_json(change)));
  WhitelistIds ids{"rel_k3x9qm2ab7fd", {"d1", "d2"}};
  CHECK(dumped(to_json(whitelist_ids_from_json(to_json(ids)))) == dumped(to_json(ids)));

  CheckResult check;
  check.device = Device{"device-1", "1.0", "13", "Pixel 7", "CN-ZJ", "wifi"};
  check.offers = {std::make_shared<const Release>(sample_release("rel_k3x9qm2ab7fd"))};
  check.skipped = {{"rel_q7m2x9k3ab4c", "paused"}};
  check.decisions = {{"rel_k3x9qm2ab7fd", "native", "1.2.0", true, "whitelisted"},
                     {"rel_q7m2x9k3ab4c", "native", "1.1.0", false, "paused"}};
  CHECK(dumped(to_json(check_result_from_json(to_json(check)))) == dumped(to_json(check)));
  CheckResult unknown_device;
  unknown_device.device.id = "d";
  CHECK(dumped(to_json(check_result_from_json(to_json(unknown_device)))) ==
        dumped(to_json(unknown_device)));

  ReleaseGate gate;
  gate.release = sample_release("rel_k3x9qm2ab7fd");
  gate.rules = {parse_rule("os_version>=12"), parse_rule("region in (CN-ZJ,CN-SH)")};
  gate.whitelist = {"d2", "d1"};
  gate.counted = {"d3"};
  gate.now = june_15 + 9;
  auto gate_back = release_gate_from_json(to_json(gate));
  CHECK(dumped(to_json(gate_back)) == dumped(to_json(gate)));
  REQUIRE(gate_back.rules.size() == 2);
  CHECK(gate_back.rules[1].op == Rule::Op::in);
  CHECK(gate_back.rules[1].values == std::vector<std::string>{"CN-ZJ", "CN-SH"});
  CHECK(gate_back.whitelist.count("d1") == 1);

  for (bool secret : {true, false}) {
    Token token = sample_token(secret);
    CHECK(dumped(to_json(token_from_json(to_json(token)))) == dumped(to_json(token)));
  }
  TokenList tokens{{sample_token(false), sample_token(false)}};
  CHECK(dumped(to_json(token_list_from_json(to_json(tokens)))) == dumped(to_json(tokens)));

  auto me = whoami_from_json(Json{{"token", "tok_x"}, {"name", "ci"}, {"scope", "admin"}});
  CHECK(me.id == "tok_x");
  CHECK(me.scope == Scope::admin);
}

TEST_CASE("from_json: error objects come back as the same kind, message and subject",
          "[platform][from_json]") {
  auto error = error_from_json(Json::parse(
      R"({"error": {"kind": "not-found", "message": "no release 'x'", "subject": "release"}})"));
  CHECK(error.kind() == ErrorKind::not_found);
  CHECK(std::string(error.what()) == "no release 'x'");
  CHECK(error.subject() == "release");
  for (auto kind :
       {ErrorKind::usage, ErrorKind::invalid_input, ErrorKind::verification, ErrorKind::conflict,
        ErrorKind::auth, ErrorKind::unavailable, ErrorKind::failure}) {
    Json json = {{"error", {{"kind", kind_name(kind)}, {"message", "m"}, {"subject", nullptr}}}};
    CHECK(error_from_json(json).kind() == kind);
    CHECK(error_from_json(json).subject().empty());
  }
  // An unknown kind is a failure; a multi-line message keeps its first line.
  Json odd = {{"error", {{"kind", "gremlins"}, {"message", "one\ntwo"}, {"subject", nullptr}}}};
  CHECK(error_from_json(odd).kind() == ErrorKind::failure);
  CHECK(std::string(error_from_json(odd).what()) == "one");
  auto refused = refusal([] { error_from_json(Json::parse(R"({"error": "boom"})")); });
  CHECK(refused.kind() == ErrorKind::failure);
  CHECK(refused.subject() == "error");
}

TEST_CASE("from_json: malformed replies are failures naming the field", "[platform][from_json]") {
  Json release = to_json(sample_release("rel_k3x9qm2ab7fd"));
  struct Case {
    std::function<void(Json&)> spoil;
    std::string subject;
  };
  std::vector<Case> cases = {
      {[](Json& j) { j.erase("id"); }, "release.id"},
      {[](Json& j) { j["id"] = 7; }, "release.id"},
      {[](Json& j) { j["state"] = "done"; }, "release.state"},
      {[](Json& j) { j["percent"] = 100.5; }, "release.percent"},
      {[](Json& j) { j["percent"] = -1; }, "release.percent"},
      {[](Json& j) { j["percent"] = 12.345; }, "release.percent"},
      {[](Json& j) { j["percent"] = "10"; }, "release.percent"},
      {[](Json& j) { j["size"] = -4; }, "release.size"},
      {[](Json& j) { j["size"] = 1.5; }, "release.size"},
      {[](Json& j) { j["created_at"] = "yesterday"; }, "release.created_at"},
      {[](Json& j) { j["rules"] = "os_version>=12"; }, "release.rules"},
      {[](Json& j) { j["rules"][1] = nullptr; }, "release.rules[1]"},
      {[](Json& j) { j["window"]["until"] = 3; }, "release.window.until"},
      {[](Json& j) { j["window"]["max_devices"] = 1ULL << 40; }, "release.window.max_devices"},
      {[](Json& j) { j["window"] = "soon"; }, "release.window"},
      {[](Json& j) { j["mandatory"] = "yes"; }, "release.mandatory"},
  };
  for (auto& test : cases) {
    Json spoiled = release;
    test.spoil(spoiled);
    auto error = refusal([&] { release_from_json(spoiled); });
    CHECK(error.kind() == ErrorKind::failure);
    CHECK(error.subject() == test.subject);
    CHECK(std::string(error.what()).find(test.subject) != std::string::npos);
  }

  CHECK(refusal([] { release_from_json(Json::array()); }).subject() == "release");
  CHECK(refusal([] { app_list_from_json(Json::object()); }).subject() == "apps");
  CHECK(refusal([] { app_list_from_json(Json::array({1})); }).subject() == "apps[0]");
  Json check = {{"device", {{"id", "d"}}}, {"offers", Json::array()}};
  CHECK(refusal([&] { check_result_from_json(check); }).subject() == "device.app_version");

  ReleaseGate gate;
  gate.release = sample_release("rel_k3x9qm2ab7fd");
  Json gate_json = to_json(gate);
  gate_json["rules"] = Json::array({"os_version>>12"});
  CHECK(refusal([&] { release_gate_from_json(gate_json); }).subject() == "gate.rules[0]");
  gate_json["rules"] = Json::array();
  gate_json["counted"] = Json::array({1});
  CHECK(refusal([&] { release_gate_from_json(gate_json); }).subject() == "gate.counted[0]");

  Json token = to_json(sample_token(false));
  token["scope"] = "root";
  CHECK(refusal([&] { token_from_json(token); }).subject() == "token.scope");
  CHECK(refusal([] { whoami_from_json(Json{{"token", "t"}}); }).subject() == "whoami.name");
}

TEST_CASE("from_json: analytics results round-trip, and malformed ones name the field",
          "[platform][from_json][analytics]") {
  analytics::IngestResult ingest;
  ingest.app = "com.example.shop";
  ingest.ingested = 3;
  ingest.duplicates = 2;
  ingest.rejected = 1;
  ingest.files = 2;
  ingest.batches = 1;
  ingest.events = 9;
  ingest.devices = 4;
  ingest.rejections = {{"a.ndjson", 7, "bad time 'later'"}};
  CHECK(dumped(to_json(ingest_result_from_json(to_json(ingest)))) == dumped(to_json(ingest)));

  analytics::QueryResult series;
  series.request.app = "com.example.shop";
  series.request.metric = analytics::Metric::event;
  series.request.event = "page_view";
  series.request.from_day = analytics::parse_date("2026-03-02", "from");
  series.request.to_day = analytics::parse_date("2026-03-03", "to");
  series.request.interval = analytics::Interval::hour;
  series.request.tz = "Europe/Berlin";
  series.request.group_by = analytics::Dimension::app_version;
  series.request.where = analytics::parse_where({"region=eu", "platform=ios", "region=us"});
  series.periods = {"2026-03-02T00:00:00+01:00", "2026-03-02T01:00:00+01:00"};
  series.series = {{std::string("1.0"), {3.0, 0.0}, {2, 0}}, {std::string(""), {1.0, 7.0}, {1, 5}}};
  auto series_back = query_result_from_json(to_json(series));
  CHECK(dumped(to_json(series_back)) == dumped(to_json(series)));
  CHECK(analytics::to_csv(series_back) == analytics::to_csv(series));

  analytics::QueryResult rate = series;
  rate.request.metric = analytics::Metric::crash_free;
  rate.request.group_by.reset();
  rate.rate = true;
  rate.series = {{std::nullopt, {0.987654321, std::nullopt}, {}}};
  CHECK(dumped(to_json(query_result_from_json(to_json(rate)))) == dumped(to_json(rate)));

  analytics::QueryResult retention = series;
  retention.request.metric = analytics::Metric::retention;
  retention.request.group_by.reset();
  retention.periods.clear();
  retention.series.clear();
  retention.cohorts = {{"2026-03-02", 2, {0.5, 0.5}}, {"2026-03-03", 1, {0.0, std::nullopt}}};
  auto retention_back = query_result_from_json(to_json(retention));
  CHECK(dumped(to_json(retention_back)) == dumped(to_json(retention)));
  CHECK(analytics::to_csv(retention_back) == analytics::to_csv(retention));

  analytics::QueryResult funnel = retention;
  funnel.request.metric = analytics::Metric::funnel;
  funnel.request.steps = {"launch", "page_view", "purchase"};
  funnel.request.window_ms = analytics::parse_window("20m");
  funnel.cohorts.clear();
  funnel.funnel = {{"launch", 4, 1.0, 1.0}, {"page_view", 2, 0.5, 0.5}, {"purchase", 1, 0.25, 0.5}};
  CHECK(dumped(to_json(query_result_from_json(to_json(funnel)))) == dumped(to_json(funnel)));

  analytics::CompareResult compare;
  compare.request = {"com.example.shop",
                     "2.3.0",
                     "2.3.1",
                     analytics::parse_date("2026-03-01", "from"),
                     analytics::parse_date("2026-03-31", "to"),
                     "Asia/Shanghai"};
  compare.metrics = {analytics::compare_proportions("crash-free", 198, 200, 160, 200),
                     analytics::compare_means("launches per device", 1.25, 0.3, 200, 1.5, 0.4, 200),
                     analytics::compare_proportions("day-7 retention", 0, 0, 3, 10)};
  compare.verdict = analytics::crash_verdict("2.3.0", "2.3.1", compare.metrics[0]);
  CHECK(dumped(to_json(compare_result_from_json(to_json(compare)))) == dumped(to_json(compare)));

  Json spoiled = to_json(rate);
  spoiled["series"][0]["values"] = Json::array({1});
  CHECK(refusal([&] { query_result_from_json(spoiled); }).subject() == "query.series[0].values");
  spoiled = to_json(series);
  spoiled["series"][1]["devices"] = Json::array({1u});
  CHECK(refusal([&] { query_result_from_json(spoiled); }).subject() == "query.series[1].devices");
  spoiled = to_json(series);
  spoiled["metric"] = "revenue";
  CHECK(refusal([&] { query_result_from_json(spoiled); }).subject() == "query.metric");
  spoiled = to_json(series);
  spoiled["series"][0]["devices"][1] = -1;
  CHECK(refusal([&] { query_result_from_json(spoiled); }).subject() ==
        "query.series[0].devices[1]");
  Json bad_compare = to_json(compare);
  bad_compare["metrics"][0]["unit"] = "percent";
  CHECK(refusal([&] { compare_result_from_json(bad_compare); }).subject() ==
        "compare.metrics[0].unit");
  Json bad_ingest = to_json(ingest);
  bad_ingest["rejections"][0]["line"] = "seven";
  CHECK(refusal([&] { ingest_result_from_json(bad_ingest); }).subject() ==
        "ingest.rejections[0].line");
}
