// The run shared by pause, resume, finish and rollback (see lifecycle.hpp).
#include "release/lifecycle.hpp"

#include "platform_access.hpp"

namespace mpaas::release_commands {

int run_lifecycle(const ReleaseRefOptions& options, Context& context,
                  platform::LifecycleChange::Action action) {
  platform::LifecycleChange change;
  change.action = action;
  context.emit(open_platform(context)->change(options.release, change));
  return 0;
}

}  // namespace mpaas::release_commands
