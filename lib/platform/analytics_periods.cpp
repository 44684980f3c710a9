// Periods in a time zone (see periods.hpp).
#include "mpaas/analytics/periods.hpp"

#include <date/tz.h>

#include <algorithm>
#include <cstdio>

#include "mpaas/core/error.hpp"

namespace mpaas::analytics {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const date::time_zone* zone_of(const void* zone) {
  return static_cast<const date::time_zone*>(zone);
}

int64_t to_ms(date::sys_seconds time) {
  return static_cast<int64_t>(time.time_since_epoch().count()) * 1000;
}

date::sys_seconds sys_of_ms(int64_t utc_ms) {
  int64_t secs = utc_ms >= 0 ? utc_ms / 1000 : -((-utc_ms + 999) / 1000);
  return date::sys_seconds{seconds{secs}};
}

// The instants at which local time `local` happens (two in a repeated hour, one in a gap:
// the transition).
void instants_of(const date::time_zone* zone, date::local_seconds local,
                 std::vector<int64_t>& out) {
  auto info = zone->get_info(local);
  auto base = local.time_since_epoch();
  switch (info.result) {
    case date::local_info::unique:
      out.push_back(to_ms(date::sys_seconds{base - info.first.offset}));
      break;
    case date::local_info::ambiguous:
      out.push_back(to_ms(date::sys_seconds{base - info.first.offset}));
      out.push_back(to_ms(date::sys_seconds{base - info.second.offset}));
      break;
    case date::local_info::nonexistent:
      out.push_back(to_ms(info.first.end));
      break;
  }
}

int64_t monday_on_or_before(int64_t days) {
  int64_t weekday = ((days + 3) % 7 + 7) % 7;  // 1970-01-01 was a Thursday: Monday is 0
  return days - weekday;
}

}  // namespace

Interval parse_interval(const std::string& name) {
  if (name == "hour")
    return Interval::hour;
  if (name == "day")
    return Interval::day;
  if (name == "week")
    return Interval::week;
  if (name == "month")
    return Interval::month;
  throw usage_error(
      "unknown interval '" + name.substr(0, 40) + "', expected hour, day, week or month",
      "interval");
}

const char* interval_name(Interval interval) {
  switch (interval) {
    case Interval::hour:
      return "hour";
    case Interval::day:
      return "day";
    case Interval::week:
      return "week";
    case Interval::month:
      return "month";
  }
  return "day";
}

TimeZone TimeZone::locate(const std::string& name) {
  bool plausible = !name.empty() && name.size() <= 64 && name.find("..") == std::string::npos &&
                   name.front() != '/' && std::all_of(name.begin(), name.end(), [](char c) {
                     return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' ||
                            c == '-' || c == '+';
                   });
  TimeZone zone;
  zone.m_name = name;
  try {
    if (plausible)
      zone.m_zone = date::locate_zone(name);
  } catch (const std::exception&) {
    zone.m_zone = nullptr;
  }
  if (zone.m_zone == nullptr)
    throw usage_error("unknown time zone '" + name.substr(0, 64) +
                          "', expected an IANA name such as UTC or Europe/Berlin",
                      "tz");
  return zone;
}

int64_t TimeZone::start_of_day(int64_t local_day) const {
  std::vector<int64_t> instants;
  instants_of(zone_of(m_zone), date::local_seconds{seconds{local_day * 86400}}, instants);
  return instants.front();
}

int64_t TimeZone::offset_seconds(int64_t utc_ms) const {
  return zone_of(m_zone)->get_info(sys_of_ms(utc_ms)).offset.count();
}

int64_t TimeZone::local_day(int64_t utc_ms) const {
  int64_t local_seconds = utc_ms / 1000 + offset_seconds(utc_ms);
  return local_seconds >= 0 ? local_seconds / 86400 : -((-local_seconds + 86399) / 86400);
}

std::vector<int64_t> TimeZone::hour_starts(int64_t from_ms, int64_t to_ms) const {
  std::vector<int64_t> starts;
  int64_t first_local = (from_ms / 1000 + offset_seconds(from_ms)) / 3600 * 3600 - 3 * 3600;
  int64_t last_local = (to_ms / 1000 + offset_seconds(to_ms)) / 3600 * 3600 + 3 * 3600;
  for (int64_t local = first_local; local <= last_local; local += 3600)
    instants_of(zone_of(m_zone), date::local_seconds{seconds{local}}, starts);
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
  starts.erase(std::remove_if(starts.begin(), starts.end(),
                              [&](int64_t t) { return t < from_ms || t >= to_ms; }),
               starts.end());
  return starts;
}

void civil_from_days(int64_t z, int& year, int& month, int& day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  year = static_cast<int>(y + (month <= 2));
}

int64_t days_from_civil(int year, int month, int day) {
  int64_t y = year - (month <= 2);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy =
      static_cast<unsigned>((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1);
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

int64_t parse_date(const std::string& text, const std::string& field) {
  auto bad = [&] {
    return usage_error("invalid date '" + text.substr(0, 40) + "', expected YYYY-MM-DD", field);
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-')
    throw bad();
  int parts[3] = {0, 0, 0};
  size_t offsets[3] = {0, 5, 8}, lengths[3] = {4, 2, 2};
  for (int i = 0; i < 3; ++i) {
    for (size_t k = 0; k < lengths[i]; ++k) {
      char c = text[offsets[i] + k];
      if (c < '0' || c > '9')
        throw bad();
      parts[i] = parts[i] * 10 + (c - '0');
    }
  }
  if (parts[0] < 2000 || parts[0] > 2099 || parts[1] < 1 || parts[1] > 12 || parts[2] < 1)
    throw bad();
  int64_t days = days_from_civil(parts[0], parts[1], parts[2]);
  int y, m, d;
  civil_from_days(days, y, m, d);
  if (m != parts[1] || d != parts[2])
    throw bad();
  return days;
}

std::string format_date(int64_t days) {
  int y, m, d;
  civil_from_days(days, y, m, d);
  char text[40];  // room for any int, so the compiler can see nothing is cut
  std::snprintf(text, sizeof text, "%04d-%02d-%02d", y, m, d);
  return text;
}

std::string format_local_time(int64_t utc_ms, const TimeZone& zone) {
  int64_t offset = zone.offset_seconds(utc_ms);
  int64_t local = utc_ms / 1000 + offset;
  int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
  int64_t second_of_day = local - days * 86400;
  char sign = offset < 0 ? '-' : '+';
  int64_t magnitude = offset < 0 ? -offset : offset;
  char text[48];
  std::snprintf(text, sizeof text, "%sT%02d:%02d:%02d%c%02d:%02d", format_date(days).c_str(),
                static_cast<int>(second_of_day / 3600), static_cast<int>(second_of_day / 60 % 60),
                static_cast<int>(second_of_day % 60), sign, static_cast<int>(magnitude / 3600),
                static_cast<int>(magnitude / 60 % 60));
  return text;
}

int Periods::index_of(int64_t utc_ms) const {
  if (starts.empty() || utc_ms < starts.front() || utc_ms >= starts.back())
    return -1;
  auto it = std::upper_bound(starts.begin(), starts.end(), utc_ms);
  return static_cast<int>(it - starts.begin()) - 1;
}

Periods make_periods(int64_t from_day, int64_t to_day, Interval interval, const TimeZone& zone) {
  if (to_day < from_day)
    throw usage_error("the range ends before it starts (" + format_date(to_day) + " < " +
                          format_date(from_day) + ")",
                      "to");
  Periods periods;
  periods.interval = interval;
  // Local start dates of each period, and the local date after the last one.
  std::vector<int64_t> days;
  int64_t after = to_day + 1;
  switch (interval) {
    case Interval::hour:
    case Interval::day:
      for (int64_t d = from_day; d <= to_day; ++d)
        days.push_back(d);
      break;
    case Interval::week:
      for (int64_t d = monday_on_or_before(from_day); d <= to_day; d += 7)
        days.push_back(d);
      after = days.back() + 7;
      break;
    case Interval::month: {
      int y, m, d;
      civil_from_days(from_day, y, m, d);
      for (int64_t first = days_from_civil(y, m, 1); first <= to_day;) {
        days.push_back(first);
        m = m == 12 ? 1 : m + 1;
        y = m == 1 ? y + 1 : y;
        first = days_from_civil(y, m, 1);
        after = first;
      }
      break;
    }
  }
  if (days.size() > max_periods)
    throw usage_error("the range has more than " + std::to_string(max_periods) + " periods", "to");
  if (interval == Interval::hour) {
    int64_t begin = zone.start_of_day(from_day), end = zone.start_of_day(to_day + 1);
    periods.starts = zone.hour_starts(begin, end);
    if (periods.starts.size() > max_periods)
      throw usage_error("the range has more than " + std::to_string(max_periods) + " hours", "to");
    for (int64_t start : periods.starts) {
      periods.labels.push_back(format_local_time(start, zone));
      periods.local_days.push_back(zone.local_day(start));
    }
    periods.starts.push_back(end);
    return periods;
  }
  for (int64_t d : days) {
    periods.starts.push_back(zone.start_of_day(d));
    periods.labels.push_back(format_date(d));
    periods.local_days.push_back(d);
  }
  periods.starts.push_back(zone.start_of_day(after));
  return periods;
}

}  // namespace mpaas::analytics
