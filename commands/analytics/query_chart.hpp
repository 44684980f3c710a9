// A query result as a chart (lib/chart): what `mpaas analytics query --chart` draws in the
// terminal and `--chart-out FILE.svg` writes. In the command layer: lib/platform does not
// depend on lib/chart.
#pragma once

#include "mpaas/analytics/query.hpp"
#include "mpaas/chart/chart.hpp"

namespace mpaas::analytics {

// The legend name of the series of a query without --group-by.
inline constexpr const char* ungrouped_series_name = "(all)";

// Series metrics: periods on the x axis, one series per group (an event's count, not its
// devices). Retention: the retention curve, "+1".."+N" on the x axis, each point the share of
// all cohorts' devices active N intervals later, over the cohorts that reach that far
// (docs/analytics.md). Funnels: the steps on the x axis, the conversion from step 1.
chart::Chart chart_of(const QueryResult& result);

}  // namespace mpaas::analytics
