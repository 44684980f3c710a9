// A TCP proxy on a loopback port in front of a server that forwards at most `budget` bytes
// from its clients to the server and holds the rest until it is opened. It freezes a
// transfer partway at a known byte, whatever the speed of the machine, so a test can kill a
// client mid-upload without racing it. Replies flow back unhindered.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace mpaas::test {

class GatedProxy {
 public:
  GatedProxy(int target_port, uint64_t budget);
  ~GatedProxy();
  GatedProxy(const GatedProxy&) = delete;
  GatedProxy& operator=(const GatedProxy&) = delete;

  int port() const { return m_port; }
  // Bytes forwarded from clients to the server so far.
  uint64_t forwarded() const { return m_forwarded.load(); }
  // Waits until the budget is spent and the proxy holds back what follows.
  bool wait_until_holding(std::chrono::milliseconds timeout) const;
  // Lifts the budget: everything held and everything after flows.
  void open() { m_open = true; }

 private:
  void accept_loop();
  void pump(int client, int server);
  // How many client bytes may go now (0 while holding).
  size_t allowance(size_t wanted) const;

  int m_target_port;
  uint64_t m_budget;
  int m_listener = -1;
  int m_port = 0;
  std::atomic<uint64_t> m_forwarded{0};
  std::atomic<bool> m_open{false};
  std::atomic<bool> m_stopping{false};
  std::thread m_acceptor;
  std::mutex m_mutex;  // guards m_pumps
  std::vector<std::thread> m_pumps;
};

}  // namespace mpaas::test
