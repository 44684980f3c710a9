// offline: settings, their mPaaS rules and the globs (see settings.hpp).
#include "mpaas/offline/settings.hpp"

#include <regex>

#include "mpaas/core/error.hpp"

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

bool match_from(const std::string& pattern, size_t p, const std::string& path, size_t s) {
  while (p < pattern.size()) {
    if (pattern.compare(p, 2, "**") == 0) {
      size_t next = p + 2;
      bool slash = next < pattern.size() && pattern[next] == '/';
      if (slash)
        ++next;
      // '**/' may match nothing, or any run of whole segments.
      for (size_t i = s; i <= path.size(); ++i) {
        bool at_segment = i == s || path[i - 1] == '/';
        if ((slash ? at_segment : true) && match_from(pattern, next, path, i))
          return true;
      }
      return false;
    }
    if (s >= path.size())
      return false;
    char c = pattern[p];
    if (c == '*') {
      for (size_t i = s; i <= path.size(); ++i) {
        if (match_from(pattern, p + 1, path, i))
          return true;
        if (i < path.size() && path[i] == '/')
          return false;
      }
      return false;
    }
    if (c == '?' ? path[s] == '/' : c != path[s])
      return false;
    ++p;
    ++s;
  }
  return s == path.size();
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

bool is_valid_version(const std::string& version) {
  static const std::regex four_part(R"(\d+\.\d+\.\d+\.\d+)");
  static const std::regex semver(
      R"((0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?)");
  return std::regex_match(version, four_part) || std::regex_match(version, semver);
}

void validate_settings(const Settings& settings) {
  static const std::regex eight_digits(R"(\d{8})");
  if (settings.id.empty())
    throw invalid_input("the package id is not set (offline.id)");
  if (!std::regex_match(settings.id, eight_digits)) {
    throw invalid_input("the package id must be 8 digits, not '" + settings.id + "' (offline.id)");
  }
  if (is_reserved_id(settings.id)) {
    throw invalid_input("the package id " + settings.id + " is reserved by mPaaS (offline.id)");
  }
  if (settings.name.empty())
    throw invalid_input("the package name is not set (offline.name)");
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
  std::string clean = pattern.rfind("./", 0) == 0 ? pattern.substr(2) : pattern;
  return match_from(clean, 0, path, 0);
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
