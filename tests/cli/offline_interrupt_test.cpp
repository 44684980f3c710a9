// SIGINT, SIGTERM and SIGHUP at a random point of a long `offline extract`, `offline diff`
// and `offline apply`: the target folder keeps its old state (no partial file, no new
// file), no output package appears, and no scratch data is left, beside the output or in
// TMPDIR. The signal is sent once the command has visibly started writing.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <random>
#include <thread>

#include "hostile_amr.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

using mpaas::test::read_text;
using mpaas::test::run_mpaas;
using mpaas::test::tar_file;
using mpaas::test::TarMember;
using mpaas::test::TempDir;
using mpaas::test::write_amr;
using mpaas::test::write_text;
namespace fs = std::filesystem;

namespace {

// Starts mpaas in `home` as run_mpaas does, with TMPDIR inside `home`, without waiting.
pid_t start_mpaas(const std::vector<std::string>& arguments, const fs::path& home) {
  fs::create_directories(home / "tmp");
  pid_t child = fork();
  if (child == 0) {
    setenv("HOME", home.c_str(), 1);
    setenv("XDG_CONFIG_HOME", (home / ".config").c_str(), 1);
    setenv("XDG_DATA_HOME", (home / ".local/share").c_str(), 1);
    setenv("TMPDIR", (home / "tmp").c_str(), 1);
    for (const char* name : {"MPAAS_ENDPOINT", "MPAAS_PROFILE", "MPAAS_OUTPUT", "MPAAS_DATA_DIR"})
      unsetenv(name);
    int null = open("/dev/null", O_RDWR);
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    if (chdir(home.c_str()) != 0)
      _exit(127);
    std::string binary = mpaas::test::mpaas_binary();
    std::vector<char*> argv{binary.data()};
    std::vector<std::string> copies = arguments;
    for (auto& argument : copies)
      argv.push_back(argument.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  return child;
}

int exit_code_of(pid_t child) {
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool has_entry_starting(const fs::path& folder, const std::string& prefix) {
  std::error_code error;
  for (auto it = fs::directory_iterator(folder, error); !error && it != fs::directory_iterator();
       it.increment(error)) {
    if (it->path().filename().string().rfind(prefix, 0) == 0)
      return true;
  }
  return false;
}

// Waits (up to a minute) until `started` holds, then sends `signal_number` 0-20 ms later.
void interrupt_once_started(pid_t child, int signal_number, const std::function<bool()>& started) {
  auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (!started() && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  std::mt19937 random(std::random_device{}());
  std::this_thread::sleep_for(std::chrono::milliseconds(random() % 21));
  kill(child, signal_number);
}

// 32 files of 2 MiB (64 MiB), stored: long enough to write that a signal lands mid-way.
std::vector<TarMember> big_tree(const std::string& variant) {
  std::mt19937 random(11);
  std::string chunk(1 << 16, '\0');
  for (auto& c : chunk)
    c = static_cast<char>('a' + random() % 26);
  std::vector<TarMember> members{tar_file("index.html", "page " + variant)};
  for (int i = 0; i < 32; ++i) {
    auto content = i % 8 == 0 ? variant + chunk : chunk;  // every 8th file differs
    members.push_back(tar_file("data/f" + std::to_string(i) + ".bin", content, 32));
  }
  return members;
}

std::map<std::string, std::string> snapshot(const fs::path& folder) {
  std::map<std::string, std::string> state;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    auto relative = entry.path().lexically_relative(folder).string();
    state[relative] = entry.is_regular_file() ? read_text(entry.path()) : "folder";
  }
  return state;
}

// The packages for every signal and command, built once.
struct Packages {
  TempDir folder;
  fs::path v1, v2, inc;
  Packages() {
    mpaas::test::AmrOptions store;
    store.store = true;
    v1 = write_amr(folder / "v1.amr", big_tree("one"), store);
    store.version = "1.0.0.2";
    v2 = write_amr(folder / "v2.amr", big_tree("two"), store);
    inc = folder / "inc.amr";
    REQUIRE(
        run_mpaas({"offline", "diff", v1.string(), v2.string(), "-o", inc.string()}, folder.path())
            .exit_code == 0);
  }
};

const Packages& packages() {
  static Packages instance;
  return instance;
}

}  // namespace

TEST_CASE("a signal during offline extract keeps the folder's old state and leaves nothing",
          "[cli][offline][interrupt]") {
  int signal_number = GENERATE(SIGINT, SIGTERM, SIGHUP);
  TempDir home;
  write_text(home / "out/index.html", "old page");
  write_text(home / "out/data/f0.bin", "old data");
  auto before = snapshot(home / "out");
  auto child = start_mpaas({"offline", "extract", packages().v1.string(), "out"}, home.path());
  interrupt_once_started(child, signal_number, [&] {
    // The staging folder, or (in place) a file written into the target.
    return has_entry_starting(home.path(), ".mpaas-extract-") ||
           has_entry_starting(home / "out/data", "f1");
  });
  CHECK(exit_code_of(child) == 130);
  CHECK(snapshot(home / "out") == before);
  CHECK_FALSE(has_entry_starting(home.path(), ".mpaas-extract-"));
  CHECK(fs::is_empty(home / "tmp"));
}

TEST_CASE("a signal during offline diff or apply leaves no output and no scratch data",
          "[cli][offline][interrupt]") {
  int signal_number = GENERATE(SIGINT, SIGTERM, SIGHUP);
  std::string command = GENERATE("diff", "apply");
  const auto& amr = packages();
  TempDir home;
  fs::create_directories(home / "out");
  auto second = command == "diff" ? amr.v2 : amr.inc;
  auto child = start_mpaas(
      {"offline", command, amr.v1.string(), second.string(), "-o", "out/result.amr"}, home.path());
  interrupt_once_started(child, signal_number, [&] {
    return has_entry_starting(home / "out", ".") || !fs::is_empty(home / "tmp");
  });
  CHECK(exit_code_of(child) == 130);
  CHECK(fs::is_empty(home / "out"));
  CHECK(fs::is_empty(home / "tmp"));
}
