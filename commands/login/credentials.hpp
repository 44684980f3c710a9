// Where `mpaas login` keeps a profile's token: credentials.yaml beside the user config
// (mode 0600), under profiles.<profile> with the endpoint the token was checked against.
// A stored token is sent only to that endpoint, so pointing a profile (or --endpoint)
// elsewhere never hands the token to another server. MPAAS_TOKEN overrides the file.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "context.hpp"

namespace mpaas {

struct StoredCredentials {
  std::string endpoint;
  std::string token;
};

std::filesystem::path credentials_path(const Context& context);
std::optional<StoredCredentials> load_credentials(const Context& context);
void store_credentials(const Context& context, const StoredCredentials& credentials);
// False when the profile had none.
bool remove_credentials(const Context& context);

// The token for requests to `endpoint`: MPAAS_TOKEN, else the profile's stored token when
// it was stored for this endpoint, else empty.
std::string platform_token(const Context& context, const std::string& endpoint);

// Checks a token's shape (1..512 printable ASCII characters, no spaces) without ever
// quoting it; usage_error naming "token".
void check_token_text(const std::string& token);

}  // namespace mpaas
