// `mpaas analytics compare --app ID --version A --version B --from DATE --to DATE`: crash-free
// rate, launches per device and day-1/day-7 retention of two versions side by side, with
// the difference, its 95% confidence interval, a p-value and a verdict line.
#include "analytics/options.hpp"
#include "command.hpp"
#include "mpaas/core/error.hpp"
#include "platform_access.hpp"

namespace mpaas {
namespace {

int run_analytics_compare(const AnalyticsCompareOptions& options, Context& context) {
  if (options.versions.size() != 2)
    throw usage_error("compare takes exactly two versions: --version A --version B", "version");
  analytics::CompareRequest request;
  request.app = options.app;
  request.version_a = options.versions[0];
  request.version_b = options.versions[1];
  request.from_day = analytics::parse_date(options.from, "from");
  request.to_day = analytics::parse_date(options.to, "to");
  request.tz = options.tz;
  context.emit(open_platform(context)->compare_events(request));
  return 0;
}

}  // namespace

void register_analytics_compare(Command& group) {
  auto options = std::make_shared<AnalyticsCompareOptions>();
  group.subcommand("compare", "Two app versions side by side, with significance and a verdict")
      .option("--app", options->app, "App id")
      .required()
      .option("--version", options->versions, "App version: the baseline first, then the new one")
      .required()
      .option("--from", options->from, "First day (YYYY-MM-DD, in --tz), inclusive")
      .required()
      .option("--to", options->to, "Last day (YYYY-MM-DD, in --tz), inclusive")
      .required()
      .option("--tz", options->tz, "IANA time zone of days")
      .default_shown("UTC")
      .examples({"mpaas analytics compare --app com.example.shop --version 2.3.0 --version 2.3.1 "
                 "--from 2026-03-01 --to 2026-03-31",
                 "mpaas analytics compare --app com.example.shop --version 2.3.0 --version 2.3.1 "
                 "--from 2026-03-01 --to 2026-03-31 --json"})
      .run(options, run_analytics_compare);
}

}  // namespace mpaas
