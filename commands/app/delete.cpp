// `mpaas app delete ID --yes`: the app with all its releases, their history and artifacts.
#include "app/options.hpp"
#include "command.hpp"
#include "mpaas/core/error.hpp"
#include "platform_access.hpp"

namespace mpaas {
namespace {

int run_app_delete(const AppDeleteOptions& options, Context& context) {
  auto platform = open_platform(context);
  auto app = platform->show_app(options.id);
  if (!context.confirm("delete app " + app.id + " and its " + std::to_string(app.releases) +
                       " releases?"))
    throw usage_error("deleting an app needs --yes (or a yes on a terminal)");
  context.emit(platform->delete_app(options.id));
  return 0;
}

}  // namespace

void register_app_delete(Command& group) {
  auto options = std::make_shared<AppDeleteOptions>();
  group.subcommand("delete", "Delete an app with all its releases (asks, or needs --yes)")
      .positional("id", options->id, "App id")
      .examples({"mpaas app delete com.example.old --yes"})
      .run(options, run_app_delete);
}

}  // namespace mpaas
