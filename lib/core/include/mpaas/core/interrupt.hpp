// Stop requests, and cleanup that leaves no partial output behind.
//
// SIGINT, SIGTERM and SIGHUP do not kill the process: the handler only records a stop
// request (an atomic flag) and wakes a watcher thread. Long work checks the request
// (throw_if_stop_requested() in its loops), throws interrupted(), and unwinds normally, so
// every AtomicFile and TempDir removes what it made; cli/ turns that error into exit 130.
// Work that cannot check (a blocking read, a library call) is covered by the watcher: if the
// process is still running `grace` after the request, or on a second signal, it removes
// every registered path and exits 130 itself. A server can call request_stop() for a
// graceful stop through the same path.
//
// Paths are registered for that forced cleanup for as long as their guard lives, with no
// limit on their number. Register a path before creating it (create_registered_file does),
// so that a signal landing between creation and registration cannot leave it behind.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace mpaas {

// Installs the SIGINT/SIGTERM/SIGHUP handlers and starts the watcher (idempotent).
void install_interrupt_handler(std::chrono::milliseconds grace = std::chrono::milliseconds(1500));

// True once a signal arrived or request_stop() was called.
bool stop_requested();
// Asks every long loop to stop, as a signal would (servers, tests).
void request_stop();
// Clears the request (tests, and a server between requests it chooses to keep serving).
void clear_stop_request();
// Throws interrupted() when a stop was requested. Cheap: call it in long loops.
void throw_if_stop_requested();

// Keeps `path` (a file, or a folder removed with its content) registered for removal on a
// forced stop while the guard lives.
class InterruptCleanup {
 public:
  explicit InterruptCleanup(const std::filesystem::path& path);
  ~InterruptCleanup();
  InterruptCleanup(const InterruptCleanup&) = delete;
  InterruptCleanup& operator=(const InterruptCleanup&) = delete;

 private:
  uint64_t m_id;
};

// Creates a new file `folder/prefix<random>` with O_EXCL and the given mode, registered with
// `cleanup` before it exists. Returns the open descriptor and sets `path`.
int create_registered_file(const std::filesystem::path& folder, const std::string& prefix,
                           unsigned mode, std::filesystem::path& path,
                           std::unique_ptr<InterruptCleanup>& cleanup);

}  // namespace mpaas
