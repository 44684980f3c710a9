// The credentials file of `mpaas login` (see credentials.hpp).
#include "login/credentials.hpp"

#include <sys/stat.h>

#include <algorithm>

#include "mpaas/core/config.hpp"
#include "mpaas/core/error.hpp"

namespace mpaas {
namespace {

constexpr size_t max_token_length = 512;

std::string text_at(const YAML::Node& node, const std::string& key) {
  YAML::Node value = node[key];
  return value && value.IsScalar() ? value.as<std::string>() : std::string();
}

std::string without_trailing_slash(std::string url) {
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  return url;
}

}  // namespace

std::filesystem::path credentials_path(const Context& context) {
  return user_config_path(context.environment).parent_path() / "credentials.yaml";
}

std::optional<StoredCredentials> load_credentials(const Context& context) {
  YAML::Node file = load_yaml_file(credentials_path(context));
  YAML::Node profiles = file["profiles"];
  if (!profiles || !profiles.IsMap())
    return std::nullopt;
  YAML::Node profile = profiles[context.config.profile()];
  if (!profile || !profile.IsMap())
    return std::nullopt;
  StoredCredentials stored{text_at(profile, "endpoint"), text_at(profile, "token")};
  if (stored.token.empty())
    return std::nullopt;
  return stored;
}

void store_credentials(const Context& context, const StoredCredentials& credentials) {
  auto path = credentials_path(context);
  std::filesystem::create_directories(path.parent_path());
  const std::string& profile = context.config.profile();
  set_config_value(path, profile, "endpoint", credentials.endpoint);
  set_config_value(path, profile, "token", credentials.token);
  // Whatever mode an older file had, a file holding a token is the user's alone.
  ::chmod(path.c_str(), 0600);
}

bool remove_credentials(const Context& context) {
  auto path = credentials_path(context);
  if (!std::filesystem::exists(path))
    return false;
  const std::string& profile = context.config.profile();
  bool removed = unset_config_value(path, profile, "token");
  unset_config_value(path, profile, "endpoint");
  return removed;
}

std::string platform_token(const Context& context, const std::string& endpoint) {
  auto from_environment = context.environment.find("MPAAS_TOKEN");
  if (from_environment != context.environment.end() && !from_environment->second.empty())
    return from_environment->second;
  auto stored = load_credentials(context);
  if (stored && without_trailing_slash(stored->endpoint) == without_trailing_slash(endpoint))
    return stored->token;
  return {};
}

void check_token_text(const std::string& token) {
  bool printable =
      std::all_of(token.begin(), token.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
  if (token.empty() || token.size() > max_token_length || !printable)
    throw usage_error("a token is 1 to " + std::to_string(max_token_length) +
                          " printable characters without spaces",
                      "token");
}

}  // namespace mpaas
