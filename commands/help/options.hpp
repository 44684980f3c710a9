// Options of `mpaas help` (reachable from tests: argv tables parse into them).
#pragma once

#include <string>
#include <vector>

namespace mpaas {

struct HelpOptions {
  std::vector<std::string> topic;  // a command path, or "exit-codes"
};

}  // namespace mpaas
