// The one in-process harness for commands (as gh's tests run theirs): run_cli with fake
// streams, a fake terminal, a private environment and home (config and data folders inside
// a temp folder), a working folder and a fixed clock. Tests read out/err and the Context.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "app.hpp"
#include "temp_dir.hpp"

namespace mpaas::test {

struct InProcess {
  TempDir home;
  std::ostringstream out;
  std::ostringstream err;
  std::istringstream in;
  FakeClock clock;
  Context context{out, err, in, clock};

  explicit InProcess(const std::string& input = "", bool terminal = false) : in(input) {
    context.terminal.stdin_is_tty = terminal;
    context.environment = {{"HOME", home.path().string()},
                           {"XDG_CONFIG_HOME", (home / ".config").string()},
                           {"XDG_DATA_HOME", (home / ".local/share").string()}};
    context.cwd = home.path();
  }

  int run(const std::vector<std::string>& arguments) { return run_cli(arguments, context); }
};

}  // namespace mpaas::test
