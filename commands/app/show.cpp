// `mpaas app show ID`.
#include "app/options.hpp"
#include "command.hpp"
#include "platform_access.hpp"

namespace mpaas {
namespace {

int run_app_show(const AppShowOptions& options, Context& context) {
  context.emit(open_platform(context)->show_app(options.id));
  return 0;
}

}  // namespace

void register_app_show(Command& group) {
  auto options = std::make_shared<AppShowOptions>();
  group.subcommand("show", "Show an app")
      .positional("id", options->id, "App id")
      .examples({"mpaas app show com.example.shop --json"})
      .run(options, run_app_show);
}

}  // namespace mpaas
