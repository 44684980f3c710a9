// Options of the `mpaas hotfix` commands (reachable from tests: argv tables parse into them).
#pragma once

#include <string>

namespace mpaas {

struct HotfixCreateOptions {
  std::string base, target, output, key, app_versions, notes;
};

struct HotfixApplyOptions {
  std::string base, bundle, output, folder, pubkey;
};

struct HotfixReadOptions {
  std::string bundle, pubkey;
};

}  // namespace mpaas
