// Reaching a remote platform (docs/api.md) from commands: the endpoint in force (--endpoint,
// MPAAS_ENDPOINT or the profile's `endpoint`) and the HTTP client's options for it: the
// token (MPAAS_TOKEN, else the one `mpaas login` stored for that endpoint), the CA bundle of
// `cacert` (MPAAS_CACERT or the profile) and the folder where uploads are remembered.
#pragma once

#include <string>

#include "context.hpp"
#include "mpaas/platform/http/http_platform.hpp"

namespace mpaas {

// The endpoint in force, empty for the embedded platform.
std::string configured_endpoint(const Context& context);
// The client's options for `endpoint` (checked: usage_error naming "endpoint").
platform::http::HttpPlatformOptions remote_options(const Context& context,
                                                   const std::string& endpoint);

}  // namespace mpaas
