// archive/tree_check: the rules that need the whole archive, and the existing folder.
#include <fcntl.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <algorithm>

#include "mpaas/archive/tree_check.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/core/unique_fd.hpp"
#include "temp_dir.hpp"

using namespace mpaas;
using namespace mpaas::archive;
namespace fs = std::filesystem;

namespace {

EntryInfo a_file(const std::string& path, uint64_t size = 1) {
  return {path, EntryType::file, size, true, "", 0644};
}
EntryInfo a_link(const std::string& path, const std::string& target) {
  return {path, EntryType::symlink, 0, true, target, 0777};
}
EntryInfo a_hardlink(const std::string& path, const std::string& target) {
  return {path, EntryType::hardlink, 0, true, target, 0644};
}
EntryInfo a_folder(const std::string& path) {
  return {path, EntryType::directory, 0, true, "", 0755};
}

// The message the whole list is refused with, or "" when it passes.
std::string refusal(const std::vector<EntryInfo>& entries, int folder_fd = -1,
                    size_t folder_length = 0) {
  try {
    TreeCheck check({}, 1 << 20, folder_fd, folder_length);
    for (const auto& entry : entries)
      check.add(entry);
    check.finish();
    return "";
  } catch (const Error& error) {
    return error.what();
  }
}

// a -> b/.., b -> c/.., ..., y -> z/.., z -> . : each link looks harmless alone.
std::vector<EntryInfo> link_chain() {
  std::vector<EntryInfo> chain;
  for (char name = 'a'; name < 'z'; ++name)
    chain.push_back(a_link(std::string(1, name), std::string(1, char(name + 1)) + "/.."));
  chain.push_back(a_link("z", "."));
  return chain;
}

}  // namespace

TEST_CASE("link chains are refused whatever the order of their links", "[archive]") {
  auto chain = link_chain();
  CHECK(refusal(chain) == "refused: symbolic link with '..' after a name (a)");
  std::reverse(chain.begin(), chain.end());
  CHECK(refusal(chain) == "refused: symbolic link with '..' after a name (y)");
  // Without "..", a chain of links is still refused, the later link decides the earlier one.
  CHECK(refusal({a_link("l", "m/x"), a_link("m", "sub"), a_folder("sub")}) ==
        "refused: symbolic link to or through another link (l)");
  CHECK(refusal({a_link("l", "m"), a_file("m")}) == "");
  CHECK(refusal({a_link("deep/l", "../m"), a_link("m", "x")}) ==
        "refused: symbolic link to or through another link (deep/l)");
  CHECK(refusal({a_link("deep/l", "../js/app.js"), a_file("js/app.js")}) == "");
}

TEST_CASE("entries that could not be created as a tree are refused", "[archive]") {
  CHECK(refusal({a_file("x/f"), a_link("x", "sub")}) ==
        "refused: entry over a folder of other entries (x)");
  CHECK(refusal({a_link("x", "sub"), a_file("x/f")}) ==
        "refused: entry below a symbolic link (x/f)");
  CHECK(refusal({a_file("a"), a_file("a/b")}) == "refused: entry below a file (a/b)");
  CHECK(refusal({a_file("a"), a_file("./a")}) == "refused: duplicate entry (./a)");
  CHECK(refusal({a_file("a/b"), a_folder("a"), a_folder("a/c")}) == "");
  CHECK(refusal({a_hardlink("h", "a"), a_file("a")}) ==
        "refused: hard link to an entry that is not an earlier file (h)");
  CHECK(refusal({a_link("l", "a"), a_file("a"), a_hardlink("h", "l")}) ==
        "refused: hard link to an entry that is not an earlier file (h)");
  std::string long_name(256, 'n');
  CHECK(refusal({a_file("dir/" + long_name)}) ==
        "refused: name longer than 255 bytes (dir/" + long_name + ")");
  std::string deep;
  while (deep.size() < 4000)
    deep += std::string(99, 'd') + "/";
  CHECK(refusal({a_file(deep + "f")}) == "");
  CHECK(refusal({a_file(deep + "f")}, -1, 200) ==
        "refused: path longer than 4095 bytes in the folder (" + deep + "f)");
  CHECK(refusal({a_file(deep + std::string(100, 'f'))}) ==
        "refused: path longer than 4095 bytes (" + deep + std::string(100, 'f') + ")");
}

TEST_CASE("hard links take no space; files count against the limits", "[archive]") {
  std::vector<EntryInfo> bomb{a_file("big", 1 << 20)};
  for (int i = 0; i < 1000; ++i)
    bomb.push_back(a_hardlink("copy" + std::to_string(i), "big"));
  CHECK(refusal(bomb) == "");
  ExtractionLimits limits;
  limits.max_total_bytes = 100;
  TreeCheck check(limits, 1 << 20);
  CHECK_THROWS_WITH(check.add(a_file("big", 101)), "refused: expands beyond the size limit (big)");
}

TEST_CASE("the existing folder is part of the tree, and its links are never followed",
          "[archive]") {
  test::TempDir dir;
  fs::create_directories(dir / "out/real");
  fs::create_symlink("..", dir / "out/up");
  fs::create_symlink("real", dir / "out/alias");
  test::write_text(dir / "out/file", "x");
  UniqueFd out(::open((dir / "out").c_str(), O_RDONLY | O_DIRECTORY));
  size_t length = (dir / "out").string().size();
  auto refused = [&](const std::vector<EntryInfo>& entries) {
    return refusal(entries, out.get(), length);
  };
  CHECK(refused({a_file("up/escaped")}) ==
        "refused: entry below a symbolic link in the folder (up/escaped)");
  CHECK(refused({a_file("alias/x")}) ==
        "refused: entry below a symbolic link in the folder (alias/x)");
  CHECK(refused({a_file("file/x")}) == "refused: entry below a file in the folder (file/x)");
  CHECK(refused({a_link("l", "up/x")}) == "refused: symbolic link to or through another link (l)");
  CHECK(refused({a_link("real/l", "../alias")}) ==
        "refused: symbolic link to or through another link (real/l)");
  CHECK(refused({a_folder("file")}) == "refused: folder over a file or link in the folder (file)");
  CHECK(refused({a_file("real")}) == "refused: entry over a folder in the folder (real)");
  // Replacing an existing link or file by a file is fine: the link is replaced, not followed.
  CHECK(refused({a_file("up"), a_file("file"), a_file("real/new"), a_link("l", "real/new")}) == "");
}
