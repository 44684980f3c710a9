#include "gated_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

namespace mpaas::test {

namespace {

constexpr int poll_interval_ms = 20;  // how soon a pump sees open() or the destructor

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  return address;
}

bool send_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t sent = ::send(fd, data, size, MSG_NOSIGNAL);
    if (sent <= 0)
      return false;
    data += sent;
    size -= static_cast<size_t>(sent);
  }
  return true;
}

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto address = loopback(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

GatedProxy::GatedProxy(int target_port, uint64_t budget)
    : m_target_port(target_port), m_budget(budget) {
  m_listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto address = loopback(0);
  socklen_t length = sizeof address;
  if (::bind(m_listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(m_listener, 16) != 0 ||
      ::getsockname(m_listener, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    throw std::runtime_error("the gated proxy cannot listen on loopback");
  m_port = ntohs(address.sin_port);
  m_acceptor = std::thread([this] { accept_loop(); });
}

GatedProxy::~GatedProxy() {
  m_stopping = true;
  m_acceptor.join();
  for (auto& pump : m_pumps)
    pump.join();
  ::close(m_listener);
}

bool GatedProxy::wait_until_holding(std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (m_forwarded.load() < m_budget) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

size_t GatedProxy::allowance(size_t wanted) const {
  if (m_open)
    return wanted;
  uint64_t spent = m_forwarded.load();
  return spent >= m_budget ? 0 : static_cast<size_t>(std::min<uint64_t>(wanted, m_budget - spent));
}

void GatedProxy::accept_loop() {
  while (!m_stopping) {
    pollfd listening{m_listener, POLLIN, 0};
    if (::poll(&listening, 1, poll_interval_ms) <= 0)
      continue;
    int client = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0)
      continue;
    int server = connect_to(m_target_port);
    if (server < 0) {
      ::close(client);
      continue;
    }
    std::lock_guard lock(m_mutex);
    m_pumps.emplace_back([this, client, server] { pump(client, server); });
  }
}

// Moves bytes both ways until either side closes or the proxy stops. While holding, the
// client side is watched only for its hang-up, so a killed client still closes the server's
// connection (and the server sees an upload cut off).
void GatedProxy::pump(int client, int server) {
  std::vector<char> buffer(1 << 16);
  while (!m_stopping) {
    size_t may_send = allowance(buffer.size());
    pollfd sides[2] = {{client, static_cast<short>(may_send > 0 ? POLLIN : POLLRDHUP), 0},
                       {server, POLLIN, 0}};
    if (::poll(sides, 2, poll_interval_ms) < 0)
      break;
    if (sides[0].revents & (POLLERR | POLLHUP | POLLRDHUP) && may_send == 0)
      break;
    if (sides[0].revents & (POLLIN | POLLERR | POLLHUP)) {
      ssize_t got = ::recv(client, buffer.data(), may_send, 0);
      if (got <= 0 || !send_all(server, buffer.data(), static_cast<size_t>(got)))
        break;
      m_forwarded += static_cast<uint64_t>(got);
    }
    if (sides[1].revents & (POLLIN | POLLERR | POLLHUP)) {
      ssize_t got = ::recv(server, buffer.data(), buffer.size(), 0);
      if (got <= 0 || !send_all(client, buffer.data(), static_cast<size_t>(got)))
        break;
    }
  }
  ::close(client);
  ::close(server);
}

}  // namespace mpaas::test
