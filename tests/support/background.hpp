// A program running beside the test (a server, a long command to interrupt): started with
// the test's environment plus overrides, its stderr kept in a file to wait on, stopped with
// a signal, and killed when the guard goes out of scope.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace mpaas::test {

class BackgroundProcess {
 public:
  BackgroundProcess(const std::string& program, const std::vector<std::string>& arguments,
                    const std::map<std::string, std::string>& env,
                    const std::filesystem::path& stderr_file);
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  // Waits until stderr holds `text`; false on timeout or when the program exits first.
  bool wait_for_stderr(const std::string& text, std::chrono::milliseconds timeout);
  std::string stderr_text() const;
  // Sends `signal` and waits for the exit; the exit code (128 + signal when killed by one),
  // or -1 when it did not exit within `timeout`.
  int stop(int signal, std::chrono::milliseconds timeout);

 private:
  int m_pid = -1;
  std::filesystem::path m_stderr;
};

// `mpaas ARGS` in the background with HOME and the XDG folders inside `home`, as run_mpaas.
std::map<std::string, std::string> mpaas_environment(const std::filesystem::path& home);

}  // namespace mpaas::test
