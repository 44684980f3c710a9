// Times short-lived commands for the benchmarks: runs command A and command B alternately,
// RUNS times each, and prints their mean and median wall times and the median of the
// pairwise differences B - A, in milliseconds. Alternating the two keeps a load that comes
// and goes on a shared machine out of the difference; a shell loop around `date` would add
// two processes per call to what it measures.
// Usage: spawn_timer RUNS -- A [ARGS...] -- B [ARGS...]
// Output (one line): a_mean a_median b_mean b_median difference_median
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern char** environ;

namespace {

using Command = std::vector<char*>;

double run_ms(const Command& command, int null_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, null_fd, STDOUT_FILENO);
  auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  if (posix_spawnp(&pid, command[0], &actions, nullptr, command.data(), environ) != 0) {
    std::fprintf(stderr, "spawn_timer: cannot run %s\n", command[0]);
    std::exit(2);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  auto end = std::chrono::steady_clock::now();
  posix_spawn_file_actions_destroy(&actions);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "spawn_timer: %s failed\n", command[0]);
    std::exit(2);
  }
  return std::chrono::duration<double, std::milli>(end - start).count();
}

double mean(const std::vector<double>& values) {
  double sum = 0;
  for (double value : values)
    sum += value;
  return sum / static_cast<double>(values.size());
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5 || std::strcmp(argv[2], "--") != 0) {
    std::fprintf(stderr, "usage: spawn_timer RUNS -- A [ARGS...] -- B [ARGS...]\n");
    return 2;
  }
  int runs = std::max(1, std::atoi(argv[1]));
  Command a, b;
  Command* current = &a;
  for (int i = 3; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0 && current == &a) {
      current = &b;
      continue;
    }
    current->push_back(argv[i]);
  }
  if (a.empty() || b.empty()) {
    std::fprintf(stderr, "usage: spawn_timer RUNS -- A [ARGS...] -- B [ARGS...]\n");
    return 2;
  }
  a.push_back(nullptr);
  b.push_back(nullptr);
  int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  std::vector<double> a_ms, b_ms, differences;
  for (int i = 0; i < runs; ++i) {
    a_ms.push_back(run_ms(a, null_fd));
    b_ms.push_back(run_ms(b, null_fd));
    differences.push_back(b_ms.back() - a_ms.back());
  }
  std::printf("%.3f %.3f %.3f %.3f %.3f\n", mean(a_ms), median(a_ms), mean(b_ms), median(b_ms),
              median(differences));
  return 0;
}
