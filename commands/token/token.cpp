// `mpaas token`: API tokens of the platform, for `mpaas serve` and its clients.
#include "command.hpp"

namespace mpaas {

void register_token_create(Command& group);
void register_token_list(Command& group);
void register_token_revoke(Command& group);

void register_token_commands(Command& root) {
  Command group = root.subcommand("token", "Create, list and revoke API tokens of the platform");
  group.examples({"mpaas token create --name ci --scope release --expires 30d",
                  "mpaas token list --json", "mpaas token revoke tok_k3x9qm2ab7fd"});
  register_token_create(group);
  register_token_list(group);
  register_token_revoke(group);
}

}  // namespace mpaas
