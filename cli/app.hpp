// The mpaas application: builds the CLI11 tree with the global flags, parses argv, runs
// the selected command and maps every error to its exit code and one stderr line.
// main() only wires the real process streams into it; tests call run_cli() in-process.
#pragma once

#include <string>
#include <vector>

#include "context.hpp"

namespace mpaas {

// argv without the program name. Returns the process exit code.
int run_cli(const std::vector<std::string>& arguments, Context& context);

}  // namespace mpaas
