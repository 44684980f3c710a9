// `mpaas config set KEY VALUE`: writes a key into the active profile of the user config,
// or into the project's mpaas.yaml with --project. The file is rewritten atomically and a
// malformed file is refused untouched (exit 3).
#include "config/config.hpp"
#include "config/options.hpp"
#include "mpaas/core/output.hpp"

namespace mpaas::config_commands {
namespace {

int run_set(const SetOptions& options, Context& context) {
  if (options.key == "output") {
    parse_output_format(options.value);
  }
  EditTarget target = edit_target(context, options.project);
  set_config_value(target.file, target.profile, options.key, options.value);
  context.log("set " + options.key + " in " + target.file.string());
  return 0;
}

}  // namespace

void register_set(Command& group) {
  auto options = std::make_shared<SetOptions>();
  group.subcommand("set", "Set a key in the user config or the project file")
      .positional("key", options->key, "Dotted key, e.g. endpoint")
      .positional("value", options->value, "Value to store")
      .flag("--project", options->project, "Write to the project's mpaas.yaml instead")
      .examples({"mpaas config set endpoint https://mpaas.example.com",
                 "mpaas config set --project offline.version 1.0.0.2"})
      .run(options, run_set);
}

}  // namespace mpaas::config_commands
