// `mpaas diff` and `mpaas patch` through the binary: round trips, the JSON summary, header
// info, BSDIFF40 interop with Debian's bsdiff and bspatch both ways, and the refusals with
// their exit codes (no output file left behind).
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "process.hpp"
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

size_t file_count(const std::filesystem::path& folder) {
  size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(folder))
    ++count;
  return count;
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
  CHECK(header["version"] == 2);
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
  auto text = run_mpaas({"patch", "--info", (dir / "piped.mpd").string()}, home.path());
  CHECK_THAT(text.out, Catch::Contains("codec") && Catch::Contains("lzma"));
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
