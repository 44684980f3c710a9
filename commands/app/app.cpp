// `mpaas app`: the apps of the platform, which releases belong to.
#include "command.hpp"

namespace mpaas {

void register_app_create(Command& group);
void register_app_list(Command& group);
void register_app_show(Command& group);
void register_app_delete(Command& group);

void register_app_commands(Command& root) {
  Command group = root.subcommand("app", "Create, list, show and delete apps on the platform");
  group.examples({"mpaas app create com.example.shop --name Shop", "mpaas app list --json"});
  register_app_create(group);
  register_app_list(group);
  register_app_show(group);
  register_app_delete(group);
}

}  // namespace mpaas
