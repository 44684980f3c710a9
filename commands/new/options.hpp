// Options of the `new` commands, one struct per subcommand, reachable from tests
// (argv tables parse command lines into them; see tests/unit/cli/argv_tables_test.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mpaas {

struct NewOptions {
  std::string template_name;
  std::string dir;
  std::vector<std::string> sets;
  std::string app_id;
  std::string ref;
  std::string subdir;
  std::string author;
  bool no_git = false;
  bool force = false;
  bool list = false;
};

}  // namespace mpaas
