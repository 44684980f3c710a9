// `mpaas config list`: every key set anywhere, its winning value and where it came from.
#include "config/config.hpp"

namespace mpaas::config_commands {
namespace {

struct ListOptions {
  bool reveal = false;
};

int run_list(const ListOptions& options, Context& context) {
  Json rows = Json::array();
  for (const auto& entry : context.config.list()) {
    std::string value = is_secret_key(entry.key) && !options.reveal ? mask_secret(entry.value.value)
                                                                    : entry.value.value;
    rows.push_back({{"key", entry.key}, {"value", value}, {"source", entry.value.source}});
  }
  context.print(render_table({{"key", "key"}, {"value", "value"}, {"source", "source"}}, rows,
                             output_format_or_text(context)));
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
