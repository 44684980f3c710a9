// Programs running beside a test (see background.hpp).
#include "background.hpp"

#include "process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

namespace mpaas::test {

std::map<std::string, std::string> mpaas_environment(const std::filesystem::path& home) {
  std::map<std::string, std::string> env = {{"HOME", home.string()},
                                            {"XDG_CONFIG_HOME", (home / ".config").string()},
                                            {"XDG_DATA_HOME", (home / ".local/share").string()}};
  for (const char* name :
       {"MPAAS_ENDPOINT", "MPAAS_PROFILE", "MPAAS_OUTPUT", "MPAAS_DATA_DIR", "MPAAS_TOKEN"})
    env[name] = "\x01";
  return env;
}

BackgroundProcess::BackgroundProcess(const std::string& program,
                                     const std::vector<std::string>& arguments,
                                     const std::map<std::string, std::string>& env,
                                     const std::filesystem::path& stderr_file)
    : m_stderr(stderr_file) {
  std::vector<std::string> environment = merged_environment(env);
  m_pid = fork();
  if (m_pid == 0) {
    int err = ::open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int null_fd = ::open("/dev/null", O_RDWR);
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(null_fd, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    exec_program(program, arguments, environment);
  }
}

BackgroundProcess::~BackgroundProcess() {
  if (m_pid > 0) {
    ::kill(m_pid, SIGKILL);
    ::waitpid(m_pid, nullptr, 0);
  }
}

std::string BackgroundProcess::stderr_text() const {
  std::ifstream in(m_stderr);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool BackgroundProcess::wait_for_stderr(const std::string& text,
                                        std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (stderr_text().find(text) != std::string::npos)
      return true;
    if (m_pid > 0 && ::waitpid(m_pid, nullptr, WNOHANG) == m_pid) {
      m_pid = -1;
      return stderr_text().find(text) != std::string::npos;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

int BackgroundProcess::stop(int signal, std::chrono::milliseconds timeout) {
  if (m_pid <= 0)
    return -1;
  ::kill(m_pid, signal);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
      m_pid = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

}  // namespace mpaas::test
