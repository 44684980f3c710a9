// The axis, number labels and text widths both renderers share (see detail.hpp).
#include "detail.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <tuple>
#include <utility>

namespace mpaas::chart::detail {

std::size_t period_count(const Chart& chart) {
  std::size_t count = chart.x_labels.size();
  for (const auto& series : chart.series)
    count = std::max(count, series.values.size());
  return count;
}

std::optional<double> value_at(const Series& series, std::size_t index) {
  if (index >= series.values.size() || !series.values[index] ||
      !std::isfinite(*series.values[index]))
    return std::nullopt;
  return *series.values[index];
}

std::optional<Extent> extent_of(const std::vector<std::optional<double>>& values) {
  std::optional<Extent> extent;
  for (const auto& value : values) {
    if (!value || !std::isfinite(*value))
      continue;
    if (!extent) {
      extent = Extent{*value, *value};
    } else {
      extent->min = std::min(extent->min, *value);
      extent->max = std::max(extent->max, *value);
    }
  }
  return extent;
}

std::optional<Extent> merge(std::optional<Extent> a, std::optional<Extent> b) {
  if (!a)
    return b;
  if (!b)
    return a;
  return Extent{std::min(a->min, b->min), std::max(a->max, b->max)};
}

namespace {

// The distance from lo to hi, halved so that it cannot overflow.
double half_span(double lo, double hi) {
  return hi / 2 - lo / 2;
}

// A round step (1, 2, 2.5 or 5 times a power of ten) at or above `raw`.
double nice_step(double raw) {
  if (!(raw > 0) || !std::isfinite(raw))
    return 1;
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  if (!(magnitude > 0) || !std::isfinite(magnitude))
    return raw;  // subnormal: no round step to find
  for (double factor : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (raw <= factor * magnitude * (1 + 1e-9))
      return factor * magnitude;
  }
  return 10 * magnitude;
}

// Digits after the point that show every multiple of `step` exactly (of step/2 for the
// middle label, which the caller trims when it ends in zeros).
int decimals_for(double step) {
  if (!(step > 0))
    return 0;
  int decimals = static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
  double scaled = step * std::pow(10.0, decimals);
  if (std::abs(scaled - std::round(scaled)) > 1e-6)
    ++decimals;  // 2.5, 0.25: one more digit
  return std::max(0, decimals + 1);
}

// The range a fraction's axis shows: from 0, unless the values sit high above it (crash-free
// rates near 100%), where it closes in so that their differences show.
std::pair<double, double> fraction_range(Extent data) {
  double span = data.max - data.min;
  double pad = std::max(span * 0.25, 0.005);
  double lo = data.min - pad;
  double hi = span == 0 ? data.max + pad : data.max;
  if (lo < data.max / 2)
    lo = std::min(0.0, data.min);
  return {lo, hi};
}

std::string fixed(double value, int decimals) {
  std::array<char, 512> buffer{};
  auto [end, error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value + 0.0,
                                    std::chars_format::fixed, decimals);
  if (error != std::errc())
    return "?";
  return std::string(buffer.data(), end);
}

std::string scientific(double value) {
  std::array<char, 64> buffer{};
  auto [end, error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value + 0.0,
                                    std::chars_format::general, 3);
  if (error != std::errc())
    return "?";
  return std::string(buffer.data(), end);
}

// "2.50" -> "2.5", "3.00" -> "3", "-0" -> "0".
std::string trim_zeros(std::string text) {
  if (text.find('.') != std::string::npos) {
    while (text.back() == '0')
      text.pop_back();
    if (text.back() == '.')
      text.pop_back();
  }
  if (text == "-0")
    text = "0";
  return text;
}

constexpr double largest_plain_number = 1e12;  // 999,999,999,999 is the longest label
constexpr int most_decimals = 6;

}  // namespace

Axis make_axis(Extent data, bool fraction) {
  Axis axis;
  axis.fraction = fraction;
  double lo = std::min(0.0, data.min);
  double hi = std::max(0.0, data.max);
  bool rates = fraction && data.min >= 0 && data.max <= 1;  // else drawn as they come
  if (rates)
    std::tie(lo, hi) = fraction_range(data);
  if (!(hi > lo))
    hi = 1;                                      // all zeros (lo <= 0 <= hi otherwise)
  axis.step = nice_step(half_span(lo, hi) / 4);  // an eighth of the span: a close fit
  double rounded_lo = std::floor(lo / axis.step) * axis.step;
  double rounded_hi = std::ceil(hi / axis.step) * axis.step;
  axis.lo = std::isfinite(rounded_lo) ? rounded_lo : lo;
  axis.hi = std::isfinite(rounded_hi) ? rounded_hi : hi;
  if (rates) {
    axis.lo = std::max(axis.lo, 0.0);
    axis.hi = std::min(axis.hi, 1.0);
  }
  if (!(axis.hi > axis.lo))  // a step too small to tell two doubles apart
    std::tie(axis.lo, axis.hi) = std::pair{lo, hi};
  double scale = fraction ? 100 : 1;
  double largest = std::max(std::abs(axis.lo), std::abs(axis.hi)) * scale;
  axis.decimals = decimals_for(axis.step * scale);
  axis.compact = largest >= largest_plain_number || axis.decimals > most_decimals;
  return axis;
}

double position(const Axis& axis, double value) {
  double where = (value / 2 - axis.lo / 2) / half_span(axis.lo, axis.hi);
  if (!(where > 0))
    return 0;
  return std::min(where, 1.0);
}

double value_at_position(const Axis& axis, double fraction) {
  return 2 * (axis.lo / 2 + half_span(axis.lo, axis.hi) * fraction);
}

std::vector<double> ticks(const Axis& axis) {
  std::vector<double> values;
  double step = axis.step;
  double count = half_span(axis.lo, axis.hi) / (step / 2);
  if (!(count >= 1) || count > 64) {  // the axis was not rounded to steps: five even ticks
    for (int index = 0; index <= 4; ++index)
      values.push_back(value_at_position(axis, index / 4.0));
    return values;
  }
  for (; count > 8; count /= 2)
    step *= 2;
  double first = std::ceil(axis.lo / step - 1e-9);
  for (double index = first; values.size() <= 12; ++index) {
    double value = index * step;
    if (!std::isfinite(value) || value - axis.hi > step * 1e-9)
      break;
    values.push_back(value);
  }
  return values;
}

std::string tick_label(const Axis& axis, double value) {
  double shown = axis.fraction ? value * 100 : value;
  std::string text =
      axis.compact ? scientific(shown) : group_thousands(trim_zeros(fixed(shown, axis.decimals)));
  return axis.fraction ? text + "%" : text;
}

std::string exact_label(double value, bool fraction) {
  double shown = fraction ? value * 100 : value;
  if (std::abs(shown) >= largest_plain_number ||
      (shown != 0 && std::abs(shown) < std::pow(10.0, -most_decimals)))
    return scientific(shown) + (fraction ? "%" : "");
  int decimals = 2;
  if (!fraction && std::abs(shown) < 1)
    decimals = 4;  // 0.0012 of a count is rare, but then it should not read "0"
  std::string text = group_thousands(trim_zeros(fixed(shown, decimals)));
  return fraction ? text + "%" : text;
}

std::string group_thousands(std::string_view digits) {
  std::size_t start = !digits.empty() && digits.front() == '-' ? 1 : 0;
  std::size_t end = digits.find('.');
  if (end == std::string_view::npos)
    end = digits.size();
  std::string grouped(digits.substr(0, start));
  for (std::size_t index = start; index < end; ++index) {
    if (index > start && (end - index) % 3 == 0)
      grouped += ',';
    grouped += digits[index];
  }
  grouped += digits.substr(end);
  return grouped;
}

std::vector<char32_t> decode_utf8(std::string_view text) {
  std::vector<char32_t> code_points;
  code_points.reserve(text.size());
  for (std::size_t index = 0; index < text.size();) {
    auto byte = static_cast<unsigned char>(text[index]);
    std::size_t length = byte < 0x80                    ? 1
                         : byte >= 0xc2 && byte <= 0xdf ? 2
                         : byte >= 0xe0 && byte <= 0xef ? 3
                         : byte >= 0xf0 && byte <= 0xf4 ? 4
                                                        : 0;
    char32_t value = length == 1   ? byte
                     : length == 2 ? byte & 0x1f
                     : length == 3 ? byte & 0x0f
                                   : byte & 0x07;
    bool valid = length > 0 && index + length <= text.size();
    for (std::size_t next = 1; valid && next < length; ++next) {
      auto continuation = static_cast<unsigned char>(text[index + next]);
      valid = (continuation & 0xc0) == 0x80;
      value = (value << 6) | (continuation & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8 either.
    if (valid && ((length == 3 && value < 0x800) || (length == 4 && value < 0x10000) ||
                  (value >= 0xd800 && value <= 0xdfff) || value > 0x10ffff))
      valid = false;
    if (!valid) {
      code_points.push_back(0xfffd);
      ++index;
      continue;
    }
    code_points.push_back(value);
    index += length;
  }
  return code_points;
}

void append_utf8(std::string& out, char32_t code_point) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xc0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3f));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xe0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code_point & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code_point & 0x3f));
  }
}

namespace {

// East Asian wide and fullwidth blocks (Unicode's EastAsianWidth W and F, by block), and
// the emoji blocks terminals draw two columns wide.
bool is_wide(char32_t code_point) {
  struct Range {
    char32_t first, last;
  };
  static constexpr Range wide[] = {
      {0x1100, 0x115f},   {0x231a, 0x231b},   {0x2329, 0x232a},   {0x23e9, 0x23ec},
      {0x2e80, 0x303e},   {0x3041, 0x33ff},   {0x3400, 0x4dbf},   {0x4e00, 0x9fff},
      {0xa000, 0xa4cf},   {0xa960, 0xa97f},   {0xac00, 0xd7a3},   {0xf900, 0xfaff},
      {0xfe10, 0xfe19},   {0xfe30, 0xfe6f},   {0xff00, 0xff60},   {0xffe0, 0xffe6},
      {0x16fe0, 0x18cff}, {0x1b000, 0x1b2ff}, {0x1f004, 0x1f004}, {0x1f0cf, 0x1f0cf},
      {0x1f18e, 0x1f18e}, {0x1f191, 0x1f19a}, {0x1f200, 0x1f251}, {0x1f300, 0x1f64f},
      {0x1f680, 0x1f6ff}, {0x1f900, 0x1f9ff}, {0x1fa70, 0x1faff}, {0x20000, 0x3fffd},
  };
  for (const auto& range : wide) {
    if (code_point >= range.first && code_point <= range.last)
      return true;
  }
  return false;
}

}  // namespace

std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (char32_t code_point : decode_utf8(text))
    width += is_wide(code_point) ? 2 : 1;
  return width;
}

std::string truncate_to_width(std::string_view text, std::size_t width) {
  if (display_width(text) <= width)
    return std::string(text);
  std::string cut;
  std::size_t used = 0;
  for (char32_t code_point : decode_utf8(text)) {
    std::size_t wide = is_wide(code_point) ? 2 : 1;
    if (used + wide + 1 > width)  // leave a column for the ellipsis
      break;
    append_utf8(cut, code_point);
    used += wide;
  }
  if (width > 0)
    cut += "…";
  return cut;
}

}  // namespace mpaas::chart::detail
