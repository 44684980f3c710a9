// Analytics requests and results as plain data: what `mpaas analytics ingest/query/compare`
// ask a platform for, and what it answers. Each result has one JSON form (docs/json.md), a
// text layout, and for queries a CSV form whose shape scripts rely on (docs/analytics.md).
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "mpaas/analytics/event.hpp"
#include "mpaas/analytics/periods.hpp"
#include "mpaas/analytics/reader.hpp"
#include "mpaas/core/output.hpp"

namespace mpaas::analytics {

// ---- ingest ----

struct Rejection {
  std::string file;
  uint64_t line = 0;
  std::string reason;
};

struct IngestInput {
  std::string name;  // as shown in rejections ("stdin" for -)
  std::istream* stream = nullptr;
  std::optional<EventFormat> format;  // nullopt: by name, else sniffed
  uint64_t size = 0;                  // bytes, for progress; 0: unknown
};

struct IngestRequest {
  std::string app;
  std::vector<IngestInput> inputs;
  // The first bad line refuses the whole request (invalid_input naming file and line) and
  // nothing is stored; otherwise bad lines are skipped and reported.
  bool strict = false;
  // Events per batch: each batch is one segment, committed whole.
  size_t batch_events = 1000000;
  // Called for each refused line as it is met (the CLI prints it); may be empty.
  std::function<void(const Rejection&)> on_reject;
};

struct IngestResult {
  std::string app;
  uint64_t ingested = 0;
  uint64_t duplicates = 0;
  uint64_t rejected = 0;
  uint64_t files = 0;
  uint64_t batches = 0;               // committed batches
  uint64_t events = 0;                // events stored for the app afterwards
  uint64_t devices = 0;               // distinct devices stored for the app afterwards
  std::vector<Rejection> rejections;  // the first max_listed_rejections
};
constexpr size_t max_listed_rejections = 100;
Json to_json(const IngestResult& result);
TextLayout text_layout(const IngestResult& result);

// ---- query ----

enum class Metric {
  active_devices,
  new_devices,
  launches,
  crashes,
  crash_free,
  retention,
  event,
  funnel,
};
// "active-devices", ... ; usage_error naming "metric" otherwise.
Metric parse_metric(const std::string& name);
const char* metric_name(Metric metric);

// --where FIELD=VALUE: a dimension, device_id or user_id. Several values of one field are
// alternatives; different fields must all match.
struct Where {
  std::string field;  // "app_version", "device_id", ...
  std::vector<std::string> values;
};
// Parses "FIELD=VALUE" items into one Where per field; usage_error naming "where".
std::vector<Where> parse_where(const std::vector<std::string>& items);

// "30m", "12h", "1d", "7d" -> milliseconds (1 minute to 90 days); usage_error naming "window".
int64_t parse_window(const std::string& text);
std::string format_window(int64_t ms);

struct QueryRequest {
  std::string app;
  Metric metric = Metric::active_devices;
  std::string event;                 // Metric::event: its name
  std::vector<std::string> steps;    // Metric::funnel: 2..10 event names
  int64_t window_ms = 86400000;      // Metric::funnel
  int64_t from_day = 0, to_day = 0;  // local dates in `tz`, inclusive
  Interval interval = Interval::day;
  std::string tz = "UTC";
  std::optional<Dimension> group_by;
  std::vector<Where> where;
};
// Checks what a request may combine (usage_error naming the field): group-by is for series
// metrics, steps for funnels, at most 10 steps.
void check_query(const QueryRequest& request);

struct Series {
  std::optional<std::string> group;           // none without group-by
  std::vector<std::optional<double>> values;  // one per period; null: no devices to rate
  std::vector<uint64_t> devices;              // Metric::event: distinct devices per period
};

struct Cohort {
  std::string period;  // the cohort's interval
  uint64_t devices = 0;
  // Share of the cohort active 1, 2, ... intervals later; null where that interval is past
  // the end of the range.
  std::vector<std::optional<double>> retained;
};

struct FunnelStep {
  std::string event;
  uint64_t devices = 0;
  double conversion = 0;     // of the devices that did step 1
  double from_previous = 0;  // of the devices that did the step before
};

struct QueryResult {
  QueryRequest request;
  bool rate = false;                 // values are fractions 0..1 (crash-free)
  std::vector<std::string> periods;  // series and retention
  std::vector<Series> series;
  std::vector<Cohort> cohorts;     // Metric::retention
  std::vector<FunnelStep> funnel;  // Metric::funnel
};
Json to_json(const QueryResult& result);
TextLayout text_layout(const QueryResult& result);
// The CSV contract: "period,value" (+ "group" with group-by, + "devices" for an event),
// "cohort,devices,+1,...,+N" for retention, "step,event,devices,conversion" for funnels.
std::string to_csv(const QueryResult& result);

// ---- compare ----

struct CompareRequest {
  std::string app;
  std::string version_a, version_b;
  int64_t from_day = 0, to_day = 0;
  std::string tz = "UTC";
};

struct Comparison {
  std::string metric;  // "crash-free", "launches per device", "day-1 retention", ...
  bool rate = true;    // a share (two-proportion z-test) or a mean (Welch's z-test)
  double a = 0, b = 0;
  uint64_t n_a = 0, n_b = 0;       // devices behind each value
  double difference = 0;           // b - a
  double ci_low = 0, ci_high = 0;  // 95 percent confidence interval of the difference
  std::optional<double> p_value;   // none when a side has no devices
  bool significant = false;        // p < 0.05
};

struct CompareResult {
  CompareRequest request;
  std::vector<Comparison> metrics;
  std::string verdict;
};
Json to_json(const CompareResult& result);
TextLayout text_layout(const CompareResult& result);

// Statistics (docs/analytics.md): two proportions x/n, or two means with their variances.
Comparison compare_proportions(std::string metric, uint64_t x_a, uint64_t n_a, uint64_t x_b,
                               uint64_t n_b);
Comparison compare_means(std::string metric, double mean_a, double variance_a, uint64_t n_a,
                         double mean_b, double variance_b, uint64_t n_b);
// "p < 0.001", "p = 0.042".
std::string p_text(double p);
// The verdict line on crash-free rates: "2.3.1 crashes more than 2.3.0: 98.1% vs 99.2%
// crash-free, p < 0.001" (B against A).
std::string crash_verdict(const std::string& version_a, const std::string& version_b,
                          const Comparison& crash_free);

}  // namespace mpaas::analytics
