// Options of `mpaas api` (reachable from tests: argv tables).
#pragma once

#include <string>

namespace mpaas {

struct ApiOptions {
  std::string method;
  std::string path;  // below the endpoint: /v1/apps
  std::string data;  // a JSON body, or @FILE (@- is stdin); empty: none
};

}  // namespace mpaas
