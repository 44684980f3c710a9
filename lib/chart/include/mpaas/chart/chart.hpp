// Charts of a metric over time: one series per group, drawn for a terminal with Unicode
// block characters or written as a standalone SVG document.
//
// A Chart is plain data. Periods are the x axis, in order: `x_labels[i]` names period i and
// `series[g].values[i]` is group g's value in it (nullopt, NaN or infinity: no data, drawn
// as a gap). The number of periods is the longest of `x_labels` and every series' values: a
// shorter series has gaps at its end, a missing label is empty. Names and labels are user
// data (group names come from event fields): both renderers make them safe (escaped for the
// terminal, XML-escaped and stripped of what XML forbids in SVG) and shorten long ones.
//
// The y axis starts at 0 for counts (lower when a value is negative) and ends at a round
// number at or above the largest value; for fractions (rates from 0 to 1, shown as
// percentages) it closes in on the values, so that 98.1% and 99.2% crash-free do not look
// the same. Both renderers are deterministic: the same chart gives the same bytes, whatever
// the locale.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace mpaas::chart {

struct Series {
  std::string name;                           // the group ("android", "2.3.1"); may be empty
  std::vector<std::optional<double>> values;  // one per period; nullopt: no data
};

struct Chart {
  std::string title;                  // e.g. "active-devices, com.example.shop, per day (UTC)"
  std::vector<std::string> x_labels;  // one per period, e.g. "2026-11-01"
  std::vector<Series> series;         // one or several groups
  bool fraction = false;              // values are 0..1 rates: the axis shows percentages
};

// The narrowest and widest terminal a chart is drawn for: a smaller width is drawn at the
// minimum, a larger one at the maximum.
inline constexpr int minimum_terminal_width = 20;
inline constexpr int maximum_terminal_width = 1000;

// The chart as lines of text no wider than `width` columns (counting each code point as one
// column; East Asian wide characters in names and labels count as two). One group is drawn
// as columns of block characters (▁▂▃▄▅▆▇█, a "·" where a period has no data); several
// groups as points, one glyph per group (●, ○, ■, □, ...), so they stay apart without
// colour. Then the y axis labels (top, middle, bottom), the x axis labels (first, middle and
// last periods), one legend line per group with its largest and latest value, and notes:
// when there are more periods than columns, each column shows the mean of a run of periods
// and a note says so. `colour` adds ANSI colours to the bars, points and legend glyphs.
// Every line ends with '\n'.
std::string render_terminal(const Chart& chart, int width, bool colour);

// The chart as a standalone SVG 1.1 document (UTF-8, no script, no external reference):
// title, y axis with round tick values and gridlines, x axis with up to eight period labels,
// one polyline per group (broken at gaps; bars when there is one period) in a colour of a
// fixed palette (dashed once the palette repeats), and a legend with one entry per group.
std::string render_svg(const Chart& chart);

}  // namespace mpaas::chart
