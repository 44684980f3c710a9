// The lifecycle commands (pause, resume, finish, rollback) share one run.
#pragma once

#include "context.hpp"
#include "mpaas/platform/platform.hpp"
#include "release/options.hpp"

namespace mpaas::release_commands {

int run_lifecycle(const ReleaseRefOptions& options, Context& context,
                  platform::LifecycleChange::Action action);

}  // namespace mpaas::release_commands
