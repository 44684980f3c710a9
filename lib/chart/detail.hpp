// What the terminal and SVG renderers share: the periods of a chart, the y axis, number
// labels and the width of text. Private to lib/chart.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mpaas/chart/chart.hpp"

namespace mpaas::chart::detail {

// The number of periods: the longest of the labels and of every series.
std::size_t period_count(const Chart& chart);

// A series' value in period `index`, or nullopt when it has none there or it is not finite.
std::optional<double> value_at(const Series& series, std::size_t index);

// The smallest and largest finite value among `values`, or nullopt when there is none.
struct Extent {
  double min = 0;
  double max = 0;
};
std::optional<Extent> extent_of(const std::vector<std::optional<double>>& values);
std::optional<Extent> merge(std::optional<Extent> a, std::optional<Extent> b);

// The y axis: from `lo` to `hi` (lo < hi, both finite) in round steps of `step`. Every
// computation on it halves first, so values near the largest double do not overflow.
struct Axis {
  double lo = 0;
  double hi = 1;
  double step = 0.25;
  bool fraction = false;
  bool compact = false;  // labels in scientific notation: too large or too small for digits
  int decimals = 0;      // digits after the point in tick labels (of percent for fractions)
};
Axis make_axis(Extent data, bool fraction);

// Where `value` sits on the axis: 0 at lo, 1 at hi, clamped.
double position(const Axis& axis, double value);

// The value at `fraction` of the way from lo to hi.
double value_at_position(const Axis& axis, double fraction);

// Round tick values from lo to hi, at most nine.
std::vector<double> ticks(const Axis& axis);

// A tick label: "12,500", "2.5", "98.5%", "1.2e+15".
std::string tick_label(const Axis& axis, double value);

// A value exactly as a reader wants it in a legend: "12,431", "0.25", "98.14%", "1.23e+15".
std::string exact_label(double value, bool fraction);

// `digits` (an optional '-', digits, an optional fraction) with a ',' every three digits of
// the integer part.
std::string group_thousands(std::string_view digits);

// Display width of valid UTF-8 text: one column per code point, two for East Asian wide and
// fullwidth characters (an estimate that never comes out narrower than a terminal draws).
std::size_t display_width(std::string_view text);

// `text` cut to at most `width` columns, ending in "…" when it was cut.
std::string truncate_to_width(std::string_view text, std::size_t width);

// The code points of `text`, with each byte that is not part of valid UTF-8 as U+FFFD.
std::vector<char32_t> decode_utf8(std::string_view text);
void append_utf8(std::string& out, char32_t code_point);

}  // namespace mpaas::chart::detail
