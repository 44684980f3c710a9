// Layered configuration with the precedence users rely on (DESIGN.md):
//   flags > environment (MPAAS_*) > project file mpaas.yaml (found upward from the cwd)
//   > user config $XDG_CONFIG_HOME/mpaas/config.yaml (the active profile) > defaults.
// Keys are dotted paths ("endpoint", "offline.id"). Environment variables map to keys by
// dropping MPAAS_, lower-casing, and reading "__" as "." (MPAAS_OFFLINE__ID -> offline.id);
// MPAAS_PROFILE selects the profile and is not a key. Every value remembers its source.
// Reading a malformed YAML file throws invalid_input naming file, line and column; the
// editing functions never write over a file they could not parse.
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mpaas {

struct ConfigValue {
  std::string value;
  std::string source;  // "flag --endpoint", "env MPAAS_ENDPOINT", "project <path>", ...
};

struct ConfigEntry {
  std::string key;
  ConfigValue value;
};

struct ConfigInputs {
  std::map<std::string, std::string> flags;        // key -> value given as a global flag
  std::map<std::string, std::string> environment;  // variable -> value
  std::filesystem::path cwd;
  std::string profile_flag;  // --profile, empty when not given
};

class Config {
 public:
  static Config load(const ConfigInputs& inputs);

  std::optional<ConfigValue> get(const std::string& key) const;
  std::string value_or(const std::string& key, const std::string& fallback) const;
  // The highest-precedence YAML node for a section such as "offline" (project file first,
  // then the profile); an undefined node when neither has it.
  YAML::Node section(const std::string& key) const;
  // Every key set anywhere, each with its winning value, sorted by key.
  std::vector<ConfigEntry> list() const;

  const std::string& profile() const { return m_profile; }
  // False when the selected profile has no section in the user config (yet).
  bool profile_exists() const { return m_profile_exists; }
  const std::filesystem::path& user_config_path() const { return m_user_config_path; }
  const std::optional<std::filesystem::path>& project_file() const { return m_project_file; }

 private:
  struct Layer {
    std::string source;
    std::map<std::string, std::string> values;
    YAML::Node tree;
  };
  std::vector<Layer> m_layers;  // highest precedence first
  std::string m_profile;
  bool m_profile_exists = false;
  std::filesystem::path m_user_config_path;
  std::optional<std::filesystem::path> m_project_file;
};

// True for keys whose values are secrets (token, password, key material): masked on output.
bool is_secret_key(const std::string& key);
std::string mask_secret(const std::string& value);

// $XDG_CONFIG_HOME/mpaas/config.yaml, else $HOME/.config/mpaas/config.yaml.
std::filesystem::path user_config_path(const std::map<std::string, std::string>& environment);
// $XDG_DATA_HOME/mpaas, else $HOME/.local/share/mpaas.
std::filesystem::path default_data_dir(const std::map<std::string, std::string>& environment);
// mpaas.yaml in `start` or the nearest folder above it.
std::optional<std::filesystem::path> find_project_file(const std::filesystem::path& start);
// The current process environment as a map.
std::map<std::string, std::string> process_environment();

// Parses a YAML file; a missing file is an empty map. Throws invalid_input with file,
// line and column on a syntax error.
YAML::Node load_yaml_file(const std::filesystem::path& path);

// Checks that a key is a dotted path of [a-z0-9_-] names; throws usage_error otherwise.
void check_config_key(const std::string& key);

// Sets or removes `key` in a YAML file, under profiles.<profile> when `profile` is not
// empty (the user config) or at the root (a project file). Writes atomically; returns
// false from unset when the key was not there.
void set_config_value(const std::filesystem::path& file, const std::string& profile,
                      const std::string& key, const std::string& value);
bool unset_config_value(const std::filesystem::path& file, const std::string& profile,
                        const std::string& key);

}  // namespace mpaas
