// libcurl, libgit2 and libarchive load on first use (lazy/README.md): a command that needs
// none of them never maps them, and one that calls them gets them.
#include <catch2/catch.hpp>

#include "process.hpp"
#include "temp_dir.hpp"

#ifdef MPAAS_LAZY_LIBRARIES

using mpaas::test::run_mpaas;
using mpaas::test::RunOptions;
using mpaas::test::TempDir;

namespace {

// What the dynamic loader says it loaded for `mpaas ARGS` (LD_DEBUG=files, on stderr).
std::string loaded_by(const std::vector<std::string>& arguments, const TempDir& home) {
  auto result =
      run_mpaas(arguments, home.path(), RunOptions{home.path(), {{"LD_DEBUG", "files"}}, ""});
  INFO(result.err.substr(0, 2000));
  REQUIRE(result.exit_code == 0);
  return result.err;
}

}  // namespace

TEST_CASE("commands that need no network, git or archive never load their libraries",
          "[cli][lazy]") {
  TempDir home;
  for (auto arguments : std::vector<std::vector<std::string>>{
           {"--version"}, {"config", "list"}, {"app", "list"}, {"analytics", "query", "--help"}}) {
    auto loaded = loaded_by(arguments, home);
    INFO(arguments[0]);
    CHECK(loaded.find("libsqlite3.so") != std::string::npos);  // the loader did report
    CHECK(loaded.find("libcurl.so") == std::string::npos);
    CHECK(loaded.find("libgit2.so") == std::string::npos);
    CHECK(loaded.find("libarchive.so") == std::string::npos);
  }
}

TEST_CASE("a command that calls the libraries loads them and gets their answers", "[cli][lazy]") {
  TempDir home;
  auto loaded = loaded_by({"version"}, home);
  CHECK(loaded.find("libcurl.so") != std::string::npos);
  CHECK(loaded.find("libgit2.so") != std::string::npos);
  CHECK(loaded.find("libarchive.so") != std::string::npos);
  // The versions come from the libraries themselves, through the trampolines.
  auto shown = run_mpaas({"version"}, home.path());
  CHECK_THAT(shown.out, Catch::Contains("libcurl") && Catch::Contains("libgit2") &&
                            Catch::Contains("libarchive"));
}

#endif
