// The chart as a standalone SVG 1.1 document (see chart.hpp). Every coordinate is printed
// with std::to_chars (no locale) and nothing depends on time or chance, so the same chart
// always gives the same bytes.
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include "detail.hpp"
#include "mpaas/chart/chart.hpp"

namespace mpaas::chart {

using namespace detail;

namespace {

// The page: a fixed width, the plot's height fixed, the legend below it one row a group.
constexpr double page_width = 800;
constexpr double title_height = 48;
constexpr double plot_height = 300;
constexpr double right_margin = 24;
constexpr double x_label_band = 40;
constexpr double legend_row = 20;
constexpr double bottom_margin = 12;
constexpr double char_width = 7;  // of a 12px sans-serif digit, for laying out labels
constexpr std::size_t longest_title = 100;
constexpr std::size_t longest_name = 60;
constexpr std::size_t longest_x_label = 24;
constexpr std::size_t most_x_labels = 8;
constexpr std::size_t most_marked_periods = 60;  // beyond, points would crowd the lines

// Tableau 10: distinct hues that stay distinct for most colour-blind readers; once they
// repeat, the line is dashed.
const char* const palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                               "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
const char* const dashes[] = {"", "8 4", "2 3", "8 3 2 3"};

const char* colour_of(std::size_t group) {
  return palette[group % std::size(palette)];
}
const char* dash_of(std::size_t group) {
  return dashes[(group / std::size(palette)) % std::size(dashes)];
}

std::string number(double value) {
  std::array<char, 64> buffer{};
  auto [end, error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(),
                                    std::round(value * 10) / 10 + 0.0, std::chars_format::fixed, 1);
  std::string text = error == std::errc() ? std::string(buffer.data(), end) : "0";
  if (text.size() > 2 && text.compare(text.size() - 2, 2, ".0") == 0)
    text.resize(text.size() - 2);
  return text == "-0" ? "0" : text;
}

// Code points XML 1.0 forbids, and those that would make a label lie about its own text
// (other controls, bidi overrides): each becomes U+FFFD.
bool is_unsafe(char32_t code_point) {
  return code_point < 0x20 || (code_point >= 0x7f && code_point <= 0x9f) ||
         (code_point >= 0x202a && code_point <= 0x202e) ||
         (code_point >= 0x2066 && code_point <= 0x2069) || code_point == 0x200e ||
         code_point == 0x200f || code_point == 0xfffe || code_point == 0xffff;
}

// User text as XML character data or an attribute value: valid UTF-8, no code point XML
// forbids, the five special characters as entities, cut to `width` columns.
std::string xml_text(std::string_view text, std::size_t width) {
  std::string safe;
  for (char32_t code_point : decode_utf8(text)) {
    if (code_point == '\t' || code_point == '\n' || code_point == '\r')
      code_point = ' ';
    append_utf8(safe, is_unsafe(code_point) ? 0xfffd : code_point);
  }
  safe = truncate_to_width(safe, width);
  std::string escaped;
  for (char c : safe) {
    switch (c) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      case '\'':
        escaped += "&apos;";
        break;
      default:
        escaped += c;
    }
  }
  return escaped;
}

// Where the plot sits on the page.
struct Frame {
  double left = 0, top = title_height, width = 0, height = plot_height;
  double right() const { return left + width; }
  double bottom() const { return top + height; }
};

struct Layout {
  Frame frame;
  Axis axis;
  std::size_t periods = 0;
  double x(std::size_t period) const {
    if (periods <= 1)
      return frame.left + frame.width / 2;
    return frame.left +
           frame.width * static_cast<double>(period) / static_cast<double>(periods - 1);
  }
  double y(double value) const { return frame.bottom() - frame.height * position(axis, value); }
};

std::string line(double x1, double y1, double x2, double y2) {
  return "<line x1=\"" + number(x1) + "\" y1=\"" + number(y1) + "\" x2=\"" + number(x2) +
         "\" y2=\"" + number(y2) + "\"/>\n";
}

std::string text_at(double x, double y, const std::string& escaped, const std::string& extra = "") {
  return "<text x=\"" + number(x) + "\" y=\"" + number(y) + "\"" + extra + ">" + escaped +
         "</text>\n";
}

std::string y_axis(const Layout& layout) {
  std::string grid = "<g class=\"grid\" stroke=\"#e4e4e4\" stroke-width=\"1\">\n";
  std::string labels = "<g class=\"y-labels\" text-anchor=\"end\" fill=\"#333333\">\n";
  for (double tick : ticks(layout.axis)) {
    double y = layout.y(tick);
    grid += line(layout.frame.left, y, layout.frame.right(), y);
    labels += text_at(layout.frame.left - 8, y + 4, xml_text(tick_label(layout.axis, tick), 32));
  }
  return grid + "</g>\n" + labels + "</g>\n";
}

// Up to eight period labels, evenly spread from the first period to the last.
std::vector<std::size_t> x_label_periods(const Chart& chart, const Layout& layout) {
  std::size_t longest = 1;
  for (const auto& label : chart.x_labels)
    longest = std::max(longest, std::min(display_width(label), longest_x_label));
  auto fitting = static_cast<std::size_t>(layout.frame.width /
                                          (static_cast<double>(longest) * char_width + 16));
  std::size_t count = std::clamp<std::size_t>(fitting, 1, most_x_labels);
  count = std::min(count, layout.periods);
  std::vector<std::size_t> periods;
  for (std::size_t index = 0; index < count; ++index) {
    periods.push_back(count == 1 ? 0
                                 : static_cast<std::size_t>(std::llround(
                                       static_cast<double>(index * (layout.periods - 1)) /
                                       static_cast<double>(count - 1))));
  }
  return periods;
}

std::string x_axis(const Chart& chart, const Layout& layout) {
  std::string grid = "<g class=\"grid\" stroke=\"#f0f0f0\" stroke-width=\"1\">\n";
  std::string labels = "<g class=\"x-labels\" text-anchor=\"middle\" fill=\"#333333\">\n";
  std::vector<std::size_t> periods = x_label_periods(chart, layout);
  for (std::size_t index = 0; index < periods.size(); ++index) {
    double x = layout.x(periods[index]);
    grid += line(x, layout.frame.top, x, layout.frame.bottom());
    std::string label =
        periods[index] < chart.x_labels.size() ? chart.x_labels[periods[index]] : "";
    // The first and last labels stay inside the page: they start and end at their period.
    std::string anchor = periods.size() < 2            ? ""
                         : index == 0                  ? " text-anchor=\"start\""
                         : index + 1 == periods.size() ? " text-anchor=\"end\""
                                                       : "";
    labels += text_at(x, layout.frame.bottom() + 18, xml_text(label, longest_x_label), anchor);
  }
  std::string axes =
      "<g class=\"axes\" stroke=\"#333333\" stroke-width=\"1\">\n" +
      line(layout.frame.left, layout.frame.top, layout.frame.left, layout.frame.bottom()) +
      line(layout.frame.left, layout.frame.bottom(), layout.frame.right(), layout.frame.bottom()) +
      "</g>\n";
  return grid + "</g>\n" + axes + labels + "</g>\n";
}

std::string stroke_attributes(std::size_t group) {
  std::string attributes = " fill=\"none\" stroke=\"" + std::string(colour_of(group)) +
                           "\" stroke-width=\"2\" stroke-linejoin=\"round\"";
  if (*dash_of(group) != '\0')
    attributes += " stroke-dasharray=\"" + std::string(dash_of(group)) + "\"";
  return attributes;
}

// One group's line, broken where it has no data, with a dot on each point when there are
// few periods (and always on a point that has no neighbour to join).
std::string series_lines(const Series& series, std::size_t group, const Layout& layout) {
  std::string lines = "<g class=\"series\"" + stroke_attributes(group) + ">\n";
  std::string dots = "<g class=\"points\" fill=\"" + std::string(colour_of(group)) + "\">\n";
  std::string points;
  std::size_t run = 0;
  auto close_run = [&](std::size_t last) {
    if (run >= 2)
      lines += "<polyline points=\"" + points + "\"/>\n";
    if (run == 1 || (run >= 2 && layout.periods <= most_marked_periods)) {
      for (std::size_t period = last + 1 - run; period <= last; ++period)
        dots += "<circle cx=\"" + number(layout.x(period)) + "\" cy=\"" +
                number(layout.y(*value_at(series, period))) + "\" r=\"3\"/>\n";
    }
    points.clear();
    run = 0;
  };
  for (std::size_t period = 0; period < layout.periods; ++period) {
    auto value = value_at(series, period);
    if (!value) {
      if (run > 0)
        close_run(period - 1);
      continue;
    }
    if (!points.empty())
      points += ' ';
    points += number(layout.x(period)) + "," + number(layout.y(*value));
    ++run;
  }
  if (run > 0)
    close_run(layout.periods - 1);
  return lines + "</g>\n" + dots + "</g>\n";
}

// One period: a bar per group, side by side, from the bottom of the axis.
std::string single_period_bars(const Chart& chart, const Layout& layout) {
  double cluster = layout.frame.width * 0.6;
  double bar = cluster / static_cast<double>(chart.series.size());
  double left = layout.x(0) - cluster / 2;
  std::string bars = "<g class=\"bars\">\n";
  for (std::size_t group = 0; group < chart.series.size(); ++group) {
    auto value = value_at(chart.series[group], 0);
    if (!value)
      continue;
    double top = layout.y(*value);
    bars += "<rect x=\"" + number(left + bar * static_cast<double>(group) + bar * 0.1) + "\" y=\"" +
            number(top) + "\" width=\"" + number(bar * 0.8) + "\" height=\"" +
            number(layout.frame.bottom() - top) + "\" fill=\"" + colour_of(group) + "\"/>\n";
  }
  return bars + "</g>\n";
}

std::string legend(const Chart& chart, double top) {
  std::string entries = "<g class=\"legend\" fill=\"#222222\">\n";
  for (std::size_t group = 0; group < chart.series.size(); ++group) {
    double y = top + legend_row * static_cast<double>(group);
    const std::string& name = chart.series[group].name;
    std::string shown = name.empty() ? "(all)" : name;
    entries += "<g>\n";
    if (display_width(shown) > longest_name)  // the whole name as a tooltip
      entries += "<title>" + xml_text(shown, 4 * longest_name) + "</title>\n";
    entries += "<line x1=\"" + number(40) + "\" y1=\"" + number(y - 4) + "\" x2=\"" + number(64) +
               "\" y2=\"" + number(y - 4) + "\"" + stroke_attributes(group) + "/>\n";
    entries += text_at(72, y, xml_text(shown, longest_name));
    entries += "</g>\n";
  }
  return entries + "</g>\n";
}

double left_margin_for(const Axis& axis) {
  std::size_t widest = 0;
  for (double tick : ticks(axis))
    widest = std::max(widest, display_width(tick_label(axis, tick)));
  return std::clamp(16 + char_width * static_cast<double>(widest), 56.0, 200.0);
}

}  // namespace

std::string render_svg(const Chart& chart) {
  std::size_t periods = period_count(chart);
  std::optional<Extent> extent;
  for (const auto& series : chart.series)
    extent = merge(extent, extent_of(series.values));

  Layout layout;
  layout.periods = periods;
  if (extent) {
    layout.axis = make_axis(*extent, chart.fraction);
    layout.frame.left = left_margin_for(layout.axis);
  }
  layout.frame.width = page_width - layout.frame.left - right_margin;
  double legend_top = layout.frame.bottom() + x_label_band + 14;
  double height = extent ? legend_top + legend_row * static_cast<double>(chart.series.size()) +
                               bottom_margin - legend_row
                         : title_height + 60;

  std::string title = xml_text(chart.title, longest_title);
  std::string svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" + number(page_width) +
         "\" height=\"" + number(height) + "\" viewBox=\"0 0 " + number(page_width) + " " +
         number(height) + "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg += "<title>" + title + "</title>\n";
  svg += "<rect x=\"0\" y=\"0\" width=\"" + number(page_width) + "\" height=\"" + number(height) +
         "\" fill=\"#ffffff\"/>\n";
  svg += text_at(page_width / 2, 28, title,
                 " class=\"title\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\"");
  if (!extent || periods == 0) {
    svg += text_at(page_width / 2, title_height + 32, "no data",
                   " text-anchor=\"middle\" fill=\"#666666\"");
    return svg + "</svg>\n";
  }
  svg += y_axis(layout);
  svg += x_axis(chart, layout);
  if (periods == 1) {
    svg += single_period_bars(chart, layout);
  } else {
    for (std::size_t group = 0; group < chart.series.size(); ++group)
      svg += series_lines(chart.series[group], group, layout);
  }
  svg += legend(chart, legend_top);
  return svg + "</svg>\n";
}

}  // namespace mpaas::chart
