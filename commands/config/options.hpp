// Options of the `config` commands, one struct per subcommand, reachable from tests
// (argv tables parse command lines into them; see tests/unit/cli/argv_tables_test.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mpaas::config_commands {

struct GetOptions {
  std::string key;
  bool reveal = false;
};

struct ListOptions {
  bool reveal = false;
};

struct SetOptions {
  std::string key;
  std::string value;
  bool project = false;
};

struct PathOptions {};

struct UnsetOptions {
  std::string key;
  bool project = false;
};

}  // namespace mpaas::config_commands
