// offline: settings, their mPaaS rules and the globs (see settings.hpp).
#include "mpaas/offline/settings.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <string_view>

#include "mpaas/core/error.hpp"
#include "mpaas/core/glob.hpp"

namespace mpaas::offline {
namespace {

// Reads the typed settings of one `offline:` section. Every key is known or reported: a
// value of the wrong shape is an error naming its key (and file); an unknown key is a
// warning, so that a mpaas.yaml shared with a newer mpaas (which may know more keys) still
// builds with this one, while a typo (`signing:` for `sign:`) is pointed out.
class SettingsReader {
 public:
  SettingsReader(const std::string& source, std::vector<std::string>& warnings)
      : m_source(source), m_warnings(warnings) {}

  std::string scalar(const YAML::Node& node, const std::string& key,
                     const std::string& fallback) const {
    if (!node.IsDefined() || node.IsNull())
      return fallback;
    if (!node.IsScalar())
      throw wrong(key, "a single value, not a list or mapping");
    return node.Scalar();
  }

  std::vector<std::string> string_list(const YAML::Node& node, const std::string& key,
                                       const std::vector<std::string>& fallback) const {
    if (!node.IsDefined() || node.IsNull())
      return fallback;
    if (node.IsScalar())
      return {node.Scalar()};
    if (!node.IsSequence())
      throw wrong(key, "a list of globs");
    std::vector<std::string> values;
    for (const auto& item : node) {
      if (!item.IsScalar())
        throw wrong(key, "a list of globs");
      values.push_back(item.Scalar());
    }
    return values;
  }

  // The children of a mapping by name, after checking that every key is a known one.
  std::map<std::string, YAML::Node> mapping(const YAML::Node& node, const std::string& key,
                                            const std::vector<std::string>& known,
                                            const std::string& expected) {
    std::map<std::string, YAML::Node> children;
    if (!node.IsDefined() || node.IsNull())
      return children;
    if (!node.IsMap())
      throw wrong(key, expected);
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar())
        throw wrong(key, "plain names as keys");
      const std::string& name = it->first.Scalar();
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        warn_unknown(key.empty() ? "" : key + ".", name, known);
        continue;
      }
      children.emplace(name, it->second);
    }
    return children;
  }

  Error wrong(const std::string& key, const std::string& expected) const {
    return invalid_input("expected " + expected + " (" + where(key) + ")", field(key));
  }

 private:
  static std::string field(const std::string& key) {
    return key.empty() ? "offline" : "offline." + key;
  }
  std::string where(const std::string& key) const {
    return field(key) + (m_source.empty() ? "" : " in " + m_source);
  }

  void warn_unknown(const std::string& parent, const std::string& name,
                    const std::vector<std::string>& known) {
    std::string shown = name.size() > 64 ? name.substr(0, 64) + "..." : name;
    std::string warning = "unknown setting " + field(parent + shown) + " is ignored";
    if (auto suggestion = closest(name, known))
      warning += " (did you mean " + field(parent + *suggestion) + "?)";
    m_warnings.push_back(warning + (m_source.empty() ? "" : " (" + m_source + ")"));
  }

  // The known name closest to `name` within two edits, else one it starts with
  // ("signing" -> "sign"). Names are short: the quadratic distance is on at most 32
  // characters.
  static std::optional<std::string> closest(const std::string& name,
                                            const std::vector<std::string>& known) {
    if (name.size() > 32)
      return std::nullopt;
    std::optional<std::string> best;
    size_t best_distance = 3;
    for (const auto& candidate : known) {
      size_t distance = edit_distance(name, candidate);
      if (distance < best_distance) {
        best = candidate;
        best_distance = distance;
      }
    }
    for (const auto& candidate : known) {
      if (!best && candidate.size() >= 3 && name.rfind(candidate, 0) == 0)
        best = candidate;
    }
    return best;
  }
  static size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j)
      row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      size_t diagonal = row[0];
      row[0] = i;
      for (size_t j = 1; j <= b.size(); ++j) {
        size_t above = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
        diagonal = above;
      }
    }
    return row[b.size()];
  }

  const std::string& m_source;
  std::vector<std::string>& m_warnings;
};

const std::vector<std::string> section_keys = {"id",       "name",           "version", "root",
                                               "main_url", "vhost",          "type",    "include",
                                               "exclude",  "client_version", "sign"};

YAML::Node child(const std::map<std::string, YAML::Node>& children, const std::string& name) {
  auto found = children.find(name);
  return found == children.end() ? YAML::Node(YAML::NodeType::Undefined) : found->second;
}

VersionRange version_range(SettingsReader& reader, const YAML::Node& node, const std::string& key) {
  auto bounds = reader.mapping(node, key, {"min", "max"}, "a mapping such as {min: 1.0.0}");
  return {reader.scalar(child(bounds, "min"), key + ".min", ""),
          reader.scalar(child(bounds, "max"), key + ".max", "")};
}

// `sign:` empty means unsigned; otherwise it must name the key: a plain path there
// (`sign: keys/private.pem`) would otherwise be skipped and build an unsigned package.
std::string sign_key(SettingsReader& reader, const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull())
    return "";
  auto sign = reader.mapping(node, "sign", {"key"}, "a mapping such as {key: keys/private.pem}");
  std::string key = reader.scalar(child(sign, "key"), "sign.key", "");
  if (key.empty())
    throw reader.wrong("sign.key", "the path of the signing key");
  return key;
}

}  // namespace

Settings settings_from_yaml(const YAML::Node& section, const std::string& source) {
  Settings settings;
  SettingsReader reader(source, settings.warnings);
  auto values = reader.mapping(section, "", section_keys, "a mapping of settings");
  settings.id = reader.scalar(child(values, "id"), "id", "");
  settings.name = reader.scalar(child(values, "name"), "name", "");
  settings.version = reader.scalar(child(values, "version"), "version", "");
  settings.root = reader.scalar(child(values, "root"), "root", settings.root);
  settings.main_url = reader.scalar(child(values, "main_url"), "main_url", settings.main_url);
  settings.vhost = reader.scalar(child(values, "vhost"), "vhost", "");
  settings.type = reader.scalar(child(values, "type"), "type", settings.type);
  settings.include = reader.string_list(child(values, "include"), "include", settings.include);
  settings.exclude = reader.string_list(child(values, "exclude"), "exclude", {});
  auto client = reader.mapping(child(values, "client_version"), "client_version",
                               {"android", "ios"}, "a mapping such as {android: {min: 1.0.0}}");
  settings.android = version_range(reader, child(client, "android"), "client_version.android");
  settings.ios = version_range(reader, child(client, "ios"), "client_version.ios");
  settings.sign_key = sign_key(reader, child(values, "sign"));
  return settings;
}

namespace {

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

std::string default_vhost(const std::string& id) {
  return "https://" + id + ".h5app.com";
}

void apply_defaults(Settings& settings) {
  if (settings.vhost.empty() && !settings.id.empty())
    settings.vhost = default_vhost(settings.id);
}

}  // namespace mpaas::offline
