// Completion script generators for bash, zsh and fish, from a CommandInfo tree.
// Global flags (those of the root command) are offered at every level, as CLI11 accepts
// them anywhere.
#pragma once

#include <string>

#include "help/command_tree.hpp"

namespace mpaas {

std::string bash_completion_script(const CommandInfo& root);
std::string zsh_completion_script(const CommandInfo& root);
std::string fish_completion_script(const CommandInfo& root);

}  // namespace mpaas
