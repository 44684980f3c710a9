// Options of `mpaas login` and `mpaas logout` (reachable from tests: argv tables).
#pragma once

namespace mpaas {

// The endpoint comes from the global --endpoint (or MPAAS_ENDPOINT, or the profile).
struct LoginOptions {
  bool token_stdin = false;
};

struct LogoutOptions {};

}  // namespace mpaas
