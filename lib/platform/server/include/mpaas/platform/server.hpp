// `mpaas serve`: any Platform over HTTP API v1 (docs/api.md), on cpp-httplib. The server
// knows the Platform interface only, never an implementation: it gets a factory and keeps one
// Platform per concurrent request (an embedded platform's SQLite connection is not shared
// between threads). It never prints: each request is reported to an access-log sink.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mpaas/core/clock.hpp"
#include "mpaas/platform/platform.hpp"

namespace mpaas::platform::server {

struct AccessLogEntry {
  std::string method;
  std::string path;  // without the query string
  int status = 0;
  uint64_t bytes = 0;  // response body bytes
  double milliseconds = 0;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8750;  // 0: any free port (see ApiServer::bind)
  // Where tus uploads are kept until a release consumes them.
  std::filesystem::path uploads;
  // TLS: both files or neither.
  std::filesystem::path tls_certificate, tls_key;
  // Concurrent connections served at once (each keeps a worker while it is kept alive).
  size_t threads = 64;
  size_t max_json_body = 4u << 20;
  uint64_t max_upload = 16ull << 30;
  std::chrono::seconds upload_expiry{24 * 3600};
  // Requests per token and second, and the burst allowed above it.
  double rate_per_second = 50;
  double rate_burst = 200;
};

using PlatformFactory = std::function<std::unique_ptr<Platform>()>;
using AccessLog = std::function<void(const AccessLogEntry&)>;

class ApiServer {
 public:
  ApiServer(PlatformFactory factory, ServerOptions options, AccessLog log, const Clock& clock);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds the listening socket; returns the port (the chosen one when the options say 0).
  // Throws failure naming the address when it cannot.
  int bind();
  // Serves until stop() is called; requests in flight finish first. Blocks.
  void serve();
  // Safe from any thread: stops accepting, lets requests in flight finish, then serve()
  // returns. Until then /readyz answers 503.
  void stop();
  // Every route as "METHOD /path/{param}", as docs/api.md spells it.
  static std::vector<std::string> routes();

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

// The JSON text of an update check's result, byte for byte what to_json(result).dump()
// gives, built from each release's JSON text kept per worker thread: a device check answers
// with every offer in full, and serialising each release again on every request would be
// most of what the server does per check.
std::string check_response_text(const CheckResult& result);

}  // namespace mpaas::platform::server
