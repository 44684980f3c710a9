// `mpaas release rollback REL`: no device gets it any more, for good. Asks on a terminal,
// needs --yes otherwise.
#include "mpaas/core/error.hpp"
#include "release/lifecycle.hpp"
#include "release/release.hpp"

namespace mpaas {
namespace {

int run_release_rollback(const ReleaseRefOptions& options, Context& context) {
  if (!context.confirm("roll back " + options.release + "? no device will get it any more"))
    throw usage_error("rolling back needs --yes (or a yes on a terminal)");
  return release_commands::run_lifecycle(options, context,
                                         platform::LifecycleChange::Action::rollback);
}

}  // namespace

void register_release_rollback(Command& group) {
  auto options = std::make_shared<ReleaseRefOptions>();
  group.subcommand("rollback", "Stop a release for good: no device gets it any more")
      .positional("release", options->release, "Release id, or APP/PLATFORM/VERSION")
      .examples({"mpaas release rollback rel_ab12cd34ef56 --yes"})
      .run(options, run_release_rollback);
}

}  // namespace mpaas
