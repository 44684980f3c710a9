// The command tree: every command group registers itself here, in the order `mpaas --help`
// lists them. Adding a group is one declaration and one line in registry.cpp.
#pragma once

#include "command.hpp"

namespace mpaas {

void register_all_commands(Command& root);

}  // namespace mpaas
