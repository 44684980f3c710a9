// `mpaas keys`: the group. mPaaS packages use RSA; EC and Ed25519 keys sign mpaas's own
// formats. Private keys are written 0600 and never printed.
#include "keys/keys.hpp"

namespace mpaas {

void register_keys_commands(Command& root) {
  Command group = root.subcommand("keys", "Generate and show signing keys");
  group.examples({"mpaas keys generate -o keys", "mpaas keys show keys/private.pem"});
  keys_commands::register_generate(group);
  keys_commands::register_show(group);
}

}  // namespace mpaas
