// The one in-process harness for commands (as gh's tests run theirs): run_cli with fake
// streams, a fake terminal, a private environment and home (config and data folders inside
// a temp folder), a working folder and a fixed clock. Tests read out/err and the Context.
#pragma once

#include <any>
#include <memory>
#include <sstream>
#include <stdexcept>
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

  // What a command line means, without running it: the selected command's options.
  // Fails the test when parsing fails or the command has other options.
  template <class Options>
  Options parse(const std::vector<std::string>& arguments) {
    context.parse_only = true;
    int code = run_cli(arguments, context);
    context.parse_only = false;
    if (code != 0)
      throw std::runtime_error("parse failed: " + err.str());
    return *std::any_cast<std::shared_ptr<Options>>(context.parsed_options);
  }
};

// A command line's options, parsed in a fresh harness (argv tables).
template <class Options>
Options parsed(const std::vector<std::string>& argv) {
  InProcess app;
  return app.parse<Options>(argv);
}

// The exit code of a command line that must not parse (nothing runs).
inline int refused(const std::vector<std::string>& argv) {
  InProcess app;
  app.context.parse_only = true;
  return app.run(argv);
}

}  // namespace mpaas::test
