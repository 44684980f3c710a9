// The resolver behind the lazily loaded libraries (lazy/resolve.c): the first call opens
// the library and fills the slot; a missing library ends the process as the loader would.
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#ifdef MPAAS_LAZY_LIBRARIES
#include "resolve.h"

namespace {

struct OneFunction {
  const char* names[1];
  void* slots[1] = {reinterpret_cast<void*>(0x1)};  // "the stub": anything but the function
  void* resolved[1] = {nullptr};
  mpaas_lazy_library library;

  OneFunction(const char* soname, const char* name) : names{name} {
    library = {soname, names, slots, resolved, nullptr};
  }
};

}  // namespace

TEST_CASE("the resolver opens a library by SONAME and points the slot at the function", "[lazy]") {
  OneFunction zlib("libz.so.1", "zlibVersion");
  void* address = mpaas_lazy_resolve(&zlib.library, 0);
  REQUIRE(address != nullptr);
  CHECK(zlib.slots[0] == address);
  CHECK(zlib.resolved[0] == address);
  auto version = reinterpret_cast<const char* (*)()>(address);
  CHECK(std::string(version()) == zlibVersion());
  // A second call finds it resolved and changes nothing.
  CHECK(mpaas_lazy_resolve(&zlib.library, 0) == address);
}

TEST_CASE("a missing library or function ends the process with 127 and says which", "[lazy]") {
  auto outcome_of = [](const char* soname, const char* name) {
    int pipe_ends[2];
    REQUIRE(::pipe(pipe_ends) == 0);
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      ::dup2(pipe_ends[1], 2);
      OneFunction missing(soname, name);
      mpaas_lazy_resolve(&missing.library, 0);
      ::_exit(0);  // not reached when the resolver gives up
    }
    ::close(pipe_ends[1]);
    std::string said;
    char buffer[512];
    ssize_t got;
    while ((got = ::read(pipe_ends[0], buffer, sizeof buffer)) > 0)
      said.append(buffer, static_cast<size_t>(got));
    ::close(pipe_ends[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    REQUIRE(WIFEXITED(status));
    return std::make_pair(WEXITSTATUS(status), said);
  };
  auto [library_code, library_said] = outcome_of("libmpaas-missing.so.7", "anything");
  CHECK(library_code == 127);
  CHECK_THAT(library_said, Catch::StartsWith("mpaas: cannot load libmpaas-missing.so.7: "));
  auto [function_code, function_said] = outcome_of("libz.so.1", "mpaas_no_such_function");
  CHECK(function_code == 127);
  CHECK_THAT(function_said, Catch::Contains("libz.so.1, function mpaas_no_such_function") &&
                                Catch::EndsWith("(is the package installed?)\n"));
}
#endif
