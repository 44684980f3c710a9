// Options of the `mpaas app` commands (reachable from tests: argv tables parse into them).
#pragma once

#include <string>

namespace mpaas {

struct AppCreateOptions {
  std::string id;
  std::string name;  // empty: the id
};

struct AppListOptions {};

struct AppShowOptions {
  std::string id;
};

struct AppDeleteOptions {
  std::string id;
};

}  // namespace mpaas
