// The ids given to `whitelist add` and `whitelist remove`: arguments and --file.
#pragma once

#include "context.hpp"
#include "release/options.hpp"

namespace mpaas::release_commands {

std::vector<std::string> whitelist_ids(const WhitelistEditOptions& options, Context& context);

}  // namespace mpaas::release_commands
