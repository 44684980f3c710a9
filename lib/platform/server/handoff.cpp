#include "handoff.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

namespace mpaas::platform::server {
namespace {

// How often a wait looks at whether the server is stopping.
constexpr int stop_check_ms = 100;

bool wait_for(int socket, short events, int timeout_ms) {
  pollfd target{socket, events, 0};
  int ready;
  do {
    ready = ::poll(&target, 1, timeout_ms);
  } while (ready < 0 && errno == EINTR);
  return ready > 0;
}

void address_of(int socket, bool remote, std::string& ip, int& port) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  int got = remote ? ::getpeername(socket, reinterpret_cast<sockaddr*>(&address), &length)
                   : ::getsockname(socket, reinterpret_cast<sockaddr*>(&address), &length);
  if (got != 0)
    return;
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
    port = ntohs(v4->sin_port);
  } else if (address.ss_family == AF_INET6) {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    port = ntohs(v6->sin6_port);
  }
  ip = text;
}

// A blocking socket whose first bytes come from a buffer: what the front read before it
// handed the connection over. Reads and writes wait at most the server's timeouts.
class HandedStream : public httplib::Stream {
 public:
  HandedStream(int socket, std::string buffered, int read_timeout_ms, int write_timeout_ms)
      : m_socket(socket),
        m_buffered(std::move(buffered)),
        m_read_timeout_ms(read_timeout_ms),
        m_write_timeout_ms(write_timeout_ms) {}

  bool has_buffered() const { return m_offset < m_buffered.size(); }

  bool is_readable() const override {
    return has_buffered() || wait_for(m_socket, POLLIN, m_read_timeout_ms);
  }
  bool is_writable() const override { return wait_for(m_socket, POLLOUT, m_write_timeout_ms); }

  ssize_t read(char* out, size_t size) override {
    if (has_buffered()) {
      size_t taken = std::min(size, m_buffered.size() - m_offset);
      std::copy_n(m_buffered.data() + m_offset, taken, out);
      m_offset += taken;
      if (!has_buffered())
        std::string().swap(m_buffered);
      return static_cast<ssize_t>(taken);
    }
    if (!is_readable())
      return -1;
    ssize_t got;
    do {
      got = ::recv(m_socket, out, size, 0);
    } while (got < 0 && errno == EINTR);
    return got;
  }

  ssize_t write(const char* data, size_t size) override {
    if (!is_writable())
      return -1;
    ssize_t sent;
    do {
      sent = ::send(m_socket, data, size, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    return sent;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    address_of(m_socket, true, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    address_of(m_socket, false, ip, port);
  }
  socket_t socket() const override { return m_socket; }

 private:
  int m_socket;
  std::string m_buffered;
  size_t m_offset = 0;
  int m_read_timeout_ms, m_write_timeout_ms;
};

int milliseconds_of(time_t seconds, time_t microseconds) {
  return static_cast<int>(seconds * 1000 + microseconds / 1000);
}

// Set by close_after_reply while a request of this thread's connection is handled.
thread_local bool close_requested = false;

}  // namespace

void close_after_reply(const httplib::Request& request) {
  const_cast<httplib::Request&>(request).set_header("Connection", "close");
  close_requested = true;
}

bool HandoffServer::next_request_comes(int socket) const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(keep_alive_timeout_sec_);
  while (!m_stopping) {
    if (wait_for(socket, POLLIN, stop_check_ms))
      return true;
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
  }
  return false;
}

// As cpp-httplib serves a connection it accepted itself: requests one after another while
// the client keeps it alive, up to the keep-alive count; the last one closes it.
void HandoffServer::serve_handed_over(int socket, std::string buffered) {
  // The front reads without blocking; cpp-httplib's reads and writes block (with timeouts).
  int flags = ::fcntl(socket, F_GETFL, 0);
  ::fcntl(socket, F_SETFL, flags & ~O_NONBLOCK);
  HandedStream stream(socket, std::move(buffered),
                      milliseconds_of(read_timeout_sec_, read_timeout_usec_),
                      milliseconds_of(write_timeout_sec_, write_timeout_usec_));
  for (size_t left = keep_alive_max_count_; left > 0; --left) {
    if (!stream.has_buffered() && !next_request_comes(socket))
      break;
    bool close_connection = left == 1 || m_stopping;
    bool connection_closed = false;
    close_requested = false;
    if (!process_request(stream, close_connection, connection_closed, nullptr) ||
        connection_closed || close_requested)
      break;
  }
  ::shutdown(socket, SHUT_RDWR);
  ::close(socket);
}

}  // namespace mpaas::platform::server
