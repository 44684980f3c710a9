// Stop requests: a signal asks long work to stop; work that checks unwinds and cleans up by
// itself, work that does not is stopped by the watcher after the grace period, which
// removes every registered path (no matter how many) and exits 130.
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <thread>
#include <vector>

#include "mpaas/core/atomic_file.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/core/interrupt.hpp"
#include "temp_dir.hpp"

using namespace mpaas;
using namespace std::chrono_literals;

namespace {

// Runs `body` in a child process and returns its exit status.
template <class Body>
int exit_status_of_child(Body body) {
  pid_t child = fork();
  if (child == 0) {
    body();
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

}  // namespace

TEST_CASE("a signal during work that never checks: the watcher cleans up and exits 130",
          "[core][interrupt]") {
  int signal_number = GENERATE(SIGINT, SIGTERM, SIGHUP);
  test::TempDir dir;
  int status = exit_status_of_child([&] {
    install_interrupt_handler(200ms);
    // More files than the old fixed registry held (64): none may survive.
    std::vector<std::unique_ptr<AtomicFile>> files;
    for (int i = 0; i < 100; ++i) {
      files.push_back(std::make_unique<AtomicFile>(dir / ("out" + std::to_string(i))));
      files.back()->write("partial data");
    }
    ::raise(signal_number);
    std::this_thread::sleep_for(30s);  // stuck work; the watcher ends the process
  });
  CHECK(status == 130);
  CHECK(std::filesystem::is_empty(dir.path()));
}

TEST_CASE("a second signal stops at once, without waiting for the grace period",
          "[core][interrupt]") {
  test::TempDir dir;
  auto started = std::chrono::steady_clock::now();
  int status = exit_status_of_child([&] {
    install_interrupt_handler(60s);
    AtomicFile file(dir / "out.bin");
    file.write("partial");
    ::raise(SIGINT);
    ::raise(SIGINT);
    std::this_thread::sleep_for(30s);
  });
  CHECK(status == 130);
  CHECK(std::chrono::steady_clock::now() - started < 20s);
  CHECK(std::filesystem::is_empty(dir.path()));
}

TEST_CASE("work that checks the stop request unwinds and removes its temp files",
          "[core][interrupt]") {
  test::TempDir dir;
  int status = exit_status_of_child([&] {
    install_interrupt_handler(30s);
    try {
      AtomicFile file(dir / "out.bin");
      file.write("partial");
      ::raise(SIGTERM);
      for (int i = 0; i < 1000000; ++i)
        throw_if_stop_requested();
      _exit(1);  // the loop must have thrown
    } catch (const Error& error) {
      _exit(exit_code_of(error.kind()));
    }
  });
  CHECK(status == 130);
  CHECK(std::filesystem::is_empty(dir.path()));
}

TEST_CASE("request_stop is seen by throw_if_stop_requested and can be cleared",
          "[core][interrupt]") {
  clear_stop_request();
  CHECK_NOTHROW(throw_if_stop_requested());
  request_stop();
  CHECK(stop_requested());
  CHECK_THROWS_AS(throw_if_stop_requested(), Error);
  clear_stop_request();
  CHECK_FALSE(stop_requested());
}

TEST_CASE("registered files are created exclusively and unregistered with their guard",
          "[core][interrupt]") {
  test::TempDir dir;
  std::filesystem::path path;
  std::unique_ptr<InterruptCleanup> cleanup;
  int fd = create_registered_file(dir.path(), ".x-", 0600, path, cleanup);
  REQUIRE(fd >= 0);
  ::close(fd);
  CHECK(path.parent_path() == dir.path());
  CHECK(path.filename().string().rfind(".x-", 0) == 0);
  CHECK(std::filesystem::exists(path));
  CHECK(cleanup != nullptr);
}
