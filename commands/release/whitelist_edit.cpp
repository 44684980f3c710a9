// The ids of a whitelist edit (see whitelist_edit.hpp).
#include "release/whitelist_edit.hpp"

#include "mpaas/core/error.hpp"
#include "mpaas/platform/platform.hpp"
#include "platform_access.hpp"

namespace mpaas::release_commands {

std::vector<std::string> whitelist_ids(const WhitelistEditOptions& options, Context& context) {
  std::vector<std::string> ids;
  for (const auto& id : options.devices) {
    platform::check_device_id(id, "device id");
    ids.push_back(id);
  }
  if (!options.file.empty()) {
    auto listed = with_input(context, options.file, [](std::istream& in, const std::string& name) {
      return platform::read_id_list(in, name);
    });
    ids.insert(ids.end(), listed.begin(), listed.end());
  }
  if (ids.empty())
    throw usage_error("give device ids as arguments or with --file");
  return ids;
}

}  // namespace mpaas::release_commands
