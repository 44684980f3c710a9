// How the `app` and `release` commands reach the platform: the embedded one in the data
// folder (<data_dir>/platform), or the server an endpoint names (login/remote.hpp).
#pragma once

#include <istream>
#include <memory>
#include <string>

#include "context.hpp"
#include "mpaas/platform/platform.hpp"

namespace mpaas {

std::unique_ptr<platform::Platform> open_platform(Context& context);

// Who is changing things, for the release history: $USER, else $LOGNAME, else "unknown".
std::string platform_actor(const Context& context);

// FILE opened for reading (resolved against the working folder); not_found names FILE.
std::unique_ptr<std::istream> open_input_file(Context& context, const std::string& file);

// Opens FILE for reading ("-" is stdin) and runs `read` on it; not_found names FILE.
template <class Reader>
auto with_input(Context& context, const std::string& file, Reader read) {
  if (file == "-")
    return read(context.in, std::string("stdin"));
  auto stream = open_input_file(context, file);
  return read(*stream, file);
}
}  // namespace mpaas
