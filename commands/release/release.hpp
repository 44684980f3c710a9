// Shared pieces of the `mpaas release` commands.
#pragma once

#include <optional>

#include "command.hpp"
#include "mpaas/platform/platform.hpp"
#include "release/options.hpp"

namespace mpaas::release_commands {

// The time window from --max-devices and --until (both or neither); nullopt when neither.
std::optional<platform::TimeWindow> window_from_flags(const WindowFlags& flags);
void bind_window_flags(Command& command, WindowFlags& flags);

}  // namespace mpaas::release_commands
