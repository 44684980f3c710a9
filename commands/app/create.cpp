// `mpaas app create ID [--name NAME]`.
#include "app/options.hpp"
#include "command.hpp"
#include "platform_access.hpp"

namespace mpaas {
namespace {

int run_app_create(const AppCreateOptions& options, Context& context) {
  context.emit(open_platform(context)->create_app(options.id, options.name));
  return 0;
}

}  // namespace

void register_app_create(Command& group) {
  auto options = std::make_shared<AppCreateOptions>();
  group.subcommand("create", "Create an app (an existing id is a conflict, exit 6)")
      .positional("id", options->id, "App id: letters, digits, '.', '_', '-' (com.example.shop)")
      .option("--name", options->name, "Display name (default: the id)")
      .examples({"mpaas app create com.example.shop --name Shop"})
      .run(options, run_app_create);
}

}  // namespace mpaas
