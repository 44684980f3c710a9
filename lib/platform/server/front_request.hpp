// The little of HTTP/1.1 the device front reads itself (device_front.hpp): a request head
// that is an update check, `GET /v1/apps/{app}/updates?...` with no body, and nothing else.
// Anything it does not recognise in full is handed to cpp-httplib unread, so this reader
// only has to be right about what it accepts, never about what it refuses.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mpaas::platform::server {

struct FrontRequest {
  enum class Kind {
    incomplete,  // no blank line yet: read on (or hand over once the head is too long)
    check,       // an update check this reader understood whole
    other,       // anything else: cpp-httplib's
  };
  Kind kind = Kind::incomplete;
  size_t head_length = 0;  // bytes of the head, blank line included (kind check)
  std::string app;         // the {app} segment (kind check)
  std::string path;        // the target without its query (kind check)
  bool close = false;      // the client asked for Connection: close
  // The query's parameters, decoded ('+' and %XX), in order.
  std::vector<std::pair<std::string, std::string>> parameters;

  // The first value of a parameter; empty when absent (as cpp-httplib's get_param_value).
  std::string parameter(std::string_view name) const;
};

// Reads the head at the start of `buffer`. A head longer than `max_head` bytes is `other`
// (cpp-httplib applies its own limits to it).
FrontRequest read_front_request(std::string_view buffer, size_t max_head);

}  // namespace mpaas::platform::server
