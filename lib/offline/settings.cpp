// offline: settings, their mPaaS rules and the globs (see settings.hpp).
#include "mpaas/offline/settings.hpp"

#include <algorithm>
#include <string_view>

#include "mpaas/core/error.hpp"
#include "mpaas/core/glob.hpp"

namespace mpaas::offline {
namespace {

std::string scalar(const YAML::Node& node, const std::string& key, const std::string& fallback) {
  if (!node || node.IsNull())
    return fallback;
  if (!node.IsScalar())
    throw invalid_input("expected a value (offline." + key + ")");
  return node.as<std::string>();
}

std::vector<std::string> string_list(const YAML::Node& node, const std::string& key,
                                     const std::vector<std::string>& fallback) {
  if (!node || node.IsNull())
    return fallback;
  if (node.IsScalar())
    return {node.as<std::string>()};
  if (!node.IsSequence())
    throw invalid_input("expected a list of globs (offline." + key + ")");
  std::vector<std::string> values;
  for (const auto& item : node) {
    if (!item.IsScalar())
      throw invalid_input("expected a list of globs (offline." + key + ")");
    values.push_back(item.as<std::string>());
  }
  return values;
}

VersionRange version_range(const YAML::Node& node, const std::string& key) {
  if (!node || node.IsNull())
    return {};
  if (!node.IsMap())
    throw invalid_input("expected {min, max} (offline.client_version." + key + ")");
  return {scalar(node["min"], "client_version." + key + ".min", ""),
          scalar(node["max"], "client_version." + key + ".max", "")};
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_digit);
}

// A semver number: 0, or digits without a leading zero.
bool is_semver_number(std::string_view text) {
  return all_digits(text) && (text.size() == 1 || text[0] != '0');
}

// Pre-release and build metadata: one or more of [0-9A-Za-z.-].
bool is_semver_label(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '-';
  });
}

// Splits `text` at every '.'; at most `limit` + 1 parts are kept, enough to tell "too many".
std::vector<std::string_view> split_dots(std::string_view text, size_t limit) {
  std::vector<std::string_view> parts;
  while (parts.size() <= limit) {
    size_t dot = text.find('.');
    parts.push_back(text.substr(0, dot));
    if (dot == std::string_view::npos)
      break;
    text.remove_prefix(dot + 1);
  }
  return parts;
}

// 1.0.0.1: four runs of digits.
bool is_four_part_version(std::string_view version) {
  auto parts = split_dots(version, 4);
  return parts.size() == 4 && std::all_of(parts.begin(), parts.end(), all_digits);
}

// 1.2.3, 1.2.3-beta.1, 1.2.3+build.5, 1.2.3-rc.1+build (semver 2.0.0's grammar, with its
// labels' characters but not its rules on them).
bool is_semver(std::string_view version) {
  size_t label = version.find_first_of("-+");
  auto numbers = split_dots(version.substr(0, label), 3);
  if (numbers.size() != 3 || !std::all_of(numbers.begin(), numbers.end(), is_semver_number))
    return false;
  if (label == std::string_view::npos)
    return true;
  std::string_view rest = version.substr(label);
  if (rest[0] == '-') {
    size_t plus = rest.find('+');
    if (!is_semver_label(rest.substr(1, plus == std::string_view::npos ? plus : plus - 1)))
      return false;
    if (plus == std::string_view::npos)
      return true;
    rest = rest.substr(plus);
  }
  return is_semver_label(rest.substr(1));
}

// The start of a value too long to quote whole in a one-line message.
std::string shown(const std::string& value) {
  constexpr size_t limit = 40;
  return value.size() <= limit ? value : value.substr(0, limit) + "...";
}

}  // namespace

Settings settings_from_yaml(const YAML::Node& section) {
  Settings settings;
  if (!section || section.IsNull())
    return settings;
  if (!section.IsMap())
    throw invalid_input("expected a mapping (offline)");
  settings.id = scalar(section["id"], "id", "");
  settings.name = scalar(section["name"], "name", "");
  settings.version = scalar(section["version"], "version", "");
  settings.root = scalar(section["root"], "root", settings.root);
  settings.main_url = scalar(section["main_url"], "main_url", settings.main_url);
  settings.vhost = scalar(section["vhost"], "vhost", "");
  settings.type = scalar(section["type"], "type", settings.type);
  settings.include = string_list(section["include"], "include", settings.include);
  settings.exclude = string_list(section["exclude"], "exclude", {});
  if (auto client = section["client_version"]; client && !client.IsNull()) {
    if (!client.IsMap())
      throw invalid_input("expected a mapping (offline.client_version)");
    settings.android = version_range(client["android"], "android");
    settings.ios = version_range(client["ios"], "ios");
  }
  if (auto sign = section["sign"]; sign && sign.IsMap()) {
    settings.sign_key = scalar(sign["key"], "sign.key", "");
  }
  return settings;
}

bool is_reserved_id(const std::string& id) {
  for (const char* reserved : {"20000196", "66666692", "68687029", "68687209"}) {
    if (id == reserved)
      return true;
  }
  return id.rfind("666666", 0) == 0 || id.rfind("20000", 0) == 0;
}

// Hand-written rather than std::regex, whose recursion per character overflowed the stack on
// a long version; the length limit keeps the messages that quote it to one short line.
bool is_valid_version(const std::string& version) {
  return version.size() <= max_version_length &&
         (is_four_part_version(version) || is_semver(version));
}

void validate_settings(const Settings& settings) {
  if (settings.id.empty())
    throw invalid_input("the package id is not set (offline.id)");
  if (settings.id.size() != 8 || !all_digits(settings.id)) {
    throw invalid_input(
        "the package id must be 8 digits, not '" + shown(settings.id) + "' (offline.id)",
        "offline.id");
  }
  if (is_reserved_id(settings.id)) {
    throw invalid_input("the package id " + settings.id + " is reserved by mPaaS (offline.id)");
  }
  if (settings.name.empty())
    throw invalid_input("the package name is not set (offline.name)");
  if (settings.version.size() > max_version_length) {
    throw invalid_input("the version is longer than " + std::to_string(max_version_length) +
                            " characters (offline.version)",
                        "offline.version");
  }
  if (!is_valid_version(settings.version)) {
    throw invalid_input("the version must be four-part (1.0.0.1) or semver, not '" +
                        settings.version + "' (offline.version)");
  }
  if (settings.type != "normal" && settings.type != "global") {
    throw invalid_input("the type must be normal or global (offline.type)");
  }
  if (settings.main_url.empty() || settings.main_url.front() != '/') {
    throw invalid_input("the main URL must start with '/' (offline.main_url)");
  }
  if (!settings.vhost.empty() && settings.vhost.rfind("https://", 0) != 0 &&
      settings.vhost.rfind("http://", 0) != 0) {
    throw invalid_input("the vhost must be an http(s) URL (offline.vhost)");
  }
}

bool glob_match(const std::string& pattern, const std::string& path) {
  return mpaas::glob_match(pattern, path);
}

bool is_selected(const Settings& settings, const std::string& path) {
  bool included = false;
  for (const auto& pattern : settings.include)
    included = included || glob_match(pattern, path);
  if (!included)
    return false;
  for (const auto& pattern : settings.exclude) {
    if (glob_match(pattern, path))
      return false;
  }
  return true;
}

}  // namespace mpaas::offline
