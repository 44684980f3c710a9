// Configuration layers, lookup and editing (see config.hpp).
#include "mpaas/core/config.hpp"

#include <algorithm>
#include <regex>
#include <set>
#include <sstream>

#include "mpaas/core/atomic_file.hpp"
#include "mpaas/core/error.hpp"

extern char** environ;

namespace mpaas {
namespace {

std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  std::stringstream stream(key);
  std::string part;
  while (std::getline(stream, part, '.')) {
    parts.push_back(part);
  }
  return parts;
}

std::string scalar_text(const YAML::Node& node) {
  if (node.IsScalar())
    return node.Scalar();
  YAML::Emitter emitter;
  emitter << YAML::Flow << node;
  return emitter.c_str();
}

void flatten_yaml(const std::string& prefix, const YAML::Node& node,
                  std::map<std::string, std::string>& values) {
  if (node.IsMap()) {
    for (const auto& item : node) {
      auto name = item.first.as<std::string>();
      flatten_yaml(prefix.empty() ? name : prefix + "." + name, item.second, values);
    }
  } else if (!prefix.empty() && !node.IsNull()) {
    values[prefix] = scalar_text(node);
  }
}

std::string environment_key(const std::string& variable) {
  std::string key = variable.substr(6);  // drop "MPAAS_"
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string dotted;
  for (size_t i = 0; i < key.size(); ++i) {
    if (key[i] == '_' && i + 1 < key.size() && key[i + 1] == '_') {
      dotted += '.';
      ++i;
    } else {
      dotted += key[i];
    }
  }
  return dotted;
}

std::string env_or(const std::map<std::string, std::string>& environment, const std::string& name,
                   const std::string& fallback) {
  auto found = environment.find(name);
  return found == environment.end() || found->second.empty() ? fallback : found->second;
}

std::string home_of(const std::map<std::string, std::string>& environment) {
  return env_or(environment, "HOME", "/root");
}

// Descends to the node at `parts`; with `create`, missing mappings on the way are added.
// Undefined when a part is missing (without `create`) or a parent is not a mapping.
YAML::Node node_at(YAML::Node root, const std::vector<std::string>& parts, bool create) {
  YAML::Node node = root;
  for (const auto& part : parts) {
    if (!node.IsMap()) {
      return YAML::Node(YAML::NodeType::Undefined);
    }
    if (!node[part]) {
      if (!create)
        return YAML::Node(YAML::NodeType::Undefined);
      node[part] = YAML::Node(YAML::NodeType::Map);
    }
    node.reset(node[part]);
  }
  return node;
}

std::string render_yaml(const YAML::Node& root) {
  YAML::Emitter emitter;
  emitter.SetIndent(2);
  emitter << root;
  return std::string(emitter.c_str()) + "\n";
}

}  // namespace

bool is_secret_key(const std::string& key) {
  static const std::regex secret(
      R"((^|[._])(token|password|passphrase|secret|signing_key)($|[._]))");
  return std::regex_search(key, secret);
}

std::string mask_secret(const std::string& value) {
  return value.empty() ? value : "********";
}

std::filesystem::path user_config_path(const std::map<std::string, std::string>& environment) {
  std::string base = env_or(environment, "XDG_CONFIG_HOME", home_of(environment) + "/.config");
  return std::filesystem::path(base) / "mpaas" / "config.yaml";
}

std::filesystem::path default_data_dir(const std::map<std::string, std::string>& environment) {
  std::string base = env_or(environment, "XDG_DATA_HOME", home_of(environment) + "/.local/share");
  return std::filesystem::path(base) / "mpaas";
}

std::optional<std::filesystem::path> find_project_file(const std::filesystem::path& start) {
  std::error_code ec;
  auto folder = std::filesystem::absolute(start, ec);
  while (!folder.empty()) {
    auto candidate = folder / "mpaas.yaml";
    if (std::filesystem::is_regular_file(candidate, ec)) {
      return candidate;
    }
    if (folder == folder.root_path())
      break;
    folder = folder.parent_path();
  }
  return std::nullopt;
}

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> environment;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string text = *entry;
    auto equals = text.find('=');
    if (equals != std::string::npos) {
      environment[text.substr(0, equals)] = text.substr(equals + 1);
    }
  }
  return environment;
}

YAML::Node load_yaml_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return YAML::Node(YAML::NodeType::Map);
  }
  std::string text = read_file(path);
  try {
    YAML::Node root = YAML::Load(text);
    if (root.IsNull())
      return YAML::Node(YAML::NodeType::Map);
    if (!root.IsMap()) {
      throw invalid_input("expected a YAML mapping at the top level (" + path.string() + ")");
    }
    return root;
  } catch (const YAML::Exception& e) {
    throw invalid_input("invalid YAML at line " + std::to_string(e.mark.line + 1) + ", column " +
                        std::to_string(e.mark.column + 1) + ": " + e.msg + " (" + path.string() +
                        ")");
  }
}

Config Config::load(const ConfigInputs& inputs) {
  Config config;
  config.m_user_config_path = mpaas::user_config_path(inputs.environment);
  config.m_project_file = find_project_file(inputs.cwd);

  Layer flags{"flag", {}, {}};
  for (const auto& [key, value] : inputs.flags) {
    flags.values[key] = value;
  }
  config.m_layers.push_back(std::move(flags));

  Layer environment{"env", {}, {}};
  for (const auto& [variable, value] : inputs.environment) {
    if (variable.rfind("MPAAS_", 0) == 0 && variable != "MPAAS_PROFILE" && variable.size() > 6) {
      environment.values[environment_key(variable)] = value;
    }
  }
  config.m_layers.push_back(std::move(environment));

  if (config.m_project_file) {
    Layer project{"project " + config.m_project_file->string(), {}, {}};
    project.tree = load_yaml_file(*config.m_project_file);
    flatten_yaml("", project.tree, project.values);
    config.m_layers.push_back(std::move(project));
  }

  YAML::Node user = load_yaml_file(config.m_user_config_path);
  std::string file_profile = user["profile"] ? scalar_text(user["profile"]) : "default";
  config.m_profile = !inputs.profile_flag.empty()
                         ? inputs.profile_flag
                         : env_or(inputs.environment, "MPAAS_PROFILE", file_profile);
  Layer profile{
      "profile " + config.m_profile + " (" + config.m_user_config_path.string() + ")", {}, {}};
  if (user["profiles"] && user["profiles"][config.m_profile]) {
    profile.tree = user["profiles"][config.m_profile];
    flatten_yaml("", profile.tree, profile.values);
    config.m_profile_exists = true;
  }
  config.m_layers.push_back(std::move(profile));

  Layer defaults{"default", {}, {}};
  defaults.values["output"] = "text";
  defaults.values["data_dir"] = default_data_dir(inputs.environment).string();
  config.m_layers.push_back(std::move(defaults));
  return config;
}

std::optional<ConfigValue> Config::get(const std::string& key) const {
  for (const auto& layer : m_layers) {
    auto found = layer.values.find(key);
    if (found != layer.values.end()) {
      std::string source = layer.source;
      if (source == "env") {
        std::string variable = "MPAAS_";
        for (char c : key) {
          if (c == '.') {
            variable += "__";
          } else {
            variable += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
          }
        }
        source = "env " + variable;
      } else if (source == "flag") {
        std::string flag = key;
        std::replace(flag.begin(), flag.end(), '_', '-');
        source = "flag --" + flag;
      }
      return ConfigValue{found->second, source};
    }
  }
  return std::nullopt;
}

std::string Config::value_or(const std::string& key, const std::string& fallback) const {
  auto value = get(key);
  return value ? value->value : fallback;
}

YAML::Node Config::section(const std::string& key) const {
  for (const auto& layer : m_layers) {
    if (!layer.tree.IsDefined() || layer.tree.IsNull())
      continue;
    YAML::Node node = node_at(YAML::Clone(layer.tree), split_key(key), false);
    if (node.IsDefined())
      return node;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

std::vector<ConfigEntry> Config::list() const {
  std::set<std::string> keys;
  for (const auto& layer : m_layers) {
    for (const auto& [key, value] : layer.values) {
      keys.insert(key);
    }
  }
  std::vector<ConfigEntry> entries;
  for (const auto& key : keys) {
    entries.push_back({key, *get(key)});
  }
  return entries;
}

void check_config_key(const std::string& key) {
  static const std::regex valid(R"([a-z0-9_-]+(\.[a-z0-9_-]+)*)");
  if (!std::regex_match(key, valid)) {
    throw usage_error("invalid key '" + key +
                      "': use dotted lower-case names such as endpoint or offline.id (KEY)");
  }
}

namespace {

// The parent mapping of `key` in the file's tree (under profiles.<profile> when given),
// and the key's last name, for set and unset.
struct KeySlot {
  YAML::Node parent;
  std::string name;
};

KeySlot slot_of(YAML::Node root, const std::string& profile, const std::string& key, bool create) {
  check_config_key(key);
  std::vector<std::string> parts = split_key(key);
  if (!profile.empty()) {
    parts.insert(parts.begin(), {"profiles", profile});
  }
  std::string name = parts.back();
  parts.pop_back();
  return {node_at(root, parts, create), name};
}

void write_config_file(const std::filesystem::path& file, const std::string& profile,
                       const YAML::Node& root) {
  // The user config may hold tokens: only its owner may read it.
  write_file_atomically(file, render_yaml(root), profile.empty() ? 0644 : 0600);
}

}  // namespace

void set_config_value(const std::filesystem::path& file, const std::string& profile,
                      const std::string& key, const std::string& value) {
  YAML::Node root = load_yaml_file(file);
  KeySlot slot = slot_of(root, profile, key, true);
  if (!slot.parent.IsDefined() || !slot.parent.IsMap()) {
    throw conflict("cannot set '" + key + "': a parent of it is not a mapping (" + file.string() +
                   ")");
  }
  slot.parent[slot.name] = value;
  std::filesystem::create_directories(file.parent_path().empty() ? "." : file.parent_path());
  write_config_file(file, profile, root);
}

bool unset_config_value(const std::filesystem::path& file, const std::string& profile,
                        const std::string& key) {
  YAML::Node root = load_yaml_file(file);
  KeySlot slot = slot_of(root, profile, key, false);
  if (!slot.parent.IsDefined() || !slot.parent.IsMap() || !slot.parent[slot.name]) {
    return false;
  }
  slot.parent.remove(slot.name);
  write_config_file(file, profile, root);
  return true;
}

}  // namespace mpaas
