// Registration of every command group (see registry.hpp).
#include "registry.hpp"

namespace mpaas {

void register_config_commands(Command& root);
void register_version_command(Command& root);
void register_completion_command(Command& root);
void register_help_command(Command& root);
void register_man_generator(Command& root);

// mpaas new (scaffold)
void register_new_command(Command& root);

// mpaas offline, mpaas keys
void register_offline_commands(Command& root);
void register_keys_commands(Command& root);

// mpaas app, mpaas release (the platform)
void register_app_commands(Command& root);
void register_release_commands(Command& root);
void register_token_commands(Command& root);
void register_serve_command(Command& root);
void register_analytics_commands(Command& root);

// mpaas login, logout, api (a remote platform)
void register_login_command(Command& root);
void register_logout_command(Command& root);
void register_api_command(Command& root);

// mpaas hotfix
void register_hotfix_commands(Command& root);

// mpaas diff, mpaas patch
namespace delta_commands {
void register_diff(Command& root);
void register_patch(Command& root);
}  // namespace delta_commands

void register_all_commands(Command& root) {
  // scaffold:
  register_new_command(root);

  // offline:
  register_offline_commands(root);
  register_keys_commands(root);

  // delta:
  delta_commands::register_diff(root);
  delta_commands::register_patch(root);
  register_hotfix_commands(root);

  // platform:
  register_app_commands(root);
  register_release_commands(root);
  register_token_commands(root);
  register_serve_command(root);
  register_analytics_commands(root);
  register_login_command(root);
  register_logout_command(root);
  register_api_command(root);

  register_config_commands(root);
  register_version_command(root);
  register_completion_command(root);
  register_help_command(root);
  register_man_generator(root);
}

}  // namespace mpaas
