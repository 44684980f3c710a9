// The repository stands alone: no tracked file names a folder outside it, except the one
// optional fixture location (tests/support/fixtures.cpp, documented in tests/README.md).
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "process.hpp"

namespace {

std::string tracked_files() {
  std::string command = "git -C '" + mpaas::test::source_dir().string() + "' ls-files";
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string listing;
  char buffer[4096];
  size_t count;
  while ((count = fread(buffer, 1, sizeof(buffer), pipe)) > 0)
    listing.append(buffer, count);
  ::pclose(pipe);
  return listing;
}

}  // namespace

TEST_CASE("no tracked file names a folder outside the repository", "[repo]") {
  std::istringstream files(tracked_files());
  std::string name;
  int checked = 0;
  // The fixture helper and its documentation name the optional location; this test names
  // the strings it looks for.
  const std::set<std::string> allowed = {"tests/support/fixtures.cpp", "tests/support/fixtures.hpp",
                                         "tests/README.md"};
  // Spelled in pieces, so that this file does not itself name the folders it looks for.
  const std::string shared = std::string("..") + "/shared";
  const std::string workspace = std::string("/") + "work/";
  const std::string outside[] = {shared, workspace + "main", workspace + ".library"};
  while (std::getline(files, name)) {
    if (allowed.count(name))
      continue;
    std::ifstream file(mpaas::test::source_dir() / name, std::ios::binary);
    std::stringstream content;
    content << file.rdbuf();
    INFO(name);
    for (const auto& folder : outside)
      CHECK(content.str().find(folder) == std::string::npos);
    ++checked;
  }
  CHECK(checked > 100);
}
