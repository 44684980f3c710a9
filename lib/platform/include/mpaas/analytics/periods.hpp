// Calendar periods in an IANA time zone: the intervals a query counts in (hour, day, ISO
// week starting on Monday, month), as instants, so that a day is whatever the zone says it
// is (23 or 25 hours across a daylight-saving change). Zones come from the system's tzdata
// (/usr/share/zoneinfo) through H. Hinnant's date library.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mpaas::analytics {

enum class Interval { hour, day, week, month };
// "hour", "day", "week", "month"; usage_error naming "interval" otherwise.
Interval parse_interval(const std::string& name);
const char* interval_name(Interval interval);

class TimeZone {
 public:
  // An IANA name ("Europe/Berlin", "UTC"); usage_error naming "tz" when unknown.
  static TimeZone locate(const std::string& name);
  const std::string& name() const { return m_name; }
  // The instant (UTC milliseconds) at which the local date `local_day` (days since
  // 1970-01-01) begins: its midnight, or the first instant after a gap that skips midnight.
  int64_t start_of_day(int64_t local_day) const;
  // The offset from UTC (seconds) in force at `utc_ms`.
  int64_t offset_seconds(int64_t utc_ms) const;
  // The local date (days since 1970-01-01) at `utc_ms`.
  int64_t local_day(int64_t utc_ms) const;
  // Every instant (UTC ms, sorted, unique) in [from, to) at which a local hour begins; both
  // instants of an hour that happens twice.
  std::vector<int64_t> hour_starts(int64_t from_ms, int64_t to_ms) const;

 private:
  std::string m_name;
  const void* m_zone = nullptr;  // const date::time_zone*, kept out of this header
};

// "2026-03-01" -> days since 1970-01-01; usage_error naming `field` otherwise.
int64_t parse_date(const std::string& text, const std::string& field);
std::string format_date(int64_t days);
// days since 1970-01-01 -> year, month (1..12), day (1..31).
void civil_from_days(int64_t days, int& year, int& month, int& day);
int64_t days_from_civil(int year, int month, int day);
// "2026-03-29T01:00:00+02:00": the local time at `utc_ms` in `zone`, with its offset.
std::string format_local_time(int64_t utc_ms, const TimeZone& zone);

// The periods of a query: [from_day, to_day] (local dates, inclusive) widened to whole
// intervals (a week from its Monday, a month from its first day). `starts` has one more
// entry than `labels`: the end of the last period.
struct Periods {
  Interval interval = Interval::day;
  std::vector<int64_t> starts;      // UTC milliseconds
  std::vector<std::string> labels;  // ISO date, or date-time with offset for hours
  std::vector<int64_t> local_days;  // the local date each period starts on
  size_t size() const { return labels.size(); }
  int64_t begin() const { return starts.front(); }
  int64_t end() const { return starts.back(); }
  // The period holding `utc_ms`, or -1 outside [begin, end).
  int index_of(int64_t utc_ms) const;
};
constexpr size_t max_periods = 20000;
// Throws usage_error naming "from"/"to" for an empty range or more than max_periods periods.
Periods make_periods(int64_t from_day, int64_t to_day, Interval interval, const TimeZone& zone);

}  // namespace mpaas::analytics
