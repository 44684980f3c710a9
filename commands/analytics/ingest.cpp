// `mpaas analytics ingest FILE... --app ID [--format ndjson|csv] [--strict]`: NDJSON or CSV
// events (gzip or not; - is stdin) into the app's analytics store, in batches.
#include <filesystem>

#include "analytics/options.hpp"
#include "command.hpp"
#include "mpaas/core/error.hpp"
#include "platform_access.hpp"

namespace mpaas {
namespace {

// Bad lines are reported as they are met, up to this many; the summary counts them all.
constexpr uint64_t shown_rejections = 100;

int run_analytics_ingest(const AnalyticsIngestOptions& options, Context& context) {
  analytics::IngestRequest request;
  request.app = options.app;
  request.strict = options.strict;
  std::optional<analytics::EventFormat> format;
  if (!options.format.empty())
    format = analytics::parse_event_format(options.format);
  std::vector<std::unique_ptr<std::istream>> streams;
  bool stdin_taken = false;
  for (const auto& file : options.files) {
    analytics::IngestInput input;
    input.format = format;
    if (file == "-") {
      if (stdin_taken)
        throw usage_error("stdin (-) can be read once only", "files");
      stdin_taken = true;
      input.name = "stdin";
      input.stream = &context.in;
    } else {
      streams.push_back(open_input_file(context, file));
      input.name = file;
      input.stream = streams.back().get();
      std::error_code ec;
      auto size = std::filesystem::file_size(context.resolve(file), ec);
      input.size = ec ? 0 : size;
    }
    request.inputs.push_back(input);
  }
  uint64_t reported = 0;
  request.on_reject = [&](const analytics::Rejection& rejection) {
    if (++reported <= shown_rejections)
      context.warn(rejection.file + ":" + std::to_string(rejection.line) + ": " + rejection.reason);
    else if (reported == shown_rejections + 1)
      context.warn("more bad lines are not shown; the summary counts them");
  };
  auto progress = context.progress();
  context.emit(open_platform(context)->ingest_events(request, *progress));
  return 0;
}

}  // namespace

void register_analytics_ingest(Command& group) {
  auto options = std::make_shared<AnalyticsIngestOptions>();
  group.subcommand("ingest", "Store app events from NDJSON or CSV files (gzip or not)")
      .positional("files", options->files, "Event files (.ndjson, .jsonl, .csv, .gz); - is stdin")
      .option("--app", options->app, "App id")
      .required()
      .choice("--format", options->format, "Format of every file (default: by extension)",
              {"ndjson", "csv"})
      .flag("--strict", options->strict,
            "Refuse the whole input on the first bad line and store nothing")
      .examples({"mpaas analytics ingest events.ndjson --app com.example.shop",
                 "mpaas analytics ingest day1.csv.gz day2.csv.gz --app com.example.shop --json",
                 "zcat events.gz | mpaas analytics ingest - --format ndjson --app com.example.shop "
                 "--strict"})
      .run(options, run_analytics_ingest);
}

}  // namespace mpaas
