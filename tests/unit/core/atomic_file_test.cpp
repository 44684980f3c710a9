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
  CHECK(files_in(dir.path()) == 1);
  // The mode applies to a new file (an existing one keeps its own, see below).
  write_file_atomically(dir / "new.bin", "x", 0640);
  CHECK((std::filesystem::status(dir / "new.bin").permissions() & std::filesystem::perms::all) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
         std::filesystem::perms::group_read));
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

TEST_CASE("a temp folder is removed with its content unless committed into place", "[core][temp]") {
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

namespace {
std::filesystem::perms mode_of(const std::filesystem::path& path) {
  return std::filesystem::status(path).permissions() & std::filesystem::perms::all;
}
}  // namespace

TEST_CASE("replacing a file keeps its mode", "[core][atomic_file]") {
  TempDir dir;
  auto target = dir / "package.amr";
  for (unsigned mode : {0600u, 0640u, 0664u}) {
    test::write_text(target, "old");
    std::filesystem::permissions(target, std::filesystem::perms(mode));
    write_file_atomically(target, "new", 0644);  // what `offline sign` asks for
    CHECK(test::read_text(target) == "new");
    CHECK(mode_of(target) == std::filesystem::perms(mode));
  }
  // A new file gets the mode asked for; ExistingMode::replace forces it (private keys).
  write_file_atomically(dir / "fresh", "x", 0640);
  CHECK(mode_of(dir / "fresh") == std::filesystem::perms(0640));
  std::filesystem::permissions(target, std::filesystem::perms(0644));
  write_file_atomically(target, "key", 0600, ExistingMode::replace);
  CHECK(mode_of(target) == std::filesystem::perms(0600));
}

TEST_CASE("a symlinked destination is written through to its target", "[core][atomic_file]") {
  TempDir dir;
  auto real = dir / "store" / "package.amr";
  test::write_text(real, "old");
  std::filesystem::permissions(real, std::filesystem::perms(0600));
  std::filesystem::create_directories(dir / "out");
  std::filesystem::create_symlink("../store/package.amr", dir / "out" / "link.amr");
  std::filesystem::create_symlink("link.amr", dir / "out" / "link2.amr");  // a chain
  {
    AtomicFile file(dir / "out" / "link2.amr", 0644, Durability::rename_only);
    CHECK(file.target() == dir / "out" / "../store/package.amr");
    CHECK(std::filesystem::equivalent(file.temp_path().parent_path(), real.parent_path()));
    file.write("new");
    file.commit();
  }
  CHECK(std::filesystem::is_symlink(dir / "out" / "link.amr"));
  CHECK(std::filesystem::is_symlink(dir / "out" / "link2.amr"));
  CHECK(test::read_text(real) == "new");
  CHECK(mode_of(real) == std::filesystem::perms(0600));
  CHECK(files_in(dir / "store") == 1);
  CHECK(files_in(dir / "out") == 2);
  // A dangling link creates its target.
  std::filesystem::create_symlink("../store/new.amr", dir / "out" / "dangling.amr");
  write_file_atomically(dir / "out" / "dangling.amr", "fresh");
  CHECK(std::filesystem::is_symlink(dir / "out" / "dangling.amr"));
  CHECK(test::read_text(dir / "store" / "new.amr") == "fresh");
  // A loop is an error naming the path, not a hang.
  std::filesystem::create_symlink("loop-b", dir / "loop-a");
  std::filesystem::create_symlink("loop-a", dir / "loop-b");
  CHECK_THROWS_WITH(write_file_atomically(dir / "loop-a", "x"),
                    Catch::Contains("symbolic links") && Catch::Contains("loop-a"));
}
