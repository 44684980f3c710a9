// JSON forms and text layouts of the delta results (see reports.hpp, docs/json.md).
#include "mpaas/delta/reports.hpp"

#include <cmath>

#include "mpaas/delta/codec.hpp"
#include "mpaas/delta/exec_filter.hpp"

namespace mpaas::delta {
namespace {

// Rounded so that the JSON shows what a reader needs, not float noise.
double rounded(double value, double scale) {
  return std::round(value * scale) / scale;
}

}  // namespace

Json to_json(const DiffReport& report) {
  const DiffSummary& summary = report.summary;
  double ratio = summary.new_size == 0 ? 0.0
                                       : static_cast<double>(summary.patch_size) /
                                             static_cast<double>(summary.new_size);
  Json record;
  record["patch"] = report.patch;
  record["format"] = format_name(summary.format);
  record["codec"] = codec_name(summary.codec);
  record["level"] = summary.level;
  record["filter"] = filter_name(summary.filter);
  if (summary.format == PatchFormat::mpd) {
    record["mode"] = summary.dictionary ? "dictionary" : "instructions";
    record["diff_coding"] = summary.diff_runs ? "runs" : "direct";
  }
  record["old_size"] = summary.old_size;
  record["new_size"] = summary.new_size;
  record["patch_size"] = summary.patch_size;
  record["ratio"] = rounded(ratio, 100000);
  record["seconds"] = rounded(report.seconds, 1000);
  record["old_sha256"] = to_hex(summary.old_sha256);
  record["new_sha256"] = to_hex(summary.new_sha256);
  return record;
}

TextLayout text_layout(const DiffReport&) {
  return TextLayout::record({{"patch", "patch"},
                             {"format", "format"},
                             {"codec", "codec"},
                             {"level", "level"},
                             {"filter", "filter"},
                             {"mode", "mode"},
                             {"diff_coding", "diff coding"},
                             {"old_size", "old", Unit::bytes},
                             {"new_size", "new", Unit::bytes},
                             {"patch_size", "patch size", Unit::bytes},
                             {"ratio", "ratio", Unit::percent},
                             {"seconds", "time", Unit::seconds}});
}

Json to_json(const HeaderReport& report) {
  const PatchHeader& header = report.header;
  bool mpd = header.format == PatchFormat::mpd;
  Json record;
  record["patch"] = report.patch;
  record["format"] = format_name(header.format);
  // BSDIFF40 has no version, old size or hashes: null says "not in this format".
  record["version"] = mpd ? Json(header.version) : Json(nullptr);
  record["codec"] = codec_name(header.codec);
  record["filter"] = filter_name(header.filter);
  record["old_size"] = mpd ? Json(header.old_size) : Json(nullptr);
  record["new_size"] = header.new_size;
  record["old_sha256"] = mpd ? Json(to_hex(header.old_sha256)) : Json(nullptr);
  record["new_sha256"] = mpd ? Json(to_hex(header.new_sha256)) : Json(nullptr);
  record["patch_size"] = header.patch_size;
  record["diff_coding"] = header.diff_runs ? "runs" : "direct";
  if (mpd)
    record["mode"] = header.dictionary ? "dictionary" : "instructions";
  record["streams"] = {
      {"control", header.control_size}, {"diff", header.diff_size}, {"extra", header.extra_size}};
  if (header.diff_runs)
    record["streams"]["diff_runs"] = header.diff_runs_size;
  return record;
}

TextLayout text_layout(const HeaderReport&) {
  return {};
}

Json to_json(const ApplyReport& report) {
  Json record;
  record["output"] = report.output;
  record["format"] = format_name(report.header.format);
  record["new_size"] = report.header.new_size;
  // Only mpd patches carry the new file's SHA-256; BSDIFF40 output cannot be checked.
  record["verified"] = report.header.format == PatchFormat::mpd;
  record["seconds"] = rounded(report.seconds, 1000);
  return record;
}

TextLayout text_layout(const ApplyReport&) {
  return TextLayout::quiet();
}

}  // namespace mpaas::delta
