// Options of `mpaas completion` (reachable from tests: argv tables parse into them).
#pragma once

#include <string>

namespace mpaas {

struct CompletionOptions {
  std::string shell;  // bash, zsh or fish
};

}  // namespace mpaas
