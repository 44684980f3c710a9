// completions/ and man/ are generated from the live command tree; these tests fail when
// the committed files are stale (run `make docs`), and check that the pages render.
#include <catch2/catch.hpp>

#include "process.hpp"
#include "temp_dir.hpp"

using namespace mpaas::test;

TEST_CASE("committed completion scripts match the command tree", "[cli][docs]") {
  TempDir home;
  for (auto [shell, file] : {std::pair{"bash", "mpaas.bash"}, std::pair{"zsh", "_mpaas"},
                             std::pair{"fish", "mpaas.fish"}}) {
    INFO("completions/" << file << " is stale: run `make docs`");
    auto result = run_mpaas({"completion", shell}, home.path());
    REQUIRE(result.exit_code == 0);
    CHECK(result.out == read_text(source_dir() / "completions" / file));
  }
}

TEST_CASE("the bash completion script completes commands and flags", "[cli][docs]") {
  TempDir home;
  auto script = run_mpaas({"completion", "bash"}, home.path()).out;
  write_text(home / "c.bash", script);
  auto complete = [&](const std::string& line) {
    std::string words = "COMP_WORDS=(" + line + "); COMP_CWORD=$((${#COMP_WORDS[@]}-1));";
    return run_program("bash", {"-c", "source " + (home / "c.bash").string() + "; " + words +
                                          " _mpaas; echo \"${COMPREPLY[*]}\""})
        .out;
  };
  CHECK(complete("mpaas con") == "config\n");
  CHECK(complete("mpaas config s") == "set\n");
  CHECK(complete("mpaas --output j") == "json\n");
  CHECK(complete("mpaas completion ''") == "bash zsh fish\n");
  CHECK_THAT(complete("mpaas config list --rev"), Catch::Contains("--reveal"));
}

TEST_CASE("committed man pages match the command tree and render cleanly", "[cli][docs]") {
  TempDir out;
  auto result = run_mpaas({"__generate-man", out.path().string()}, out.path());
  REQUIRE(result.exit_code == 0);
  size_t pages = 0;
  for (const auto& entry : std::filesystem::directory_iterator(out.path())) {
    if (entry.path().extension() != ".1")
      continue;
    ++pages;
    auto name = entry.path().filename().string();
    INFO("man/" << name << " is stale: run `make docs`");
    CHECK(read_text(entry.path()) == read_text(source_dir() / "man" / name));
    auto rendered = run_program("sh", {"-c", "MANWIDTH=80 man --warnings -l " +
                                                 entry.path().string() + " 2>&1 >/dev/null"});
    CHECK(rendered.out.empty());
  }
  CHECK(pages >= 5);
  auto root = read_text(out / "mpaas.1");
  CHECK_THAT(root, Catch::Contains(".SH EXIT STATUS") && Catch::Contains("130"));
}
