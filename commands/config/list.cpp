// `mpaas config list`: every key set anywhere, its winning value and where it came from.
#include "config/config.hpp"
#include "config/options.hpp"
#include "mpaas/core/config_report.hpp"

namespace mpaas::config_commands {
namespace {

int run_list(const ListOptions& options, Context& context) {
  ConfigListing listing;
  for (const auto& entry : context.config.list())
    listing.entries.push_back(shown_entry(entry, options.reveal));
  show(context, listing);
  return 0;
}

}  // namespace

void register_list(Command& group) {
  auto options = std::make_shared<ListOptions>();
  group.subcommand("list", "List every setting with its value and source")
      .flag("--reveal", options->reveal, "Show secret values instead of masking them")
      .examples({"mpaas config list", "mpaas config list --json"})
      .run(options, run_list);
}

}  // namespace mpaas::config_commands
