// The chart drawn for a terminal (see chart.hpp): block columns for one group, one glyph
// per group for several, axis labels, a legend and notes, never wider than asked.
#include <algorithm>
#include <cmath>

#include "detail.hpp"
#include "mpaas/chart/chart.hpp"
#include "mpaas/core/output.hpp"

namespace mpaas::chart {

using namespace detail;

namespace {

constexpr int bar_rows = 8;    // 8 rows of 8 eighths: 64 levels
constexpr int point_rows = 9;  // rows 0, 4 and 8 sit exactly at the bottom, middle and top
constexpr std::size_t widest_slot = 6;
constexpr std::size_t narrowest_plot = 10;

const char* const eighths[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
// Glyphs that tell groups apart without colour; "*" marks a point several groups share.
const char* const glyphs[] = {"●", "○", "■", "□", "▲", "△", "◆", "◇",
                              "▼", "▽", "★", "☆", "×", "+", "#", "@"};
constexpr std::size_t glyph_count = std::size(glyphs);
const char* const shared_glyph = "*";
const char* const gap_glyph = "·";
const int ansi_colours[] = {34, 33, 32, 31, 35, 36, 94, 93, 92, 91, 95, 96};

// One character cell of the plot, with the group whose colour it takes (none: -1).
struct Cell {
  const char* text = " ";
  int group = -1;
};

// The periods as the columns drawn: all of them when they fit, else runs of neighbouring
// periods averaged into one column each.
struct Columns {
  std::size_t periods = 0;
  std::size_t count = 0;  // columns with data (buckets)
  std::size_t slot = 1;   // character cells per column
  std::size_t first(std::size_t column) const { return column * periods / count; }
  std::size_t end(std::size_t column) const { return (column + 1) * periods / count; }
  bool bucketed() const { return count < periods; }
};

Columns lay_out_columns(std::size_t periods, std::size_t plot_width) {
  Columns columns;
  columns.periods = periods;
  columns.count = std::min(periods, plot_width);
  columns.slot = std::clamp<std::size_t>(plot_width / columns.count, 1, widest_slot);
  return columns;
}

// Each column's value: the mean of the values its periods have (nullopt when none has one).
std::vector<std::optional<double>> column_values(const Series& series, const Columns& columns) {
  std::vector<std::optional<double>> values(columns.count);
  for (std::size_t column = 0; column < columns.count; ++column) {
    std::size_t present = 0;
    for (std::size_t period = columns.first(column); period < columns.end(column); ++period)
      present += value_at(series, period) ? 1 : 0;
    if (present == 0)
      continue;
    double mean = 0;  // a sum of shares, which cannot overflow where a plain sum could
    for (std::size_t period = columns.first(column); period < columns.end(column); ++period) {
      if (auto value = value_at(series, period))
        mean += *value / static_cast<double>(present);
    }
    values[column] = mean;
  }
  return values;
}

std::string colour_on(int group) {
  return "\x1b[" + std::to_string(ansi_colours[group % std::size(ansi_colours)]) + "m";
}
const char* const colour_off = "\x1b[0m";

std::string coloured(const std::string& text, int group, bool colour) {
  return colour ? colour_on(group) + text + colour_off : text;
}

std::string spaces(std::size_t count) {
  return std::string(count, ' ');
}

std::string pad_left(const std::string& text, std::size_t width) {
  std::size_t shown = display_width(text);
  return shown >= width ? text : spaces(width - shown) + text;
}

// A row of cells as text, colours switched only where they change, trailing blanks dropped.
std::string row_text(const std::vector<Cell>& cells, bool colour) {
  std::size_t used = cells.size();
  while (used > 0 && cells[used - 1].group < 0 && std::string_view(cells[used - 1].text) == " ")
    --used;
  std::string text;
  int current = -1;
  for (std::size_t index = 0; index < used; ++index) {
    int wanted = colour ? cells[index].group : -1;
    if (wanted != current) {
      text += wanted < 0 ? std::string(colour_off) : colour_on(wanted);
      current = wanted;
    }
    text += cells[index].text;
  }
  if (current >= 0)
    text += colour_off;
  return text;
}

// Words of `text` wrapped into lines of at most `width` columns (a word longer than a line
// is cut).
std::vector<std::string> wrap(const std::string& text, std::size_t width) {
  std::vector<std::string> lines;
  std::string line;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos)
      end = text.size();
    std::string word = text.substr(start, end - start);
    start = end + 1;
    if (word.empty())
      continue;
    if (!line.empty() && display_width(line) + 1 + display_width(word) > width) {
      lines.push_back(line);
      line.clear();
    }
    line = truncate_to_width(line.empty() ? word : line + " " + word, width);
  }
  if (!line.empty())
    lines.push_back(line);
  return lines;
}

std::string group_name(const Series& series) {
  return series.name.empty() ? "(all)" : escape_for_terminal(series.name);
}

// The plot: its rows of cells, bottom row first, and what the notes must mention.
struct Plot {
  std::vector<std::vector<Cell>> rows;
  bool has_gap = false;
  bool has_shared_point = false;
};

std::size_t bar_width(const Columns& columns) {
  return columns.slot >= 3 ? columns.slot - 1 : columns.slot;  // a blank between wide bars
}

// The cell column a plot column is centred on.
std::size_t centre_of(const Columns& columns, std::size_t column, bool bars) {
  std::size_t width = bars ? bar_width(columns) : columns.slot;
  return column * columns.slot + (width - 1) / 2;
}

Plot draw_bars(const std::vector<std::optional<double>>& values, const Columns& columns,
               const Axis& axis) {
  Plot plot;
  plot.rows.assign(bar_rows, std::vector<Cell>(columns.count * columns.slot));
  for (std::size_t column = 0; column < values.size(); ++column) {
    std::size_t left = column * columns.slot;
    const auto& value = values[column];
    int height = 0;  // in eighths of a row
    if (value) {
      height = static_cast<int>(std::lround(position(axis, *value) * bar_rows * 8));
      if (height == 0 && *value > axis.lo)
        height = 1;  // a value above the floor never looks like nothing
    } else {
      plot.has_gap = true;
    }
    for (std::size_t cell = left; cell < left + bar_width(columns); ++cell) {
      if (!value) {
        plot.rows[0][cell] = Cell{gap_glyph, -1};
        continue;
      }
      for (int row = 0; row < bar_rows; ++row) {
        int fill = std::clamp(height - row * 8, 0, 8);
        if (fill > 0)
          plot.rows[static_cast<std::size_t>(row)][cell] = Cell{eighths[fill], 0};
      }
    }
  }
  return plot;
}

Plot draw_points(const std::vector<std::vector<std::optional<double>>>& groups,
                 const Columns& columns, const Axis& axis) {
  Plot plot;
  plot.rows.assign(point_rows, std::vector<Cell>(columns.count * columns.slot));
  for (std::size_t group = 0; group < groups.size(); ++group) {
    for (std::size_t column = 0; column < columns.count; ++column) {
      const auto& value = groups[group][column];
      if (!value) {
        plot.has_gap = true;
        continue;
      }
      auto row = static_cast<std::size_t>(std::lround(position(axis, *value) * (point_rows - 1)));
      Cell& cell = plot.rows[row][centre_of(columns, column, false)];
      if (cell.group >= 0) {
        cell = Cell{shared_glyph, -1};
        plot.has_shared_point = true;
      } else if (cell.text != shared_glyph) {
        cell = Cell{glyphs[group % glyph_count], static_cast<int>(group)};
      }
    }
  }
  return plot;
}

// The period labels under the axis: first, middle and last where they fit, else the first
// and the last on a line each (one line, or two, without the final '\n').
std::string x_axis_labels(const Chart& chart, const Columns& columns, std::size_t offset,
                          std::size_t width, bool bars) {
  auto label = [&](std::size_t period) {
    return period < chart.x_labels.size() ? escape_for_terminal(chart.x_labels[period]) : "";
  };
  std::string first = label(0);
  if (columns.periods == 1)
    return truncate_to_width(spaces(offset) + first, width);
  std::string last = label(columns.periods - 1);
  std::size_t first_end = offset + display_width(first);
  std::size_t last_end = std::min(width, offset + centre_of(columns, columns.count - 1, bars) + 1);
  last_end = std::max(last_end, std::min(width, first_end + 2 + display_width(last)));
  if (last_end < first_end + 2 + display_width(last)) {
    std::string last_line = truncate_to_width(last, width);
    return truncate_to_width(first, width) + "\n" + spaces(width - display_width(last_line)) +
           last_line;
  }
  std::size_t last_start = last_end - display_width(last);
  std::string line = spaces(offset) + first;
  std::size_t middle_column = columns.count / 2;
  std::string middle = label(columns.first(middle_column));
  std::size_t middle_centre = offset + centre_of(columns, middle_column, bars);
  std::size_t middle_start = middle_centre - std::min(middle_centre, display_width(middle) / 2);
  if (columns.count >= 3 && middle_start >= first_end + 2 &&
      middle_start + display_width(middle) + 2 <= last_start) {
    line += spaces(middle_start - first_end) + middle;
    first_end = middle_start + display_width(middle);
  }
  return line + spaces(last_start - first_end) + last;
}

// What a legend line can say of a series, longest first: "max 12,431, last 11,020",
// "last 11,020", nothing; or "no data".
std::vector<std::string> legend_figures(const Series& series, bool fraction) {
  std::optional<double> largest, latest;
  for (const auto& value : series.values) {
    if (!value || !std::isfinite(*value))
      continue;
    largest = largest ? std::max(*largest, *value) : *value;
    latest = *value;
  }
  if (!largest)
    return {"  no data", ""};
  std::string last = "last " + exact_label(*latest, fraction);
  return {"  max " + exact_label(*largest, fraction) + ", " + last, "  " + last, ""};
}

// The glyph, the name and as many figures as leave the name room (all of it, or 8 columns).
std::string legend_line(const Series& series, const std::string& glyph, int group,
                        const Chart& chart, std::size_t width, bool colour) {
  std::string name = group_name(series);
  std::size_t head = display_width(glyph) + 1;
  std::size_t wanted = std::min<std::size_t>(display_width(name), 8);
  for (const auto& figures : legend_figures(series, chart.fraction)) {
    std::size_t room = width - std::min(width, head + display_width(figures));
    if (room >= wanted || figures.empty())
      return coloured(glyph, group, colour) + " " + truncate_to_width(name, room) + figures;
  }
  return "";  // not reached: the last choice has no figures
}

std::vector<std::string> notes(const Chart& chart, const Columns& columns, const Plot& plot,
                               bool bars) {
  std::vector<std::string> lines;
  if (columns.bucketed()) {
    std::size_t fewest = columns.periods / columns.count;
    std::size_t most = fewest + (columns.periods % columns.count == 0 ? 0 : 1);
    lines.push_back("note: " + std::to_string(columns.periods) + " periods in " +
                    std::to_string(columns.count) + " columns, each the mean of " +
                    (fewest == most ? std::to_string(fewest)
                                    : std::to_string(fewest) + " to " + std::to_string(most)) +
                    " periods");
  }
  if (plot.has_gap)
    lines.push_back(bars ? "· no data" : "a missing point: no data");
  if (plot.has_shared_point)
    lines.push_back("* several groups at one point");
  if (!bars && chart.series.size() > glyph_count)
    lines.push_back("glyphs repeat after " + std::to_string(glyph_count) + " groups");
  return lines;
}

// The y axis labels (top, middle, bottom) and the width they take.
struct YLabels {
  std::string top, middle, bottom;
  std::size_t width = 0;
};

YLabels y_labels(Axis axis, std::size_t width) {
  // "1.2e+11" is narrower than "123,456,789,012": compact labels when digits leave no room.
  YLabels labels;
  for (int attempt = 0; attempt < 2; ++attempt) {
    labels.top = tick_label(axis, axis.hi);
    labels.middle = tick_label(axis, value_at_position(axis, 0.5));
    labels.bottom = tick_label(axis, axis.lo);
    labels.width = std::max(
        {display_width(labels.top), display_width(labels.middle), display_width(labels.bottom)});
    if (labels.width + 2 + narrowest_plot <= width)
      break;
    axis.compact = true;
  }
  return labels;
}

}  // namespace

std::string render_terminal(const Chart& chart, int width, bool colour) {
  std::size_t columns_wide =
      static_cast<std::size_t>(std::clamp(width, minimum_terminal_width, maximum_terminal_width));
  std::string out = truncate_to_width(escape_for_terminal(chart.title), columns_wide) + "\n";

  std::size_t periods = period_count(chart);
  std::optional<Extent> extent;
  for (const auto& series : chart.series)
    extent = merge(extent, extent_of(series.values));
  if (periods == 0 || !extent)
    return out + "(no data)\n";

  bool bars = chart.series.size() == 1;
  // The axis spans the values themselves, not the means drawn when periods share a column:
  // its top is then the true peak, which the legend repeats.
  Axis axis = make_axis(*extent, chart.fraction);
  YLabels labels = y_labels(axis, columns_wide);
  labels.width = std::min(labels.width, columns_wide - narrowest_plot - 2);
  std::size_t offset = labels.width + 2;
  Columns columns = lay_out_columns(periods, columns_wide - offset);
  std::vector<std::vector<std::optional<double>>> values;
  for (const auto& series : chart.series)
    values.push_back(column_values(series, columns));

  Plot plot = bars ? draw_bars(values[0], columns, axis) : draw_points(values, columns, axis);
  int rows = static_cast<int>(plot.rows.size());
  for (int row = rows - 1; row >= 0; --row) {
    std::string label = row == rows - 1   ? labels.top
                        : row == rows / 2 ? labels.middle
                        : row == 0        ? labels.bottom
                                          : "";
    std::string tick = label.empty() ? "│" : "┤";
    out += pad_left(truncate_to_width(label, labels.width), labels.width) + " " + tick +
           row_text(plot.rows[static_cast<std::size_t>(row)], colour) + "\n";
  }
  std::string rule;
  for (std::size_t cell = 0; cell < columns.count * columns.slot; ++cell)
    rule += "─";
  out += spaces(labels.width + 1) + "└" + rule + "\n";
  out += x_axis_labels(chart, columns, offset, columns_wide, bars) + "\n";

  for (std::size_t group = 0; group < chart.series.size(); ++group) {
    std::string glyph = bars ? "█" : glyphs[group % glyph_count];
    out += legend_line(chart.series[group], glyph, static_cast<int>(group), chart, columns_wide,
                       colour) +
           "\n";
  }
  for (const auto& note : notes(chart, columns, plot, bars)) {
    for (const auto& line : wrap(note, columns_wide))
      out += line + "\n";
  }
  return out;
}

}  // namespace mpaas::chart
