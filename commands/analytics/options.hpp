// Options of the `mpaas analytics` commands (reachable from tests: argv tables parse into them).
#pragma once

#include <string>
#include <vector>

namespace mpaas {

struct AnalyticsIngestOptions {
  std::vector<std::string> files;  // "-" is stdin
  std::string app;
  std::string format;  // empty: by extension, else sniffed
  bool strict = false;
};

struct AnalyticsQueryOptions {
  // METRIC, then the event name (event) or the steps (funnel).
  std::vector<std::string> arguments;
  std::string app, from, to;
  std::string interval = "day";
  std::string tz = "UTC";
  std::string group_by;  // empty: none
  std::vector<std::string> where;
  std::string window = "1d";
  bool csv = false;
  bool chart = false;     // draw the result in the terminal instead of the table
  std::string chart_out;  // write the result as an SVG chart to this file
};

struct AnalyticsCompareOptions {
  std::string app;
  std::vector<std::string> versions;  // exactly two: A (the baseline) then B
  std::string from, to;
  std::string tz = "UTC";
};

}  // namespace mpaas
