// Query results as charts (see query_chart.hpp).
#include "analytics/query_chart.hpp"

namespace mpaas::analytics {
namespace {

std::string title_of(const QueryResult& result) {
  const auto& request = result.request;
  std::string metric = metric_name(request.metric);
  if (request.metric == Metric::event)
    metric += " " + request.event;
  std::string title = metric + ", " + request.app;
  if (request.metric == Metric::funnel)
    return title + ", conversion from " + request.steps.front() + " within " +
           format_window(request.window_ms);
  if (request.metric == Metric::retention)
    return title + ", per " + interval_name(request.interval) + " cohort (" + request.tz + ")";
  title += std::string(", per ") + interval_name(request.interval) + " (" + request.tz + ")";
  if (request.group_by)
    title += std::string(", by ") + dimension_name(*request.group_by);
  return title;
}

chart::Chart series_chart(const QueryResult& result) {
  chart::Chart chart;
  chart.x_labels = result.periods;
  chart.fraction = result.rate;
  for (const auto& series : result.series)
    chart.series.push_back({series.group.value_or(ungrouped_series_name), series.values});
  return chart;
}

// Each cohort's share N intervals later, weighted by its devices: the share of all the
// devices of the cohorts that have an N-th interval inside the range.
chart::Chart retention_chart(const QueryResult& result) {
  size_t longest = 0;
  for (const auto& cohort : result.cohorts)
    longest = std::max(longest, cohort.retained.size());
  chart::Series curve{ungrouped_series_name, {}};
  chart::Chart chart;
  chart.fraction = true;
  for (size_t later = 0; later < longest; ++later) {
    double retained = 0, devices = 0;
    for (const auto& cohort : result.cohorts) {
      if (later >= cohort.retained.size() || !cohort.retained[later] || cohort.devices == 0)
        continue;
      retained += *cohort.retained[later] * static_cast<double>(cohort.devices);
      devices += static_cast<double>(cohort.devices);
    }
    // Appended, not "+" + temporary, where GCC 12 at -O3 warns falsely inside libstdc++.
    std::string label = "+";
    label += std::to_string(later + 1);
    chart.x_labels.push_back(std::move(label));
    curve.values.push_back(devices > 0 ? std::optional<double>(retained / devices) : std::nullopt);
  }
  chart.series.push_back(std::move(curve));
  return chart;
}

chart::Chart funnel_chart(const QueryResult& result) {
  chart::Chart chart;
  chart.fraction = true;
  chart::Series conversion{"conversion", {}};
  for (const auto& step : result.funnel) {
    chart.x_labels.push_back(step.event);
    conversion.values.push_back(step.conversion);
  }
  chart.series.push_back(std::move(conversion));
  return chart;
}

}  // namespace

chart::Chart chart_of(const QueryResult& result) {
  chart::Chart chart;
  switch (result.request.metric) {
    case Metric::retention:
      chart = retention_chart(result);
      break;
    case Metric::funnel:
      chart = funnel_chart(result);
      break;
    default:
      chart = series_chart(result);
  }
  chart.title = title_of(result);
  return chart;
}

}  // namespace mpaas::analytics
