// Signal-safe cleanup of registered temporary paths (see interrupt.hpp).
#include "core/interrupt.hpp"

#include <unistd.h>
#include <atomic>
#include <csignal>
#include <cstring>
#include <mutex>

namespace mpaas {
namespace {

constexpr int slot_count = 64;
constexpr size_t path_capacity = 4096;

struct Slot {
  std::atomic<bool> used{false};
  char path[path_capacity];
};

Slot g_slots[slot_count];
std::mutex g_claim_mutex;

void on_interrupt(int) {
  for (auto& slot : g_slots) {
    if (slot.used.load()) {
      ::unlink(slot.path);
    }
  }
  static const char message[] = "mpaas: error: interrupted\n";
  ssize_t ignored = ::write(STDERR_FILENO, message, sizeof(message) - 1);
  (void)ignored;
  ::_exit(130);
}

}  // namespace

void install_interrupt_handler() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

InterruptCleanup::InterruptCleanup(const std::string& path) : m_slot(-1) {
  if (path.size() >= path_capacity) {
    return;
  }
  std::lock_guard lock(g_claim_mutex);
  for (int i = 0; i < slot_count; ++i) {
    if (!g_slots[i].used.load()) {
      std::memcpy(g_slots[i].path, path.c_str(), path.size() + 1);
      g_slots[i].used.store(true);
      m_slot = i;
      return;
    }
  }
}

InterruptCleanup::~InterruptCleanup() {
  if (m_slot >= 0) {
    std::lock_guard lock(g_claim_mutex);
    g_slots[m_slot].used.store(false);
  }
}

}  // namespace mpaas
