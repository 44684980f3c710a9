// Hostile templates, values and interruptions through the real binary: a template cannot
// write .git, long inputs are one-line refusals (never a crash), backtracking patterns and
// globs finish at once, --force never loses a user's file nor writes through a symlink,
// and a signal during `mpaas new` leaves nothing behind.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "process.hpp"
#include "temp_dir.hpp"

using mpaas::test::mpaas_binary;
using mpaas::test::read_text;
using mpaas::test::run_mpaas;
using mpaas::test::RunOptions;
using mpaas::test::RunResult;
using mpaas::test::TempDir;
using mpaas::test::write_text;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

RunResult mpaas_in(const TempDir& temp, std::vector<std::string> arguments) {
  RunOptions options;
  options.cwd = temp.path();
  options.env = {{"GIT_AUTHOR_NAME", "\x01"},
                 {"GIT_AUTHOR_EMAIL", "\x01"},
                 {"TMPDIR", (temp / "tmp").string()}};
  fs::create_directories(temp / "tmp");
  return run_mpaas(arguments, temp / "home", options);
}

// Every entry under `root` (recursively, symlinks not followed) with its content for files;
// the test's own home and tmp folders (made by mpaas_in) aside.
std::map<std::string, std::string> snapshot(const fs::path& root) {
  std::map<std::string, std::string> entries;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    std::string relative = fs::relative(it->path(), root).string();
    if (it.depth() == 0 && (relative == "home" || relative == "tmp")) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_symlink())
      entries[relative] = "-> " + fs::read_symlink(it->path()).string();
    else if (it->is_regular_file())
      entries[relative] = read_text(it->path());
    else
      entries[relative] = "<folder>";
  }
  return entries;
}

bool is_one_error_line(const std::string& err) {
  return err.rfind("mpaas: error: ", 0) == 0 && err.find('\n') == err.size() - 1 &&
         err.size() < 1000;
}

}  // namespace

TEST_CASE("new refuses a template that writes .git through a variable default",
          "[cli][new][security]") {
  TempDir temp;
  write_text(temp / "tpl/template.yaml", "variables:\n  dir: {default: .git}\n");
  write_text(temp / "tpl/{{dir}}/config", "[core]\n\tfsmonitor = touch pwned\n");
  write_text(temp / "tpl/README.md", "hello\n");
  auto before = snapshot(temp.path());
  auto result = mpaas_in(temp, {"new", "./tpl", "victim", "--author", "A <a@example.com>"});
  CHECK(result.exit_code == 3);
  CHECK(is_one_error_line(result.err));
  CHECK_THAT(result.err, Catch::Contains(".git") && Catch::Contains("(from {{dir}}/config)"));
  CHECK(snapshot(temp.path()) == before);

  // The same through --set, in mixed case.
  write_text(temp / "tpl/template.yaml", "variables:\n  dir: {default: src}\n");
  auto by_set = mpaas_in(temp, {"new", "./tpl", "victim", "--no-git", "--set", "dir=.GiT"});
  CHECK(by_set.exit_code == 3);
  CHECK_FALSE(fs::exists(temp / "victim"));
}

TEST_CASE("new refuses a template holding a .GIT folder", "[cli][new][security]") {
  TempDir temp;
  write_text(temp / "tpl/template.yaml", "description: mixed case\n");
  write_text(temp / "tpl/.GIT/config", "[core]\n\tfsmonitor = touch pwned\n");
  auto result = mpaas_in(temp, {"new", "./tpl", "victim", "--no-git"});
  CHECK(result.exit_code == 3);
  CHECK_THAT(result.err, Catch::Contains("(from .GIT/config)"));
  CHECK_FALSE(fs::exists(temp / "victim"));
}

TEST_CASE("long inputs are one-line refusals, never a crash", "[cli][new][security]") {
  TempDir temp;
  auto long_author =
      mpaas_in(temp, {"new", "h5", "p", "--author", std::string(100000, 'a') + " <a@example.com>"});
  CHECK(long_author.exit_code == 2);
  CHECK(is_one_error_line(long_author.err));
  CHECK_THAT(long_author.err, Catch::Contains("(--author)"));

  auto long_value = mpaas_in(
      temp, {"new", "h5", "p", "--no-git", "--set", "offline_name=" + std::string(40000, 'a')});
  CHECK(long_value.exit_code == 2);
  CHECK(is_one_error_line(long_value.err));

  write_text(temp / "tpl/template.yaml", "variables:\n  who: {default: you}\n");
  write_text(temp / "tpl/long.txt", std::string(100000, ' ') + "{{#who}}\nhi {{who}}\n{{/who}}\n");
  auto long_line = mpaas_in(temp, {"new", "./tpl", "p", "--no-git"});
  CHECK(long_line.exit_code == 3);
  CHECK(is_one_error_line(long_line.err));
  CHECK_THAT(long_line.err, Catch::Contains("(long.txt)"));
  CHECK_FALSE(fs::exists(temp / "p"));
}

TEST_CASE("a 40,000-character version in mpaas.yaml is refused with exit 3",
          "[cli][offline][security]") {
  TempDir temp;
  write_text(temp / "app/mpaas.yaml",
             "offline:\n  id: \"80000001\"\n  name: app\n  version: 1.0.0." +
                 std::string(40000, '1') + "\n");
  write_text(temp / "app/www/index.html", "<html></html>\n");
  auto result = mpaas_in(temp, {"offline", "build", "app", "--unsigned", "-o", "out/"});
  CHECK(result.exit_code == 3);
  CHECK(result.err ==
        "mpaas: error: the version is longer than 128 characters (offline.version)\n");
  CHECK_FALSE(fs::exists(temp / "out"));
}

TEST_CASE("a backtracking validate pattern and exclude glob finish with the right answer",
          "[cli][new][security]") {
  TempDir temp;
  write_text(temp / "tpl/template.yaml",
             "variables:\n  word: {validate: \"(a+)+$\"}\n  keep: {type: bool, default: false}\n"
             "files:\n  - {path: \"*a*a*a*a*a*b\", when: keep}\n");
  std::string long_name(250, 'a');
  write_text(temp / "tpl" / long_name, "kept: no b at the end\n");
  write_text(temp / "tpl" / (std::string(200, 'a') + "b"), "dropped\n");

  auto refused = mpaas_in(
      temp, {"new", "./tpl", "p", "--no-git", "--set", "word=" + std::string(4000, 'a') + "!"});
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.err, Catch::Contains("does not match (a+)+$"));

  auto made =
      mpaas_in(temp, {"new", "./tpl", "p", "--no-git", "--set", "word=" + std::string(4000, 'a')});
  INFO(made.err);
  REQUIRE(made.exit_code == 0);
  CHECK(fs::exists(temp / "p" / long_name));
  CHECK_FALSE(fs::exists(temp / "p" / (std::string(200, 'a') + "b")));

  // The same glob as an offline exclude.
  write_text(temp / "app/mpaas.yaml",
             "offline:\n  id: \"80000001\"\n  name: app\n  version: 1.0.0.1\n"
             "  exclude: [\"*a*a*a*a*a*b\"]\n");
  write_text(temp / "app/www/index.html", "<html></html>\n");
  write_text(temp / "app/www" / long_name, "kept\n");
  write_text(temp / "app/www" / (std::string(200, 'a') + "b"), "dropped\n");
  auto built = mpaas_in(temp, {"offline", "build", "app", "--unsigned", "-o", "out/", "--json"});
  INFO(built.err);
  REQUIRE(built.exit_code == 0);
  // index.html, the long name and the generated hpmfile.json; not the name ending in b.
  CHECK(nlohmann::json::parse(built.out)["files"] == 3);
}

TEST_CASE("new --force keeps a user's file named like a backup", "[cli][new][security]") {
  TempDir temp;
  write_text(temp / "p/README.md", "my readme\n");
  write_text(temp / "p/README.md.mpaas-backup", "precious, not a backup\n");
  auto result = mpaas_in(temp, {"new", "h5", "p", "--force", "--no-git"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(read_text(temp / "p/README.md.mpaas-backup") == "precious, not a backup\n");
  CHECK(read_text(temp / "p/README.md") != "my readme\n");
  for (const auto& entry : fs::directory_iterator(temp / "p"))
    CHECK_THAT(entry.path().filename().string(), !Catch::StartsWith(".mpaas-"));
}

TEST_CASE("new --force does not write through a symlinked subfolder", "[cli][new][security]") {
  TempDir temp;
  fs::create_directories(temp / "outside");
  write_text(temp / "outside/index.html", "someone else's page\n");
  fs::create_directories(temp / "p");
  fs::create_directory_symlink("../outside", temp / "p/www");
  auto before = snapshot(temp.path());
  auto result = mpaas_in(temp, {"new", "h5", "p", "--force", "--no-git"});
  CHECK(result.exit_code == 6);
  CHECK(is_one_error_line(result.err));
  CHECK_THAT(result.err, Catch::Contains("symlink") && Catch::Contains("/p/www)"));
  CHECK(snapshot(temp.path()) == before);
}

namespace {

// Starts `mpaas new ./tpl TARGET --no-git ...` in `temp` without waiting for it.
pid_t start_new(const TempDir& temp, const std::string& target,
                const std::vector<std::string>& extra) {
  std::vector<std::string> arguments = {mpaas_binary(), "new", "./tpl", target, "--no-git"};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  pid_t child = fork();
  if (child == 0) {
    if (chdir(temp.path().c_str()) != 0)
      _exit(127);
    setenv("HOME", (temp / "home").c_str(), 1);
    setenv("XDG_CONFIG_HOME", (temp / "home/.config").c_str(), 1);
    setenv("XDG_DATA_HOME", (temp / "home/.local/share").c_str(), 1);
    setenv("TMPDIR", (temp / "tmp").c_str(), 1);
    std::vector<char*> argv;
    for (auto& argument : arguments)
      argv.push_back(argument.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return child;
}

bool has_entry_starting_with(const fs::path& folder, const std::string& prefix) {
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.path().filename().string().rfind(prefix, 0) == 0)
      return true;
  }
  return false;
}

// True once `mpaas new` has begun writing: its staging folder exists (before the fix: the
// new target, or a file of the template in the existing one).
bool writing_started(const TempDir& temp, bool into_existing) {
  if (into_existing)
    return has_entry_starting_with(temp / "existing", ".mpaas-new-") ||
           fs::exists(temp / "existing/d0");
  return fs::exists(temp / "out") || has_entry_starting_with(temp.path(), ".out.mpaas-new-");
}

}  // namespace

TEST_CASE("a signal during new leaves the old state or nothing", "[cli][new][security]") {
  int signal_number = GENERATE(SIGINT, SIGTERM, SIGHUP);
  bool into_existing = GENERATE(false, true);
  INFO("signal " << signal_number << (into_existing ? " into an existing folder" : ""));
  TempDir temp;
  fs::create_directories(temp / "tmp");
  fs::create_directories(temp / "home");
  // Thousands of files, so that the signal lands while they are being written.
  write_text(temp / "tpl/template.yaml", "variables:\n  who: {default: you}\n");
  for (int i = 0; i < 2000; ++i)
    write_text(temp / "tpl" / ("d" + std::to_string(i % 40)) / ("f" + std::to_string(i) + ".txt"),
               "file " + std::to_string(i) + " for {{who}}\n");
  write_text(temp / "existing/keep.txt", "mine\n");
  write_text(temp / "existing/d1/f1.txt", "replaced only if the project completes\n");
  auto before = snapshot(temp.path());

  pid_t child =
      into_existing ? start_new(temp, "existing", {"--force"}) : start_new(temp, "out", {});
  REQUIRE(child > 0);
  auto deadline = std::chrono::steady_clock::now() + 120s;
  int status = 0;
  bool exited = false;
  while (!writing_started(temp, into_existing) && std::chrono::steady_clock::now() < deadline) {
    if (waitpid(child, &status, WNOHANG) == child) {
      exited = true;
      break;
    }
    std::this_thread::sleep_for(1ms);
  }
  REQUIRE_FALSE(exited);
  // A random point of the write.
  std::mt19937 random(std::random_device{}());
  std::this_thread::sleep_for(std::chrono::milliseconds(random() % 20));
  kill(child, signal_number);
  waitpid(child, &status, 0);
  REQUIRE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 0) {
    // The signal landed after the last write (the move into place is not interruptible):
    // then the project must be whole, never half.
    fs::path project = temp / (into_existing ? "existing" : "out");
    size_t files = 0;
    for (const auto& entry : fs::recursive_directory_iterator(project))
      files += entry.is_regular_file();
    // The 2000 template files, and in the existing folder its own keep.txt too.
    CHECK(files == (into_existing ? 2001u : 2000u));
    return;
  }
  CHECK(WEXITSTATUS(status) == 130);
  CHECK(snapshot(temp.path()) == before);
}
