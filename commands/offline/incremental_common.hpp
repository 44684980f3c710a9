// What `offline diff` and `offline apply` share: the input checks and the signing options.
#pragma once

#include <filesystem>
#include <string>

#include "mpaas/core/error.hpp"
#include "offline/offline.hpp"

namespace mpaas::offline_commands {

// The pack options with the key from the flag or MPAAS_SIGNING_KEY (unsigned without one).
inline offline::PackOptions signing_options(const std::string& key_flag, Context& context) {
  auto pack = pack_options(context);
  pack.key = find_signing_key(key_flag, "", context.cwd, context);
  return pack;
}

inline void require_file(const Context& context, const std::string& path) {
  if (!std::filesystem::is_regular_file(resolve_path(context, path)))
    throw not_found("no such file (" + path + ")", path);
}

}  // namespace mpaas::offline_commands
