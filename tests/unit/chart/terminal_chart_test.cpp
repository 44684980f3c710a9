// Charts drawn for a terminal: block columns for one group, a glyph per group for several,
// axis labels, a legend line per group, and never wider than the terminal.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "chart_checks.hpp"
#include "mpaas/chart/chart.hpp"

using mpaas::chart::Chart;
using mpaas::chart::render_terminal;
using mpaas::chart::Series;
using namespace mpaas::test::chart;

namespace {

std::vector<std::string> november_days(int count) {
  std::vector<std::string> days;
  for (int day = 1; day <= count; ++day)
    days.push_back("2026-11-" + std::string(day < 10 ? "0" : "") + std::to_string(day));
  return days;
}

// Active devices over 30 days, rising from 1,000 to 30,000.
Chart active_devices() {
  Chart chart{"active-devices, com.example.shop, per day (UTC)", november_days(30), {}};
  Series all{"", {}};
  for (int day = 1; day <= 30; ++day)
    all.values.push_back(1000.0 * day);
  chart.series.push_back(all);
  return chart;
}

Chart crash_free_by_platform() {
  Chart chart{"crash-free, com.example.shop, per day (UTC)", november_days(10), {}, true};
  chart.series.push_back(
      {"android", {0.981, 0.983, 0.985, 0.984, 0.982, 0.986, 0.987, 0.985, 0.984, 0.981}});
  chart.series.push_back(
      {"ios", {0.992, 0.991, 0.993, 0.994, 0.992, 0.995, 0.993, 0.992, 0.991, 0.992}});
  chart.series.push_back(
      {"harmony", {0.97, 0.972, std::nullopt, 0.975, 0.974, 0.978, 0.976, 0.977, 0.979, 0.98}});
  return chart;
}

Chart many_groups(int groups, int periods) {
  Chart chart{"launches by channel", november_days(periods), {}};
  for (int group = 0; group < groups; ++group) {
    Series series{"channel-" + std::to_string(group), {}};
    for (int period = 0; period < periods; ++period)
      series.values.push_back(100.0 * group + 7.0 * period);
    chart.series.push_back(series);
  }
  return chart;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The line that starts with `prefix` (after leading blanks), or "".
std::string line_starting(const std::string& text, const std::string& prefix) {
  for (const auto& line : lines_of(text)) {
    std::size_t start = line.find_first_not_of(' ');
    if (start != std::string::npos && line.compare(start, prefix.size(), prefix) == 0)
      return line;
  }
  return "";
}

// Every line of `text` at most `width` columns, ANSI colours aside.
void require_fits(const std::string& text, std::size_t width) {
  for (const auto& line : lines_of(strip_ansi(text))) {
    INFO("width " << width << ", line: " << line);
    REQUIRE(columns_of(line) <= width);
  }
}

}  // namespace

TEST_CASE("one group is drawn as block columns with axis labels and a legend line", "[chart]") {
  std::string text = render_terminal(active_devices(), 80, false);
  INFO(text);
  auto lines = lines_of(text);
  REQUIRE(lines.size() >= 12);
  CHECK(lines[0] == "active-devices, com.example.shop, per day (UTC)");
  CHECK(contains(text, "█"));
  CHECK(contains(text, "▁"));  // the smallest value is a sliver, not nothing
  // The y axis: top, middle and bottom, with thousands separators.
  CHECK(!line_starting(text, "30,000 ┤").empty());
  CHECK(!line_starting(text, "15,000 ┤").empty());
  CHECK(!line_starting(text, "0 ┤").empty());
  // The x axis: the first, middle and last periods on one line.
  std::string x_labels = line_starting(text, "2026-11-01");
  CHECK(contains(x_labels, "2026-11-16"));
  CHECK(contains(x_labels, "2026-11-30"));
  // One legend line, with the largest and latest values.
  CHECK(line_starting(text, "█ ") == "█ (all)  max 30,000, last 30,000");
  CHECK(!contains(text, "\x1b"));
  require_fits(text, 80);
}

TEST_CASE("several groups get a glyph each, one legend line each, and stay apart without colour",
          "[chart]") {
  Chart chart = crash_free_by_platform();
  std::string text = render_terminal(chart, 72, false);
  INFO(text);
  std::string android = line_starting(text, "● android");
  std::string ios = line_starting(text, "○ ios");
  std::string harmony = line_starting(text, "■ harmony");
  CHECK(android == "● android  max 98.7%, last 98.1%");
  CHECK(ios == "○ ios  max 99.5%, last 99.2%");
  CHECK(harmony == "■ harmony  max 98%, last 98%");
  // Each group's glyph is drawn in the plot, not only in the legend.
  std::string plot = text.substr(text.find('\n') + 1, text.find("└") - text.find('\n') - 1);
  for (const char* glyph : {"●", "○", "■"})
    CHECK(contains(plot, glyph));
  // Rates read as percentages, on an axis that closes in on them rather than starting at 0%.
  CHECK(contains(text, "%"));
  CHECK(line_starting(text, "0% ┤").empty());
  CHECK(contains(text, "no data"));  // harmony's gap is explained
  CHECK(!contains(text, "\x1b"));
  require_fits(text, 72);
}

TEST_CASE("colour adds ANSI colours to the same drawing", "[chart]") {
  for (const Chart& chart : {active_devices(), crash_free_by_platform()}) {
    std::string plain = render_terminal(chart, 60, false);
    std::string coloured = render_terminal(chart, 60, true);
    CHECK(contains(coloured, "\x1b[34m"));  // the first group's colour
    CHECK(contains(coloured, "\x1b[0m"));
    CHECK(strip_ansi(coloured) == plain);
    require_fits(coloured, 60);
  }
  CHECK(contains(render_terminal(crash_free_by_platform(), 60, true), "\x1b[33m"));
}

TEST_CASE("every line fits the width asked for, or the minimum width below it", "[chart]") {
  Chart cjk{"活跃设备 per region, a title much longer than a narrow terminal can show",
            november_days(5),
            {{"华东地区华东地区华东地区华东地区", {1, 2, 3, 4, 5}}, {"東京", {5, 4, 3, 2, 1}}}};
  Chart huge{"huge", {"a", "b", "c"}, {{"x", {1e300, std::numeric_limits<double>::max(), -1e308}}}};
  Chart long_labels{"long labels", {std::string(300, 'x'), std::string(300, 'y')}, {{"z", {1, 2}}}};
  std::vector<Chart> charts{active_devices(),
                            crash_free_by_platform(),
                            many_groups(12, 40),
                            many_groups(3, 400),
                            cjk,
                            huge,
                            long_labels,
                            many_groups(1, 1),
                            Chart{"empty", {}, {}}};
  for (int width : {-5, 0, 1, 19, 20, 21, 27, 40, 80, 133, 400, 100000}) {
    std::size_t bound = static_cast<std::size_t>(std::clamp(width, 20, 1000));
    for (const auto& chart : charts) {
      INFO(chart.title);
      require_fits(render_terminal(chart, width, false), bound);
      require_fits(render_terminal(chart, width, true), bound);
    }
  }
}

TEST_CASE("more periods than columns are averaged into columns, and a note says so", "[chart]") {
  Chart chart{"active devices per hour", {}, {{"", {}}}};
  for (int hour = 0; hour < 200; ++hour) {
    chart.x_labels.push_back("h" + std::to_string(hour));
    chart.series[0].values.push_back(hour % 2 == 0 ? 100 : 300);  // columns of two: 200
  }
  std::string text = render_terminal(chart, 60, false);
  INFO(text);
  CHECK(contains(text, "note: 200 periods in"));
  CHECK(contains(text, "each the mean of"));
  std::string x_labels = line_starting(text, "h0");
  CHECK(contains(x_labels, "h199"));
  require_fits(text, 60);
  // Fewer periods than columns: no note.
  CHECK(!contains(render_terminal(active_devices(), 80, false), "note:"));
}

TEST_CASE("one period, zeros, gaps and odd values are drawn without failing", "[chart]") {
  SECTION("one period, one group") {
    std::string text = render_terminal(Chart{"t", {"2026-11-01"}, {{"all", {1234567}}}}, 40, false);
    INFO(text);
    CHECK(contains(text, "█"));
    CHECK(contains(text, "2026-11-01"));
    CHECK(contains(text, "max 1,234,567"));
  }
  SECTION("one period, two groups") {
    std::string text = render_terminal(Chart{"t", {"w1"}, {{"a", {5}}, {"b", {7}}}}, 40, false);
    INFO(text);
    CHECK(contains(text, "● a"));
    CHECK(contains(text, "○ b"));
  }
  SECTION("all zeros") {
    std::string text = render_terminal(Chart{"t", {"a", "b", "c"}, {{"x", {0, 0, 0}}}}, 40, false);
    INFO(text);
    CHECK(!line_starting(text, "0 ┤").empty());
    CHECK(contains(text, "max 0, last 0"));
  }
  SECTION("gaps: nullopt, NaN and infinity") {
    double nan = std::numeric_limits<double>::quiet_NaN();
    double infinity = std::numeric_limits<double>::infinity();
    std::string text = render_terminal(
        Chart{"t", november_days(5), {{"x", {3, std::nullopt, nan, infinity, 5}}}}, 40, false);
    INFO(text);
    CHECK(contains(text, "·"));
    CHECK(contains(text, "· no data"));
    CHECK(contains(text, "max 5, last 5"));
    CHECK(!contains(text, "nan"));
    CHECK(!contains(text, "inf"));
  }
  SECTION("huge and negative values") {
    std::string text = render_terminal(
        Chart{"t", november_days(4), {{"x", {-5, 1e300, std::numeric_limits<double>::max(), 2}}}},
        40, false);
    INFO(text);
    CHECK(contains(text, "e+308"));
    CHECK(!contains(text, "nan"));
    CHECK(!contains(text, "inf"));
    std::string negative = render_terminal(Chart{"t", {"a", "b"}, {{"x", {-10, -2}}}}, 40, false);
    INFO(negative);
    CHECK(!line_starting(negative, "-10 ┤").empty());
  }
  SECTION("no series, no periods, or nothing but gaps: (no data)") {
    CHECK(render_terminal(Chart{"t", {}, {}}, 40, false) == "t\n(no data)\n");
    CHECK(render_terminal(Chart{"t", {"a"}, {}}, 40, false) == "t\n(no data)\n");
    CHECK(render_terminal(Chart{"t", {"a"}, {{"x", {std::nullopt}}}}, 40, false) ==
          "t\n(no data)\n");
    CHECK(render_terminal(Chart{"t", {"a", "b"}, {{"x", {}}, {"y", {}}}}, 40, false) ==
          "t\n(no data)\n");
  }
  SECTION("a series shorter than the labels has gaps at its end") {
    std::string text = render_terminal(Chart{"t", november_days(6), {{"x", {1, 2}}}}, 40, false);
    INFO(text);
    CHECK(contains(text, "2026-11-06"));
    CHECK(contains(text, "· no data"));
  }
}

TEST_CASE("eight and more groups each get their own glyph and legend line", "[chart]") {
  std::string text = render_terminal(many_groups(8, 12), 80, false);
  INFO(text);
  const char* glyphs[] = {"●", "○", "■", "□", "▲", "△", "◆", "◇"};
  for (int group = 0; group < 8; ++group) {
    CHECK(!line_starting(text, std::string(glyphs[group]) + " channel-" + std::to_string(group))
               .empty());
  }
  CHECK(!contains(text, "glyphs repeat"));
  std::string many = render_terminal(many_groups(20, 12), 80, false);
  CHECK(lines_of(many).size() > 20);
  CHECK(contains(many, "glyphs repeat after 16 groups"));
}

TEST_CASE("names and labels cannot repaint the terminal or add lines", "[chart][security]") {
  Chart chart{"title\x1b[2J\nforged line", {"a\rb", "c"}, {{"x\x1b]0;pwned\x07", {1, 2}}}};
  std::string text = render_terminal(chart, 80, false);
  INFO(text);
  CHECK(!contains(text, "\x1b"));
  CHECK(!contains(text, "\r"));
  CHECK(!contains(text, "\x07"));
  CHECK(lines_of(text)[0] == "title\\x1b[2J\\nforged line");
  CHECK(contains(text, "x\\x1b]0;pwned\\x07"));
  // With colour, the only escapes are the chart's own colours.
  std::string coloured = strip_ansi(render_terminal(chart, 80, true));
  CHECK(!contains(coloured, "\x1b"));
}

TEST_CASE("the same chart gives the same text", "[chart]") {
  CHECK(render_terminal(crash_free_by_platform(), 70, true) ==
        render_terminal(crash_free_by_platform(), 70, true));
}
