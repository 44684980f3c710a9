// Turning JSON request bodies and query parameters into the Platform's plain requests
// (docs/api.md). Each refusal is a usage error naming the field, as the CLI's flags are.
#pragma once

#include <string>

#include "mpaas/core/output.hpp"
#include "mpaas/platform/platform.hpp"

namespace mpaas::platform::server {

// A JSON body: an object, at most `limit` bytes (invalid_input otherwise).
Json parse_body(const std::string& body, size_t limit);

// The release request of POST /v1/apps/{app}/releases; `upload` is left to the caller.
UploadRequest release_request(const std::string& app, const Json& body);
LifecycleChange rollout_request(const Json& body);
std::vector<std::string> device_list(const Json& body);
TokenRequest token_request(const Json& body);
Device device_of(const Json& body);

// Optional string fields: absent or null is empty.
std::string optional_text(const Json& body, const char* field);
// A percentage as the JSON forms print it (12.5) into basis points.
BasisPoints percent_field(const Json& value, const char* field);

}  // namespace mpaas::platform::server
