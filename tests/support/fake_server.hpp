// A fake platform server for the HTTP client's tests: cpp-httplib on a free loopback port,
// serving whatever routes a test installs, and recording what it received. Not `mpaas
// serve`: each test scripts the replies it needs (failures first, drops, odd bodies).
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mpaas/platform/http/http_platform.hpp"

namespace mpaas::test {

class FakeServer {
 public:
  FakeServer() {
    m_port = server.bind_to_any_port("127.0.0.1");
    // The socket listens from bind on: a client may connect before the thread accepts.
    m_thread = std::thread([this] { server.listen_after_bind(); });
    // stop() before the loop runs would be lost (and the destructor would wait forever).
    while (!server.is_running())
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeServer() {
    server.stop();
    m_thread.join();
  }
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(m_port); }

  // What a request looked like, for assertions (every header, lowercase names kept as sent).
  struct Seen {
    std::string method, path;
    httplib::Headers headers;
    size_t body_size = 0;
  };
  void record(const httplib::Request& request) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_seen.push_back({request.method, request.path, request.headers, request.body.size()});
  }
  std::vector<Seen> seen() {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_seen;
  }

  httplib::Server server;

 private:
  int m_port = 0;
  std::thread m_thread;
  std::mutex m_mutex;
  std::vector<Seen> m_seen;
};

// Client options for tests: no real sleeping (the delays asked for are recorded), a fixed
// "random" number, and a short stall timeout.
struct NoWait {
  std::vector<std::chrono::milliseconds> delays;
  platform::http::ClientOptions options(const std::string& endpoint, const std::string& token) {
    platform::http::ClientOptions options;
    options.endpoint = endpoint;
    options.token = token;
    options.max_attempts = 4;
    options.stall_timeout = std::chrono::milliseconds(10000);
    options.sleep = [this](std::chrono::milliseconds delay) { delays.push_back(delay); };
    options.random = [] { return uint64_t{0}; };
    return options;
  }
};

// A reply the client sees as a connection dropped mid-response: headers that promise a
// body, then the connection closes.
inline void drop_connection(httplib::Response& response) {
  response.status = 200;
  response.set_content_provider(
      1000, "application/json", [](size_t, size_t, httplib::DataSink&) { return false; }, nullptr);
}

inline void send_json(httplib::Response& response, int status, const std::string& body) {
  response.status = status;
  response.set_content(body, "application/json; charset=utf-8");
}

}  // namespace mpaas::test
