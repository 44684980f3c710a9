// `mpaas config path`: where the user config, the project file and the data folder are.
#include "config/config.hpp"
#include "config/options.hpp"
#include "mpaas/core/config_report.hpp"

namespace mpaas::config_commands {
namespace {

int run_path(const PathOptions&, Context& context) {
  show(context, ConfigPaths{context.config.user_config_path(), context.config.project_file(),
                            context.data_dir(), context.config.profile()});
  return 0;
}

}  // namespace

void register_path(Command& group) {
  auto options = std::make_shared<PathOptions>();
  group.subcommand("path", "Show the config file, project file and data folder in use")
      .examples({"mpaas config path", "mpaas config path --json"})
      .run(options, run_path);
}

}  // namespace mpaas::config_commands
