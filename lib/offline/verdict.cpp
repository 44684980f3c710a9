// The verdict on a package (see verdict.hpp).
#include "mpaas/offline/verdict.hpp"

#include <algorithm>

#include "mpaas/core/error.hpp"

namespace mpaas::offline {
namespace {

// Values in messages come from the package: keep them to one short line.
std::string shown(const std::string& value) {
  std::string out = value.size() <= 64 ? value : value.substr(0, 61) + "...";
  return out.empty() ? "''" : out;
}

// `field` of a JSON object as a string; nullopt when absent or not a string.
std::optional<std::string> string_field(const Json& object, const char* field) {
  if (!object.is_object() || !object.contains(field) || !object[field].is_string())
    return std::nullopt;
  return object[field].get<std::string>();
}

// One metadata member (hpmfile.json or incremental.json): there must be exactly one, it must
// be a JSON object, and each named field must equal the manifest's value.
struct FieldPair {
  const char* field;
  const char* manifest_field;
  std::string manifest_value;
};

void compare_member(const char* member, size_t members, const Json& content,
                    const std::vector<FieldPair>& pairs, const std::string& tar_entry,
                    std::vector<Mismatch>& out) {
  if (members == 0) {
    out.push_back({std::string("no ") + member + " in the tar to match Manifest.xml against (" +
                       tar_entry + ")",
                   tar_entry});
    return;
  }
  if (members > 1) {
    out.push_back(
        {std::to_string(members) + " members named " + member + " in the tar (" + tar_entry + ")",
         tar_entry});
    return;
  }
  if (!content.is_object()) {
    out.push_back(
        {std::string(member) + " is not a JSON object of at most 1 MiB (" + member + ")", member});
    return;
  }
  for (const auto& pair : pairs) {
    auto value = string_field(content, pair.field);
    if (!value) {
      out.push_back({std::string(member) + " has no " + pair.field + " to match Manifest.xml " +
                         pair.manifest_field + " " + shown(pair.manifest_value) + " (" + member +
                         ")",
                     member});
    } else if (*value != pair.manifest_value) {
      out.push_back({std::string(member) + " says " + pair.field + " " + shown(*value) +
                         " but Manifest.xml says " + pair.manifest_field + " " +
                         shown(pair.manifest_value) + " (" + member + ")",
                     member});
    }
  }
}

}  // namespace

bool Verdict::verified() const {
  return is_signed && !signatures.empty() && mismatches.empty() &&
         std::all_of(signatures.begin(), signatures.end(),
                     [](const SignatureCheck& check) { return check.state == "valid"; });
}

std::vector<Mismatch> find_mismatches(const Package& package) {
  std::vector<Mismatch> out;
  const Manifest& manifest = package.manifest;
  if (package.tar_entry != tar_name(manifest.uid)) {
    out.push_back({"the tar is named " + shown(package.tar_entry) + " but Manifest.xml says uid " +
                       shown(manifest.uid) + " (" + package.tar_entry + ")",
                   package.tar_entry});
  }
  if (manifest.base_version.empty()) {
    compare_member(hpmfile_name, package.hpmfile_members, package.hpmfile,
                   {{"appid", "uid", manifest.uid}, {"version", "version", manifest.version}},
                   package.tar_entry, out);
  } else {
    compare_member(incremental_index_name, package.incremental_index_members,
                   package.incremental_index,
                   {{"app_id", "uid", manifest.uid},
                    {"target_version", "version", manifest.version},
                    {"base_version", "base_version", manifest.base_version}},
                   package.tar_entry, out);
  }
  return out;
}

Verdict judge_package(const Package& package, const crypto::Key& key) {
  Verdict verdict;
  verdict.is_signed = package.signatures.has_value();
  if (verdict.is_signed)
    verdict.signatures = check_signatures(package, key);
  verdict.mismatches = find_mismatches(package);
  return verdict;
}

void require_verified(const Verdict& verdict) {
  if (!verdict.is_signed)
    throw verification_failed("the package is not signed (CERT.json)", "CERT.json");
  for (const auto& check : verdict.signatures) {
    if (check.state != "valid")
      throw verification_failed("signature " + check.state + " (" + check.entry + ")", check.entry);
  }
  if (verdict.signatures.empty())
    throw verification_failed("CERT.json signs no entry (CERT.json)", "CERT.json");
  if (!verdict.mismatches.empty()) {
    const auto& first = verdict.mismatches.front();
    throw verification_failed(first.message, first.subject);
  }
}

}  // namespace mpaas::offline
