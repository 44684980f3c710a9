// cpp-httplib serving connections it did not accept: the device front (device_front.hpp)
// accepts every connection and answers update checks itself; a connection that asks for
// anything else is handed here with the bytes already read from it, and cpp-httplib serves
// it from then on with its routes, limits and keep-alive, as if it had accepted it.
#pragma once

#include <httplib.h>

#include <atomic>
#include <string>

namespace mpaas::platform::server {

// Asks that the connection of the request being handled on this thread close after its
// reply: the handler left body bytes unread, which must never be taken for a next request.
// The request also gets "Connection: close", so that the reply says so (and cpp-httplib's own
// loop, serving TLS, at least tells the client).
void close_after_reply(const httplib::Request& request);

class HandoffServer : public httplib::Server {
 public:
  // Serves the connection until it closes, times out, or the server stops; closes it.
  // `buffered` holds what was read from it before (the start of its next request).
  void serve_handed_over(int socket, std::string buffered);
  // Connections in progress finish their request in flight and close.
  void begin_stopping() { m_stopping = true; }

 private:
  // Waits for the next request's first byte, at most the keep-alive timeout; false when it
  // does not come or the server is stopping.
  bool next_request_comes(int socket) const;

  std::atomic<bool> m_stopping{false};
};

}  // namespace mpaas::platform::server
