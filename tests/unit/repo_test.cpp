// The repository stands alone: no tracked file names a folder outside it, except the one
// optional fixture location (tests/support/fixtures.cpp, documented in tests/README.md).
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
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
  const std::string allowed = "tests/support/fixtures.cpp";
  while (std::getline(files, name)) {
    if (name == allowed || name == "tests/README.md")
      continue;
    std::ifstream file(mpaas::test::source_dir() / name, std::ios::binary);
    std::stringstream content;
    content << file.rdbuf();
    INFO(name);
    CHECK(content.str().find("../shared") == std::string::npos);
    CHECK(content.str().find("/work/") == std::string::npos);
    ++checked;
  }
  CHECK(checked > 100);
}
