// Gray-release decisions: which device gets a release now, and why not. Pure functions of
// plain data (no storage, no clock), so the embedded platform, `mpaas serve` and an app in
// another language decide alike. The bucket hash is specified in docs/rollout.md with test
// vectors.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mpaas::platform {

// What a device says about itself in an update check. Empty fields are unknown.
struct Device {
  std::string id;
  std::string app_version;
  std::string os_version;
  std::string model;
  std::string region;
  std::string network;
};

// Where a release is in its lifecycle.
enum class ReleaseState { draft, gray, paused, released, rolled_back };
std::string state_name(ReleaseState state);
// Parses "draft", "gray", "paused", "released", "rolled-back"; throws usage_error otherwise.
ReleaseState parse_state(const std::string& name);

// Compares two version strings part by part as numbers ("1.10.0" > "1.9.0"); a missing part
// is 0 ("2.0" == "2.0.0"). Versions have 1 to 4 numeric parts (Android and iOS versions);
// anything else throws invalid_input naming `field`.
int compare_versions(const std::string& a, const std::string& b, const std::string& field);
// A version's numbers with missing parts as 0, which compare as the versions do: for sorting
// many versions without parsing them again at each comparison. Throws like compare_versions.
using VersionNumbers = std::array<uint32_t, 4>;
VersionNumbers version_numbers(const std::string& text, const std::string& field);
// True when `text` is such a version.
bool is_version(const std::string& text);

// One targeting rule: `os_version>=12`, `model~Pixel*`, `model!~*Lite`,
// `region in (CN-ZJ,CN-SH)`, `app_version<2.0.0`, `network=wifi`, `network!=2g`.
struct Rule {
  enum class Op { equal, not_equal, less, less_equal, greater, greater_equal, glob, not_glob, in };
  std::string field;  // app_version, os_version, model, region, network
  Op op = Op::equal;
  std::vector<std::string> values;  // one, or the list of `in`
  std::string text;                 // as written, normalised ("os_version>=12")
  // Read from the above once by parse_rule, not for every release a check decides: the
  // device's field the rule reads, and for a comparison of versions the rule's version.
  const std::string Device::*device_field = &Device::network;
  bool by_version = false;
  VersionNumbers version{};
};

// Parses one rule. Errors are invalid_input whose message points at the 1-based column
// ("rule 'os_version>>12': unexpected '>' at column 12"), subject "rule". Globs match
// with '*' and '?' only, in linear time. Version fields compare as versions.
Rule parse_rule(const std::string& text);

// Whether `device` satisfies `rule`; when not, `why` gets the device's value
// ("rule os_version>=12 failed: 11", or "...: unknown" when the device did not say).
bool rule_matches(const Rule& rule, const Device& device, std::string& why);

// A stable hash of the release and device into 0..9999 (docs/rollout.md).
uint32_t bucket(std::string_view release_id, std::string_view device_id);

// Percentages are kept as basis points (0..10000, 0.01 percent steps).
using BasisPoints = uint32_t;
// Parses "12.5", "0.01", "100"; throws usage_error naming `field` for anything else.
BasisPoints parse_percent(const std::string& text, const std::string& field);
std::string percent_text(BasisPoints points);  // 1250 -> "12.5"

// What decides whether one device gets one release now.
// A view: it names the release's fields without copying them (a check decides every
// release of an app per request), so they must outlive it.
struct RolloutView {
  std::string_view release_id;
  ReleaseState state = ReleaseState::draft;
  BasisPoints percent = 0;
  std::span<const Rule> rules;
  bool device_whitelisted = false;
  std::string_view min_app_version, max_app_version;  // empty: no bound
};

struct Decision {
  bool offered = false;
  std::string reason;  // why not, or why ("whitelisted", "bucket 812 < 2500", "released")
};

// Gray semantics: a draft, paused or rolled-back release reaches no one. Otherwise, within
// the release's app-version range, a whitelisted device always gets it; any other device
// when all rules match and, in gray, bucket(release, device) < percent (a released one
// needs the rules only).
Decision decide(const RolloutView& release, const Device& device);
// The same into `out`, whose reason keeps its buffer: a server deciding every release of an
// app for each check then allocates nothing for the reasons.
void decide_into(const RolloutView& release, const Device& device, Decision& out);

}  // namespace mpaas::platform
