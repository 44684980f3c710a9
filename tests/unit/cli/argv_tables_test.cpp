// argv -> options tables, one per command group (as gh's tests have): each row is a command
// line and the options it must parse into, checked without running the command.
#include <catch2/catch.hpp>

#include "completion/options.hpp"
#include "help/options.hpp"
#include "in_process.hpp"
#include "version/options.hpp"

using namespace mpaas;
using test::InProcess;
using test::parsed;
using test::refused;

namespace {

std::string joined(const std::vector<std::string>& words) {
  std::string text;
  for (const auto& word : words)
    text += (text.empty() ? "" : " ") + word;
  return text;
}

}  // namespace

TEST_CASE("argv table: help", "[cli][argv]") {
  const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> table = {
      {{"help"}, {}},
      {{"help", "exit-codes"}, {"exit-codes"}},
      {{"help", "config", "set"}, {"config", "set"}},
      {{"--json", "help", "offline", "build"}, {"offline", "build"}},
  };
  for (const auto& [argv, topic] : table) {
    INFO("mpaas " << joined(argv));
    CHECK(parsed<HelpOptions>(argv).topic == topic);
  }
}

TEST_CASE("argv table: completion", "[cli][argv]") {
  for (std::string shell : {"bash", "zsh", "fish"}) {
    INFO(shell);
    CHECK(parsed<CompletionOptions>({"completion", shell}).shell == shell);
  }
  CHECK(refused({"completion", "tcsh"}) == 2);
  CHECK(refused({"completion"}) == 2);
}

TEST_CASE("argv table: version", "[cli][argv]") {
  CHECK_NOTHROW(parsed<VersionOptions>({"version"}));
  CHECK_NOTHROW(parsed<VersionOptions>({"version", "--json"}));
  CHECK(refused({"version", "extra"}) == 2);
}

TEST_CASE("parse_only never runs the command", "[cli][argv]") {
  InProcess app;
  app.parse<HelpOptions>({"help", "exit-codes"});
  CHECK(app.out.str().empty());
}
