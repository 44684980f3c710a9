// The `offline:` settings of mpaas.yaml as a struct, their validation against the rules
// mPaaS enforces (8-digit ids outside the reserved ones, four-part or semver versions,
// normal or global type), and the include/exclude globs. Reading flags is the command's
// job; this module only parses YAML and checks values.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace mpaas::offline {

struct VersionRange {
  std::string min;
  std::string max;
};

struct Settings {
  std::string id;
  std::string name;
  std::string version;
  std::string root = "www";
  std::string main_url = "/index.html";
  std::string vhost;
  std::string type = "normal";  // or "global"
  std::vector<std::string> include{"**"};
  std::vector<std::string> exclude;
  VersionRange android;
  VersionRange ios;
  std::string sign_key;  // path of a PEM private key, relative to the project folder
  // Unknown keys met while reading, one line each, for the command to show as warnings.
  std::vector<std::string> warnings;
};

// Reads the `offline:` section; an undefined node gives the defaults. Throws invalid_input
// naming the key (offline.include, and `source`, the file, when given) when a value has the
// wrong shape: a list or mapping where one value is expected, a value where a mapping is
// (`sign: keys/private.pem` instead of `sign: {key: keys/private.pem}`), or a `sign:`
// mapping without its key. Unknown keys (`signing:`) are not errors but warnings, so that a
// file written for a newer mpaas still works here.
Settings settings_from_yaml(const YAML::Node& section, const std::string& source = "");
// Throws invalid_input naming the field when a value breaks an mPaaS rule.
void validate_settings(const Settings& settings);

// mPaaS's default virtual host of a package: https://{id}.h5app.com.
std::string default_vhost(const std::string& id);
// Fills what the settings leave to mPaaS's defaults (today the vhost, from the id).
void apply_defaults(Settings& settings);
// mPaaS reserves these ids and prefixes for its SDK.
bool is_reserved_id(const std::string& id);
// Four-part (1.0.0.1) or semver, at most max_version_length characters.
inline constexpr size_t max_version_length = 128;
bool is_valid_version(const std::string& version);

// Glob match on '/'-separated relative paths: '*' and '?' stay inside one segment, '**'
// spans any number of segments (zero included, so "**/*.md" matches "a.md"); the shared
// linear matcher of mpaas/core/glob.hpp, which documents the details.
bool glob_match(const std::string& pattern, const std::string& path);
bool is_selected(const Settings& settings, const std::string& path);

}  // namespace mpaas::offline
