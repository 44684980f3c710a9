// `mpaas release history REL`: every change, what, from and to, when, by whom.
#include "platform_access.hpp"
#include "release/release.hpp"

namespace mpaas {
namespace {

int run_release_history(const ReleaseRefOptions& options, Context& context) {
  context.emit(open_platform(context)->history(options.release));
  return 0;
}

}  // namespace

void register_release_history(Command& group) {
  auto options = std::make_shared<ReleaseRefOptions>();
  group.subcommand("history", "Show every change of a release, oldest first")
      .positional("release", options->release, "Release id, or APP/PLATFORM/VERSION")
      .examples({"mpaas release history rel_ab12cd34ef56"})
      .run(options, run_release_history);
}

}  // namespace mpaas
