// Charts as standalone SVG documents: well-formed, self-contained, deterministic, and safe
// whatever the names and labels hold.
#include <catch2/catch.hpp>
#include <cctype>
#include <limits>
#include <locale>
#include <set>

#include "chart_checks.hpp"
#include "mpaas/chart/chart.hpp"

using mpaas::chart::Chart;
using mpaas::chart::render_svg;
using mpaas::chart::Series;
using namespace mpaas::test::chart;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1))
    ++count;
  return count;
}

Chart launches_by_platform() {
  Chart chart{"launches, com.example.shop, per day (UTC)", {}, {}};
  Series android{"android", {}}, ios{"ios", {}};
  for (int day = 1; day <= 14; ++day) {
    chart.x_labels.push_back("2026-11-" + std::string(day < 10 ? "0" : "") + std::to_string(day));
    android.values.push_back(12000.0 + 500 * day);
    ios.values.push_back(day == 7 ? std::nullopt : std::optional<double>(8000.0 + 300 * day));
  }
  chart.series = {android, ios};
  return chart;
}

// The series groups' (stroke, dash) pairs, in order.
std::vector<std::string> series_styles(const std::string& svg) {
  std::vector<std::string> styles;
  for (std::size_t at = svg.find("<g class=\"series\""); at != std::string::npos;
       at = svg.find("<g class=\"series\"", at + 1)) {
    std::string tag = svg.substr(at, svg.find('>', at) - at);
    std::size_t stroke = tag.find("stroke=\"");
    std::size_t dash = tag.find("stroke-dasharray=\"");
    styles.push_back(
        tag.substr(stroke, 16) +
        (dash == std::string::npos ? "" : tag.substr(dash, tag.find('"', dash + 18) - dash)));
  }
  return styles;
}

// True when an attribute's name starts with "on" (onload=, onclick=...).
bool has_event_handler(const std::string& svg) {
  for (std::size_t at = svg.find(" on"); at != std::string::npos; at = svg.find(" on", at + 1)) {
    std::size_t end = at + 3;
    while (end < svg.size() && std::isalpha(static_cast<unsigned char>(svg[end])))
      ++end;
    if (end < svg.size() && svg[end] == '=')
      return true;
  }
  return false;
}

// Numbers that group thousands with '.' and write ',' for the decimal point.
struct CommaDecimals : std::numpunct<char> {
  char do_decimal_point() const override { return ','; }
  char do_thousands_sep() const override { return '.'; }
  std::string do_grouping() const override { return "\3"; }
};

}  // namespace

TEST_CASE("an SVG chart is a well-formed standalone document with axes, lines and a legend",
          "[chart]") {
  std::string svg = render_svg(launches_by_platform());
  INFO(svg);
  CHECK(xml_problem(svg) == "");
  CHECK(svg.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ", 0) == 0);
  CHECK(contains(svg, "xmlns=\"http://www.w3.org/2000/svg\""));
  CHECK(contains(svg, "version=\"1.1\""));
  CHECK(contains(svg, "viewBox=\"0 0 800 "));
  CHECK(contains(svg, "width=\"800\""));
  CHECK(contains(svg, "<title>launches, com.example.shop, per day (UTC)</title>"));
  // Nothing that runs or fetches: no script, no link, no URL but the namespace.
  CHECK(!contains(svg, "<script"));
  CHECK(!contains(svg, "href"));
  CHECK(!contains(svg, "url("));
  CHECK(!contains(svg, "<image"));
  CHECK(!contains(svg, "<foreignObject"));
  CHECK(count_of(svg, "http") == 1);
  CHECK(!has_event_handler(svg));
  // Axes, gridlines, round tick labels with thousands separators, period labels.
  CHECK(contains(svg, "<g class=\"axes\""));
  CHECK(count_of(svg, "<g class=\"grid\"") == 2);
  CHECK(contains(svg, ">0</text>"));
  CHECK(contains(svg, ">20,000</text>"));
  CHECK(contains(svg, ">2026-11-01</text>"));
  CHECK(contains(svg, ">2026-11-14</text>"));
  // One line per group in its own colour; ios's gap on day 7 breaks its line in two.
  CHECK(series_styles(svg) == std::vector<std::string>{"stroke=\"#1f77b4\"", "stroke=\"#ff7f0e\""});
  CHECK(count_of(svg, "<polyline") == 3);
  // The legend names each group.
  CHECK(contains(svg, ">android</text>"));
  CHECK(contains(svg, ">ios</text>"));
}

TEST_CASE("SVG text from user data is escaped and stripped of what XML forbids",
          "[chart][security]") {
  std::string hostile = "<script>alert(\"x\")</script> & 'q' ]]> \x01\x1b\xff\xc0\xaf \xe2\x80\xae";
  std::string long_name(500, 'n');
  Chart chart{hostile,
              {hostile, "</svg>"},
              {{hostile, {1, 2}}, {long_name, {2, 1}}, {"华东地区 ✓ émoji 🎉", {3, 3}}}};
  std::string svg = render_svg(chart);
  INFO(svg);
  CHECK(xml_problem(svg) == "");
  CHECK(!contains(svg, "<script"));
  CHECK(contains(svg,
                 "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &apos;q&apos; ]]&gt;"));
  CHECK(count_of(svg, "</svg>") == 1);
  CHECK(!contains(svg, "\x1b"));
  CHECK(!contains(svg, "\xff"));
  CHECK(!contains(svg, "\xe2\x80\xae"));  // a right-to-left override would make a label lie
  CHECK(contains(svg, "\xef\xbf\xbd"));   // what was unsafe is U+FFFD
  CHECK(contains(svg, "华东地区 ✓ émoji 🎉"));
  // A long name is cut in the legend; the whole of it is the entry's tooltip.
  CHECK(contains(svg, ">" + std::string(59, 'n') + "…</text>"));
  CHECK(contains(svg, "<title>" + std::string(239, 'n') + "…</title>"));
}

TEST_CASE("one period is drawn as bars, one per group", "[chart]") {
  std::string svg = render_svg(Chart{"t", {"2026-11"}, {{"a", {5}}, {"b", {7}}, {"c", {}}}});
  INFO(svg);
  CHECK(xml_problem(svg) == "");
  CHECK(count_of(svg, "<rect") == 3);  // the background and two bars; c has no data
  CHECK(contains(svg, "fill=\"#1f77b4\"/>"));
  CHECK(contains(svg, "fill=\"#ff7f0e\"/>"));
  CHECK(!contains(svg, "<polyline"));
  CHECK(contains(svg, ">2026-11</text>"));
}

TEST_CASE("groups past the palette's ten colours are told apart by dashes", "[chart]") {
  Chart chart{"t", {"a", "b", "c"}, {}};
  for (int group = 0; group < 25; ++group)
    chart.series.push_back({"g" + std::to_string(group), {1.0 * group, 2.0, 3.0}});
  std::string svg = render_svg(chart);
  CHECK(xml_problem(svg) == "");
  auto styles = series_styles(svg);
  CHECK(styles.size() == 25);
  CHECK(std::set<std::string>(styles.begin(), styles.end()).size() == 25);
  CHECK(contains(svg, ">g24</text>"));
}

TEST_CASE("odd SVG charts stay well-formed: empty, gaps, huge, negative, rates", "[chart]") {
  double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<Chart> charts{
      Chart{"empty", {}, {}},
      Chart{"no values", {"a", "b"}, {{"x", {std::nullopt, nan}}}},
      Chart{"isolated points", {"a", "b", "c", "d", "e"}, {{"x", {1, std::nullopt, 3, nan, 5}}}},
      Chart{"huge", {"a", "b", "c"}, {{"x", {std::numeric_limits<double>::max(), -1e308, 0}}}},
      Chart{"negative", {"a", "b"}, {{"x", {-3, -1}}}},
      Chart{"zeros", {"a", "b"}, {{"x", {0, 0}}}},
      Chart{"rates", {"a", "b"}, {{"v1", {0.981, 0.992}}, {"v2", {0.99, 0.995}}}, true},
  };
  for (const auto& chart : charts) {
    std::string svg = render_svg(chart);
    INFO(svg);
    CHECK(xml_problem(svg) == "");
    CHECK(!contains(svg, "nan"));
    CHECK(!contains(svg, "inf"));
  }
  CHECK(contains(render_svg(charts[0]), ">no data</text>"));
  CHECK(count_of(render_svg(charts[2]), "<circle") == 3);  // each point alone: a dot
  CHECK(contains(render_svg(charts[6]), "%</text>"));
}

TEST_CASE("the same chart gives the same SVG bytes, whatever the global locale", "[chart]") {
  Chart chart{"t", {"a", "b", "c"}, {{"x", {0.5, 1.25, 2125}}, {"y", {1.0 / 3, 2.0 / 3, 1}}}};
  std::string first = render_svg(chart);
  CHECK(render_svg(chart) == first);
  std::string in_another_locale, terminal_in_another_locale;
  std::locale previous =
      std::locale::global(std::locale(std::locale::classic(), new CommaDecimals));
  in_another_locale = render_svg(chart);
  terminal_in_another_locale = mpaas::chart::render_terminal(chart, 60, false);
  std::locale::global(previous);
  CHECK(in_another_locale == first);
  CHECK(terminal_in_another_locale == mpaas::chart::render_terminal(chart, 60, false));
  // Coordinates are plain numbers: digits, one '.', a leading '-'.
  for (const char* attribute : {" x=\"", " y=\"", " cx=\"", " cy=\"", " height=\""}) {
    for (std::size_t at = first.find(attribute); at != std::string::npos;
         at = first.find(attribute, at + 1)) {
      std::size_t start = at + std::string(attribute).size();
      std::string value = first.substr(start, first.find('"', start) - start);
      INFO(attribute << value);
      CHECK(value.find_first_not_of("0123456789.-") == std::string::npos);
    }
  }
}
