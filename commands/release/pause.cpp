// `mpaas release pause REL`.
#include "release/lifecycle.hpp"
#include "release/release.hpp"

namespace mpaas {
namespace {

int run_release_pause(const ReleaseRefOptions& options, Context& context) {
  return release_commands::run_lifecycle(options, context,
                                         platform::LifecycleChange::Action::pause);
}

}  // namespace

void register_release_pause(Command& group) {
  auto options = std::make_shared<ReleaseRefOptions>();
  group
      .subcommand("pause",
                  "Stop delivering a gray release to new devices at once (resume continues)")
      .positional("release", options->release, "Release id, or APP/PLATFORM/VERSION")
      .examples({"mpaas release pause rel_ab12cd34ef56"})
      .run(options, run_release_pause);
}

}  // namespace mpaas
