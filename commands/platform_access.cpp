// Opening the platform for the `app` and `release` commands (see platform_access.hpp).
#include "platform_access.hpp"

#include <fstream>

#include "mpaas/core/error.hpp"
#include "mpaas/platform/local.hpp"

namespace mpaas {

std::string platform_actor(const Context& context) {
  for (const char* name : {"USER", "LOGNAME"}) {
    auto found = context.environment.find(name);
    if (found != context.environment.end() && !found->second.empty())
      return found->second.substr(0, 128);
  }
  return "unknown";
}

std::unique_ptr<platform::Platform> open_platform(Context& context) {
  auto endpoint = context.config.get("endpoint");
  if (endpoint && !endpoint->value.empty()) {
    throw failure("an endpoint is configured (" + endpoint->source +
                      ") but this mpaas has no platform client yet; unset it to use the "
                      "embedded platform in the data folder",
                  "endpoint");
  }
  std::filesystem::path data_dir = context.resolve(context.data_dir().string());
  return platform::open_local_platform(data_dir / "platform", platform_actor(context),
                                       context.clock);
}

std::unique_ptr<std::istream> open_input_file(Context& context, const std::string& file) {
  auto path = context.resolve(file);
  auto stream = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*stream)
    throw not_found("cannot read " + file, file);
  return stream;
}

}  // namespace mpaas
