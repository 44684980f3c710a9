// `mpaas offline extract` against hostile trees: link chains, links already in the folder,
// hard links (through links, and as a bomb), and members that could not be created, all
// judged before the first write; a refusal is exit 3 and leaves the folder as it was.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <random>

#include "hostile_amr.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

using mpaas::test::read_text;
using mpaas::test::run_mpaas;
using mpaas::test::tar_file;
using mpaas::test::tar_folder;
using mpaas::test::tar_hardlink;
using mpaas::test::tar_symlink;
using mpaas::test::TarMember;
using mpaas::test::TempDir;
using mpaas::test::write_amr;
using mpaas::test::write_text;
namespace fs = std::filesystem;

namespace {

// a -> b/.., b -> c/.., ..., y -> z/.., z -> . : each link stays inside alone; together
// "a" climbs 25 folders above the target.
std::vector<TarMember> link_chain() {
  std::vector<TarMember> chain;
  for (char name = 'a'; name < 'z'; ++name)
    chain.push_back(tar_symlink(std::string(1, name), std::string(1, char(name + 1)) + "/.."));
  chain.push_back(tar_symlink("z", "."));
  return chain;
}

// Every path below `folder` with its kind and content (link targets for links).
std::map<std::string, std::string> snapshot(const fs::path& folder) {
  std::map<std::string, std::string> state;
  if (!fs::exists(fs::symlink_status(folder)))
    return state;
  for (auto it = fs::recursive_directory_iterator(folder); it != fs::recursive_directory_iterator();
       ++it) {
    auto relative = it->path().lexically_relative(folder).string();
    auto status = it->symlink_status();
    if (fs::is_symlink(status))
      state[relative] = "link:" + fs::read_symlink(it->path()).string();
    else if (fs::is_directory(status))
      state[relative] = "folder";
    else
      state[relative] = "file:" + read_text(it->path());
  }
  return state;
}

// A relative path of exactly `length` bytes, in names of at most 200 bytes.
std::string path_of_length(size_t length) {
  std::string path;
  for (; length > 200; length -= 100)
    path += std::string(99, 'd') + "/";
  return path + std::string(length, 'f');
}

// Names the extraction left beside or inside the target (staging folders).
std::vector<std::string> leftovers(const fs::path& folder) {
  std::vector<std::string> found;
  for (const auto& place : {folder, folder.parent_path()}) {
    if (!fs::is_directory(place))
      continue;
    for (const auto& entry : fs::directory_iterator(place)) {
      if (entry.path().filename().string().rfind(".mpaas-extract-", 0) == 0)
        found.push_back(entry.path().string());
    }
  }
  return found;
}

}  // namespace

TEST_CASE("offline extract refuses link chains in any order, before writing anything",
          "[cli][offline]") {
  TempDir home;
  auto chain = link_chain();
  auto forward = write_amr(home / "forward.amr", chain);
  std::reverse(chain.begin(), chain.end());
  auto reversed = write_amr(home / "reversed.amr", chain);
  auto result = run_mpaas({"offline", "extract", forward.string(), "out"}, home.path());
  CHECK(result.exit_code == 3);
  CHECK(result.err == "mpaas: error: refused: symbolic link with '..' after a name (a)\n");
  result = run_mpaas({"offline", "extract", reversed.string(), "out"}, home.path());
  CHECK(result.exit_code == 3);
  CHECK(result.err == "mpaas: error: refused: symbolic link with '..' after a name (y)\n");
  CHECK_FALSE(fs::exists(home / "out"));

  // Links to links are refused too, whichever comes first.
  auto to_link =
      write_amr(home / "to_link.amr",
                {tar_symlink("l", "m/app.js"), tar_symlink("m", "js"), tar_file("js/app.js", "1")});
  result = run_mpaas({"offline", "extract", to_link.string(), "out"}, home.path());
  CHECK(result.exit_code == 3);
  CHECK(result.err == "mpaas: error: refused: symbolic link to or through another link (l)\n");
  CHECK_FALSE(fs::exists(home / "out"));
}

TEST_CASE("a second extraction never writes through the links already in the folder",
          "[cli][offline]") {
  TempDir home;
  // The chain an older mpaas extracted: out/y resolves to out/.. (the home folder).
  fs::create_directories(home / "out");
  for (const auto& member : link_chain())
    fs::create_symlink(member.link, home / "out" / member.path);
  REQUIRE(fs::equivalent(home / "out/y", home.path()));
  auto before = snapshot(home / "out");

  auto below = write_amr(home / "p/below.amr", {tar_file("y/escaped.txt", "written outside")});
  auto result = run_mpaas({"offline", "extract", below.string(), "out"}, home.path());
  CHECK(result.exit_code == 3);
  CHECK(result.err ==
        "mpaas: error: refused: entry below a symbolic link in the folder (y/escaped.txt)\n");
  CHECK_FALSE(fs::exists(home / "escaped.txt"));

  auto through = write_amr(home / "p/through.amr", {tar_symlink("leak", "y/secret.txt")});
  result = run_mpaas({"offline", "extract", through.string(), "out"}, home.path());
  CHECK(result.exit_code == 3);
  CHECK(result.err == "mpaas: error: refused: symbolic link to or through another link (leak)\n");
  CHECK(snapshot(home / "out") == before);
  CHECK(leftovers(home / "out").empty());
}

TEST_CASE("hard links replace links in the folder instead of writing through them",
          "[cli][offline]") {
  TempDir home;
  write_text(home / "outside.txt", "original");
  fs::create_directories(home / "out");
  fs::create_symlink("../outside.txt", home / "out/victim");
  auto package =
      write_amr(home / "p/hard.amr", {tar_file("f", "evil"), tar_hardlink("victim", "f")});
  auto result = run_mpaas({"offline", "extract", package.string(), "out"}, home.path());
  CHECK(result.exit_code == 0);
  CHECK(read_text(home / "outside.txt") == "original");
  CHECK_FALSE(fs::is_symlink(home / "out/victim"));
  CHECK(read_text(home / "out/victim") == "evil");
  CHECK(fs::hard_link_count(home / "out/f") == 2);
}

TEST_CASE("1000 hard links to a 1 MiB member are made as links, not 1 GiB of copies",
          "[cli][offline]") {
  TempDir home;
  std::mt19937 random(7);
  std::string big(1 << 20, '\0');
  for (auto& c : big)
    c = static_cast<char>(random());
  std::vector<TarMember> members{tar_file("big.bin", big)};
  for (int i = 0; i < 1000; ++i)
    members.push_back(tar_hardlink("links/" + std::to_string(i), "big.bin"));
  auto package = write_amr(home / "p/bomb.amr", members);
  auto result = run_mpaas(
      {"offline", "extract", package.string(), "out", "--max-size", "2", "--json"}, home.path());
  REQUIRE(result.exit_code == 0);
  auto summary = nlohmann::json::parse(result.out);
  CHECK(summary["bytes"] == 1 << 20);
  CHECK(summary["files"] == 1);
  CHECK(fs::hard_link_count(home / "out/big.bin") == 1001);
  CHECK(fs::equivalent(home / "out/links/999", home / "out/big.bin"));
}

TEST_CASE("members extraction could not create are refused before the first write",
          "[cli][offline]") {
  TempDir home;
  write_text(home / "out/index.html", "old page");
  write_text(home / "out/keep.txt", "mine");
  auto before = snapshot(home / "out");
  auto target = fs::canonical(home / "out").string();
  std::string long_name(300, 'n');
  // Under PATH_MAX alone, over it once joined to the target folder; and over it alone.
  auto in_folder_too_long = path_of_length(4095 - target.size() + 10);
  auto too_long = path_of_length(4200);
  struct Case {
    std::vector<TarMember> members;
    std::string error;
  };
  TarMember first = tar_file("index.html", "new page");
  std::vector<Case> cases = {
      {{first, tar_file("sub/" + long_name, "x")},
       "refused: name longer than 255 bytes (sub/" + long_name + ")"},
      {{first, tar_file(too_long, "x")}, "refused: path longer than 4095 bytes (" + too_long + ")"},
      {{first, tar_file(in_folder_too_long, "x")},
       "refused: path longer than 4095 bytes in the folder (" + in_folder_too_long + ")"},
      {{first, tar_file("x/f", "1"), tar_symlink("x", "js")},
       "refused: entry over a folder of other entries (x)"},
      // libarchive writes a folder's name with its trailing slash; the message names the
      // member as the archive spells it.
      {{first, tar_folder("keep.txt")},
       "refused: folder over a file or link in the folder (keep.txt/)"},
  };
  int index = 0;
  for (const auto& test : cases) {
    auto package = write_amr(home / ("p/" + std::to_string(index++) + ".amr"), test.members);
    auto result = run_mpaas({"offline", "extract", package.string(), "out"}, home.path());
    INFO(test.error);
    CHECK(result.exit_code == 3);
    CHECK(result.err == "mpaas: error: " + test.error + "\n");
    CHECK(snapshot(home / "out") == before);
    CHECK(leftovers(home / "out").empty());
  }

  // A good package replaces what it names and keeps the rest.
  auto good = write_amr(home / "p/good.amr", {first, tar_file("js/app.js", "1")});
  auto result = run_mpaas({"offline", "extract", good.string(), "out"}, home.path());
  CHECK(result.exit_code == 0);
  CHECK(read_text(home / "out/index.html") == "new page");
  CHECK(read_text(home / "out/keep.txt") == "mine");
  CHECK(read_text(home / "out/js/app.js") == "1");
  CHECK(leftovers(home / "out").empty());
}
