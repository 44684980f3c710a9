// The front of a plain-HTTP server: a few event loops (epoll) that accept every connection
// and answer device update checks themselves, the one request a server gets thousands of
// times a second. cpp-httplib gives each connection a thread while it is kept alive, and on
// two cores the switching between those threads costs more than the checks. Any request
// that is not an update check hands its connection, with what was read of it, to
// cpp-httplib (handoff.hpp) for good.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "front_request.hpp"
#include "mpaas/core/clock.hpp"
#include "mpaas/platform/server.hpp"

namespace mpaas::platform::server {

struct FrontOptions {
  size_t loops = 2;                                    // event loops, each on its own thread
  size_t max_head = 8192;                              // a longer head goes to cpp-httplib
  std::chrono::milliseconds head_timeout{10000};       // to read a whole head once begun
  std::chrono::milliseconds keep_alive_timeout{5000};  // idle between requests
  std::chrono::milliseconds write_timeout{10000};      // without progress on a reply
};

class DeviceFront {
 public:
  // Answers one check into `body`, returning the HTTP status. Each loop gets its own
  // (a Platform belongs to one thread at a time).
  using Answer = std::function<int(const FrontRequest& request, std::string& body)>;
  using AnswerFactory = std::function<Answer()>;
  // Takes over a connection for good: its socket and the bytes already read from it.
  using Handoff = std::function<void(int socket, std::string buffered)>;

  DeviceFront(int listening_socket, FrontOptions options, AnswerFactory answers, Handoff handoff,
              AccessLog log, const Clock& clock);
  ~DeviceFront();
  DeviceFront(const DeviceFront&) = delete;
  DeviceFront& operator=(const DeviceFront&) = delete;

  // Serves until stop(); connections still held by the front are closed then.
  void run();
  // Safe from any thread and from a signal-handling thread.
  void stop();

 private:
  class Loop;
  int m_listener;
  FrontOptions m_options;
  AnswerFactory m_answers;
  Handoff m_handoff;
  AccessLog m_log;
  const Clock& m_clock;
  int m_wake = -1;  // an eventfd every loop watches: written once, on stop
  std::atomic<bool> m_stopping{false};
  std::vector<std::unique_ptr<Loop>> m_loops;  // while run() runs; the first accepts
  size_t m_next_loop = 0;                      // the accepting loop's turn counter
};

}  // namespace mpaas::platform::server
