#include "device_front.hpp"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "mpaas/core/error.hpp"

namespace mpaas::platform::server {
namespace {

using Kind = FrontRequest::Kind;
using SteadyTime = std::chrono::steady_clock::time_point;

constexpr size_t read_chunk = 16384;
constexpr int expiry_interval_ms = 250;  // how often idle and slow connections are looked at

const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 503:
      return "Service Unavailable";
    default:
      return status >= 500 ? "Internal Server Error" : "Error";
  }
}

// The head cpp-httplib writes for the same reply (same fields, same order), so that a client
// cannot tell which of the two answered.
void append_reply_head(std::string& out, int status, size_t body_size, bool close,
                       std::chrono::milliseconds keep_alive) {
  char head[256];
  int length =
      std::snprintf(head, sizeof head,
                    "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\nContent-Type: application/json; "
                    "charset=utf-8\r\n",
                    status, reason_phrase(status), body_size);
  out.append(head, static_cast<size_t>(length));
  if (close) {
    out += "Connection: close\r\n\r\n";
  } else {
    length = std::snprintf(head, sizeof head, "Keep-Alive: timeout=%lld, max=100000\r\n\r\n",
                           static_cast<long long>(keep_alive.count() / 1000));
    out.append(head, static_cast<size_t>(length));
  }
}

}  // namespace

class DeviceFront::Loop {
 public:
  Loop(DeviceFront& front, bool accepts) : m_front(front), m_answer(front.m_answers()) {
    m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
    m_inbox_event = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m_epoll < 0 || m_inbox_event < 0)
      throw failure("cannot create an event loop: " + std::string(std::strerror(errno)), "listen");
    // One loop accepts and deals the connections out in turn: with every loop waiting on
    // the listening socket, a burst of connections can all land on the one that is awake.
    if (accepts)
      watch(front.m_listener, EPOLLIN);
    watch(front.m_wake, EPOLLIN);
    watch(m_inbox_event, EPOLLIN);
  }
  ~Loop() {
    for (auto& [fd, connection] : m_connections)
      ::close(fd);
    for (int fd : m_inbox)
      ::close(fd);
    ::close(m_inbox_event);
    ::close(m_epoll);
  }

  // From the accepting loop's thread: this loop takes the connection.
  void give(int fd) {
    {
      std::lock_guard lock(m_inbox_mutex);
      m_inbox.push_back(fd);
    }
    uint64_t one = 1;
    if (::write(m_inbox_event, &one, sizeof one) < 0) {
      // The counter is far from full; a failed write still leaves the fd in the inbox.
    }
  }

  void run() {
    std::vector<epoll_event> events(64);
    auto next_expiry = now() + std::chrono::milliseconds(expiry_interval_ms);
    while (!m_front.m_stopping) {
      int ready =
          ::epoll_wait(m_epoll, events.data(), static_cast<int>(events.size()), expiry_interval_ms);
      for (int i = 0; i < ready; ++i)
        on_event(events[static_cast<size_t>(i)]);
      if (now() >= next_expiry) {
        expire(now());
        next_expiry = now() + std::chrono::milliseconds(expiry_interval_ms);
      }
    }
  }

 private:
  struct Connection {
    std::string in;      // read and not yet answered
    std::string out;     // a reply's head being written
    std::string body;    // and its body, sent after it in the same call
    size_t written = 0;  // of head and body together
    bool writing() const { return !out.empty(); }
    bool close_after = false;
    SteadyTime deadline;  // when it is dropped unless something happens before
  };

  static SteadyTime now() { return std::chrono::steady_clock::now(); }

  void watch(int fd, uint32_t events) {
    epoll_event event{};
    event.events = events;
    event.data.fd = fd;
    ::epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &event);
  }

  void rewatch(int fd, uint32_t events) {
    epoll_event event{};
    event.events = events;
    event.data.fd = fd;
    ::epoll_ctl(m_epoll, EPOLL_CTL_MOD, fd, &event);
  }

  void on_event(const epoll_event& event) {
    int fd = event.data.fd;
    if (fd == m_front.m_listener) {
      accept_all();
      return;
    }
    if (fd == m_front.m_wake)
      return;
    if (fd == m_inbox_event) {
      take_inbox();
      return;
    }
    auto found = m_connections.find(fd);
    if (found == m_connections.end())
      return;
    auto& connection = found->second;
    if (connection.writing()) {
      // Waiting to write: a client that hangs up meanwhile is dropped, not spun on.
      if (!(event.events & EPOLLOUT)) {
        drop(fd);
        return;
      }
      if (flush(fd, connection) == Flushed::all) {
        rewatch(fd, EPOLLIN | EPOLLRDHUP);
        answer_what_is_read(fd, connection);  // what arrived while the reply was going out
      }
      return;
    }
    on_readable(fd, connection);
  }

  void accept_all() {
    while (true) {
      int fd = ::accept4(m_front.m_listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        // Out of descriptors: leave the rest in the backlog a moment rather than spin.
        if (errno == EMFILE || errno == ENFILE)
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        return;
      }
      int on = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
      auto& next = *m_front.m_loops[m_front.m_next_loop++ % m_front.m_loops.size()];
      if (&next == this)
        adopt(fd);
      else
        next.give(fd);
    }
  }

  void take_inbox() {
    uint64_t count;
    if (::read(m_inbox_event, &count, sizeof count) < 0) {
      // Nothing to reset: another wake-up took it.
    }
    std::vector<int> arrived;
    {
      std::lock_guard lock(m_inbox_mutex);
      arrived.swap(m_inbox);
    }
    for (int fd : arrived)
      adopt(fd);
  }

  void adopt(int fd) {
    auto& connection = m_connections[fd];
    connection.deadline = now() + m_front.m_options.keep_alive_timeout;
    watch(fd, EPOLLIN | EPOLLRDHUP);
  }

  void on_readable(int fd, Connection& connection) {
    bool was_empty = connection.in.empty();
    char chunk[read_chunk];
    while (connection.in.size() < m_front.m_options.max_head + read_chunk) {
      ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
      if (got > 0) {
        connection.in.append(chunk, static_cast<size_t>(got));
        // Less than asked for: the socket is drained for now, and a read to be told so
        // would be a wasted call (the loop is level-triggered; more wakes it again).
        if (static_cast<size_t>(got) < sizeof chunk)
          break;
        continue;
      }
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;
      if (got < 0 && errno == EINTR)
        continue;
      drop(fd);  // closed by the client, or broken
      return;
    }
    if (was_empty && !connection.in.empty())
      connection.deadline = now() + m_front.m_options.head_timeout;
    answer_what_is_read(fd, connection);
  }

  // Answers the complete checks at the front of the input, one at a time: the next is read
  // only once the previous reply is out, so a client that does not read cannot make the
  // server hold more than one reply for it.
  void answer_what_is_read(int fd, Connection& connection) {
    while (!connection.writing() && !connection.in.empty()) {
      auto request = read_front_request(connection.in, m_front.m_options.max_head);
      if (request.kind == Kind::incomplete)
        return;
      if (request.kind == Kind::other) {
        hand_over(fd, connection);
        return;
      }
      answer(connection, request);
      connection.in.erase(0, request.head_length);
      auto flushed = flush(fd, connection);
      if (flushed == Flushed::waiting)
        rewatch(fd, EPOLLOUT | EPOLLRDHUP);
      if (flushed != Flushed::all)
        return;
    }
  }

  void answer(Connection& connection, const FrontRequest& request) {
    auto started = m_front.m_clock.steady_now();
    m_body.clear();
    int status = m_answer(request, m_body);
    connection.close_after = request.close;
    append_reply_head(connection.out, status, m_body.size(), request.close,
                      m_front.m_options.keep_alive_timeout);
    // The body changes places with the connection's spare buffer: no copy of a reply.
    connection.body.swap(m_body);
    connection.written = 0;
    if (m_front.m_log) {
      AccessLogEntry entry;
      entry.method = "GET";
      entry.path = request.path;
      entry.status = status;
      entry.bytes = m_body.size();
      entry.milliseconds =
          std::chrono::duration<double, std::milli>(m_front.m_clock.steady_now() - started).count();
      m_front.m_log(entry);
    }
  }

  enum class Flushed { all, waiting, dropped };

  // Writes what the socket takes of the reply. `dropped`: the connection is gone (an error,
  // or the reply was its last).
  Flushed flush(int fd, Connection& connection) {
    size_t total = connection.out.size() + connection.body.size();
    while (connection.written < total) {
      size_t head_left = connection.written < connection.out.size()
                             ? connection.out.size() - connection.written
                             : 0;
      iovec parts[2];
      int count = 0;
      if (head_left > 0)
        parts[count++] = {connection.out.data() + connection.written, head_left};
      size_t body_from = connection.written + head_left - connection.out.size();
      if (body_from < connection.body.size())
        parts[count++] = {connection.body.data() + body_from, connection.body.size() - body_from};
      msghdr message{};
      message.msg_iov = parts;
      message.msg_iovlen = static_cast<size_t>(count);
      ssize_t sent = ::sendmsg(fd, &message, MSG_NOSIGNAL);
      if (sent > 0) {
        connection.written += static_cast<size_t>(sent);
        connection.deadline = now() + m_front.m_options.write_timeout;
        continue;
      }
      if (sent < 0 && errno == EINTR)
        continue;
      if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return Flushed::waiting;
      drop(fd);
      return Flushed::dropped;
    }
    connection.out.clear();
    connection.body.clear();
    connection.written = 0;
    if (connection.close_after) {
      drop(fd);
      return Flushed::dropped;
    }
    connection.deadline = now() + (connection.in.empty() ? m_front.m_options.keep_alive_timeout
                                                         : m_front.m_options.head_timeout);
    return Flushed::all;
  }

  void hand_over(int fd, Connection& connection) {
    ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
    std::string buffered = std::move(connection.in);
    m_connections.erase(fd);
    m_front.m_handoff(fd, std::move(buffered));
  }

  void drop(int fd) {
    ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    m_connections.erase(fd);
  }

  void expire(SteadyTime at) {
    std::vector<int> late;
    for (const auto& [fd, connection] : m_connections) {
      if (at >= connection.deadline)
        late.push_back(fd);
    }
    for (int fd : late)
      drop(fd);
  }

  DeviceFront& m_front;
  Answer m_answer;
  int m_epoll = -1;
  int m_inbox_event = -1;  // written when the accepting loop gives this one a connection
  std::mutex m_inbox_mutex;
  std::vector<int> m_inbox;
  std::unordered_map<int, Connection> m_connections;
  std::string m_body;  // the reply body being built, reused
};

DeviceFront::DeviceFront(int listening_socket, FrontOptions options, AnswerFactory answers,
                         Handoff handoff, AccessLog log, const Clock& clock)
    : m_listener(listening_socket),
      m_options(options),
      m_answers(std::move(answers)),
      m_handoff(std::move(handoff)),
      m_log(std::move(log)),
      m_clock(clock) {
  m_wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (m_wake < 0)
    throw failure("cannot create an event: " + std::string(std::strerror(errno)), "listen");
  int flags = ::fcntl(m_listener, F_GETFL, 0);
  ::fcntl(m_listener, F_SETFL, flags | O_NONBLOCK);
}

DeviceFront::~DeviceFront() {
  ::close(m_wake);
}

void DeviceFront::run() {
  for (size_t i = 0; i < std::max<size_t>(1, m_options.loops); ++i)
    m_loops.push_back(std::make_unique<Loop>(*this, i == 0));
  std::vector<std::thread> threads;
  for (size_t i = 1; i < m_loops.size(); ++i)
    threads.emplace_back([&loop = *m_loops[i]] { loop.run(); });
  m_loops[0]->run();
  for (auto& thread : threads)
    thread.join();
  m_loops.clear();
}

void DeviceFront::stop() {
  m_stopping = true;
  uint64_t one = 1;
  if (::write(m_wake, &one, sizeof one) < 0) {
    // The loops also look at m_stopping at least every expiry interval.
  }
}

}  // namespace mpaas::platform::server
