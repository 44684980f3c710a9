// `mpaas release whitelist`: the devices that always get a gray release.
#include "release/release.hpp"

namespace mpaas {

void register_release_whitelist_add(Command& group);
void register_release_whitelist_remove(Command& group);
void register_release_whitelist_list(Command& group);

void register_release_whitelist(Command& group) {
  Command whitelist =
      group.subcommand("whitelist", "Add, remove and list the devices that always get a release");
  whitelist.examples({"mpaas release whitelist add rel_ab12cd34ef56 --file testers.txt"});
  register_release_whitelist_add(whitelist);
  register_release_whitelist_remove(whitelist);
  register_release_whitelist_list(whitelist);
}

}  // namespace mpaas
