// `mpaas release show REL`.
#include "platform_access.hpp"
#include "release/release.hpp"

namespace mpaas {
namespace {

int run_release_show(const ReleaseRefOptions& options, Context& context) {
  context.emit(open_platform(context)->show_release(options.release));
  return 0;
}

}  // namespace

void register_release_show(Command& group) {
  auto options = std::make_shared<ReleaseRefOptions>();
  group.subcommand("show", "Show a release")
      .positional("release", options->release, "Release id, or APP/PLATFORM/VERSION")
      .examples({"mpaas release show rel_ab12cd34ef56",
                 "mpaas release show com.example.shop/android/1.2.0 --json"})
      .run(options, run_release_show);
}

}  // namespace mpaas
