// `mpaas app list`.
#include "app/options.hpp"
#include "command.hpp"
#include "platform_access.hpp"

namespace mpaas {
namespace {

int run_app_list(const AppListOptions&, Context& context) {
  context.emit(open_platform(context)->list_apps());
  return 0;
}

}  // namespace

void register_app_list(Command& group) {
  auto options = std::make_shared<AppListOptions>();
  group.subcommand("list", "List the apps with their number of releases")
      .examples({"mpaas app list", "mpaas app list --json"})
      .run(options, run_app_list);
}

}  // namespace mpaas
