// The `mpaas config` group: help, examples and the shared edit-target rule.
#include "config/config.hpp"

#include "mpaas/core/error.hpp"

namespace mpaas {

namespace config_commands {

OutputFormat output_format_or_text(const Context& context) {
  try {
    return context.output_format();
  } catch (const Error& error) {
    context.warn(std::string(error.what()) + "; using text");
    return OutputFormat::text;
  }
}

EditTarget edit_target(const Context& context, bool project) {
  if (project) {
    auto found = context.config.project_file();
    return {found ? *found : context.cwd / "mpaas.yaml", ""};
  }
  return {context.config.user_config_path(), context.config.profile()};
}

}  // namespace config_commands

void register_config_commands(Command& root) {
  Command group = root.subcommand("config", "Read and edit settings, profiles and their sources");
  group.examples({
      "mpaas config set endpoint https://mpaas.example.com",
      "mpaas config get endpoint",
      "mpaas --profile staging config set endpoint https://staging.example.com",
      "mpaas config set --project offline.id 80000001",
      "mpaas config list --json",
  });
  config_commands::register_get(group);
  config_commands::register_set(group);
  config_commands::register_unset(group);
  config_commands::register_list(group);
  config_commands::register_path(group);
}

}  // namespace mpaas
