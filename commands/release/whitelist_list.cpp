// `mpaas release whitelist list REL`.
#include "platform_access.hpp"
#include "release/release.hpp"

namespace mpaas {
namespace {

int run_whitelist_list(const ReleaseRefOptions& options, Context& context) {
  context.emit(open_platform(context)->whitelist_list(options.release));
  return 0;
}

}  // namespace

void register_release_whitelist_list(Command& group) {
  auto options = std::make_shared<ReleaseRefOptions>();
  group.subcommand("list", "List a release's whitelisted devices, sorted")
      .positional("release", options->release, "Release id, or APP/PLATFORM/VERSION")
      .examples({"mpaas release whitelist list rel_ab12cd34ef56 --json"})
      .run(options, run_whitelist_list);
}

}  // namespace mpaas
