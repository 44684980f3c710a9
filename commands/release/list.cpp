// `mpaas release list --app ID [--state S] [--platform P]`.
#include "platform_access.hpp"
#include "release/release.hpp"

namespace mpaas {
namespace {

int run_release_list(const ReleaseListOptions& options, Context& context) {
  platform::ReleaseFilter filter;
  filter.app = options.app;
  filter.platform = options.platform;
  if (!options.state.empty())
    filter.state = platform::parse_state(options.state);
  context.emit(open_platform(context)->list_releases(filter));
  return 0;
}

}  // namespace

void register_release_list(Command& group) {
  auto options = std::make_shared<ReleaseListOptions>();
  group.subcommand("list", "List an app's releases, oldest first")
      .option("--app", options->app, "App id")
      .required()
      .choice("--state", options->state, "Only releases in this state",
              {"draft", "gray", "paused", "released", "rolled-back"})
      .choice("--platform", options->platform, "Only releases for this platform",
              {"android", "ios", "h5"})
      .examples({"mpaas release list --app com.example.shop",
                 "mpaas release list --app com.example.shop --state gray --json"})
      .run(options, run_release_list);
}

}  // namespace mpaas
