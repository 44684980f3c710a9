// Options of `mpaas serve` (reachable from tests: argv tables parse into them).
#pragma once

#include <string>

namespace mpaas {

struct ServeOptions {
  std::string listen = "127.0.0.1:8750";
  std::string tls_certificate, tls_key;
  bool insecure = false;
  std::string upload_expiry = "24h";
  int threads = 64;
};

}  // namespace mpaas
