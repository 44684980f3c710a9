// `mpaas release whitelist remove REL [IDS...] [--file FILE]`: one transaction for any number
// of ids.
#include "platform_access.hpp"
#include "release/release.hpp"
#include "release/whitelist_edit.hpp"

namespace mpaas {
namespace {

int run_whitelist_remove(const WhitelistEditOptions& options, Context& context) {
  auto ids = release_commands::whitelist_ids(options, context);
  context.emit(open_platform(context)->whitelist_remove(options.release, ids));
  return 0;
}

}  // namespace

void register_release_whitelist_remove(Command& group) {
  auto options = std::make_shared<WhitelistEditOptions>();
  group.subcommand("remove", "Take devices off the whitelist")
      .positional("release", options->release, "Release id, or APP/PLATFORM/VERSION")
      .positional("ids", options->devices, "Device ids", false)
      .option("--file", options->file, "File of device ids, one a line (# comments; - is stdin)")
      .examples({"mpaas release whitelist remove rel_ab12cd34ef56 device-1 device-2",
                 "mpaas release whitelist remove rel_ab12cd34ef56 --file testers.txt"})
      .run(options, run_whitelist_remove);
}

}  // namespace mpaas
