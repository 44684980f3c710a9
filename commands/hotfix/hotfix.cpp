// `mpaas hotfix`: signed hot-fix bundles between two builds (docs/hotfix.md).
#include "command.hpp"

namespace mpaas {

void register_hotfix_create(Command& group);
void register_hotfix_apply(Command& group);
void register_hotfix_verify(Command& group);
void register_hotfix_inspect(Command& group);

void register_hotfix_commands(Command& root) {
  Command group =
      root.subcommand("hotfix", "Make, check and apply signed hot-fix bundles between two builds");
  group.examples(
      {"mpaas hotfix create --base app-1.0.apk --target app-1.0.1.apk -o fix.mphf --key "
       "keys/private.pem",
       "mpaas hotfix apply --base app-1.0.apk fix.mphf -o app-1.0.1.apk --pubkey "
       "keys/public.pem",
       "mpaas hotfix inspect fix.mphf"});
  register_hotfix_create(group);
  register_hotfix_apply(group);
  register_hotfix_verify(group);
  register_hotfix_inspect(group);
}

}  // namespace mpaas
