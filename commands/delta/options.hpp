// Options of the `delta` commands, one struct per subcommand, reachable from tests
// (argv tables parse command lines into them; see tests/unit/cli/argv_tables_test.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mpaas::delta_commands {

struct DiffCommandOptions {
  std::string old_path;
  std::string new_path;
  std::string output;
  std::string format = "mpd";
  std::string codec = "auto";  // auto: lzma, or zstd's dictionary mode when smaller
  int level = -1;
  int threads = 0;
  std::string memory_limit;
  std::string filter = "auto";
};

struct PatchCommandOptions {
  std::vector<std::string> inputs;  // OLD PATCH, or PATCH with --info
  std::string output;
  bool info = false;
};

}  // namespace mpaas::delta_commands
