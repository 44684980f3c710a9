// `mpaas analytics` end to end: ingest from files (plain, gzip, CSV, stdin) with bad lines
// reported on stderr, duplicates across runs, --strict, then query in text, JSON and the CSV
// contract (--csv, -o csv), compare with its verdict, and the refusals' exit codes.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <sstream>

#include "process.hpp"
#include "temp_dir.hpp"

using mpaas::test::RunOptions;
using mpaas::test::RunResult;
using mpaas::test::TempDir;
using nlohmann::json;

namespace {

struct Session {
  TempDir home;
  Session() { REQUIRE(run({"app", "create", "com.example.shop"}).exit_code == 0); }
  RunResult run(const std::vector<std::string>& arguments, const std::string& input = "") {
    return mpaas::test::run_mpaas(arguments, home.path(), RunOptions{home.path(), {}, input});
  }
};

std::string line(const std::string& id, const std::string& device, const std::string& time,
                 const std::string& name, const std::string& version) {
  return R"({"time":")" + time + R"(","event_id":")" + id + R"(","device_id":")" + device +
         R"(","event":")" + name + R"(","app_version":")" + version + "\"}\n";
}

}  // namespace

TEST_CASE("analytics ingest reports bad lines, counts duplicates and reads gzip and CSV",
          "[cli][analytics]") {
  Session s;
  mpaas::test::write_text(s.home / "a.ndjson",
                          line("e1", "d1", "2026-03-02T10:00:00Z", "launch", "1.0") +
                              "{\"time\":\"later\"}\n" +
                              line("e2", "d2", "2026-03-02T11:00:00Z", "launch", "1.0"));
  auto first = s.run({"analytics", "ingest", "a.ndjson", "--app", "com.example.shop", "--json"});
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  CHECK(first.err.find("a.ndjson:2: bad time 'later'") != std::string::npos);
  auto summary = json::parse(first.out);
  CHECK(summary["ingested"] == 2);
  CHECK(summary["duplicates"] == 0);
  CHECK(summary["rejected"] == 1);

  // The same file again, gzip-compressed under a name that says nothing, plus CSV on stdin.
  REQUIRE(mpaas::test::run_program("gzip", {"-k", "-S", ".data", (s.home / "a.ndjson").string()})
              .exit_code == 0);
  auto again = s.run({"analytics", "ingest", "a.ndjson.data", "-", "--app", "com.example.shop",
                      "--json", "--quiet"},
                     "time,event_id,device_id,event,app_version\n"
                     "2026-03-03T09:00:00Z,e3,d1,crash,1.1\n");
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  auto second = json::parse(again.out);
  CHECK(second["ingested"] == 1);
  CHECK(second["duplicates"] == 2);
  CHECK(second["rejected"] == 1);
  CHECK(second["events"] == 3);
  CHECK(again.err.empty());

  // --strict: one bad line refuses everything (exit 3), and nothing new is stored.
  mpaas::test::write_text(s.home / "b.ndjson",
                          line("e9", "d9", "2026-03-02T10:00:00Z", "launch", "1.0") + "oops\n");
  auto strict = s.run({"analytics", "ingest", "b.ndjson", "--app", "com.example.shop", "--strict"});
  CHECK(strict.exit_code == 3);
  CHECK(strict.err.find("line 2 of b.ndjson") != std::string::npos);
  auto count = s.run({"analytics", "query", "active-devices", "--app", "com.example.shop", "--from",
                      "2026-03-02", "--to", "2026-03-02", "--csv"});
  CHECK(count.out == "period,value\n2026-03-02,2\n");

  CHECK(s.run({"analytics", "ingest", "a.ndjson", "--app", "com.example.none"}).exit_code == 5);
  CHECK(s.run({"analytics", "ingest", "missing.ndjson", "--app", "com.example.shop"}).exit_code ==
        5);
}

TEST_CASE("analytics query prints a table, JSON and the CSV contract", "[cli][analytics]") {
  Session s;
  mpaas::test::write_text(s.home / "e.ndjson",
                          line("e1", "d1", "2026-03-02T10:00:00Z", "launch", "1.0") +
                              line("e2", "d2", "2026-03-02T23:30:00Z", "launch", "1.1") +
                              line("e3", "d2", "2026-03-03T10:00:00Z", "crash", "1.1"));
  REQUIRE(s.run({"analytics", "ingest", "e.ndjson", "--app", "com.example.shop"}).exit_code == 0);
  std::vector<std::string> base = {"analytics",        "query",  "crash-free", "--app",
                                   "com.example.shop", "--from", "2026-03-02", "--to",
                                   "2026-03-03"};
  auto text = s.run(base);
  CHECK(text.out == "PERIOD      CRASH-FREE\n2026-03-02  100.00%\n2026-03-03  0.00%\n");
  auto csv = base;
  csv.push_back("--csv");
  CHECK(s.run(csv).out == "period,value\n2026-03-02,1.0000\n2026-03-03,0.0000\n");
  auto old_spelling = base;
  old_spelling.insert(old_spelling.end(), {"-o", "csv"});
  CHECK(s.run(old_spelling).out == "period,value\n2026-03-02,1.0000\n2026-03-03,0.0000\n");
  auto berlin = s.run({"analytics", "query", "active-devices", "--app", "com.example.shop",
                       "--from", "2026-03-02", "--to", "2026-03-03", "--tz", "Europe/Berlin",
                       "--group-by", "app_version", "--csv"});
  CHECK(berlin.out ==
        "period,group,value\n2026-03-02,1.0,1\n2026-03-02,1.1,0\n2026-03-03,1.0,0\n"
        "2026-03-03,1.1,1\n");
  auto json_out = s.run({"--json", "analytics", "query", "event", "launch", "--app",
                         "com.example.shop", "--from", "2026-03-02", "--to", "2026-03-03"});
  auto parsed = json::parse(json_out.out);
  CHECK(parsed["series"][0]["values"] == json::array({2, 0}));
  CHECK(parsed["series"][0]["devices"] == json::array({2, 0}));

  // Refusals: usage errors exit 2.
  CHECK(s.run({"analytics", "query", "bogus", "--app", "com.example.shop", "--from", "2026-03-02",
               "--to", "2026-03-03"})
            .exit_code == 2);
  CHECK(s.run({"analytics", "query", "funnel", "launch", "--app", "com.example.shop", "--from",
               "2026-03-02", "--to", "2026-03-03"})
            .exit_code == 2);
  CHECK(s.run({"analytics", "query", "launches", "--app", "com.example.shop", "--from",
               "2026-03-02", "--to", "2026-03-03", "--tz", "Nowhere/Land"})
            .exit_code == 2);
  CHECK(s.run({"app", "list", "-o", "csv"}).exit_code == 2);
}

TEST_CASE("analytics compare prints both versions and a verdict", "[cli][analytics]") {
  Session s;
  std::string events;
  for (int d = 0; d < 400; ++d) {
    std::string device = "d" + std::to_string(d), version = d < 200 ? "2.3.0" : "2.3.1";
    events += line("l" + std::to_string(d), device, "2026-03-02T10:00:00Z", "launch", version);
    if ((d < 200 && d < 2) || (d >= 200 && d < 240))
      events += line("c" + std::to_string(d), device, "2026-03-02T10:05:00Z", "crash", version);
  }
  mpaas::test::write_text(s.home / "e.ndjson", events);
  REQUIRE(s.run({"analytics", "ingest", "e.ndjson", "--app", "com.example.shop"}).exit_code == 0);
  auto result = s.run({"analytics", "compare", "--app", "com.example.shop", "--version", "2.3.0",
                       "--version", "2.3.1", "--from", "2026-03-01", "--to", "2026-03-09"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.find("verdict: 2.3.1 crashes more than 2.3.0: 80.0% vs 99.0% crash-free, "
                        "p < 0.001") == 0);
  CHECK(result.out.find("launches per device") != std::string::npos);
  CHECK(s.run({"analytics", "compare", "--app", "com.example.shop", "--version", "2.3.0", "--from",
               "2026-03-01", "--to", "2026-03-09"})
            .exit_code == 2);
  auto help = s.run({"analytics", "query", "--help"});
  CHECK(help.out.find("Examples:") != std::string::npos);
}

namespace {

// Columns of a line of terminal output: code points, not bytes (the chart's blocks and
// glyphs are three UTF-8 bytes each).
size_t columns_of(const std::string& line) {
  size_t columns = 0;
  for (unsigned char c : line)
    columns += (c & 0xC0) != 0x80;
  return columns;
}

}  // namespace

TEST_CASE("analytics query draws a terminal chart and writes an SVG chart", "[cli][analytics]") {
  Session s;
  std::string events;
  for (int d = 0; d < 30; ++d) {
    std::string day = "2026-03-0" + std::to_string(1 + d % 5) + "T10:00:00Z";
    events += line("e" + std::to_string(d), "d" + std::to_string(d), day, "launch",
                   d % 3 ? "1.0" : "1.1");
  }
  mpaas::test::write_text(s.home / "e.ndjson", events);
  REQUIRE(s.run({"analytics", "ingest", "e.ndjson", "--app", "com.example.shop"}).exit_code == 0);
  std::vector<std::string> query = {"analytics",        "query",  "active-devices", "--app",
                                    "com.example.shop", "--from", "2026-03-01",     "--to",
                                    "2026-03-05"};
  auto with = [&](std::vector<std::string> extra) {
    auto arguments = query;
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    return arguments;
  };
  auto narrow = RunOptions{s.home.path(), {{"COLUMNS", "50"}}, ""};

  SECTION("one series: block columns, axis labels and the (all) legend, within $COLUMNS") {
    auto drawn = mpaas::test::run_mpaas(with({"--chart"}), s.home.path(), narrow);
    INFO(drawn.out << drawn.err);
    REQUIRE(drawn.exit_code == 0);
    CHECK(drawn.out.find("active-devices, com.example.shop, per day (UTC)") != std::string::npos);
    CHECK(drawn.out.find("█") != std::string::npos);
    CHECK(drawn.out.find("2026-03-01") != std::string::npos);
    CHECK(drawn.out.find("(all)") != std::string::npos);
    CHECK(drawn.out.find("\x1b[") == std::string::npos);  // not a terminal: no colour
    std::istringstream lines(drawn.out);
    for (std::string each; std::getline(lines, each);)
      CHECK(columns_of(each) <= 50);
  }
  SECTION("several groups: one legend line each") {
    auto drawn = mpaas::test::run_mpaas(with({"--chart", "--group-by", "app_version"}),
                                        s.home.path(), narrow);
    REQUIRE(drawn.exit_code == 0);
    CHECK(drawn.out.find("1.0") != std::string::npos);
    CHECK(drawn.out.find("1.1") != std::string::npos);
    CHECK(drawn.out.find("(all)") == std::string::npos);
  }
  SECTION("--chart-out writes a standalone SVG beside the JSON; --chart refuses JSON") {
    auto written = s.run(with({"--group-by", "app_version", "--chart-out", "dau.svg", "--json"}));
    INFO(written.err);
    REQUIRE(written.exit_code == 0);
    CHECK(json::parse(written.out)["series"].size() == 2);
    auto svg = mpaas::test::read_text(s.home / "dau.svg");
    CHECK(svg.rfind("<?xml", 0) == 0);
    CHECK(svg.find("<svg") != std::string::npos);
    CHECK(svg.find("active-devices, com.example.shop") != std::string::npos);
    CHECK(svg.find(">1.1<") != std::string::npos);
    CHECK(s.run(with({"--chart", "--json"})).exit_code == 2);
    CHECK(s.run(with({"--chart", "--csv"})).exit_code == 2);
  }
  SECTION("a failed query leaves no SVG behind") {
    auto failed = s.run({"analytics", "query", "launches", "--app", "com.example.none", "--from",
                         "2026-03-01", "--to", "2026-03-05", "--chart-out", "none.svg"});
    CHECK(failed.exit_code == 5);
    CHECK_FALSE(std::filesystem::exists(s.home / "none.svg"));
  }
}
