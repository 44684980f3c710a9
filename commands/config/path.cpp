// `mpaas config path`: where the user config, the project file and the data folder are.
#include "config/config.hpp"

namespace mpaas::config_commands {
namespace {

struct PathOptions {};

int run_path(const PathOptions&, Context& context) {
  const auto& project = context.config.project_file();
  Json record{{"user_config", context.config.user_config_path().string()},
              {"project_file", project ? Json(project->string()) : Json(nullptr)},
              {"data_dir", context.data_dir().string()},
              {"profile", context.config.profile()}};
  context.print(render_record(record, output_format_or_text(context)));
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
