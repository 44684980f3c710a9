// Options of the `mpaas token` commands (reachable from tests: argv tables parse into them).
#pragma once

#include <string>

namespace mpaas {

struct TokenCreateOptions {
  std::string name;
  std::string scope = "read";
  std::string expires;  // a duration (30d) or an RFC 3339 time; empty: never
};

struct TokenListOptions {};

struct TokenRevokeOptions {
  std::string id;
};

}  // namespace mpaas
