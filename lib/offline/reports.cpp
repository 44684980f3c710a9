// JSON forms and text layouts of the offline write results (see reports.hpp).
#include "mpaas/offline/reports.hpp"

namespace mpaas::offline {

Json to_json(const ExtractReport& report) {
  return {
      {"folder", report.folder}, {"files", report.result.files}, {"bytes", report.result.bytes}};
}

TextLayout text_layout(const ExtractReport&) {
  return TextLayout::sentence("extracted {files} files ({bytes:bytes}) to {folder}");
}

Json to_json(const H5ConfigReport& report) {
  return {{"file", report.file}, {"packages", report.packages}};
}

TextLayout text_layout(const H5ConfigReport&) {
  return TextLayout::sentence("wrote {file} ({packages} packages)");
}

Json to_json(const IncrementalReport& report) {
  const DiffSummary& summary = report.summary;
  return {{"package", report.package},          {"added", summary.added},
          {"changed", summary.changed},         {"deleted", summary.deleted},
          {"copied", summary.copied},           {"size", summary.package.size},
          {"signed", summary.package.is_signed}};
}

TextLayout text_layout(const IncrementalReport&) {
  return TextLayout::sentence(
      "wrote {package} ({added} added, {changed} changed, {deleted} deleted, {size:bytes})");
}

Json to_json(const RebuiltReport& report) {
  return {{"package", report.package},
          {"files", report.result.files},
          {"size", report.result.size},
          {"signed", report.result.is_signed}};
}

TextLayout text_layout(const RebuiltReport&) {
  return TextLayout::sentence("wrote {package} ({files} files, {size:bytes})");
}

}  // namespace mpaas::offline
