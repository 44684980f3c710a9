// Options of the `keys` commands, one struct per subcommand, reachable from tests
// (argv tables parse command lines into them; see tests/unit/cli/argv_tables_test.cpp).
#pragma once

#include <string>

namespace mpaas::keys_commands {

struct GenerateOptions {
  std::string folder = ".";
  std::string type = "rsa2048";
  bool force = false;
};

struct ShowOptions {
  std::string key;
};

}  // namespace mpaas::keys_commands
