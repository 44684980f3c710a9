// The embedded analytics store through the Platform interface: every metric on a small
// hand-checked event set (devices crossing midnight in one zone and not in another, a
// daylight-saving change, late and out-of-order events), deduplication across runs,
// --strict, interrupted ingests, damaged files, and the CSV and JSON shapes.
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>

#include "error_kind.hpp"
#include "mpaas/core/clock.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/core/interrupt.hpp"
#include "mpaas/platform/local.hpp"
#include "temp_dir.hpp"

using namespace mpaas;
using namespace mpaas::platform;
using namespace mpaas::analytics;
using mpaas::test::kind_of_error;
using mpaas::test::TempDir;
namespace fs = std::filesystem;

namespace {

const std::string app = "com.example.shop";

std::string event_line(const std::string& id, const std::string& device, const std::string& time,
                       const std::string& name, const std::string& version = "1.0",
                       const std::string& region = "EU") {
  return R"({"time":")" + time + R"(","event_id":")" + id + R"(","device_id":")" + device +
         R"(","event":")" + name + R"(","app_version":")" + version + R"(","region":")" + region +
         R"(","platform":"android"})" + "\n";
}

// The hand-checked set (UTC times). d2's first launch is 23:30 UTC on 03-02, which is already
// 03-03 in Berlin (UTC+1).
std::string hand_checked() {
  return event_line("e01", "d1", "2026-03-02T10:00:00Z", "launch") +
         event_line("e02", "d1", "2026-03-02T10:01:00Z", "page_view") +
         event_line("e03", "d1", "2026-03-03T10:00:00Z", "launch") +
         event_line("e04", "d1", "2026-03-03T10:05:00Z", "crash") +
         event_line("e05", "d2", "2026-03-02T23:30:00Z", "launch") +
         event_line("e06", "d2", "2026-03-04T09:00:00Z", "launch", "1.1") +
         // Out of order within the file: d3's purchase before its launch line.
         event_line("e09", "d3", "2026-03-03T12:30:00Z", "purchase", "1.1", "US") +
         event_line("e07", "d3", "2026-03-03T12:00:00Z", "launch", "1.1", "US") +
         event_line("e08", "d3", "2026-03-03T12:01:00Z", "page_view", "1.1", "US") +
         event_line("e10", "d4", "2026-03-04T08:00:00Z", "launch", "1.1") +
         event_line("e11", "d4", "2026-03-04T08:01:00Z", "crash", "1.1");
}

struct Fixture {
  TempDir home;
  FakeClock clock;
  std::unique_ptr<Platform> store;

  Fixture() {
    clock.set(std::chrono::system_clock::time_point(std::chrono::seconds(1775000000)));
    store = open_local_platform(home / "platform", "tester", clock);
    store->create_app(app, "Shop");
  }

  IngestResult ingest(const std::string& text, bool strict = false, size_t batch = 1000000,
                      std::function<void(const Rejection&)> on_reject = {}) {
    std::istringstream in(text);
    IngestRequest request;
    request.app = app;
    request.strict = strict;
    request.batch_events = batch;
    request.on_reject = std::move(on_reject);
    request.inputs.push_back(IngestInput{"events.ndjson", &in, std::nullopt, 0});
    NullProgress progress;
    return store->ingest_events(request, progress);
  }

  QueryResult query(Metric metric, const std::string& tz = "UTC",
                    std::function<void(QueryRequest&)> adjust = {}) {
    QueryRequest request;
    request.app = app;
    request.metric = metric;
    request.from_day = parse_date("2026-03-02", "from");
    request.to_day = parse_date("2026-03-04", "to");
    request.tz = tz;
    if (adjust)
      adjust(request);
    return store->query_events(request);
  }

  fs::path folder() const { return home / "platform" / "analytics" / app; }
};

std::vector<double> values(const QueryResult& result, size_t series = 0) {
  std::vector<double> out;
  for (const auto& value : result.series.at(series).values)
    out.push_back(value.value_or(-1));
  return out;
}

using V = std::vector<double>;

}  // namespace

TEST_CASE("every metric on the hand-checked set, in UTC and in Berlin", "[analytics][platform]") {
  Fixture f;
  auto summary = f.ingest(hand_checked());
  CHECK(summary.ingested == 11);
  CHECK(summary.rejected == 0);
  CHECK(summary.devices == 4);

  CHECK(values(f.query(Metric::active_devices)) == V{2, 2, 2});
  CHECK(values(f.query(Metric::active_devices, "Europe/Berlin")) == V{1, 3, 2});
  CHECK(values(f.query(Metric::new_devices)) == V{2, 1, 1});
  CHECK(values(f.query(Metric::new_devices, "Europe/Berlin")) == V{1, 2, 1});
  CHECK(values(f.query(Metric::launches)) == V{2, 2, 2});
  CHECK(values(f.query(Metric::launches, "Europe/Berlin")) == V{1, 3, 2});
  CHECK(values(f.query(Metric::crashes)) == V{0, 1, 1});
  CHECK(values(f.query(Metric::crash_free)) == V{1.0, 0.5, 0.5});

  auto purchase = f.query(Metric::event, "UTC", [](QueryRequest& r) { r.event = "purchase"; });
  CHECK(values(purchase) == V{0, 1, 0});
  CHECK(purchase.series[0].devices == std::vector<uint64_t>{0, 1, 0});

  auto by_version = f.query(Metric::active_devices, "UTC",
                            [](QueryRequest& r) { r.group_by = Dimension::app_version; });
  REQUIRE(by_version.series.size() == 2);
  CHECK(by_version.series[0].group == "1.0");
  CHECK(values(by_version, 0) == V{2, 1, 0});
  CHECK(by_version.series[1].group == "1.1");
  CHECK(values(by_version, 1) == V{0, 1, 2});

  auto us_only = f.query(Metric::active_devices, "UTC",
                         [](QueryRequest& r) { r.where = parse_where({"region=US"}); });
  CHECK(values(us_only) == V{0, 1, 0});
  auto nowhere = f.query(Metric::launches, "UTC",
                         [](QueryRequest& r) { r.where = parse_where({"region=Mars"}); });
  CHECK(values(nowhere) == V{0, 0, 0});
  auto new_us = f.query(Metric::new_devices, "UTC", [](QueryRequest& r) {
    r.where = parse_where({"region=US", "region=EU", "app_version=1.1"});
  });
  CHECK(values(new_us) == V{0, 1, 1});  // d3 and d4 started on 1.1

  auto retention = f.query(Metric::retention);
  REQUIRE(retention.cohorts.size() == 3);
  CHECK(retention.cohorts[0].devices == 2);
  CHECK(retention.cohorts[0].retained == std::vector<std::optional<double>>{0.5, 0.5});
  CHECK(retention.cohorts[1].devices == 1);
  CHECK(retention.cohorts[1].retained == std::vector<std::optional<double>>{0.0, std::nullopt});
  CHECK(retention.cohorts[2].retained ==
        std::vector<std::optional<double>>{std::nullopt, std::nullopt});
  // In Berlin d2 starts on 03-03 and comes back on 03-04.
  auto berlin = f.query(Metric::retention, "Europe/Berlin");
  CHECK(berlin.cohorts[0].devices == 1);
  CHECK(berlin.cohorts[0].retained[0] == 1.0);
  CHECK(berlin.cohorts[1].devices == 2);
  CHECK(berlin.cohorts[1].retained[0] == 0.5);

  auto funnel = f.query(Metric::funnel, "UTC", [](QueryRequest& r) {
    r.steps = {"launch", "page_view", "purchase"};
  });
  REQUIRE(funnel.funnel.size() == 3);
  CHECK(funnel.funnel[0].devices == 4);
  CHECK(funnel.funnel[1].devices == 2);
  CHECK(funnel.funnel[2].devices == 1);
  CHECK(funnel.funnel[2].conversion == 0.25);
  CHECK(funnel.funnel[2].from_previous == 0.5);
  auto short_window = f.query(Metric::funnel, "UTC", [](QueryRequest& r) {
    r.steps = {"launch", "page_view", "purchase"};
    r.window_ms = parse_window("20m");
  });
  CHECK(short_window.funnel[2].devices == 0);
  CHECK(short_window.funnel[1].devices == 2);
}

TEST_CASE("late events change the next answer, and duplicates are stored once across runs",
          "[analytics][platform]") {
  Fixture f;
  f.ingest(hand_checked());
  CHECK(values(f.query(Metric::active_devices)) == V{2, 2, 2});
  CHECK(values(f.query(Metric::new_devices)) == V{2, 1, 1});
  // d3 reports an event of 03-02 after that day was queried.
  auto late = f.ingest(event_line("e20", "d3", "2026-03-02T08:00:00Z", "page_view", "1.1"));
  CHECK(late.ingested == 1);
  CHECK(values(f.query(Metric::active_devices)) == V{3, 2, 2});
  CHECK(values(f.query(Metric::new_devices)) == V{3, 0, 1});
  // A funnel over segments that overlap: d4's page view arrives in a later run, earlier than
  // the last event already stored.
  auto steps = [](QueryRequest& r) { r.steps = {"launch", "page_view"}; };
  CHECK(f.query(Metric::funnel, "UTC", steps).funnel[1].devices == 2);
  f.ingest(event_line("e21", "d4", "2026-03-04T08:30:00Z", "page_view", "1.1"));
  CHECK(f.query(Metric::funnel, "UTC", steps).funnel[1].devices == 3);
  auto again = f.ingest(hand_checked());
  CHECK(again.ingested == 0);
  CHECK(again.duplicates == 11);
  CHECK(again.events == 13);
  CHECK(values(f.query(Metric::launches)) == V{2, 2, 2});
  // Within one input too.
  auto twice = f.ingest(event_line("e30", "d9", "2026-03-04T08:00:00Z", "launch") +
                        event_line("e30", "d9", "2026-03-04T09:00:00Z", "launch"));
  CHECK(twice.ingested == 1);
  CHECK(twice.duplicates == 1);
}

TEST_CASE("duplicates are found across batches and runs, and leave no trace",
          "[analytics][platform]") {
  Fixture f;
  // Batches of 2 events: each duplicate below is in another batch (so another segment) than
  // its first copy, and the last two are in the same batch as each other.
  std::string input = event_line("a1", "d1", "2026-03-02T10:00:00Z", "launch") +
                      event_line("a2", "d2", "2026-03-02T11:00:00Z", "launch") +
                      event_line("a3", "d1", "2026-03-03T10:00:00Z", "launch") +
                      // a1 again, from a device and a region seen nowhere else: neither may
                      // count (no device, no group, no first-seen time).
                      event_line("a1", "d7", "2026-03-02T09:00:00Z", "crash", "9.9", "Mars") +
                      event_line("a4", "d2", "2026-03-04T10:00:00Z", "launch") +
                      event_line("a4", "d2", "2026-03-04T10:00:00Z", "launch") +
                      event_line("a5", "d3", "2026-03-04T11:00:00Z", "launch", "1.0", "US");
  auto first = f.ingest(input, false, 2);
  CHECK(first.ingested == 5);
  CHECK(first.duplicates == 2);
  CHECK(first.devices == 3);
  CHECK(values(f.query(Metric::launches)) == V{2, 1, 2});
  CHECK(values(f.query(Metric::crashes)) == V{0, 0, 0});
  CHECK(values(f.query(Metric::new_devices)) == V{2, 0, 1});
  auto regions =
      f.query(Metric::launches, "UTC", [](QueryRequest& r) { r.group_by = Dimension::region; });
  REQUIRE(regions.series.size() == 2);
  CHECK(regions.series[0].group == "EU");
  CHECK(regions.series[1].group == "US");
  // Another run, in one batch and in many: everything already stored is found again.
  for (size_t batch : {size_t(1000), size_t(3)}) {
    auto again =
        f.ingest(input + event_line("a6", "d4", "2026-03-03T12:00:00Z", "launch"), false, batch);
    CHECK(again.duplicates == (batch == 1000 ? 7 : 8));
    CHECK(again.ingested == (batch == 1000 ? 1 : 0));
    CHECK(again.events == 6);
    CHECK(again.devices == 4);
  }
  CHECK(values(f.query(Metric::launches)) == V{2, 2, 2});
  // With --strict the batches are committed at the end: a duplicate in a later batch of the
  // same run is still found in the uncommitted ones.
  auto strict = f.ingest(event_line("s1", "d5", "2026-03-03T13:00:00Z", "launch") +
                             event_line("s2", "d5", "2026-03-03T14:00:00Z", "launch") +
                             event_line("s1", "d5", "2026-03-03T15:00:00Z", "launch"),
                         true, 2);
  CHECK(strict.ingested == 2);
  CHECK(strict.duplicates == 1);
  CHECK(values(f.query(Metric::launches)) == V{2, 4, 2});
}

TEST_CASE("funnel steps at the same millisecond count in the order of the steps",
          "[analytics][platform]") {
  Fixture f;
  // The page view is reported first and shares its launch's millisecond.
  f.ingest(event_line("p1", "d1", "2026-03-02T10:00:00Z", "page_view") +
           event_line("l1", "d1", "2026-03-02T10:00:00Z", "launch") +
           event_line("p2", "d2", "2026-03-02T10:00:00Z", "page_view") +
           event_line("l2", "d2", "2026-03-02T10:00:00.001Z", "launch"));
  auto funnel = f.query(Metric::funnel, "UTC", [](QueryRequest& r) {
    r.steps = {"launch", "page_view"};
  });
  CHECK(funnel.funnel[0].devices == 2);
  CHECK(funnel.funnel[1].devices == 1);  // d2's page view came a millisecond before
}

TEST_CASE("bad lines are skipped and reported, or refuse everything with strict",
          "[analytics][platform]") {
  Fixture f;
  std::string input = event_line("e1", "d1", "2026-03-02T10:00:00Z", "launch") + "{oops\n" +
                      event_line("e2", "d1", "2026-03-02T11:00:00Z", "launch");
  CHECK(kind_of_error([&] { f.ingest(input, true); }) == ErrorKind::invalid_input);
  try {
    f.ingest(input, true, 1);
  } catch (const Error& error) {
    CHECK(std::string(error.what()).find("line 2 of events.ndjson") == 0);
  }
  CHECK(values(f.query(Metric::launches)) == V{0, 0, 0});
  std::vector<Rejection> seen;
  auto summary = f.ingest(input, false, 1000000, [&](const Rejection& r) { seen.push_back(r); });
  CHECK(summary.ingested == 2);
  CHECK(summary.rejected == 1);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].line == 2);
  CHECK(seen[0].file == "events.ndjson");
  auto json = to_json(summary);
  CHECK(json["ingested"] == 2);
  CHECK(json["duplicates"] == 0);
  CHECK(json["rejected"] == 1);
  CHECK(json["rejections"][0]["line"] == 2);
  // An unknown app is refused before anything is read.
  IngestRequest request;
  request.app = "com.example.none";
  NullProgress progress;
  CHECK(kind_of_error([&] { f.store->ingest_events(request, progress); }) == ErrorKind::not_found);
}

TEST_CASE("an interrupted ingest leaves whole batches only", "[analytics][platform]") {
  Fixture f;
  std::string input;
  for (int i = 0; i < 4; ++i)
    input += event_line("e" + std::to_string(i), "d1",
                        "2026-03-02T10:00:0" + std::to_string(i) + "Z", "launch");
  input += "{bad\n";
  for (int i = 4; i < 7; ++i)
    input += event_line("e" + std::to_string(i), "d1",
                        "2026-03-03T10:00:0" + std::to_string(i) + "Z", "launch");
  CHECK(kind_of_error([&] {
          f.ingest(input, false, 2, [](const Rejection&) { request_stop(); });
        }) == ErrorKind::interrupted);
  clear_stop_request();
  CHECK(values(f.query(Metric::launches)) == V{4, 0, 0});
  size_t segments = 0;
  for (const auto& entry : fs::directory_iterator(f.folder())) {
    auto name = entry.path().filename().string();
    CHECK(name.find(".tmp-") == std::string::npos);
    segments += name.rfind("seg-", 0) == 0;
  }
  CHECK(segments == 2);
  // The same input again stores the rest once.
  auto rest = f.ingest(input, false, 2);
  CHECK(rest.ingested == 3);
  CHECK(rest.duplicates == 4);
  CHECK(values(f.query(Metric::launches)) == V{4, 3, 0});
}

TEST_CASE("a damaged segment is refused, never trusted", "[analytics][platform]") {
  Fixture f;
  f.ingest(hand_checked());
  fs::path segment;
  for (const auto& entry : fs::directory_iterator(f.folder()))
    if (entry.path().filename().string().rfind("seg-", 0) == 0)
      segment = entry.path();
  REQUIRE(!segment.empty());
  {
    std::fstream file(segment, std::ios::in | std::ios::out | std::ios::binary);
    // Inside the first frame (the first chunk's device column): after the header, whose
    // size the run, chunk and frame counts at offset 32 give (docs/formats.md).
    unsigned char counts[12];
    file.seekg(32);
    file.read(reinterpret_cast<char*>(counts), 12);
    auto u32 = [&](int at) {
      return uint32_t(counts[at]) | uint32_t(counts[at + 1]) << 8 | uint32_t(counts[at + 2]) << 16 |
             uint32_t(counts[at + 3]) << 24;
    };
    file.seekp(44 + u32(0) * 24 + u32(4) * 4 + u32(8) * 36 + 8);
    file.put('\x55');
  }
  CHECK(kind_of_error([&] { f.query(Metric::active_devices); }) == ErrorKind::invalid_input);
  {
    std::ofstream file(f.folder() / "MANIFEST", std::ios::binary | std::ios::trunc);
    file << "MPAAMAN1garbage";
  }
  CHECK(kind_of_error([&] { f.query(Metric::launches); }) == ErrorKind::invalid_input);
}

TEST_CASE("a daylight-saving day counts 23 hours and events land in local days",
          "[analytics][platform]") {
  Fixture f;
  // Berlin, 2026-03-29: clocks go from 02:00 CET to 03:00 CEST.
  f.ingest(event_line("a", "d1", "2026-03-28T23:30:00Z", "launch") +  // 00:30 CET on 03-29
           event_line("b", "d2", "2026-03-29T01:30:00Z", "launch") +  // 03:30 CEST
           event_line("c", "d3", "2026-03-29T22:30:00Z", "launch"));  // 00:30 CEST on 03-30
  auto days = f.query(Metric::launches, "Europe/Berlin", [](QueryRequest& r) {
    r.from_day = parse_date("2026-03-29", "from");
    r.to_day = parse_date("2026-03-30", "to");
  });
  CHECK(values(days) == V{2, 1});
  auto hours = f.query(Metric::launches, "Europe/Berlin", [](QueryRequest& r) {
    r.from_day = r.to_day = parse_date("2026-03-29", "from");
    r.interval = Interval::hour;
  });
  REQUIRE(hours.periods.size() == 23);
  CHECK(hours.periods[2] == "2026-03-29T03:00:00+02:00");
  CHECK(hours.series[0].values[0] == 1.0);
  CHECK(hours.series[0].values[2] == 1.0);
  auto utc = f.query(Metric::launches, "UTC", [](QueryRequest& r) {
    r.from_day = parse_date("2026-03-28", "from");
    r.to_day = parse_date("2026-03-30", "to");
  });
  CHECK(values(utc) == V{1, 2, 0});
}

TEST_CASE("CSV and JSON shapes of query results", "[analytics][platform]") {
  Fixture f;
  f.ingest(hand_checked());
  auto crash_free = f.query(Metric::crash_free);
  CHECK(to_csv(crash_free) ==
        "period,value\n2026-03-02,1.0000\n2026-03-03,0.5000\n2026-03-04,0.5000\n");
  auto grouped = f.query(Metric::launches, "UTC",
                         [](QueryRequest& r) { r.group_by = Dimension::app_version; });
  CHECK(to_csv(grouped) ==
        "period,group,value\n2026-03-02,1.0,2\n2026-03-02,1.1,0\n2026-03-03,1.0,1\n"
        "2026-03-03,1.1,1\n2026-03-04,1.0,0\n2026-03-04,1.1,2\n");
  auto hourly = f.query(Metric::launches, "Asia/Kolkata", [](QueryRequest& r) {
    r.interval = Interval::hour;
    r.from_day = r.to_day = parse_date("2026-03-03", "from");
  });
  CHECK(to_csv(hourly).find("2026-03-03T05:00:00+05:30,1\n") != std::string::npos);
  auto event = f.query(Metric::event, "UTC", [](QueryRequest& r) { r.event = "purchase"; });
  CHECK(to_csv(event) == "period,value,devices\n2026-03-02,0,0\n2026-03-03,1,1\n2026-03-04,0,0\n");
  auto retention = f.query(Metric::retention);
  CHECK(to_csv(retention) ==
        "cohort,devices,+1,+2\n2026-03-02,2,0.5000,0.5000\n2026-03-03,1,0.0000,\n2026-03-04,1,,\n");
  auto funnel = f.query(Metric::funnel, "UTC", [](QueryRequest& r) {
    r.steps = {"launch", "purchase"};
  });
  CHECK(to_csv(funnel) ==
        "step,event,devices,conversion\n1,launch,4,1.0000\n2,purchase,1,0.2500\n");

  auto json = to_json(grouped);
  CHECK(json["metric"] == "launches");
  CHECK(json["group_by"] == "app_version");
  CHECK(json["unit"] == "count");
  CHECK(json["periods"].size() == 3);
  CHECK(json["series"][1]["group"] == "1.1");
  CHECK(json["series"][1]["values"] == Json::array({0, 1, 2}));
  CHECK(json["rows"][0] == Json({{"period", "2026-03-02"}, {"group", "1.0"}, {"value", 2}}));
  auto rate_json = to_json(crash_free);
  CHECK(rate_json["unit"] == "fraction");
  CHECK(rate_json["series"][0]["group"].is_null());
  CHECK(to_json(retention)["cohorts"][1]["retained"] == Json::array({0.0, nullptr}));
  CHECK(to_json(funnel)["funnel"][1]["conversion"] == 0.25);
  CHECK(render(to_json(crash_free), text_layout(crash_free), OutputFormat::text) ==
        "PERIOD      CRASH-FREE\n2026-03-02  100.00%\n2026-03-03  50.00%\n2026-03-04  50.00%\n");
}

TEST_CASE("compare puts two versions side by side with a verdict", "[analytics][platform]") {
  Fixture f;
  std::string input;
  // 100 devices on 1.0, 2 of them crash; 100 on 1.1, 20 crash. Each device launches twice
  // on its first day and once on the next.
  for (int d = 0; d < 200; ++d) {
    std::string device = "d" + std::to_string(d);
    std::string version = d < 100 ? "1.0" : "1.1";
    std::string id = "x" + std::to_string(d);
    input += event_line(id + "a", device, "2026-03-02T10:00:00Z", "launch", version);
    input += event_line(id + "b", device, "2026-03-02T11:00:00Z", "launch", version);
    if (d % 2 == 0)
      input += event_line(id + "c", device, "2026-03-03T11:00:00Z", "launch", version);
    bool crashes = d < 100 ? d < 2 : d < 120;
    if (crashes)
      input += event_line(id + "d", device, "2026-03-02T12:00:00Z", "crash", version);
  }
  f.ingest(input);
  CompareRequest request;
  request.app = app;
  request.version_a = "1.0";
  request.version_b = "1.1";
  request.from_day = parse_date("2026-03-02", "from");
  request.to_day = parse_date("2026-03-10", "to");
  auto result = f.store->compare_events(request);
  REQUIRE(result.metrics.size() == 4);
  CHECK(result.metrics[0].metric == "crash-free");
  CHECK(result.metrics[0].a == Approx(0.98));
  CHECK(result.metrics[0].b == Approx(0.80));
  CHECK(result.metrics[0].n_a == 100);
  CHECK(result.metrics[0].significant);
  CHECK(result.verdict == "1.1 crashes more than 1.0: 80.0% vs 98.0% crash-free, p < 0.001");
  CHECK(result.metrics[1].a == Approx(2.5));
  CHECK(result.metrics[1].b == Approx(2.5));
  CHECK_FALSE(result.metrics[1].significant);
  CHECK(result.metrics[2].metric == "day-1 retention");
  CHECK(result.metrics[2].a == Approx(0.5));
  CHECK(result.metrics[2].n_a == 100);
  CHECK(result.metrics[3].n_a == 100);
  CHECK(result.metrics[3].a == 0.0);
  auto json = to_json(result);
  CHECK(json["metrics"][0]["p_value"].is_number());
  CHECK(json["verdict"] == result.verdict);
  request.version_b = "9.9";
  auto missing = f.store->compare_events(request);
  CHECK(missing.verdict.find("not enough data") == 0);
}
