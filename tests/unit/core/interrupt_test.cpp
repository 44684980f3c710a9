// Ctrl-C during an atomic write exits 130 and leaves neither the temp file nor an output.
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>
#include <csignal>

#include "core/atomic_file.hpp"
#include "core/interrupt.hpp"
#include "temp_dir.hpp"

using namespace mpaas;

TEST_CASE("an interrupt removes registered temp files and exits 130", "[core][interrupt]") {
  test::TempDir dir;
  auto target = dir / "out.bin";
  pid_t child = fork();
  if (child == 0) {
    install_interrupt_handler();
    AtomicFile file(target);
    file.write("partial data");
    ::raise(SIGINT);
    _exit(0);  // not reached
  }
  int status = 0;
  waitpid(child, &status, 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 130);
  CHECK(std::filesystem::is_empty(dir.path()));
}
