// AtomicFile: the destination holds the old content or the whole new one, never a part.
#include <catch2/catch.hpp>

#include "mpaas/core/atomic_file.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/core/temp_folder.hpp"
#include "temp_dir.hpp"

using namespace mpaas;
using mpaas::test::TempDir;

namespace {
size_t files_in(const std::filesystem::path& folder) {
  size_t count = 0;
  for (auto it = std::filesystem::directory_iterator(folder);
       it != std::filesystem::directory_iterator(); ++it) {
    ++count;
  }
  return count;
}
}  // namespace

TEST_CASE("a committed atomic file replaces the destination", "[core][atomic_file]") {
  TempDir dir;
  auto target = dir / "out.bin";
  test::write_text(target, "old");
  {
    AtomicFile file(target, 0640);
    file.write("new ");
    file.write("content");
    CHECK(test::read_text(target) == "old");  // untouched until commit
    file.commit();
  }
  CHECK(test::read_text(target) == "new content");
  CHECK((std::filesystem::status(target).permissions() & std::filesystem::perms::all) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
         std::filesystem::perms::group_read));
  CHECK(files_in(dir.path()) == 1);
}

TEST_CASE("an abandoned atomic file leaves the old content and no temp file",
          "[core][atomic_file]") {
  TempDir dir;
  auto target = dir / "out.bin";
  test::write_text(target, "old");
  try {
    AtomicFile file(target);
    file.write("half");
    throw std::runtime_error("failure midway");
  } catch (const std::runtime_error&) {
  }
  CHECK(test::read_text(target) == "old");
  CHECK(files_in(dir.path()) == 1);
}

TEST_CASE("an atomic file into a missing folder fails naming the output", "[core][atomic_file]") {
  TempDir dir;
  auto target = dir / "missing" / "out.bin";
  CHECK_THROWS_WITH(write_file_atomically(target, "x"), Catch::Contains(target.string()));
}

TEST_CASE("read_file names a missing path as not found", "[core][atomic_file]") {
  TempDir dir;
  try {
    read_file(dir / "absent");
    FAIL("read_file should throw");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::not_found);
    CHECK_THAT(error.what(), Catch::Contains("absent"));
  }
}

TEST_CASE("a temp folder is removed with its content unless committed into place",
          "[core][temp]") {
  test::TempDir dir;
  std::filesystem::path made;
  {
    TempFolder folder(".new-", dir.path());
    made = folder.path();
    test::write_text(folder / "a/b.txt", "x");
    CHECK(std::filesystem::exists(made / "a/b.txt"));
  }
  CHECK_FALSE(std::filesystem::exists(made));
  {
    TempFolder folder(".new-", dir.path());
    test::write_text(folder / "kept.txt", "y");
    folder.commit_to(dir / "project");
  }
  CHECK(test::read_text(dir / "project" / "kept.txt") == "y");
  CHECK_THROWS_AS(TempFolder(".x-", dir / "missing" / "deeper"), Error);
}
