// The progress bar draws percent, rate and ETA from the injected clock; NullProgress is silent.
#include <catch2/catch.hpp>
#include <sstream>

#include "mpaas/core/progress.hpp"

using namespace mpaas;

TEST_CASE("the progress bar shows percent, rate and ETA", "[core][progress]") {
  std::ostringstream terminal;
  FakeClock clock;
  ProgressBar bar(terminal, clock, 10);
  bar.start("diff", 4096);
  clock.advance(std::chrono::seconds(1));
  bar.advance(1024);
  CHECK(bar.render_line() == "diff [==>       ]  25% 1.0 KiB/s ETA 3s");
  clock.advance(std::chrono::seconds(3));
  bar.advance(3072);
  bar.finish();
  std::string drawn = terminal.str();
  CHECK_THAT(drawn, Catch::Contains("[==========] 100%"));
  CHECK(drawn.back() == '\n');
}

TEST_CASE("the progress bar redraws at most every 100 ms", "[core][progress]") {
  std::ostringstream terminal;
  FakeClock clock;
  ProgressBar bar(terminal, clock, 10);
  bar.start("x", 100);
  auto after_start = terminal.str().size();
  bar.advance(1);
  bar.advance(1);
  CHECK(terminal.str().size() == after_start);
  clock.advance(std::chrono::milliseconds(150));
  bar.advance(1);
  CHECK(terminal.str().size() > after_start);
}

TEST_CASE("unknown totals show a byte counter", "[core][progress]") {
  std::ostringstream terminal;
  FakeClock clock;
  ProgressBar bar(terminal, clock, 10);
  bar.start("upload", 0);
  bar.advance(2048);
  CHECK(bar.render_line() == "upload 2.0 KiB");
}
