// Stop requests, the watcher thread and the cleanup registry (see interrupt.hpp).
#include "mpaas/core/interrupt.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "mpaas/core/error.hpp"

namespace mpaas {
namespace {

std::atomic<bool> g_stop{false};
int g_wake_pipe[2] = {-1, -1};

// Heap-allocated and never freed: the watcher may still read it while static destructors
// run at exit.
struct Registry {
  std::mutex mutex;
  std::map<uint64_t, std::filesystem::path> paths;
  uint64_t next_id = 1;
};
Registry& registry() {
  static Registry* instance = new Registry();
  return *instance;
}

// Async-signal-safe: an atomic store and a write(2).
void on_signal(int) {
  g_stop.store(true);
  char byte = 1;
  ssize_t ignored = ::write(g_wake_pipe[1], &byte, 1);
  (void)ignored;
}

void remove_registered_paths() {
  auto& reg = registry();
  std::lock_guard lock(reg.mutex);
  for (const auto& [id, path] : reg.paths) {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
}

[[noreturn]] void force_exit() {
  remove_registered_paths();
  static const char message[] = "mpaas: error: interrupted\n";
  ssize_t ignored = ::write(STDERR_FILENO, message, sizeof(message) - 1);
  (void)ignored;
  ::_exit(130);
}

bool wait_for_byte(int timeout_ms) {
  pollfd poller{g_wake_pipe[0], POLLIN, 0};
  while (true) {
    int ready = ::poll(&poller, 1, timeout_ms);
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready <= 0)
      return false;
    char byte;
    return ::read(g_wake_pipe[0], &byte, 1) == 1;
  }
}

// Waits for the first signal, gives the program `grace` to unwind by itself, and forces the
// exit on a second signal or when the grace runs out.
void watch(std::chrono::milliseconds grace) {
  while (!wait_for_byte(-1)) {
  }
  wait_for_byte(static_cast<int>(grace.count()));
  force_exit();
}

}  // namespace

void install_interrupt_handler(std::chrono::milliseconds grace) {
  static std::once_flag once;
  std::call_once(once, [grace] {
    if (::pipe2(g_wake_pipe, O_CLOEXEC) != 0)
      return;
    std::thread(watch, grace).detach();
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (int signal_number : {SIGINT, SIGTERM, SIGHUP})
      sigaction(signal_number, &action, nullptr);
  });
}

bool stop_requested() {
  return g_stop.load(std::memory_order_relaxed);
}

void request_stop() {
  g_stop.store(true);
}

void clear_stop_request() {
  g_stop.store(false);
}

void throw_if_stop_requested() {
  if (stop_requested())
    throw interrupted();
}

InterruptCleanup::InterruptCleanup(const std::filesystem::path& path) {
  auto& reg = registry();
  std::lock_guard lock(reg.mutex);
  m_id = reg.next_id++;
  reg.paths.emplace(m_id, path);
}

InterruptCleanup::~InterruptCleanup() {
  auto& reg = registry();
  std::lock_guard lock(reg.mutex);
  reg.paths.erase(m_id);
}

int create_registered_file(const std::filesystem::path& folder, const std::string& prefix,
                           unsigned mode, std::filesystem::path& path,
                           std::unique_ptr<InterruptCleanup>& cleanup) {
  static thread_local std::mt19937_64 random(std::random_device{}());
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string name = prefix;
    for (int i = 0; i < 10; ++i)
      name += alphabet[random() % (sizeof(alphabet) - 1)];
    auto candidate = (folder.empty() ? std::filesystem::path(".") : folder) / name;
    auto guard = std::make_unique<InterruptCleanup>(candidate);
    int fd = ::open(candidate.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                    static_cast<mode_t>(mode));
    if (fd >= 0) {
      path = candidate;
      cleanup = std::move(guard);
      return fd;
    }
    if (errno != EEXIST)
      return -1;
  }
  errno = EEXIST;
  return -1;
}

}  // namespace mpaas
