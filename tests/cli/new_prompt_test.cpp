// `mpaas new` run in-process through run_cli with a fake terminal: variables not given with
// --set are asked for on stderr and read from stdin; without a terminal nothing is asked.
#include <catch2/catch.hpp>
#include <sstream>

#include "in_process.hpp"

using mpaas::test::read_text;
using mpaas::test::TempDir;
using mpaas::test::write_text;

namespace {

// The shared harness, with the project folder `temp` as working folder.
struct InProcess : mpaas::test::InProcess {
  InProcess(const TempDir& temp, const std::string& input, bool terminal)
      : mpaas::test::InProcess(input, terminal) {
    context.cwd = temp.path();
  }
};

}  // namespace

TEST_CASE("on a terminal, new asks for each variable and re-asks on a bad answer", "[cli][new]") {
  TempDir temp;
  write_text(temp / "tpl/template.yaml",
             "variables:\n  greeting: {description: word to greet with, default: hello, "
             "validate: \"^[a-z]+$\"}\n  ui: {type: choice, choices: [tabs, drawer], "
             "default: tabs}\n  who: {}\n");
  write_text(temp / "tpl/out.txt", "{{greeting}} {{who}} {{ui}}\n");
  InProcess run(temp, "Bad!\nhey\ndrawer\nyou\n", true);
  int code = mpaas::run_cli({"new", "tpl", "p", "--no-git"}, run.context);
  INFO(run.err.str());
  REQUIRE(code == 0);
  CHECK(read_text(temp / "p/out.txt") == "hey you drawer\n");
  CHECK_THAT(run.err.str(), Catch::Contains("greeting (word to greet with) [hello]: ") &&
                                Catch::Contains("does not match ^[a-z]+$") &&
                                Catch::Contains("ui {tabs/drawer} [tabs]: ") &&
                                Catch::Contains("who: "));
}

TEST_CASE("without a terminal, new never asks", "[cli][new]") {
  TempDir temp;
  write_text(temp / "tpl/template.yaml", "variables:\n  who: {}\n");
  write_text(temp / "tpl/out.txt", "{{who}}\n");
  InProcess run(temp, "you\n", false);
  CHECK(mpaas::run_cli({"new", "tpl", "p", "--no-git"}, run.context) == 2);
  CHECK(run.err.str() ==
        "mpaas: error: missing variable who: give it with --set NAME=VALUE (--set)\n");
  CHECK_FALSE(std::filesystem::exists(temp / "p"));
}
