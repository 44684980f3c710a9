// Interop: headless Chromium from Debian (package chromium, installed by
// scripts/install-deps.sh) shows the SVG chart: a screenshot of the standalone document is
// not blank and holds each group's colour, and the chart inlined in an HTML page puts its
// title, legend names and axis labels in the DOM as text, a hostile name as text too.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <set>

#include "chart_checks.hpp"
#include "mpaas/chart/chart.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

using mpaas::chart::Chart;
using mpaas::chart::Series;
using namespace mpaas::test;
using namespace mpaas::test::chart;

namespace {

constexpr const char* chromium_seconds = "120";

// Chromium with the flags that keep it from reaching for a network, a GPU or a desktop
// (this machine's network is closed; without them it can hang), a fresh profile each run,
// and a time limit.
RunResult run_chromium(const TempDir& folder, const std::string& profile,
                       const std::vector<std::string>& arguments) {
  std::vector<std::string> command{"--kill-after=10",
                                   chromium_seconds,
                                   "chromium",
                                   "--headless",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--disable-quic",
                                   "--no-first-run",
                                   "--disable-background-networking",
                                   "--disable-component-update",
                                   "--disable-sync",
                                   "--user-data-dir=" + (folder / profile).string()};
  command.insert(command.end(), arguments.begin(), arguments.end());
  RunOptions options;
  options.env["HOME"] = folder.path().string();
  options.cwd = folder.path();
  RunResult result = run_program("timeout", command, options);
  INFO("chromium stderr (end): " << result.err.substr(
           result.err.size() - std::min<std::size_t>(result.err.size(), 2000)));
  if (result.exit_code == 124 || result.exit_code == 137)
    FAIL("chromium did not finish within " << chromium_seconds << " s");
  REQUIRE(result.exit_code == 0);
  return result;
}

void require_chromium() {
  if (!have_program("chromium"))
    FAIL("chromium is not installed: run scripts/install-deps.sh (Debian package chromium)");
  REQUIRE(have_program("timeout"));
}

Chart installs_by_platform() {
  Chart chart{"installs, com.example.shop, per day (UTC)", {}, {}};
  Series android{"android", {}}, ios{"ios", {}}, hostile{"<b>bold</b> & \"co\"", {}};
  for (int day = 1; day <= 21; ++day) {
    chart.x_labels.push_back("2026-11-" + std::string(day < 10 ? "0" : "") + std::to_string(day));
    android.values.push_back(15000.0 + 400 * day);
    ios.values.push_back(9000.0 + (day % 7) * 900);
    hostile.values.push_back(day == 11 ? std::nullopt : std::optional<double>(3000.0 + 50 * day));
  }
  chart.series = {android, ios, hostile};
  return chart;
}

std::string attribute_of_root(const std::string& svg, const std::string& name) {
  std::size_t start = svg.find(" " + name + "=\"", svg.find("<svg")) + name.size() + 3;
  return svg.substr(start, svg.find('"', start) - start);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Pixels within a small distance of `#rrggbb`.
std::size_t pixels_near(const Image& image, unsigned colour) {
  int red = int(colour >> 16), green = int((colour >> 8) & 0xff), blue = int(colour & 0xff);
  std::size_t count = 0;
  for (std::size_t at = 0; at + 2 < image.rgb.size(); at += 3) {
    int distance = std::abs(image.rgb[at] - red) + std::abs(image.rgb[at + 1] - green) +
                   std::abs(image.rgb[at + 2] - blue);
    count += distance <= 30 ? 1 : 0;
  }
  return count;
}

}  // namespace

TEST_CASE("headless Chromium draws the standalone SVG chart: not blank, every group's colour",
          "[chart][interop]") {
  require_chromium();
  TempDir folder;
  std::string svg = mpaas::chart::render_svg(installs_by_platform());
  write_text(folder / "chart.svg", svg);
  std::string height = attribute_of_root(svg, "height");
  run_chromium(folder, "profile-screenshot",
               {"--hide-scrollbars", "--screenshot=" + (folder / "chart.png").string(),
                "--window-size=800," + height, "file://" + (folder / "chart.svg").string()});
  auto image = decode_png(read_text(folder / "chart.png"));
  REQUIRE(image);
  CHECK(image->width == 800);
  CHECK(std::to_string(image->height) == height);

  std::size_t pixels = std::size_t(image->width) * image->height, not_white = 0;
  std::set<unsigned> colours;
  for (std::size_t at = 0; at + 2 < image->rgb.size(); at += 3) {
    unsigned colour =
        (unsigned(image->rgb[at]) << 16) | (unsigned(image->rgb[at + 1]) << 8) | image->rgb[at + 2];
    colours.insert(colour);
    not_white += colour != 0xffffff ? 1 : 0;
  }
  INFO(not_white << " of " << pixels << " pixels are not white, " << colours.size()
                 << " distinct colours");
  CHECK(not_white > pixels / 100);
  CHECK(colours.size() >= 20);
  // Each group's line, in the palette's first three colours.
  for (unsigned colour : {0x1f77b4u, 0xff7f0eu, 0x2ca02cu}) {
    INFO("colour " << std::hex << colour);
    CHECK(pixels_near(*image, colour) >= 100);
  }
}

TEST_CASE("the SVG chart inlined in an HTML page puts its labels in Chromium's DOM as text",
          "[chart][interop]") {
  require_chromium();
  TempDir folder;
  std::string svg = mpaas::chart::render_svg(installs_by_platform());
  std::string inline_svg = svg.substr(svg.find("<svg"));  // HTML takes no XML declaration
  write_text(folder / "page.html",
             "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>page</title></head>"
             "<body>\n" +
                 inline_svg + "</body></html>\n");
  RunResult result = run_chromium(folder, "profile-dom",
                                  {"--dump-dom", "file://" + (folder / "page.html").string()});
  const std::string& dom = result.out;
  INFO(dom);
  REQUIRE(contains(dom, "<svg"));
  CHECK(contains(dom, ">installs, com.example.shop, per day (UTC)</title>"));
  CHECK(contains(dom, ">installs, com.example.shop, per day (UTC)</text>"));
  for (const char* label : {">android</text>", ">ios</text>", ">0</text>", ">20,000</text>",
                            ">2026-11-01</text>", ">2026-11-21</text>"})
    CHECK(contains(dom, label));
  // The hostile group name is text in the DOM, not markup.
  CHECK(contains(dom, ">&lt;b&gt;bold&lt;/b&gt; &amp; \"co\"</text>"));
  CHECK(!contains(dom, "<b>"));
  CHECK(!contains(dom, "<script"));
  CHECK(std::count(dom.begin(), dom.end(), '\n') > 10);
}
