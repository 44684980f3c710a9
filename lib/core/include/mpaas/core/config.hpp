// Layered configuration with the precedence users rely on (DESIGN.md):
//   flags > environment (MPAAS_*) > project file mpaas.yaml (found upward from the cwd)
//   > user config $XDG_CONFIG_HOME/mpaas/config.yaml (the active profile) > defaults.
// Keys are dotted paths ("endpoint", "offline.id"). Environment variables map to keys by
// dropping MPAAS_, lower-casing, and reading "__" as "." (MPAAS_OFFLINE__ID -> offline.id);
// MPAAS_PROFILE selects the profile and is not a key. Every value remembers its source.
// Reading a malformed YAML file throws invalid_input naming file, line and column; the
// editing functions never write over a file they could not parse.
//
// Config files are hostile input: they are at most 1 MiB, nest at most 64 levels, and their
// aliases may not expand them past 2 Mi nodes and bytes (parse_yaml). Edits hold a lock
// (FileLock) around read-modify-write, change only the text of the edited entry (comments,
// quoting and order stay as written), keep the file's mode and write through a symlink to
// its target; a read-only file is refused, not replaced.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
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
  // Where section(key) comes from: the file's path, or empty when no file has it.
  std::string section_file(const std::string& key) const;
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
    std::string file;  // the YAML file of the layer, empty for flags, env and defaults
  };
  const Layer* section_layer(const std::string& key) const;
  std::vector<Layer> m_layers;  // highest precedence first
  std::string m_profile;
  bool m_profile_exists = false;
  std::filesystem::path m_user_config_path;
  std::optional<std::filesystem::path> m_project_file;
};

// True for keys whose values are secrets, masked on output: a key any of whose dotted names
// contains token, password, passwd, pwd, passphrase, secret, credential, bearer, cookie,
// authorization, api key, private key, access key or signing key, in any case and with or
// without '_' or '-' inside ("apiKey", "API-KEY", "auth.bearer", "db.passwd").
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

// Limits on what a user gives to `config set` and what config files may hold.
constexpr size_t max_config_key_length = 256;      // a dotted key, flattened keys of files too
constexpr size_t max_config_value_length = 16384;  // one value given to set
constexpr size_t max_profile_name_length = 64;
constexpr size_t max_yaml_file_size = 1 << 20;  // a config file, in bytes
constexpr int max_yaml_depth = 64;              // nested mappings and sequences
// Nodes plus scalar bytes of the document with every alias expanded: a file without
// aliases stays far below it; an alias bomb (each level aliasing the previous one ten
// times) is refused as soon as it passes it.
constexpr uint64_t max_yaml_expansion = 2 << 20;

// Parses YAML text from `source_name` (a path, for messages) within the limits above, and
// checks that the top level is a mapping (empty text gives an empty map). Throws
// invalid_input naming the source, and line and column where it applies.
YAML::Node parse_yaml(const std::string& text, const std::string& source_name);
// Parses a YAML file (parse_yaml); a missing file is an empty map.
YAML::Node load_yaml_file(const std::filesystem::path& path);

// Checks that a key is a dotted path of [a-z0-9_-] names, at most max_config_key_length
// characters; throws usage_error otherwise.
void check_config_key(const std::string& key);
// Checks a value given to set (length); throws usage_error.
void check_config_value(const std::string& value);
// Checks a profile name to edit (length, no control characters); throws usage_error.
void check_profile_name(const std::string& profile);

// Sets or removes `key` in a YAML file, under profiles.<profile> when `profile` is not
// empty (the user config) or at the root (a project file). Locks the file, edits only the
// entry's text (yaml_edit.hpp), and writes atomically keeping the file's mode (a new user
// config is 0600, a new project file 0644) and any symlink; returns false from unset when
// the key was not there. A read-only file is refused (conflict), as is an edit that would
// change any other setting (a value shared through an alias).
void set_config_value(const std::filesystem::path& file, const std::string& profile,
                      const std::string& key, const std::string& value);
bool unset_config_value(const std::filesystem::path& file, const std::string& profile,
                        const std::string& key);

}  // namespace mpaas
