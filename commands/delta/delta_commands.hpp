// `mpaas diff` and `mpaas patch`: the command-line face of lib/delta. One file per verb.
#pragma once

#include "command.hpp"

namespace mpaas::delta_commands {

void register_diff(Command& root);
void register_patch(Command& root);

// Parses "1048576", "512K", "64M", "2G", "1GiB" into bytes; throws usage_error naming `flag`.
uint64_t parse_size(const std::string& text, const std::string& flag);

}  // namespace mpaas::delta_commands
