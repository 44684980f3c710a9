// `mpaas config get KEY`: prints the effective value of one key (exit 5 when unset).
// Secrets are masked unless --reveal is given.
#include "config/config.hpp"
#include "config/options.hpp"
#include "mpaas/core/config_report.hpp"
#include "mpaas/core/error.hpp"

namespace mpaas::config_commands {
namespace {

int run_get(const GetOptions& options, Context& context) {
  check_config_key(options.key);
  auto value = context.config.get(options.key);
  if (!value) {
    throw not_found("no value for '" + options.key + "' (KEY)", options.key);
  }
  show(context, shown_entry({options.key, *value}, options.reveal));
  return 0;
}

}  // namespace

void register_get(Command& group) {
  auto options = std::make_shared<GetOptions>();
  group.subcommand("get", "Print the effective value of a key")
      .positional("key", options->key, "Dotted key, e.g. endpoint or offline.id")
      .flag("--reveal", options->reveal, "Show secret values instead of masking them")
      .examples(
          {"mpaas config get endpoint", "MPAAS_ENDPOINT=http://x mpaas config get endpoint --json"})
      .run(options, run_get);
}

}  // namespace mpaas::config_commands
