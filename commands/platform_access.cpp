// Opening the platform for the `app` and `release` commands (see platform_access.hpp).
#include "platform_access.hpp"

#include <fstream>

#include "login/credentials.hpp"
#include "login/remote.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/platform/http/http_platform.hpp"
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

std::string configured_endpoint(const Context& context) {
  auto endpoint = context.config.get("endpoint");
  return endpoint ? endpoint->value : std::string();
}

namespace {

// $XDG_STATE_HOME/mpaas, else ~/.local/state/mpaas: resumable uploads are remembered there.
std::filesystem::path state_dir(const Context& context) {
  auto found = context.environment.find("XDG_STATE_HOME");
  if (found != context.environment.end() && !found->second.empty())
    return std::filesystem::path(found->second) / "mpaas";
  found = context.environment.find("HOME");
  std::string home = found != context.environment.end() ? found->second : "/root";
  return std::filesystem::path(home) / ".local" / "state" / "mpaas";
}

}  // namespace

platform::http::HttpPlatformOptions remote_options(const Context& context,
                                                   const std::string& endpoint) {
  platform::http::check_endpoint(endpoint);
  platform::http::HttpPlatformOptions options;
  options.client.endpoint = endpoint;
  options.client.token = platform_token(context, endpoint);
  auto ca_file = context.config.get("cacert");
  if (ca_file && !ca_file->value.empty())
    options.client.ca_file = context.resolve(ca_file->value);
  options.state_dir = state_dir(context);
  return options;
}

std::unique_ptr<platform::Platform> open_platform(Context& context) {
  std::string endpoint = configured_endpoint(context);
  if (!endpoint.empty()) {
    context.log("platform at " + endpoint);
    return std::make_unique<platform::http::HttpPlatform>(remote_options(context, endpoint));
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
