// `mpaas config unset KEY`: removes a key from the user config's active profile, or from
// the project file with --project. Exit 5 when the key was not set there.
#include "config/config.hpp"
#include "config/options.hpp"
#include "mpaas/core/error.hpp"

namespace mpaas::config_commands {
namespace {

int run_unset(const UnsetOptions& options, Context& context) {
  EditTarget target = edit_target(context, options.project);
  if (!unset_config_value(target.file, target.profile, options.key)) {
    throw not_found("'" + options.key + "' is not set in " + target.file.string() + " (KEY)");
  }
  context.log("unset " + options.key + " in " + target.file.string());
  return 0;
}

}  // namespace

void register_unset(Command& group) {
  auto options = std::make_shared<UnsetOptions>();
  group.subcommand("unset", "Remove a key from the user config or project file")
      .positional("key", options->key, "Dotted key")
      .flag("--project", options->project, "Edit the project's mpaas.yaml instead")
      .examples({"mpaas config unset endpoint"})
      .run(options, run_unset);
}

}  // namespace mpaas::config_commands
