// JSON forms and text layouts of the package results (see package_reports.hpp).
#include "mpaas/offline/package_reports.hpp"

namespace mpaas::offline {
namespace {

Json signature_rows(const std::vector<SignatureCheck>& checks) {
  Json rows = Json::array();
  for (const auto& check : checks)
    rows.push_back(Json{{"entry", check.entry}, {"state", check.state}, {"digest", check.digest}});
  return rows;
}

std::vector<Column> signature_columns() {
  return {{"entry", "entry"}, {"state", "state"}, {"digest", "digest"}};
}

}  // namespace

Json to_json(const BuildReport& report) {
  Json left_out = Json::array();
  for (const auto& item : report.result.left_out)
    left_out.push_back(Json{{"path", item.path}, {"reason", item.reason}});
  return {{"package", report.package.string()},
          {"id", report.id},
          {"version", report.version},
          {"files", report.result.files},
          {"size", report.result.size},
          {"tar_size", report.result.tar_size},
          {"signed", report.result.is_signed},
          {"signature", report.signature},
          {"sha256", report.sha256},
          {"left_out", left_out}};
}

TextLayout text_layout(const BuildReport& report) {
  return TextLayout::sentence(report.result.is_signed
                                  ? "built {package:file_name} ({files} files, {size:bytes}, "
                                    "signed {signature})"
                                  : "built {package:file_name} ({files} files, {size:bytes}, "
                                    "unsigned)");
}

Json to_json(const SignReport& report) {
  return {
      {"package", report.package.string()}, {"signature", report.signature}, {"size", report.size}};
}

TextLayout text_layout(const SignReport&) {
  return TextLayout::sentence("signed {package:file_name} ({signature})");
}

Json to_json(const VerifyReport& report) {
  return signature_rows(report.verdict.signatures);
}

TextLayout text_layout(const VerifyReport&) {
  return TextLayout::table(signature_columns());
}

InspectReport inspect_package(const std::filesystem::path& path, const Package& package,
                              const std::optional<crypto::Key>& key) {
  InspectReport report;
  report.package = path;
  report.contents = &package;
  report.mismatches = find_mismatches(package);
  if (!package.signatures) {
    report.signature = "unsigned";
  } else if (!key) {
    report.signature = "signed (not checked: no public key)";
  } else {
    report.verdict = judge_package(package, *key);
    report.signature = report.verdict->verified() ? "valid" : "invalid";
  }
  return report;
}

Json to_json(const InspectReport& report) {
  const Package& package = *report.contents;
  Json mismatches = Json::array();
  for (const auto& mismatch : report.mismatches)
    mismatches.push_back(mismatch.message);
  Json entries = Json::array();
  for (const auto& entry : package.entries)
    entries.push_back(Json{{"name", entry.name}, {"size", entry.size}, {"sha256", entry.sha256}});
  Json files = Json::array();
  for (const auto& file : package.files)
    files.push_back(Json{{"path", file.path}, {"size", file.size}, {"sha256", file.sha256}});
  Json hpmfile = package.hpmfile;
  return {
      {"package", report.package.string()},
      {"size", package.package_size},
      {"manifest",
       {{"uid", package.manifest.uid},
        {"name", package.manifest.name},
        {"version", package.manifest.version}}},
      {"hpmfile", hpmfile},
      {"signature", report.signature},
      {"signatures", report.verdict ? signature_rows(report.verdict->signatures) : Json::array()},
      {"mismatches", mismatches},
      {"entries", std::move(entries)},
      {"files", files}};
}

TextLayout text_layout(const InspectReport&) {
  TextLayout layout = TextLayout::record({{"package", "package", Unit::file_name},
                                          {"size", "size", Unit::bytes},
                                          {"manifest.uid", "manifest.uid"},
                                          {"manifest.name", "manifest.name"},
                                          {"manifest.version", "manifest.version"},
                                          {"signature", "signature"},
                                          {"mismatches", "mismatches"},
                                          {"hpmfile.launchParams.url", "main_url"},
                                          {"hpmfile.host.online", "vhost"}});
  layout.sections = {
      {"signatures", signature_columns()},
      {"entries", {{"name", "entry"}, {"size", "size"}, {"sha256", "sha256"}}},
      {"files", {{"path", "file"}, {"size", "size"}, {"sha256", "sha256"}}},
  };
  return layout;
}

}  // namespace mpaas::offline
