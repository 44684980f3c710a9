// `mpaas release resume REL`.
#include "release/lifecycle.hpp"
#include "release/release.hpp"

namespace mpaas {
namespace {

int run_release_resume(const ReleaseRefOptions& options, Context& context) {
  return release_commands::run_lifecycle(options, context,
                                         platform::LifecycleChange::Action::resume);
}

}  // namespace

void register_release_resume(Command& group) {
  auto options = std::make_shared<ReleaseRefOptions>();
  group.subcommand("resume", "Continue a paused gray release")
      .positional("release", options->release, "Release id, or APP/PLATFORM/VERSION")
      .examples({"mpaas release resume rel_ab12cd34ef56"})
      .run(options, run_release_resume);
}

}  // namespace mpaas
