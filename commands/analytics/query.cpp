// `mpaas analytics query METRIC --app ID --from DATE --to DATE [...]`: one metric per period
// (or a retention table, or a funnel) as a table, JSON or CSV, and as a chart in the
// terminal or an SVG file.
#include "analytics/options.hpp"
#include "analytics/query_chart.hpp"
#include "command.hpp"
#include "mpaas/chart/chart.hpp"
#include "mpaas/core/atomic_file.hpp"
#include "mpaas/core/error.hpp"
#include "platform_access.hpp"

namespace mpaas {
namespace {

analytics::QueryRequest request_of(const AnalyticsQueryOptions& options) {
  analytics::QueryRequest request;
  request.app = options.app;
  request.metric = analytics::parse_metric(options.arguments.front());
  std::vector<std::string> rest(options.arguments.begin() + 1, options.arguments.end());
  switch (request.metric) {
    case analytics::Metric::event:
      if (rest.size() != 1)
        throw usage_error("the event metric takes one event name: query event NAME", "metric");
      request.event = rest.front();
      break;
    case analytics::Metric::funnel:
      if (rest.size() < 2 || rest.size() > 10)
        throw usage_error("a funnel takes 2 to 10 steps: query funnel STEP1 STEP2 ...", "metric");
      request.steps = rest;
      request.window_ms = analytics::parse_window(options.window);
      break;
    default:
      if (!rest.empty())
        throw usage_error("unexpected argument '" + rest.front().substr(0, 40) + "' after " +
                              options.arguments.front(),
                          "metric");
  }
  request.from_day = analytics::parse_date(options.from, "from");
  request.to_day = analytics::parse_date(options.to, "to");
  request.interval = analytics::parse_interval(options.interval);
  request.tz = options.tz;
  if (!options.group_by.empty())
    request.group_by = analytics::parse_dimension(options.group_by);
  request.where = analytics::parse_where(options.where);
  analytics::check_query(request);
  return request;
}

bool wants_csv(const AnalyticsQueryOptions& options, const Context& context) {
  return options.csv || context.global.output == "csv";
}

// A terminal chart replaces the table; it is no data format, so it does not mix with one.
void check_chart_options(const AnalyticsQueryOptions& options, const Context& context) {
  if (!options.chart)
    return;
  if (wants_csv(options, context) || context.output_format() != OutputFormat::text)
    throw usage_error(
        "--chart draws for the terminal and does not combine with JSON or CSV "
        "output (use --chart-out FILE.svg beside them)",
        "chart");
}

void write_svg(const analytics::QueryResult& result, const std::string& file) {
  AtomicFile svg(file, 0644, Durability::rename_only);
  auto text = chart::render_svg(analytics::chart_of(result));
  svg.write(text);
  svg.commit();
}

int run_analytics_query(const AnalyticsQueryOptions& options, Context& context) {
  check_chart_options(options, context);
  auto request = request_of(options);
  auto result = open_platform(context)->query_events(request);
  if (!options.chart_out.empty())
    write_svg(result, context.resolve(options.chart_out));
  // CSV is a contract of its own (docs/analytics.md), not a rendering of the table.
  if (options.chart)
    context.print(chart::render_terminal(analytics::chart_of(result), context.output_columns(),
                                         context.color_enabled()));
  else if (wants_csv(options, context))
    context.print(analytics::to_csv(result));
  else
    context.emit(result);
  return 0;
}

}  // namespace

void register_analytics_query(Command& group) {
  auto options = std::make_shared<AnalyticsQueryOptions>();
  group
      .subcommand("query",
                  "A metric per period: active-devices, new-devices, launches, crashes, "
                  "crash-free, retention, event NAME, funnel STEP...")
      .positional("metric", options->arguments,
                  "The metric, then the event name (event) or the steps (funnel)")
      .option("--app", options->app, "App id")
      .required()
      .option("--from", options->from, "First day (YYYY-MM-DD, in --tz), inclusive")
      .required()
      .option("--to", options->to, "Last day (YYYY-MM-DD, in --tz), inclusive")
      .required()
      .choice("--interval", options->interval, "Length of a period (weeks start on Monday)",
              {"hour", "day", "week", "month"})
      .default_shown("day")
      .option("--tz", options->tz, "IANA time zone of days and periods (Europe/Berlin)")
      .default_shown("UTC")
      .choice("--group-by", options->group_by, "One series per value of this field",
              {"platform", "app_version", "os_version", "model", "region", "network", "channel",
               "event"})
      .option("--where", options->where,
              "Only events with FIELD=VALUE (repeatable: the same field means either value)")
      .option("--window", options->window,
              "Funnel: time from the first step to the last (30m, 2h, 1d)")
      .default_shown("1d")
      .flag("--csv", options->csv, "Print CSV (period,value; docs/analytics.md), as -o csv")
      .flag("--chart", options->chart,
            "Draw the result in the terminal instead of the table (fits $COLUMNS or the "
            "terminal's width)")
      .option("--chart-out", options->chart_out,
              "Also write the result as a standalone SVG chart to FILE.svg")
      .examples({"mpaas analytics query active-devices --app com.example.shop --from 2026-03-01 "
                 "--to 2026-03-31",
                 "mpaas analytics query crash-free --app com.example.shop --from 2026-03-01 --to "
                 "2026-03-31 --group-by app_version --csv",
                 "mpaas analytics query active-devices --app com.example.shop --from 2026-03-01 "
                 "--to 2026-03-31 --group-by platform --chart --chart-out dau.svg",
                 "mpaas analytics query retention --app com.example.shop --from 2026-03-01 --to "
                 "2026-03-28 --interval week --tz Europe/Berlin",
                 "mpaas analytics query event purchase --app com.example.shop --from 2026-03-01 "
                 "--to 2026-03-07 --where region=EU --json",
                 "mpaas analytics query funnel launch page_view purchase --window 1h --app "
                 "com.example.shop --from 2026-03-01 --to 2026-03-07"})
      .run(options, run_analytics_query);
}

}  // namespace mpaas
