// Requests, results, their JSON, text and CSV forms, and the statistics of compare.
#include "mpaas/analytics/query.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "mpaas/core/error.hpp"

namespace mpaas::analytics {
namespace {

constexpr const char* metric_names[] = {"active-devices", "new-devices", "launches", "crashes",
                                        "crash-free",     "retention",   "event",    "funnel"};

std::string fixed4(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4f", value);
  return text;
}

std::string csv_cell(const std::string& text) {
  bool quote = text.find_first_of(",\"\r\n") != std::string::npos ||
               (!text.empty() && (text[0] == '=' || text[0] == '+' || text[0] == '-' ||
                                  text[0] == '@' || text[0] == ' '));
  if (!quote)
    return text;
  std::string out = "\"";
  for (char c : text) {
    out += c;
    if (c == '"')
      out += '"';
  }
  return out + "\"";
}

std::string csv_number(const std::optional<double>& value, bool rate) {
  if (!value)
    return "";
  if (rate)
    return fixed4(*value);
  return std::to_string(static_cast<uint64_t>(std::llround(*value)));
}

Json number_json(const std::optional<double>& value, bool rate) {
  if (!value)
    return nullptr;
  if (rate)
    return *value;
  return static_cast<uint64_t>(std::llround(*value));
}

Json request_json(const QueryRequest& request) {
  Json json = Json::object();
  json["app"] = request.app;
  json["metric"] = metric_name(request.metric);
  if (request.metric == Metric::event)
    json["event"] = request.event;
  if (request.metric == Metric::funnel) {
    json["steps"] = request.steps;
    json["window"] = format_window(request.window_ms);
  }
  json["from"] = format_date(request.from_day);
  json["to"] = format_date(request.to_day);
  json["interval"] = interval_name(request.interval);
  json["tz"] = request.tz;
  json["group_by"] = request.group_by ? Json(dimension_name(*request.group_by)) : Json(nullptr);
  Json where = Json::object();
  for (const auto& item : request.where)
    where[item.field] = item.values;
  json["where"] = where;
  return json;
}

bool is_series(Metric metric) {
  return metric != Metric::retention && metric != Metric::funnel;
}

double normal_cdf(double z) {
  return 0.5 * std::erfc(-z / std::sqrt(2.0));
}

double two_sided_p(double z) {
  return std::min(1.0, 2.0 * (1.0 - normal_cdf(std::fabs(z))));
}

std::string percent1(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f%%", value * 100);
  return text;
}

}  // namespace

// ---- ingest ----

Json to_json(const IngestResult& result) {
  Json rejections = Json::array();
  for (const auto& rejection : result.rejections)
    rejections.push_back(
        Json{{"file", rejection.file}, {"line", rejection.line}, {"reason", rejection.reason}});
  return Json{{"ingested", result.ingested}, {"duplicates", result.duplicates},
              {"rejected", result.rejected}, {"app", result.app},
              {"files", result.files},       {"batches", result.batches},
              {"events", result.events},     {"devices", result.devices},
              {"rejections", rejections}};
}

TextLayout text_layout(const IngestResult&) {
  return TextLayout::record({{"ingested", "ingested"},
                             {"duplicates", "duplicates"},
                             {"rejected", "rejected"},
                             {"events", "events stored"},
                             {"devices", "devices"}});
}

// ---- query requests ----

Metric parse_metric(const std::string& name) {
  for (size_t i = 0; i < std::size(metric_names); ++i) {
    if (name == metric_names[i])
      return static_cast<Metric>(i);
  }
  throw usage_error("unknown metric '" + name.substr(0, 40) +
                        "', expected active-devices, new-devices, launches, crashes, "
                        "crash-free, retention, event or funnel",
                    "metric");
}

const char* metric_name(Metric metric) {
  return metric_names[static_cast<size_t>(metric)];
}

std::vector<Where> parse_where(const std::vector<std::string>& items) {
  std::vector<Where> where;
  for (const auto& item : items) {
    auto equals = item.find('=');
    if (equals == std::string::npos || equals == 0)
      throw usage_error("invalid filter '" + item.substr(0, 60) + "', expected FIELD=VALUE",
                        "where");
    std::string field = item.substr(0, equals);
    std::string value = item.substr(equals + 1);
    if (auto dimension = parse_dimension(field)) {
      field = dimension_name(*dimension);
    } else if (field != "device_id" && field != "user_id") {
      throw usage_error("unknown filter field '" + field.substr(0, 40) +
                            "', expected platform, app_version, os_version, model, region, "
                            "network, channel, event, device_id or user_id",
                        "where");
    }
    if (value.size() > max_device_bytes)
      throw usage_error("the filter value for " + field + " is too long", "where");
    auto same =
        std::find_if(where.begin(), where.end(), [&](const Where& w) { return w.field == field; });
    if (same == where.end())
      where.push_back(Where{field, {value}});
    else
      same->values.push_back(value);
  }
  return where;
}

int64_t parse_window(const std::string& text) {
  auto bad = [&] {
    return usage_error("invalid window '" + text.substr(0, 20) +
                           "', expected a number and m, h or d (30m, 12h, 1d), up to 90d",
                       "window");
  };
  if (text.size() < 2 || text.size() > 8)
    throw bad();
  int64_t number = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9')
      throw bad();
    number = number * 10 + (text[i] - '0');
  }
  int64_t unit = text.back() == 'm'   ? 60000
                 : text.back() == 'h' ? 3600000
                 : text.back() == 'd' ? 86400000
                                      : 0;
  if (unit == 0 || number == 0 || number * unit > 90LL * 86400000)
    throw bad();
  return number * unit;
}

std::string format_window(int64_t ms) {
  if (ms % 86400000 == 0)
    return std::to_string(ms / 86400000) + "d";
  if (ms % 3600000 == 0)
    return std::to_string(ms / 3600000) + "h";
  return std::to_string(ms / 60000) + "m";
}

void check_query(const QueryRequest& request) {
  if (request.group_by && !is_series(request.metric))
    throw usage_error(
        std::string("group-by is for series metrics, not ") + metric_name(request.metric),
        "group-by");
  if (request.metric == Metric::funnel && (request.steps.size() < 2 || request.steps.size() > 10))
    throw usage_error("a funnel has 2 to 10 steps", "steps");
  if (request.metric == Metric::event && request.event.empty())
    throw usage_error("the event metric needs an event name", "event");
  for (const auto& step : request.steps) {
    if (step.empty() || step.size() > max_dimension_bytes)
      throw usage_error("invalid funnel step name", "steps");
  }
  if (request.to_day < request.from_day)
    throw usage_error("the range ends before it starts", "to");
}

// ---- query results ----

Json to_json(const QueryResult& result) {
  Json json = request_json(result.request);
  json["unit"] = result.rate ? "fraction" : "count";
  const auto metric = result.request.metric;
  if (metric == Metric::retention) {
    Json cohorts = Json::array();
    for (const auto& cohort : result.cohorts) {
      Json row = Json::object();
      row["cohort"] = cohort.period;
      row["devices"] = cohort.devices;
      Json shares = Json::array();
      for (size_t k = 0; k < cohort.retained.size(); ++k) {
        row["+" + std::to_string(k + 1)] = number_json(cohort.retained[k], true);
        shares.push_back(number_json(cohort.retained[k], true));
      }
      row["retained"] = shares;
      cohorts.push_back(row);
    }
    json["unit"] = "fraction";
    json["cohorts"] = cohorts;
    return json;
  }
  if (metric == Metric::funnel) {
    Json steps = Json::array();
    for (size_t i = 0; i < result.funnel.size(); ++i) {
      const auto& step = result.funnel[i];
      steps.push_back(Json{{"step", i + 1},
                           {"event", step.event},
                           {"devices", step.devices},
                           {"conversion", step.conversion},
                           {"from_previous", step.from_previous}});
    }
    json["funnel"] = steps;
    return json;
  }
  json["periods"] = result.periods;
  Json series = Json::array();
  Json rows = Json::array();
  for (const auto& one : result.series) {
    Json values = Json::array();
    for (const auto& value : one.values)
      values.push_back(number_json(value, result.rate));
    Json item{{"group", one.group ? Json(*one.group) : Json(nullptr)}, {"values", values}};
    if (metric == Metric::event)
      item["devices"] = one.devices;
    series.push_back(item);
  }
  for (size_t p = 0; p < result.periods.size(); ++p) {
    for (const auto& one : result.series) {
      Json row = Json::object();
      row["period"] = result.periods[p];
      if (result.request.group_by)
        row["group"] = one.group ? *one.group : "";
      row["value"] = number_json(one.values[p], result.rate);
      if (metric == Metric::event)
        row["devices"] = one.devices[p];
      rows.push_back(row);
    }
  }
  json["series"] = series;
  json["rows"] = rows;
  return json;
}

TextLayout text_layout(const QueryResult& result) {
  const auto metric = result.request.metric;
  if (metric == Metric::retention) {
    std::vector<Column> columns{{"cohort", "cohort"}, {"devices", "devices"}};
    size_t widest = 0;
    for (const auto& cohort : result.cohorts)
      widest = std::max(widest, cohort.retained.size());
    for (size_t k = 1; k <= widest; ++k)
      columns.emplace_back("+" + std::to_string(k), "+" + std::to_string(k), Unit::percent);
    return TextLayout::table(columns, "cohorts");
  }
  if (metric == Metric::funnel)
    return TextLayout::table({{"step", "step"},
                              {"event", "event"},
                              {"devices", "devices"},
                              {"conversion", "conversion", Unit::percent},
                              {"from_previous", "from previous", Unit::percent}},
                             "funnel");
  std::vector<Column> columns{{"period", "period"}};
  if (result.request.group_by)
    columns.emplace_back("group", dimension_name(*result.request.group_by));
  columns.emplace_back("value", metric == Metric::event ? "events" : metric_name(metric),
                       result.rate ? Unit::percent : Unit::plain);
  if (metric == Metric::event)
    columns.emplace_back("devices", "devices");
  return TextLayout::table(columns, "rows");
}

std::string to_csv(const QueryResult& result) {
  std::string out;
  const auto metric = result.request.metric;
  if (metric == Metric::retention) {
    size_t widest = 0;
    for (const auto& cohort : result.cohorts)
      widest = std::max(widest, cohort.retained.size());
    out += "cohort,devices";
    // Appended piece by piece: `"," + temporary` trips a false -Wrestrict in GCC 12 -O2.
    for (size_t k = 1; k <= widest; ++k) {
      out += ",+";
      out += std::to_string(k);
    }
    out += '\n';
    for (const auto& cohort : result.cohorts) {
      out += csv_cell(cohort.period);
      out += ',';
      out += std::to_string(cohort.devices);
      for (size_t k = 0; k < widest; ++k) {
        out += ',';
        if (k < cohort.retained.size())
          out += csv_number(cohort.retained[k], true);
      }
      out += '\n';
    }
    return out;
  }
  if (metric == Metric::funnel) {
    out += "step,event,devices,conversion\n";
    for (size_t i = 0; i < result.funnel.size(); ++i) {
      const auto& step = result.funnel[i];
      out += std::to_string(i + 1) + "," + csv_cell(step.event) + "," +
             std::to_string(step.devices) + "," + fixed4(step.conversion) + "\n";
    }
    return out;
  }
  bool grouped = result.request.group_by.has_value();
  out += grouped ? "period,group,value" : "period,value";
  out += metric == Metric::event ? ",devices\n" : "\n";
  for (size_t p = 0; p < result.periods.size(); ++p) {
    for (const auto& one : result.series) {
      out += csv_cell(result.periods[p]);
      if (grouped) {
        out += ',';
        out += csv_cell(one.group.value_or(""));
      }
      out += ',';
      out += csv_number(one.values[p], result.rate);
      if (metric == Metric::event) {
        out += ',';
        out += std::to_string(one.devices[p]);
      }
      out += '\n';
    }
  }
  return out;
}

// ---- compare ----

Comparison compare_proportions(std::string metric, uint64_t x_a, uint64_t n_a, uint64_t x_b,
                               uint64_t n_b) {
  Comparison c;
  c.metric = std::move(metric);
  c.rate = true;
  c.n_a = n_a;
  c.n_b = n_b;
  c.a = n_a ? static_cast<double>(x_a) / static_cast<double>(n_a) : 0;
  c.b = n_b ? static_cast<double>(x_b) / static_cast<double>(n_b) : 0;
  c.difference = c.b - c.a;
  if (n_a == 0 || n_b == 0)
    return c;
  double na = static_cast<double>(n_a), nb = static_cast<double>(n_b);
  // Confidence interval: the unpooled (Wald) standard error of the difference.
  double se = std::sqrt(c.a * (1 - c.a) / na + c.b * (1 - c.b) / nb);
  c.ci_low = c.difference - 1.959964 * se;
  c.ci_high = c.difference + 1.959964 * se;
  // The test: the pooled standard error under "no difference".
  double pooled = static_cast<double>(x_a + x_b) / (na + nb);
  double se0 = std::sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb));
  c.p_value = se0 > 0 ? two_sided_p(c.difference / se0) : (c.difference == 0 ? 1.0 : 0.0);
  c.significant = *c.p_value < 0.05;
  return c;
}

Comparison compare_means(std::string metric, double mean_a, double variance_a, uint64_t n_a,
                         double mean_b, double variance_b, uint64_t n_b) {
  Comparison c;
  c.metric = std::move(metric);
  c.rate = false;
  c.n_a = n_a;
  c.n_b = n_b;
  c.a = mean_a;
  c.b = mean_b;
  c.difference = mean_b - mean_a;
  if (n_a < 2 || n_b < 2)
    return c;
  double se =
      std::sqrt(variance_a / static_cast<double>(n_a) + variance_b / static_cast<double>(n_b));
  c.ci_low = c.difference - 1.959964 * se;
  c.ci_high = c.difference + 1.959964 * se;
  c.p_value = se > 0 ? two_sided_p(c.difference / se) : (c.difference == 0 ? 1.0 : 0.0);
  c.significant = *c.p_value < 0.05;
  return c;
}

std::string p_text(double p) {
  if (p < 0.001)
    return "p < 0.001";
  char text[32];
  std::snprintf(text, sizeof text, "p = %.3f", p);
  return text;
}

std::string crash_verdict(const std::string& version_a, const std::string& version_b,
                          const Comparison& crash_free) {
  if (!crash_free.p_value)
    return "not enough data: " + (crash_free.n_a == 0 ? version_a : version_b) +
           " has no active devices in the range";
  std::string rates = percent1(crash_free.b) + " vs " + percent1(crash_free.a) + " crash-free, " +
                      p_text(*crash_free.p_value);
  if (!crash_free.significant)
    return "no significant difference in crashes between " + version_b + " and " + version_a +
           ": " + rates;
  return version_b + (crash_free.b < crash_free.a ? " crashes more than " : " crashes less than ") +
         version_a + ": " + rates;
}

Json to_json(const CompareResult& result) {
  // Four decimals: a share to a hundredth of a percent, a mean to 1/10000.
  auto round4 = [](double value) { return std::round(value * 10000) / 10000; };
  Json metrics = Json::array();
  for (const auto& c : result.metrics) {
    metrics.push_back(
        Json{{"metric", c.metric},
             {"unit", c.rate ? "fraction" : "mean"},
             {"a", round4(c.a)},
             {"b", round4(c.b)},
             {"devices_a", c.n_a},
             {"devices_b", c.n_b},
             {"difference", round4(c.difference)},
             {"ci_low", c.p_value ? Json(round4(c.ci_low)) : Json(nullptr)},
             {"ci_high", c.p_value ? Json(round4(c.ci_high)) : Json(nullptr)},
             // Six decimals: "p < 0.001" needs no more, and text stays short.
             {"p_value", c.p_value ? Json(std::round(*c.p_value * 1e6) / 1e6) : Json(nullptr)},
             {"significant", c.significant}});
  }
  return Json{{"app", result.request.app},
              {"version_a", result.request.version_a},
              {"version_b", result.request.version_b},
              {"from", format_date(result.request.from_day)},
              {"to", format_date(result.request.to_day)},
              {"tz", result.request.tz},
              {"metrics", metrics},
              {"verdict", result.verdict}};
}

TextLayout text_layout(const CompareResult& result) {
  // The table reads values as text already formatted per unit, so the JSON stays numeric.
  TextLayout layout = TextLayout::record({{"verdict", "verdict"}});
  layout.sections.push_back({"metrics",
                             {{"metric", "metric"},
                              {"a", result.request.version_a.substr(0, 40)},
                              {"b", result.request.version_b.substr(0, 40)},
                              {"difference", "difference"},
                              {"ci_low", "ci low"},
                              {"ci_high", "ci high"},
                              {"p_value", "p"},
                              {"significant", "significant"}}});
  return layout;
}

}  // namespace mpaas::analytics
