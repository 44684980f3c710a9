// `mpaas release rollout REL --percent P` (or --max-devices N --until TIME): start a draft's
// rollout or widen a gray one; lowering is refused (exit 6).
#include "mpaas/core/error.hpp"
#include "platform_access.hpp"
#include "release/release.hpp"

namespace mpaas {
namespace {

int run_release_rollout(const ReleaseRolloutOptions& options, Context& context) {
  platform::LifecycleChange change;
  change.action = platform::LifecycleChange::Action::rollout;
  change.window = release_commands::window_from_flags(options.window);
  if (!options.percent.empty()) {
    if (change.window)
      throw usage_error("give --percent or --max-devices with --until, not both");
    change.percent = platform::parse_percent(options.percent, "percent");
  }
  if (!change.window && !change.percent)
    throw usage_error("give --percent, or --max-devices with --until");
  context.emit(open_platform(context)->change(options.release, change));
  return 0;
}

}  // namespace

void register_release_rollout(Command& group) {
  auto options = std::make_shared<ReleaseRolloutOptions>();
  Command command =
      group.subcommand("rollout", "Roll a release out to a higher percentage (or a time window)");
  command.positional("release", options->release, "Release id, or APP/PLATFORM/VERSION")
      .option("--percent", options->percent, "New gray percentage, 0.01 steps; never lower");
  release_commands::bind_window_flags(command, options->window);
  command
      .examples({"mpaas release rollout rel_ab12cd34ef56 --percent 50",
                 "mpaas release rollout rel_ab12cd34ef56 --max-devices 1000 --until "
                 "2025-07-01T12:00:00Z"})
      .run(options, run_release_rollout);
}

}  // namespace mpaas
