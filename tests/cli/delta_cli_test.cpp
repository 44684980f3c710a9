// `mpaas diff` and `mpaas patch` through the binary: round trips, the JSON summary, header
// info, BSDIFF40 interop with Debian's bsdiff and bspatch both ways, the refusals with
// their exit codes (no output file left behind), patches on stdin and FIFO arguments
// (refused at once, never waited on), and SIGINT, SIGTERM and SIGHUP during a long diff or
// patch (exit 130, nothing left in the output folder or in TMPDIR).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "mpaas/core/sha256.hpp"
#include "mpaas/delta/patch_format.hpp"
#include "process.hpp"
#include "random_bytes.hpp"
#include "temp_dir.hpp"

using mpaas::test::read_text;
using mpaas::test::run_mpaas;
using mpaas::test::run_program;
using mpaas::test::TempDir;
using mpaas::test::write_text;

namespace {

std::string sample(size_t size, uint32_t seed) {
  std::mt19937 generator(seed);
  std::string out(size, '\0');
  for (auto& c : out)
    c = static_cast<char>("abcdefgh\x00\xe8"[generator() % 10]);
  return out;
}

// An old and a new file with moved, edited and inserted parts.
void write_pair(const TempDir& dir) {
  std::string old_data = sample(300000, 1);
  std::string new_data = old_data.substr(150000) + sample(5000, 2) + old_data.substr(0, 150000);
  new_data[1000] ^= 1;
  write_text(dir / "old.bin", old_data);
  write_text(dir / "new.bin", new_data);
}

// The value of `key` in a text record ("key:   value" lines); empty when absent.
std::string text_field(const std::string& text, const std::string& key) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(key + ":", 0) == 0) {
      size_t value = line.find_first_not_of(' ', key.size() + 1);
      return value == std::string::npos ? "" : line.substr(value);
    }
  }
  return "";
}

size_t file_count(const std::filesystem::path& folder) {
  size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(folder))
    ++count;
  return count;
}

// Pseudo-random bytes, fast enough for tens of MiB.
std::string noise(size_t size, uint64_t seed) {
  return mpaas::test::random_bytes(size, seed);
}

// An mpaas child whose stdout and stderr go to files in `logs`, for the tests that signal
// it or that must not hang when the code under test blocks: wait_for_exit() kills the
// child after a timeout instead of waiting forever.
class Child {
 public:
  Child(const std::vector<std::string>& arguments, const std::filesystem::path& home,
        const std::filesystem::path& logs, const std::map<std::string, std::string>& env = {})
      : m_logs(logs) {
    std::filesystem::create_directories(logs);
    std::string binary = mpaas::test::mpaas_binary();
    std::vector<std::string> environment = {
        "HOME=" + home.string(), "XDG_CONFIG_HOME=" + (home / ".config").string(),
        "XDG_DATA_HOME=" + (home / ".local/share").string(), "PATH=/usr/bin:/bin"};
    for (const auto& [name, value] : env)
      environment.push_back(name + "=" + value);
    for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"})
      if (const char* value = std::getenv(name))
        environment.push_back(std::string(name) + "=" + value);
    std::string out = (logs / "stdout").string(), err = (logs / "stderr").string();
    // Everything the child needs is built before fork: only async-signal-safe calls after.
    std::vector<std::string> words = arguments;
    words.insert(words.begin(), binary);
    std::vector<char*> argv, envp;
    for (auto& word : words)
      argv.push_back(word.data());
    argv.push_back(nullptr);
    for (auto& entry : environment)
      envp.push_back(entry.data());
    envp.push_back(nullptr);
    m_pid = fork();
    if (m_pid == 0) {
      int in_fd = open("/dev/null", O_RDONLY);
      int out_fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int err_fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(in_fd, 0);
      dup2(out_fd, 1);
      dup2(err_fd, 2);
      execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
  }
  ~Child() {
    if (m_pid > 0)
      wait_for_exit(std::chrono::seconds(0));
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return m_pid; }
  // The exit code (128 + signal when killed by one), or -1 after killing a child that
  // did not exit within `timeout`.
  int wait_for_exit(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (waitpid(m_pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() >= deadline) {
        kill(m_pid, SIGKILL);
        waitpid(m_pid, &status, 0);
        m_pid = -1;
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    m_pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  std::string err() const { return read_text(m_logs / "stderr"); }

 private:
  std::filesystem::path m_logs;
  pid_t m_pid = -1;
};

// Waits until `folder` holds a file (the command's temp output): the command is then past
// its argument checks and into the long work.
bool wait_for_a_file(const std::filesystem::path& folder, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (file_count(folder) > 0)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

const char* signal_name(int signal_number) {
  return signal_number == SIGINT ? "SIGINT" : signal_number == SIGTERM ? "SIGTERM" : "SIGHUP";
}

void put_varint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

// An mpd patch (stored streams) whose new file is `old_data` repeated `copies` times: one
// instruction per copy (add the whole old file with zero diff bytes, seek back to 0), the
// diff as a single run of zeros. Applying it writes copies * old size bytes from a patch of
// a few KiB.
std::string repeating_patch(const std::string& old_data, uint64_t copies) {
  using namespace mpaas::delta;
  std::string control, runs;
  for (uint64_t i = 0; i < copies; ++i) {
    put_varint(control, old_data.size());
    put_varint(control, 0);
    put_varint(control, (old_data.size() << 1) - 1);  // zigzag of -old size
  }
  uint64_t new_size = copies * old_data.size();
  put_varint(runs, new_size);
  put_varint(runs, 0);
  PatchHeader header;
  header.codec = Codec::none;
  header.old_size = old_data.size();
  header.new_size = new_size;
  header.old_sha256 = mpaas::sha256_of(old_data);
  header.control_size = control.size();
  header.diff_size = runs.size();
  header.diff_runs = true;
  header.diff_runs_size = runs.size();
  return encode_mpd_header(header) + control + runs;
}

}  // namespace

TEST_CASE("mpaas diff and patch round-trip with a JSON summary", "[cli][delta]") {
  TempDir home, dir;
  write_pair(dir);
  auto diff = run_mpaas({"--json", "diff", (dir / "old.bin").string(), (dir / "new.bin").string(),
                         "-o", (dir / "p.mpd").string(), "--codec", "zstd"},
                        home.path());
  REQUIRE(diff.exit_code == 0);
  auto summary = nlohmann::json::parse(diff.out);
  CHECK(summary["codec"] == "zstd");
  CHECK(summary["format"] == "mpd");
  CHECK(summary["diff_coding"] == "direct");
  CHECK(summary["new_size"] == 305000);
  CHECK(summary["patch_size"] == std::filesystem::file_size(dir / "p.mpd"));
  CHECK(summary["patch_size"].get<uint64_t>() < 8000);

  auto patch = run_mpaas({"patch", (dir / "old.bin").string(), (dir / "p.mpd").string(), "-o",
                          (dir / "out.bin").string()},
                         home.path());
  REQUIRE(patch.exit_code == 0);
  CHECK(read_text(dir / "out.bin") == read_text(dir / "new.bin"));

  auto info = run_mpaas({"--json", "patch", "--info", (dir / "p.mpd").string()}, home.path());
  REQUIRE(info.exit_code == 0);
  auto header = nlohmann::json::parse(info.out);
  CHECK(header["format"] == "mpd");
  // Small streams: the compact container, version 4 in dictionary mode.
  CHECK(header["version"] == (header["mode"] == "dictionary" ? 4 : 3));
  CHECK(header["diff_coding"] == "direct");  // run coding starts at 16 MiB of diff bytes
  CHECK(header["old_size"] == 300000);
  CHECK(header["new_sha256"].get<std::string>().size() == 64);
}

TEST_CASE("mpaas diff text summary and stdout streams", "[cli][delta]") {
  TempDir home, dir;
  write_pair(dir);
  auto diff = run_mpaas({"diff", (dir / "old.bin").string(), (dir / "new.bin").string(), "-o", "-"},
                        home.path());
  REQUIRE(diff.exit_code == 0);
  CHECK_THAT(diff.err, Catch::Contains("patch size:"));
  write_text(dir / "piped.mpd", diff.out);
  mpaas::test::RunOptions with_stdin;
  with_stdin.stdin_data = diff.out;
  auto patch =
      run_mpaas({"patch", (dir / "old.bin").string(), "-", "-o", "-"}, home.path(), with_stdin);
  REQUIRE(patch.exit_code == 0);
  CHECK(patch.out == read_text(dir / "new.bin"));
  // The default codec is auto: lzma, or zstd's dictionary mode when that is smaller, as it
  // is on this pair (5000 new bytes between two moved halves).
  auto text = run_mpaas({"patch", "--info", (dir / "piped.mpd").string()}, home.path());
  CHECK(text_field(text.out, "codec") == "zstd");
  CHECK(text_field(text.out, "mode") == "dictionary");
  auto lzma = run_mpaas({"--json", "diff", (dir / "old.bin").string(), (dir / "new.bin").string(),
                         "-o", (dir / "lzma.mpd").string(), "--codec", "lzma"},
                        home.path());
  REQUIRE(lzma.exit_code == 0);
  CHECK(diff.out.size() < std::filesystem::file_size(dir / "lzma.mpd"));
}

TEST_CASE("mpaas diff --codec lzma makes an lzma patch where auto would pick zstd",
          "[cli][delta]") {
  TempDir home, dir;
  write_pair(dir);
  auto diff = run_mpaas({"--json", "diff", (dir / "old.bin").string(), (dir / "new.bin").string(),
                         "-o", (dir / "p.mpd").string(), "--codec", "lzma"},
                        home.path());
  REQUIRE(diff.exit_code == 0);
  auto summary = nlohmann::json::parse(diff.out);
  CHECK(summary["codec"] == "lzma");
  CHECK(summary["mode"] == "instructions");
  auto info = run_mpaas({"--json", "patch", "--info", (dir / "p.mpd").string()}, home.path());
  REQUIRE(info.exit_code == 0);
  auto header = nlohmann::json::parse(info.out);
  CHECK(header["codec"] == "lzma");
  CHECK(header["mode"] == "instructions");
  auto patch = run_mpaas({"patch", (dir / "old.bin").string(), (dir / "p.mpd").string(), "-o",
                          (dir / "out.bin").string()},
                         home.path());
  REQUIRE(patch.exit_code == 0);
  CHECK(read_text(dir / "out.bin") == read_text(dir / "new.bin"));
}

TEST_CASE("BSDIFF40 interop with Debian's bsdiff and bspatch", "[cli][delta]") {
  REQUIRE(mpaas::test::have_program("bsdiff"));
  REQUIRE(mpaas::test::have_program("bspatch"));
  TempDir home, dir;
  write_pair(dir);
  auto old_file = (dir / "old.bin").string(), new_file = (dir / "new.bin").string();

  // Ours -> bspatch.
  REQUIRE(run_mpaas({"diff", old_file, new_file, "-o", (dir / "ours.bsdiff").string(), "--format",
                     "bsdiff"},
                    home.path())
              .exit_code == 0);
  auto bspatch = run_program(
      "bspatch", {old_file, (dir / "by-bspatch").string(), (dir / "ours.bsdiff").string()});
  REQUIRE(bspatch.exit_code == 0);
  CHECK(read_text(dir / "by-bspatch") == read_text(dir / "new.bin"));

  // bsdiff -> ours, detected from the header.
  REQUIRE(run_program("bsdiff", {old_file, new_file, (dir / "theirs.bsdiff").string()}).exit_code ==
          0);
  auto patch = run_mpaas(
      {"patch", old_file, (dir / "theirs.bsdiff").string(), "-o", (dir / "by-mpaas").string()},
      home.path());
  REQUIRE(patch.exit_code == 0);
  CHECK(read_text(dir / "by-mpaas") == read_text(dir / "new.bin"));
  auto info =
      run_mpaas({"--json", "patch", "--info", (dir / "theirs.bsdiff").string()}, home.path());
  CHECK(nlohmann::json::parse(info.out)["format"] == "bsdiff");
}

TEST_CASE("VCDIFF interop with Debian's xdelta3", "[cli][delta]") {
  REQUIRE(mpaas::test::have_program("xdelta3"));
  TempDir home, dir;
  write_pair(dir);
  auto old_file = (dir / "old.bin").string(), new_file = (dir / "new.bin").string();

  // Ours -> xdelta3 -d.
  auto diff = run_mpaas({"--json", "diff", old_file, new_file, "-o", (dir / "ours.vcdiff").string(),
                         "--format", "vcdiff"},
                        home.path());
  REQUIRE(diff.exit_code == 0);
  CHECK(nlohmann::json::parse(diff.out)["format"] == "vcdiff");
  auto decoded = run_program("xdelta3", {"-d", "-f", "-s", old_file, (dir / "ours.vcdiff").string(),
                                         (dir / "by-xdelta3").string()});
  REQUIRE(decoded.exit_code == 0);
  CHECK(read_text(dir / "by-xdelta3") == read_text(dir / "new.bin"));

  // xdelta3 -e -S none -> ours, detected from the header; with -S left at its default, a
  // one-line refusal that says how to make one we read, and no output.
  REQUIRE(run_program("xdelta3", {"-e", "-f", "-S", "none", "-s", old_file, new_file,
                                  (dir / "theirs.vcdiff").string()})
              .exit_code == 0);
  auto patch = run_mpaas({"--json", "patch", old_file, (dir / "theirs.vcdiff").string(), "-o",
                          (dir / "by-mpaas").string()},
                         home.path());
  REQUIRE(patch.exit_code == 0);
  CHECK(read_text(dir / "by-mpaas") == read_text(dir / "new.bin"));
  CHECK(nlohmann::json::parse(patch.out)["format"] == "vcdiff");
  REQUIRE(run_program("xdelta3",
                      {"-e", "-f", "-s", old_file, new_file, (dir / "compressed.vcdiff").string()})
              .exit_code == 0);
  auto refused = run_mpaas(
      {"patch", old_file, (dir / "compressed.vcdiff").string(), "-o", (dir / "none").string()},
      home.path());
  CHECK(refused.exit_code == 3);
  CHECK(refused.err.find("-S none") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "none"));
}

TEST_CASE("mpaas patch refuses bad patches and wrong old files without leaving output",
          "[cli][delta]") {
  TempDir home, dir;
  write_pair(dir);
  auto old_file = (dir / "old.bin").string();
  REQUIRE(run_mpaas({"diff", old_file, (dir / "new.bin").string(), "-o", (dir / "p.mpd").string()},
                    home.path())
              .exit_code == 0);
  std::string patch = read_text(dir / "p.mpd");
  std::filesystem::create_directories(dir / "out");
  write_text(dir / "cut.mpd", patch.substr(0, patch.size() - 10));

  auto truncated = run_mpaas(
      {"patch", old_file, (dir / "cut.mpd").string(), "-o", (dir / "out/new.bin").string()},
      home.path());
  CHECK(truncated.exit_code == 3);
  CHECK(truncated.err == "mpaas: error: patch is truncated (" + (dir / "cut.mpd").string() + ")\n");

  std::string corrupted = patch;
  corrupted[patch.size() - 40] ^= 0x10;
  write_text(dir / "bad.mpd", corrupted);
  auto bad = run_mpaas(
      {"patch", old_file, (dir / "bad.mpd").string(), "-o", (dir / "out/new.bin").string()},
      home.path());
  CHECK(bad.exit_code == 3);
  CHECK_THAT(bad.err, Catch::StartsWith("mpaas: error: patch is corrupted"));

  write_text(dir / "other.bin", sample(1000, 9));
  auto wrong = run_mpaas({"patch", (dir / "other.bin").string(), (dir / "p.mpd").string(), "-o",
                          (dir / "out/new.bin").string()},
                         home.path());
  CHECK(wrong.exit_code == 4);
  CHECK_THAT(wrong.err, Catch::Contains("the old file does not match the patch: it has sha256 "));

  write_text(dir / "junk", "not a patch at all");
  auto junk = run_mpaas({"patch", "--info", (dir / "junk").string()}, home.path());
  CHECK(junk.exit_code == 3);
  CHECK(file_count(dir / "out") == 0);

  auto missing = run_mpaas({"patch", old_file, (dir / "p.mpd").string()}, home.path());
  CHECK(missing.exit_code == 2);
}

TEST_CASE("mpaas patch checks a patch on stdin from its first bytes and spools the rest",
          "[cli][delta]") {
  TempDir home, dir;
  write_pair(dir);
  auto old_file = (dir / "old.bin").string();
  std::filesystem::create_directories(dir / "out");
  auto out_file = (dir / "out/new.bin").string();
  mpaas::test::RunOptions with_home;
  with_home.env = {{"HOME", home.path().string()}, {"TMPDIR", (dir / "out").string()}};

  // 512 MiB of zeros: refused after the first 8 bytes. The old code read all of it into
  // memory first (1 GB of RSS); here head(1) cannot write it all, since mpaas stops reading.
  std::string script =
      "head -c 536870912 /dev/zero | \"$0\" patch \"$1\" - -o \"$2\"; "
      "echo \"${PIPESTATUS[0]} ${PIPESTATUS[1]}\"";
  auto zeros = run_program("bash", {"-c", script, mpaas::test::mpaas_binary(), old_file, out_file},
                           with_home);
  int head_status = -1, mpaas_status = -1;
  std::istringstream(zeros.out) >> head_status >> mpaas_status;
  CHECK(mpaas_status == 3);
  CHECK(head_status != 0);
  CHECK(zeros.err ==
        "mpaas: error: not a patch: unknown magic, expected mpd, BSDIFF40 or VCDIFF (stdin)\n");

  // A good patch on stdin applies; one with bytes after its streams or cut short does not.
  REQUIRE(run_mpaas({"diff", old_file, (dir / "new.bin").string(), "-o", (dir / "p.mpd").string()},
                    home.path())
              .exit_code == 0);
  std::string patch = read_text(dir / "p.mpd");
  auto apply = [&](const std::string& bytes) {
    mpaas::test::RunOptions options = with_home;
    options.stdin_data = bytes;
    return run_mpaas({"patch", old_file, "-", "-o", out_file}, home.path(), options);
  };
  auto good = apply(patch);
  CHECK(good.exit_code == 0);
  CHECK(read_text(out_file) == read_text(dir / "new.bin"));
  std::filesystem::remove(out_file);
  // (Small enough for the pipe's buffer: mpaas stops reading one byte past the streams.)
  auto trailing = apply(patch + std::string(1000, 'x'));
  CHECK(trailing.exit_code == 3);
  CHECK(trailing.err ==
        "mpaas: error: patch is corrupted: trailing bytes after the streams (stdin)\n");
  auto cut = apply(patch.substr(0, patch.size() - 1));
  CHECK(cut.exit_code == 3);
  CHECK(cut.err == "mpaas: error: patch is truncated (stdin)\n");
  auto header_only = apply(patch.substr(0, 100));
  CHECK(header_only.exit_code == 3);
  CHECK(header_only.err == "mpaas: error: patch is truncated (stdin)\n");
  // The spooled copy is unnamed: nothing is left in TMPDIR (here the output folder).
  CHECK(file_count(dir / "out") == 0);
}

TEST_CASE("a FIFO as old file, new file or patch is refused at once", "[cli][delta]") {
  TempDir home, dir;
  write_pair(dir);
  REQUIRE(run_mpaas({"diff", (dir / "old.bin").string(), (dir / "new.bin").string(), "-o",
                     (dir / "p.mpd").string()},
                    home.path())
              .exit_code == 0);
  auto fifo = (dir / "fifo").string();
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  std::filesystem::create_directories(dir / "out");
  auto old_file = (dir / "old.bin").string(), new_file = (dir / "new.bin").string();
  auto patch_file = (dir / "p.mpd").string(), out_file = (dir / "out/result").string();
  std::vector<std::vector<std::string>> commands = {
      {"patch", fifo, patch_file, "-o", out_file},
      {"patch", old_file, fifo, "-o", out_file},
      {"patch", "--info", fifo},
      {"diff", fifo, new_file, "-o", out_file},
      {"diff", old_file, fifo, "-o", out_file},
  };
  for (const auto& command : commands) {
    INFO("mpaas " << command[0] << " " << command[1] << " " << command[2]);
    // Opening a FIFO for reading waits for a writer: the old code never returned.
    Child child(command, home.path(), dir / "logs");
    CHECK(child.wait_for_exit(std::chrono::seconds(20)) == 2);
    CHECK(child.err() ==
          "mpaas: error: not a regular file: a FIFO cannot be read at random offsets (" + fifo +
              ")\n");
    CHECK(file_count(dir / "out") == 0);
  }
  // A folder gets the same refusal.
  auto folder =
      run_mpaas({"patch", (dir / "out").string(), patch_file, "-o", out_file}, home.path());
  CHECK(folder.exit_code == 2);
  CHECK_THAT(folder.err, Catch::Contains("not a regular file: a folder"));
}

// A stop request must unwind (the message names the output) well within the watcher's
// grace of 1.5 s, after which it would force the exit with a bare "interrupted". Each
// signal lands at a random point of the first second of work, printed on failure.
TEST_CASE("SIGINT, SIGTERM and SIGHUP stop mpaas diff leaving nothing behind",
          "[cli][delta][signals]") {
  TempDir home, dir;
  write_text(dir / "in/old.bin", noise(2u << 20, 1));
  // An x86-64 ELF header, so that --filter x86-64 also spills a filtered copy to TMPDIR.
  std::string new_data = noise(32u << 20, 2);
  new_data.replace(0, 4,
                   "\x7f"
                   "ELF");
  new_data[18] = 0x3E;
  new_data[19] = 0;
  write_text(dir / "in/new.bin", new_data);
  std::mt19937 random(std::random_device{}());
  for (int signal_number : {SIGINT, SIGTERM, SIGHUP}) {
    std::string name = signal_name(signal_number);
    auto out = dir / ("out-" + name), tmp = dir / ("tmp-" + name);
    std::filesystem::create_directories(out);
    std::filesystem::create_directories(tmp);
    auto patch_file = (out / "p.mpd").string();
    Child child({"diff", (dir / "in/old.bin").string(), (dir / "in/new.bin").string(), "-o",
                 patch_file, "--threads", "2", "--filter", "x86-64"},
                home.path(), dir / ("logs-" + name), {{"TMPDIR", tmp.string()}});
    REQUIRE(wait_for_a_file(out, std::chrono::seconds(60)));
    int delay = std::uniform_int_distribution<int>(0, 1000)(random);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    REQUIRE(kill(child.pid(), signal_number) == 0);
    int code = child.wait_for_exit(std::chrono::seconds(60));
    INFO(name << " after " << delay << " ms");
    CHECK(code == 130);
    CHECK(child.err() == "mpaas: error: interrupted, no patch written (" + patch_file + ")\n");
    CHECK(file_count(out) == 0);
    CHECK(file_count(tmp) == 0);
  }
}

TEST_CASE("SIGINT, SIGTERM and SIGHUP stop mpaas patch leaving nothing behind",
          "[cli][delta][signals]") {
  TempDir home, dir;
  std::string old_data = noise(1u << 20, 3);
  write_text(dir / "in/old.bin", old_data);
  // 64 GiB of output from a 500 KiB patch: the apply runs until it is stopped.
  write_text(dir / "in/p.mpd", repeating_patch(old_data, uint64_t{1} << 16));
  std::mt19937 random(std::random_device{}());
  for (int signal_number : {SIGINT, SIGTERM, SIGHUP}) {
    std::string name = signal_name(signal_number);
    auto out = dir / ("out-" + name), tmp = dir / ("tmp-" + name);
    std::filesystem::create_directories(out);
    std::filesystem::create_directories(tmp);
    auto new_file = (out / "new.bin").string();
    Child child(
        {"patch", (dir / "in/old.bin").string(), (dir / "in/p.mpd").string(), "-o", new_file},
        home.path(), dir / ("logs-" + name), {{"TMPDIR", tmp.string()}});
    REQUIRE(wait_for_a_file(out, std::chrono::seconds(60)));
    int delay = std::uniform_int_distribution<int>(0, 1000)(random);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    REQUIRE(kill(child.pid(), signal_number) == 0);
    int code = child.wait_for_exit(std::chrono::seconds(60));
    INFO(name << " after " << delay << " ms");
    CHECK(code == 130);
    CHECK(child.err() == "mpaas: error: interrupted, nothing written (" + new_file + ")\n");
    CHECK(file_count(out) == 0);
    CHECK(file_count(tmp) == 0);
  }
}
