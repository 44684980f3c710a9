// offline/extract: check everything, write into staging, move into place.
#include <catch2/catch.hpp>

#include "hostile_amr.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/core/interrupt.hpp"
#include "mpaas/offline/extract.hpp"
#include "temp_dir.hpp"

using namespace mpaas;
using namespace mpaas::offline;
using mpaas::test::read_text;
using mpaas::test::tar_file;
using mpaas::test::tar_folder;
using mpaas::test::tar_hardlink;
using mpaas::test::tar_symlink;
using mpaas::test::TempDir;
using mpaas::test::write_amr;
using mpaas::test::write_text;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> names_in(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("extraction creates a new folder whole, links and hard links included", "[offline]") {
  TempDir dir;
  auto package = write_amr(
      dir / "p.amr", {tar_folder("empty"), tar_file("js/app.js", "1"),
                      tar_symlink("js/alias.js", "app.js"), tar_hardlink("same.js", "js/app.js")});
  auto result = extract_package(package, dir / "new/deeper/out");
  CHECK(result.files == 1);
  CHECK(result.bytes == 1);
  CHECK(fs::is_directory(dir / "new/deeper/out/empty"));
  CHECK(fs::read_symlink(dir / "new/deeper/out/js/alias.js") == "app.js");
  CHECK(fs::hard_link_count(dir / "new/deeper/out/same.js") == 2);
  CHECK(names_in(dir / "new/deeper") == std::vector<std::string>{"out"});
}

TEST_CASE("extraction into a folder replaces what it names, links included, and keeps the rest",
          "[offline]") {
  TempDir dir;
  write_text(dir / "outside.txt", "outside");
  write_text(dir / "out/keep.txt", "mine");
  write_text(dir / "out/js/app.js", "old");
  fs::create_symlink("../../outside.txt", dir / "out/js/link.js");
  auto package = write_amr(dir / "p.amr", {tar_file("js/app.js", "new"),
                                           tar_file("js/link.js", "not through the link")});
  extract_package(package, dir / "out");
  CHECK(read_text(dir / "out/keep.txt") == "mine");
  CHECK(read_text(dir / "out/js/app.js") == "new");
  CHECK_FALSE(fs::is_symlink(dir / "out/js/link.js"));
  CHECK(read_text(dir / "out/js/link.js") == "not through the link");
  CHECK(read_text(dir / "outside.txt") == "outside");
  CHECK(names_in(dir.path()) == std::vector<std::string>{"out", "outside.txt", "p.amr"});
}

TEST_CASE("a refused or stopped extraction leaves no folder it made", "[offline]") {
  TempDir dir;
  auto bad = write_amr(dir / "bad.amr", {tar_file("a", "1"), tar_file("a/b", "2")});
  CHECK_THROWS_WITH(extract_package(bad, dir / "new/out"), "refused: entry below a file (a/b)");
  auto good = write_amr(dir / "good.amr", {tar_file("a", "1")});
  request_stop();
  CHECK_THROWS_WITH(extract_package(good, dir / "new/out"), "interrupted");
  clear_stop_request();
  CHECK(names_in(dir.path()) == std::vector<std::string>{"bad.amr", "good.amr"});
  write_text(dir / "file", "x");
  CHECK_THROWS_AS(extract_package(good, dir / "file"), Error);
}
