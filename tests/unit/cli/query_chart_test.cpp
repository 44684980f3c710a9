// What `mpaas analytics query --chart` draws for each kind of result: series as they are,
// the retention curve weighted by cohort size, a funnel's conversion per step.
#include <catch2/catch.hpp>

#include "analytics/query_chart.hpp"

using namespace mpaas;
using analytics::Metric;
using analytics::QueryResult;

TEST_CASE("a series query charts its periods and groups, (all) without group-by",
          "[analytics][chart]") {
  QueryResult result;
  result.request.app = "com.example.shop";
  result.request.metric = Metric::crash_free;
  result.rate = true;
  result.periods = {"2026-03-01", "2026-03-02"};
  result.series = {{std::nullopt, {0.99, std::nullopt}, {}}};
  auto chart = analytics::chart_of(result);
  CHECK(chart.title == "crash-free, com.example.shop, per day (UTC)");
  CHECK(chart.fraction);
  CHECK(chart.x_labels == result.periods);
  REQUIRE(chart.series.size() == 1);
  CHECK(chart.series[0].name == "(all)");
  CHECK(chart.series[0].values == result.series[0].values);

  result.request.group_by = analytics::Dimension::app_version;
  result.series = {{"2.3.0", {1.0, 0.5}, {}}, {"2.3.1", {0.9, 0.8}, {}}};
  chart = analytics::chart_of(result);
  CHECK(chart.title == "crash-free, com.example.shop, per day (UTC), by app_version");
  REQUIRE(chart.series.size() == 2);
  CHECK(chart.series[1].name == "2.3.1");
}

TEST_CASE("a retention chart is the cohorts' curve, weighted by their devices",
          "[analytics][chart]") {
  QueryResult result;
  result.request.app = "a";
  result.request.metric = Metric::retention;
  // 100 devices keep 50% and 20%; 300 devices keep 10% on +1 and have no +2 yet.
  result.cohorts = {{"2026-03-01", 100, {0.5, 0.2}},
                    {"2026-03-02", 300, {0.1, std::nullopt}},
                    {"2026-03-03", 0, {}}};
  auto chart = analytics::chart_of(result);
  CHECK(chart.fraction);
  CHECK(chart.x_labels == std::vector<std::string>{"+1", "+2"});
  REQUIRE(chart.series.size() == 1);
  REQUIRE(chart.series[0].values.size() == 2);
  CHECK(*chart.series[0].values[0] == Approx((50.0 + 30.0) / 400.0));
  CHECK(*chart.series[0].values[1] == Approx(0.2));
}

TEST_CASE("a funnel chart shows each step's conversion from the first", "[analytics][chart]") {
  QueryResult result;
  result.request.app = "a";
  result.request.metric = Metric::funnel;
  result.request.steps = {"launch", "purchase"};
  result.funnel = {{"launch", 10, 1.0, 1.0}, {"purchase", 3, 0.3, 0.3}};
  auto chart = analytics::chart_of(result);
  CHECK(chart.title == "funnel, a, conversion from launch within 1d");
  CHECK(chart.x_labels == std::vector<std::string>{"launch", "purchase"});
  CHECK(chart.series[0].values == std::vector<std::optional<double>>{1.0, 0.3});
}
