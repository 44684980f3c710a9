// Child process runner for tests (see process.hpp).
#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

extern char** environ;

namespace mpaas::test {

std::vector<std::string> merged_environment(const std::map<std::string, std::string>& overrides) {
  std::map<std::string, std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string text = *entry;
    auto equals = text.find('=');
    if (equals != std::string::npos)
      environment[text.substr(0, equals)] = text.substr(equals + 1);
  }
  for (const auto& [name, value] : overrides) {
    if (value == "\x01") {
      environment.erase(name);
    } else {
      environment[name] = value;
    }
  }
  std::vector<std::string> flat;
  for (const auto& [name, value] : environment)
    flat.push_back(name + "=" + value);
  return flat;
}

void exec_program(const std::string& program, const std::vector<std::string>& arguments,
                  std::vector<std::string>& environment) {
  std::vector<char*> argv{const_cast<char*>(program.c_str())};
  for (const auto& argument : arguments)
    argv.push_back(const_cast<char*>(argument.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& entry : environment)
    envp.push_back(entry.data());
  envp.push_back(nullptr);
  execvpe(program.c_str(), argv.data(), envp.data());
  _exit(127);
}

RunResult run_program(const std::string& program, const std::vector<std::string>& arguments,
                      const RunOptions& options) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe(in_pipe) != 0 || pipe(out_pipe) != 0 || pipe(err_pipe) != 0) {
    throw std::runtime_error("pipe failed");
  }
  std::vector<std::string> environment = merged_environment(options.env);
  pid_t child = fork();
  if (child == 0) {
    dup2(in_pipe[0], STDIN_FILENO);
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
      close(fd);
    }
    if (!options.cwd.empty() && chdir(options.cwd.c_str()) != 0)
      _exit(127);
    exec_program(program, arguments, environment);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);

  RunResult result;
  size_t stdin_written = 0;
  int stdin_fd = in_pipe[1];
  if (options.stdin_data.empty()) {
    close(stdin_fd);
    stdin_fd = -1;
  } else {
    fcntl(stdin_fd, F_SETFL, O_NONBLOCK);
  }
  bool out_open = true, err_open = true;
  char buffer[65536];
  while (out_open || err_open) {
    pollfd fds[3] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}, {stdin_fd, POLLOUT, 0}};
    if (!out_open)
      fds[0].fd = -1;
    if (!err_open)
      fds[1].fd = -1;
    poll(fds, 3, -1);
    if (stdin_fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = write(stdin_fd, options.stdin_data.data() + stdin_written,
                        options.stdin_data.size() - stdin_written);
      if (n > 0)
        stdin_written += static_cast<size_t>(n);
      if (n < 0 || stdin_written == options.stdin_data.size()) {
        close(stdin_fd);
        stdin_fd = -1;
      }
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
        if (n <= 0) {
          (i == 0 ? out_open : err_open) = false;
        } else {
          (i == 0 ? result.out : result.err).append(buffer, static_cast<size_t>(n));
        }
      }
    }
  }
  if (stdin_fd >= 0)
    close(stdin_fd);
  close(out_pipe[0]);
  close(err_pipe[0]);
  int status = 0;
  waitpid(child, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

RunResult run_mpaas(const std::vector<std::string>& arguments, const std::filesystem::path& home,
                    RunOptions options) {
  options.env.emplace("HOME", home.string());
  options.env.emplace("XDG_CONFIG_HOME", (home / ".config").string());
  options.env.emplace("XDG_DATA_HOME", (home / ".local/share").string());
  for (const char* name :
       {"MPAAS_ENDPOINT", "MPAAS_PROFILE", "MPAAS_OUTPUT", "MPAAS_DATA_DIR", "NO_COLOR"}) {
    options.env.emplace(name, "\x01");
  }
  if (options.cwd.empty())
    options.cwd = home;
  return run_program(mpaas_binary(), arguments, options);
}

std::string mpaas_binary() {
  return MPAAS_BINARY;
}
std::filesystem::path source_dir() {
  return MPAAS_SOURCE_DIR;
}

bool have_program(const std::string& program) {
  return run_program("sh", {"-c", "command -v " + program + " >/dev/null"}).exit_code == 0;
}

}  // namespace mpaas::test
