// Ctrl-C handling that leaves no partial files behind.
// Writers of temporary files register them here for their lifetime; the SIGINT/SIGTERM
// handler installed by cli/ unlinks every registered path and exits 130. The registry
// is a fixed array of fixed-size slots so that the handler stays async-signal-safe.
// It does not print: the handler writes one fixed line through write(2).
#pragma once

#include <string>

namespace mpaas {

// Installs the SIGINT and SIGTERM handler (idempotent).
void install_interrupt_handler();

// Keeps `path` registered for removal on interrupt while the guard lives.
class InterruptCleanup {
 public:
  explicit InterruptCleanup(const std::string& path);
  ~InterruptCleanup();
  InterruptCleanup(const InterruptCleanup&) = delete;
  InterruptCleanup& operator=(const InterruptCleanup&) = delete;

 private:
  int m_slot;
};

}  // namespace mpaas
