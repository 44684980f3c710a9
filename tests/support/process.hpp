// Runs the real mpaas binary (or any program) as a child process and captures its exit
// code, stdout and stderr, for tests/cli. The environment is the test's own with the given
// overrides; HOME and the XDG folders are pointed into `home` so that no test reads or
// writes the developer's real configuration.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace mpaas::test {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

struct RunOptions {
  std::filesystem::path cwd;               // empty: the test's cwd
  std::map<std::string, std::string> env;  // overrides; a value of "\x01" unsets
  std::string stdin_data;
};

// The test's own environment with `overrides` applied ("NAME=value" entries); a value of
// "\x01" unsets.
std::vector<std::string> merged_environment(const std::map<std::string, std::string>& overrides);

// In a forked child: replaces it with `program` (looked up on PATH) and `arguments`, with
// `environment` ("NAME=value" entries) as its whole environment; exits 127 when it cannot.
[[noreturn]] void exec_program(const std::string& program,
                               const std::vector<std::string>& arguments,
                               std::vector<std::string>& environment);

// Runs `program` with `arguments`.
RunResult run_program(const std::string& program, const std::vector<std::string>& arguments,
                      const RunOptions& options = {});

// Runs the mpaas binary under test with HOME/XDG_* set inside `home`.
RunResult run_mpaas(const std::vector<std::string>& arguments, const std::filesystem::path& home,
                    RunOptions options = {});

// The path of the binary under test and of the source tree.
std::string mpaas_binary();
std::filesystem::path source_dir();

// True when `program` is on PATH (interop tests require their tools; install-deps.sh
// installs them, so a missing tool fails the test rather than skipping it).
bool have_program(const std::string& program);

}  // namespace mpaas::test
