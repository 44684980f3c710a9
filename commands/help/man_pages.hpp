// roff man pages generated from the command tree: mpaas.1 (global flags, configuration,
// exit codes, environment, files) and one mpaas-<group>.1 per top-level command.
#pragma once

#include <map>
#include <string>

#include "help/command_tree.hpp"

namespace mpaas {

// File name -> roff text.
std::map<std::string, std::string> generate_man_pages(const CommandInfo& root,
                                                      const std::string& version);

}  // namespace mpaas
