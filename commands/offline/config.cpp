// `mpaas offline config FILE...`: the preset h5_json.json that apps load at start-up, one
// data[] entry per package, merged into one file. Building the JSON is in lib/offline.
#include "mpaas/core/atomic_file.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/offline/h5_config.hpp"
#include "mpaas/offline/reports.hpp"
#include "offline/offline.hpp"
#include "offline/options.hpp"

namespace mpaas::offline_commands {
namespace {

int run_config(const ConfigOptions& options, Context& context) {
  std::vector<std::filesystem::path> paths;
  for (const auto& package : options.packages)
    paths.push_back(resolve_path(context, package));
  Json config = offline::h5_config(paths, options.base_url);
  std::string text = config.dump(2) + "\n";
  if (options.output == "-") {
    context.print(text);
    return 0;
  }
  write_file_atomically(resolve_path(context, options.output), text);
  context.emit(offline::H5ConfigReport{options.output, config["data"].size()});
  return 0;
}

}  // namespace

void register_config(Command& group) {
  auto options = std::make_shared<ConfigOptions>();
  group.subcommand("config", "Write the preset h5_json.json that apps load at start-up")
      .positional("files", options->packages, "One or more .amr packages")
      .option("-o,--output", options->output, "Output file (default h5_json.json, - for stdout)")
      .option("--base-url", options->base_url,
              "Where the packages are served from: package_url is BASE/{id}/{version}/{file}")
      .examples({"mpaas offline config 80000001_1.0.0.1.amr",
                 "mpaas offline config *.amr --base-url https://cdn.example.com/h5 -o "
                 "assets/h5_json.json"})
      .run(options, run_config);
}

}  // namespace mpaas::offline_commands
