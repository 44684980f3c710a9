// Analytics events: NDJSON and CSV lines, every refusal of a hostile line, times, the line
// reader over plain and gzip streams, and calendar periods in time zones (DST, ISO weeks).
#include <zlib.h>

#include <catch2/catch.hpp>
#include <sstream>

#include "error_kind.hpp"
#include "mpaas/analytics/event.hpp"
#include "mpaas/analytics/periods.hpp"
#include "mpaas/analytics/query.hpp"
#include "mpaas/analytics/reader.hpp"
#include "mpaas/core/error.hpp"

using namespace mpaas;
using namespace mpaas::analytics;
using mpaas::test::kind_of_error;

namespace {

std::optional<std::string> refusal(const std::string& line) {
  Event event;
  auto error = parse_ndjson_event(line, event);
  if (error)
    return error->reason;
  return std::nullopt;
}

std::string gzip(const std::string& text) {
  z_stream stream{};
  REQUIRE(deflateInit2(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&stream, text.size()) + 64, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  stream.avail_in = static_cast<uInt>(text.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&stream, Z_FINISH) == Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

const std::string good =
    R"({"time":"2026-03-02T10:00:00.250+01:00","event_id":"e1","device_id":"d1",)"
    R"("user_id":"u1","platform":"android","app_version":"2.3.1","os_version":"14",)"
    R"("model":"Pixel 8","region":"EU","network":"wifi","channel":"play","event":"launch",)"
    R"("properties":{ "screen" : "home", "n": [1, 2.5e3, true, null] }})";

}  // namespace

TEST_CASE("an NDJSON event line is read with every field", "[analytics]") {
  Event event;
  REQUIRE_FALSE(parse_ndjson_event(good, event));
  CHECK(event.time == 1772442000250);  // 2026-03-02T09:00:00.250Z
  CHECK(event.id == "e1");
  CHECK(event.device == "d1");
  CHECK(event.user == "u1");
  CHECK(event[Dimension::app_version] == "2.3.1");
  CHECK(event[Dimension::model] == "Pixel 8");
  CHECK(event.name() == "launch");
  CHECK(event.properties == R"({"screen":"home","n":[1,2.5e3,true,null]})");

  REQUIRE_FALSE(parse_ndjson_event(
      R"({"time":1772442000250,"event_id":"e2","device_id":"d1","event":"crash","extra":{"a":[1]}})",
      event));
  CHECK(event.time == 1772442000250);
  CHECK(event.properties.empty());
  CHECK(event[Dimension::region].empty());
}

TEST_CASE("hostile NDJSON lines are refused with a reason", "[analytics]") {
  const std::string base =
      R"("time":1772442000000,"event_id":"e1","device_id":"d1","event":"launch")";
  CHECK(refusal("{" + base + "}") == std::nullopt);
  CHECK(refusal("not json") == "not a JSON object");
  CHECK(refusal(R"({"time":1772442000000,"event_id":"e1","event":"launch"})") ==
        "device_id is missing");
  CHECK(refusal(R"({"time":"yesterday","event_id":"e1","device_id":"d1","event":"x"})")
            ->find("bad time") == 0);
  CHECK(refusal(R"({"time":1,"event_id":"e1","device_id":"d1","event":"x"})")->find("bad time") ==
        0);
  CHECK(refusal("{" + base + R"(,"event_id":"e2"})") == "\"event_id\" given twice");
  CHECK(refusal("{" + base + "} trailing") == "characters after the object");
  CHECK(refusal("{" + base + R"(,"device_id":"a b"})") == "\"device_id\" given twice");
  CHECK(refusal(R"({"time":1772442000000,"event_id":"e1","device_id":"a b","event":"x"})")
            ->find("bad device_id") == 0);
  CHECK(refusal("{" + base + ",\"model\":\"\xff\xfe\"}") == "a string is not UTF-8");
  CHECK(refusal("{" + base + R"(,"model":"a\u0007b"})")->find("model is not UTF-8 text") == 0);
  CHECK(refusal("{" + base + R"(,"model":"\ud800"})") == "lone surrogate in a string");
  CHECK(refusal("{" + base + R"(,"properties":[1]})") == "properties is not an object");
  std::string nested = "1";
  for (int i = 0; i < 9; ++i)
    nested = R"({"a":)" + nested + "}";
  std::string deep = "{" + base + R"(,"properties":)" + nested + "}";
  CHECK(refusal(deep)->find("nested deeper than 8 levels") != std::string::npos);
  std::string members = "{" + base + R"(,"properties":{"a":[)";
  for (int i = 0; i < 300; ++i)
    members += (i ? ",0" : "0");
  CHECK(refusal(members + "]}}")->find("more than 256 members") != std::string::npos);
  std::string big = "{" + base + R"(,"properties":{"a":")" + std::string(9000, 'x') + "\"}}";
  CHECK(refusal(big)->find("longer than 8192 bytes") != std::string::npos);
  CHECK(refusal(std::string(70000, ' ') + "{" + base + "}")->find("line longer") == 0);
  // An unknown key may hold any valid JSON, but it must be valid and bounded.
  CHECK(refusal("{" + base + R"(,"sdk":{"v":[1,{"x":null}]}})") == std::nullopt);
  CHECK(refusal("{" + base + R"(,"sdk":{"v":[1,}})") != std::nullopt);
  CHECK(refusal("{" + base + R"(,"sdk":)" + std::string(100000 / 2, '[')) != std::nullopt);
}

TEST_CASE("event times are RFC 3339 or epoch milliseconds within bounds", "[analytics]") {
  CHECK(parse_event_time("2026-03-02T09:00:00Z") == 1772442000000);
  CHECK(parse_event_time("2026-03-02T09:00:00.5Z") == 1772442000500);
  CHECK(parse_event_time("2026-03-02T17:00:00+08:00") == 1772442000000);
  CHECK(parse_event_time("1772442000000") == 1772442000000);
  CHECK_FALSE(parse_event_time("2026-02-29T00:00:00Z"));
  CHECK(parse_event_time("2028-02-29T00:00:00Z"));
  CHECK_FALSE(parse_event_time("1999-12-31T23:59:59Z"));
  CHECK_FALSE(parse_event_time("2026-03-02T09:00:00"));
  CHECK_FALSE(parse_event_time("99999999999999999999"));
}

TEST_CASE("CSV events follow their header", "[analytics]") {
  auto header = parse_csv_header("event_id,time,device_id,event,model,properties,ignored", "e.csv");
  Event event;
  REQUIRE_FALSE(parse_csv_event(
      R"(e1,2026-03-02T09:00:00Z,d1,launch,"Galaxy ""S"", 24","{""a"": 1}",zzz)", header, event));
  CHECK(event[Dimension::model] == "Galaxy \"S\", 24");
  CHECK(event.properties == R"({"a":1})");
  CHECK(parse_csv_event("e1,2026-03-02T09:00:00Z,d1,launch,x", header, event)->reason ==
        "expected 7 fields, found 5");
  CHECK(parse_csv_event(R"(e1,2026-03-02T09:00:00Z,d1,launch,"x,,)", header, event)
            ->reason.find("unterminated") == 0);
  CHECK(parse_csv_event(R"(e1,2026-03-02T09:00:00Z,d1,launch,x"y,,)", header, event)->reason ==
        "a quote inside an unquoted field");
  CHECK(kind_of_error([] { parse_csv_header("time,device_id,event", "e.csv"); }) ==
        ErrorKind::invalid_input);
  CHECK(kind_of_error([] { parse_csv_header("time,time,event_id,device_id,event", "e.csv"); }) ==
        ErrorKind::invalid_input);
}

TEST_CASE("the event reader takes plain and gzip input, and sniffs the format", "[analytics]") {
  std::string ndjson;
  for (int i = 0; i < 3; ++i)
    ndjson += R"({"time":1772442000000,"event_id":"e)" + std::to_string(i) +
              R"(","device_id":"d1","event":"launch"})" + "\r\n";
  ndjson += "\n{broken\n";
  const std::vector<std::pair<std::string, uint64_t>> inputs = {
      {ndjson, 5}, {gzip(ndjson), 5}, {gzip(ndjson) + gzip(ndjson), 10}};
  for (const auto& [bytes, last_bad_line] : inputs) {
    std::istringstream in(bytes);
    EventReader reader(in, "events", std::nullopt);
    Event event;
    LineError error;
    int events = 0, rejected = 0;
    uint64_t bad_line = 0;
    while (true) {
      auto status = reader.next(event, error);
      if (status == EventReader::Status::end)
        break;
      if (status == EventReader::Status::event)
        ++events;
      else {
        ++rejected;
        bad_line = reader.line_number();
      }
    }
    CHECK(events % 3 == 0);
    CHECK(events > 0);
    CHECK(rejected == events / 3);
    CHECK(bad_line == last_bad_line);
  }
  // A damaged gzip stream is an error, not silently short data.
  std::string damaged = gzip(ndjson);
  damaged.resize(damaged.size() / 2);
  std::istringstream in(damaged);
  EventReader reader(in, "events.gz", std::nullopt);
  Event event;
  LineError error;
  CHECK(kind_of_error([&] {
          while (reader.next(event, error) != EventReader::Status::end) {
          }
        }) == ErrorKind::invalid_input);
  std::istringstream csv("time,event_id,device_id,event\n2026-03-02T09:00:00Z,e1,d1,launch\n");
  EventReader csv_reader(csv, "stdin", std::nullopt);
  REQUIRE(csv_reader.next(event, error) == EventReader::Status::event);
  CHECK(event.id == "e1");
}

TEST_CASE("periods follow the time zone across daylight-saving changes", "[analytics]") {
  auto berlin = TimeZone::locate("Europe/Berlin");
  int64_t day = parse_date("2026-03-29", "from");  // CET -> CEST at 02:00
  auto days = make_periods(day, day + 1, Interval::day, berlin);
  REQUIRE(days.size() == 2);
  CHECK(days.starts[0] == 1774738800000);  // 2026-03-28T23:00:00Z
  CHECK(days.starts[1] == 1774821600000);  // 2026-03-29T22:00:00Z: a 23-hour day
  auto hours = make_periods(day, day, Interval::hour, berlin);
  REQUIRE(hours.size() == 23);
  CHECK(hours.labels[1] == "2026-03-29T01:00:00+01:00");
  CHECK(hours.labels[2] == "2026-03-29T03:00:00+02:00");
  int64_t autumn = parse_date("2026-10-25", "from");  // CEST -> CET: 25 hours
  auto long_day = make_periods(autumn, autumn, Interval::hour, berlin);
  REQUIRE(long_day.size() == 25);
  CHECK(long_day.labels[2] == "2026-10-25T02:00:00+02:00");
  CHECK(long_day.labels[3] == "2026-10-25T02:00:00+01:00");

  auto utc = TimeZone::locate("UTC");
  auto weeks = make_periods(parse_date("2026-03-04", "from"), parse_date("2026-03-16", "to"),
                            Interval::week, utc);
  CHECK(weeks.labels == std::vector<std::string>{"2026-03-02", "2026-03-09", "2026-03-16"});
  auto months = make_periods(parse_date("2026-01-31", "from"), parse_date("2026-03-01", "to"),
                             Interval::month, utc);
  CHECK(months.labels == std::vector<std::string>{"2026-01-01", "2026-02-01", "2026-03-01"});
  CHECK(months.index_of(months.starts[1]) == 1);
  CHECK(months.index_of(months.starts.back()) == -1);

  CHECK(kind_of_error([] { TimeZone::locate("Mars/Olympus"); }) == ErrorKind::usage);
  CHECK(kind_of_error([] { TimeZone::locate("../../etc/passwd"); }) == ErrorKind::usage);
  CHECK(kind_of_error([] { parse_date("2026-02-30", "from"); }) == ErrorKind::usage);
}

TEST_CASE("the two-proportion z-test and its confidence interval", "[analytics]") {
  auto c = compare_proportions("crash-free", 90, 100, 80, 100);
  CHECK(c.difference == Approx(-0.10));
  CHECK(c.ci_low == Approx(-0.198).margin(0.001));
  CHECK(c.ci_high == Approx(-0.002).margin(0.001));
  REQUIRE(c.p_value);
  CHECK(*c.p_value == Approx(0.0477).margin(0.0005));
  CHECK(c.significant);
  CHECK(p_text(*c.p_value) == "p = 0.048");
  CHECK(p_text(0.0001) == "p < 0.001");
  CHECK(crash_verdict("2.3.0", "2.3.1", c) ==
        "2.3.1 crashes more than 2.3.0: 80.0% vs 90.0% crash-free, p = 0.048");
  auto same = compare_proportions("crash-free", 99, 100, 98, 100);
  CHECK_FALSE(same.significant);
  CHECK(crash_verdict("1", "2", same).find("no significant difference") == 0);
  CHECK_FALSE(compare_proportions("crash-free", 0, 0, 1, 1).p_value);
}
