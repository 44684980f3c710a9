// `mpaas release finish REL`.
#include "release/lifecycle.hpp"
#include "release/release.hpp"

namespace mpaas {
namespace {

int run_release_finish(const ReleaseRefOptions& options, Context& context) {
  return release_commands::run_lifecycle(options, context,
                                         platform::LifecycleChange::Action::finish);
}

}  // namespace

void register_release_finish(Command& group) {
  auto options = std::make_shared<ReleaseRefOptions>();
  group.subcommand("finish", "Release to everyone (100 percent, released)")
      .positional("release", options->release, "Release id, or APP/PLATFORM/VERSION")
      .examples({"mpaas release finish rel_ab12cd34ef56"})
      .run(options, run_release_finish);
}

}  // namespace mpaas
