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

// A package argument must be a regular file: missing is not found (exit 5), a folder or
// a FIFO is a usage error (exit 2), as the package readers say for verify and inspect.
inline void require_file(const Context& context, const std::string& path) {
  std::error_code error;
  auto status = std::filesystem::status(resolve_path(context, path), error);
  if (!std::filesystem::exists(status))
    throw not_found("no such file (" + path + ")", path);
  if (std::filesystem::is_directory(status))
    throw usage_error("a folder, not a file (" + path + ")", path);
  if (!std::filesystem::is_regular_file(status))
    throw usage_error("not a regular file (" + path + ")", path);
}

}  // namespace mpaas::offline_commands
