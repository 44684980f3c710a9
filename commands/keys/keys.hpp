// `mpaas keys`: key pairs for signing packages. One file per verb.
#pragma once

#include "command.hpp"

namespace mpaas::keys_commands {

void register_generate(Command& group);
void register_show(Command& group);

}  // namespace mpaas::keys_commands
