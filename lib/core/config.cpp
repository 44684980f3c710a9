// Configuration layers, lookup and editing (see config.hpp).
#include "mpaas/core/config.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <unordered_map>

#include <yaml-cpp/eventhandler.h>

#include "mpaas/core/atomic_file.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/core/file_lock.hpp"
#include "mpaas/core/yaml_edit.hpp"

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

// What flattening one file may produce (keys and values, each entry also charged a fixed
// overhead): with aliases a small file can name the same subtree many times.
constexpr size_t max_flattened_bytes = 16 << 20;
constexpr size_t flattened_entry_overhead = 64;

std::string line_of(const YAML::Node& node) {
  return node.Mark().line >= 0 ? " at line " + std::to_string(node.Mark().line + 1) : "";
}

// A long key in a message: its start and its length.
std::string shown_key(const std::string& key) {
  constexpr size_t shown = 40;
  return key.size() <= shown
             ? key
             : key.substr(0, shown) + "... (" + std::to_string(key.size()) + " characters)";
}

// Flattens nested mappings into dotted keys. Recursion is bounded by parse_yaml's depth
// limit and the output by max_flattened_bytes.
class Flattener {
 public:
  Flattener(std::map<std::string, std::string>& values, const std::string& file)
      : m_values(values), m_file(file) {}

  void flatten(const std::string& prefix, const YAML::Node& node) {
    if (node.IsMap()) {
      for (const auto& item : node) {
        if (!item.first.IsScalar()) {
          throw invalid_input("expected a plain key" + line_of(item.first) + " (" + m_file + ")",
                              m_file);
        }
        const std::string& name = item.first.Scalar();
        std::string key = prefix.empty() ? name : prefix + "." + name;
        if (key.size() > max_config_key_length) {
          throw invalid_input("the key '" + shown_key(key) + "'" + line_of(item.first) +
                                  " is longer than " + std::to_string(max_config_key_length) +
                                  " characters (" + m_file + ")",
                              m_file);
        }
        flatten(key, item.second);
      }
    } else if (!prefix.empty() && !node.IsNull()) {
      std::string text = scalar_text(node);
      charge(prefix.size() + text.size() + flattened_entry_overhead);
      m_values[prefix] = std::move(text);
    }
  }

 private:
  void charge(size_t bytes) {
    if (bytes > m_budget) {
      throw invalid_input("the settings expand beyond " +
                              std::to_string(max_flattened_bytes >> 20) +
                              " MiB through YAML aliases (" + m_file + ")",
                          m_file);
    }
    m_budget -= bytes;
  }

  std::map<std::string, std::string>& m_values;
  const std::string& m_file;
  size_t m_budget = max_flattened_bytes;
};

void flatten_yaml(const YAML::Node& node, std::map<std::string, std::string>& values,
                  const std::string& file) {
  Flattener(values, file).flatten("", node);
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

// Saturating: an alias bomb's sizes overflow 64 bits after a few dozen levels.
uint64_t saturating_add(uint64_t a, uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

std::string position_of(const YAML::Mark& mark) {
  return "line " + std::to_string(mark.line + 1) + ", column " + std::to_string(mark.column + 1);
}

// Walks the first document's parse events before it is loaded: refuses nesting deeper than
// max_yaml_depth (yaml-cpp and every walk of the tree recurse per level) and a document
// whose aliases expand it past max_yaml_expansion nodes plus scalar bytes (yaml-cpp shares an
// aliased node, but flattening, cloning and emitting expand it: a 700-byte file of nested
// aliases would cost gigabytes). The expanded size is counted as the events arrive, each
// alias adding the size its anchor had, so the refusal comes before anything is expanded.
class YamlGuard : public YAML::EventHandler {
 public:
  explicit YamlGuard(const std::string& source) : m_source(source) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { leaf(mark, anchor, 1); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    // An anchor gets its size when its node ends: one without a size is still open, and an
    // alias to it makes the tree a cycle that every walk would follow forever.
    auto found = m_anchor_sizes.find(anchor);
    if (found == m_anchor_sizes.end()) {
      throw invalid_input("a YAML alias refers to a node that contains it at " + position_of(mark) +
                              " (" + m_source + ")",
                          m_source);
    }
    grow(mark, found->second);
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    leaf(mark, anchor, saturating_add(1, value.size()));
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Open {
    YAML::anchor_t anchor;
    uint64_t expanded_before;
  };

  void grow(const YAML::Mark& mark, uint64_t size) {
    m_expanded = saturating_add(m_expanded, size);
    if (m_expanded > max_yaml_expansion) {
      throw invalid_input("YAML aliases expand the document past " +
                              std::to_string(max_yaml_expansion) + " nodes and bytes at " +
                              position_of(mark) + " (" + m_source + ")",
                          m_source);
    }
  }
  void leaf(const YAML::Mark& mark, YAML::anchor_t anchor, uint64_t size) {
    grow(mark, size);
    if (anchor != YAML::NullAnchor)
      m_anchor_sizes[anchor] = size;
  }
  void open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (m_open.size() >= static_cast<size_t>(max_yaml_depth)) {
      throw invalid_input("the YAML nests deeper than " + std::to_string(max_yaml_depth) +
                              " levels at " + position_of(mark) + " (" + m_source + ")",
                          m_source);
    }
    m_open.push_back({anchor, m_expanded});
    grow(mark, 1);
  }
  void close() {
    if (m_open.empty())
      return;
    Open done = m_open.back();
    m_open.pop_back();
    if (done.anchor != YAML::NullAnchor)
      m_anchor_sizes[done.anchor] = m_expanded - done.expanded_before;
  }

  const std::string& m_source;
  std::vector<Open> m_open;
  std::unordered_map<YAML::anchor_t, uint64_t> m_anchor_sizes;
  uint64_t m_expanded = 0;
};

Error yaml_syntax_error(const YAML::Exception& e, const std::string& source) {
  return invalid_input(
      "invalid YAML at " + position_of(e.mark) + ": " + e.msg + " (" + source + ")", source);
}

// The words that make a key secret, compared with a name lower-cased and without '_' and
// '-' ("API-Key" -> "apikey").
constexpr const char* secret_words[] = {
    "token",  "password",   "passwd",    "pwd",           "passphrase",
    "secret", "credential", "bearer",    "authorization", "cookie",
    "apikey", "privatekey", "accesskey", "signingkey",    "clientkey",
};

bool is_secret_name(std::string_view name) {
  std::string squashed;
  squashed.reserve(name.size());
  for (char c : name) {
    if (c != '_' && c != '-')
      squashed += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return std::any_of(std::begin(secret_words), std::end(secret_words),
                     [&](const char* word) { return squashed.find(word) != std::string::npos; });
}

bool is_key_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// Valid UTF-8 (no overlong forms, surrogates or code points past U+10FFFF): the YAML
// emitter and every reader of the file expect it.
bool is_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    auto byte = static_cast<unsigned char>(text[i]);
    size_t length = byte < 0x80           ? 1
                    : (byte >> 5) == 0x6  ? 2
                    : (byte >> 4) == 0xe  ? 3
                    : (byte >> 3) == 0x1e ? 4
                                          : 0;
    if (length == 0 || i + length > text.size())
      return false;
    uint32_t code = length == 1 ? byte : byte & (0x7f >> length);
    for (size_t k = 1; k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80)
        return false;
      code = (code << 6) | (next & 0x3f);
    }
    static constexpr uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < smallest[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
      return false;
    i += length;
  }
  return true;
}

}  // namespace

bool is_secret_key(const std::string& key) {
  size_t start = 0;
  while (start <= key.size()) {
    size_t dot = key.find('.', start);
    size_t end = dot == std::string::npos ? key.size() : dot;
    if (is_secret_name(std::string_view(key).substr(start, end - start)))
      return true;
    start = end + 1;
  }
  return false;
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

YAML::Node parse_yaml(const std::string& text, const std::string& source_name) {
  if (text.size() > max_yaml_file_size) {
    throw invalid_input("the YAML is larger than " + std::to_string(max_yaml_file_size >> 20) +
                            " MiB (" + source_name + ")",
                        source_name);
  }
  YAML::Node root;
  try {
    std::istringstream stream(text);
    YAML::Parser parser(stream);
    YamlGuard guard(source_name);
    parser.HandleNextDocument(guard);
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw yaml_syntax_error(e, source_name);
  }
  if (root.IsNull())
    return YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) {
    throw invalid_input("expected a YAML mapping at the top level (" + source_name + ")",
                        source_name);
  }
  return root;
}

YAML::Node load_yaml_file(const std::filesystem::path& path) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status))
    return YAML::Node(YAML::NodeType::Map);
  if (!std::filesystem::is_regular_file(status)) {
    throw invalid_input("expected a YAML file, not a folder or device (" + path.string() + ")",
                        path.string());
  }
  auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > max_yaml_file_size) {
    throw invalid_input("the YAML is larger than " + std::to_string(max_yaml_file_size >> 20) +
                            " MiB (" + path.string() + ")",
                        path.string());
  }
  return parse_yaml(read_file(path), path.string());
}

namespace {

// The child `name` of a mapping, read without yaml-cpp's operator[] (which throws its own
// messages on a scalar and turns a sequence into a mapping); undefined when absent.
YAML::Node child_of(const YAML::Node& map, const std::string& name) {
  if (map.IsMap()) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == name)
        return it->second;
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

std::string active_profile(const ConfigInputs& inputs, const YAML::Node& user,
                           const std::string& file) {
  if (!inputs.profile_flag.empty())
    return inputs.profile_flag;
  std::string from_file = "default";
  YAML::Node named = child_of(user, "profile");
  if (named.IsDefined() && !named.IsNull()) {
    if (!named.IsScalar())
      throw invalid_input("expected a profile name (profile in " + file + ")", "profile");
    from_file = named.Scalar();
  }
  return env_or(inputs.environment, "MPAAS_PROFILE", from_file);
}

// The selected profile's mapping in the user config; undefined when it has none.
YAML::Node profile_tree(const YAML::Node& user, const std::string& profile,
                        const std::string& file) {
  YAML::Node profiles = child_of(user, "profiles");
  if (!profiles.IsDefined() || profiles.IsNull())
    return YAML::Node(YAML::NodeType::Undefined);
  if (!profiles.IsMap()) {
    throw invalid_input(
        "expected a mapping of profile names to settings (profiles in " + file + ")", "profiles");
  }
  YAML::Node tree = child_of(profiles, profile);
  if (tree.IsDefined() && !tree.IsNull() && !tree.IsMap()) {
    throw invalid_input("expected a mapping of settings (profiles." + profile + " in " + file + ")",
                        "profiles." + profile);
  }
  return tree;
}

}  // namespace

Config Config::load(const ConfigInputs& inputs) {
  Config config;
  config.m_user_config_path = mpaas::user_config_path(inputs.environment);
  config.m_project_file = find_project_file(inputs.cwd);

  Layer flags{"flag", {}, {}, {}};
  for (const auto& [key, value] : inputs.flags) {
    flags.values[key] = value;
  }
  config.m_layers.push_back(std::move(flags));

  Layer environment{"env", {}, {}, {}};
  for (const auto& [variable, value] : inputs.environment) {
    if (variable.rfind("MPAAS_", 0) == 0 && variable != "MPAAS_PROFILE" && variable.size() > 6) {
      environment.values[environment_key(variable)] = value;
    }
  }
  config.m_layers.push_back(std::move(environment));

  if (config.m_project_file) {
    std::string file = config.m_project_file->string();
    Layer project{"project " + file, {}, load_yaml_file(*config.m_project_file), file};
    flatten_yaml(project.tree, project.values, file);
    config.m_layers.push_back(std::move(project));
  }

  std::string user_file = config.m_user_config_path.string();
  YAML::Node user = load_yaml_file(config.m_user_config_path);
  config.m_profile = active_profile(inputs, user, user_file);
  Layer profile{"profile " + config.m_profile + " (" + user_file + ")", {}, {}, user_file};
  YAML::Node tree = profile_tree(user, config.m_profile, user_file);
  if (tree.IsDefined()) {
    profile.tree = tree;
    flatten_yaml(profile.tree, profile.values, user_file);
    config.m_profile_exists = true;
  }
  config.m_layers.push_back(std::move(profile));

  Layer defaults{"default", {}, {}, {}};
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

const Config::Layer* Config::section_layer(const std::string& key) const {
  for (const auto& layer : m_layers) {
    if (!layer.tree.IsDefined() || layer.tree.IsNull())
      continue;
    YAML::Node node = layer.tree;
    for (const auto& part : split_key(key))
      node.reset(child_of(node, part));  // rebind: operator= would write into the tree
    if (node.IsDefined())
      return &layer;
  }
  return nullptr;
}

YAML::Node Config::section(const std::string& key) const {
  const Layer* layer = section_layer(key);
  if (layer == nullptr)
    return YAML::Node(YAML::NodeType::Undefined);
  YAML::Node node = layer->tree;
  for (const auto& part : split_key(key))
    node.reset(child_of(node, part));
  return YAML::Clone(node);
}

std::string Config::section_file(const std::string& key) const {
  const Layer* layer = section_layer(key);
  return layer == nullptr ? std::string() : layer->file;
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
  if (key.size() > max_config_key_length) {
    throw usage_error("the key '" + shown_key(key) + "' is longer than " +
                          std::to_string(max_config_key_length) + " characters (key)",
                      "key");
  }
  bool valid = !key.empty();
  for (size_t i = 0; valid && i < key.size(); ++i) {
    bool dot_allowed = key[i] == '.' && i > 0 && i + 1 < key.size() && key[i - 1] != '.';
    valid = is_key_character(key[i]) || dot_allowed;
  }
  if (!valid) {
    throw usage_error("invalid key '" + shown_key(key) +
                          "': use dotted lower-case names such as endpoint or offline.id (key)",
                      "key");
  }
}

void check_config_value(const std::string& value) {
  if (value.size() > max_config_value_length) {
    throw usage_error("the value is " + std::to_string(value.size()) + " bytes long, at most " +
                          std::to_string(max_config_value_length) + " (value)",
                      "value");
  }
  if (!is_utf8(value))
    throw usage_error("the value is not UTF-8 text (value)", "value");
}

void check_profile_name(const std::string& profile) {
  bool controls = std::any_of(profile.begin(), profile.end(),
                              [](char c) { return static_cast<unsigned char>(c) < 0x20; });
  if (profile.size() > max_profile_name_length || controls || !is_utf8(profile)) {
    throw usage_error("the profile name '" + shown_key(profile) + "' must be at most " +
                          std::to_string(max_profile_name_length) + " characters of text (profile)",
                      "profile");
  }
}

namespace {

std::vector<std::string> path_in_file(const std::string& profile, const std::string& key) {
  std::vector<std::string> path = split_key(key);
  if (!profile.empty())
    path.insert(path.begin(), {"profiles", profile});
  return path;
}

// Replacing a file the user made read-only would undo their choice: refuse instead.
void refuse_read_only(const std::filesystem::path& target, const std::filesystem::path& file) {
  struct stat info {};
  if (::stat(target.c_str(), &info) != 0)
    return;
  bool no_write_bits = (info.st_mode & 0222) == 0;
  if (no_write_bits || ::access(target.c_str(), W_OK) != 0) {
    throw conflict("the file is read-only; make it writable to change it (" + file.string() + ")",
                   file.string());
  }
}

// Runs `edit` on the file's text under its lock and writes the result (when it returns
// one) atomically: the file's mode and a symlink to it are kept (AtomicFile). A new user
// config (it may hold tokens) is created 0600, a new project file 0644.
template <class Edit>
bool edit_config_file(const std::filesystem::path& file, const std::string& profile, Edit edit) {
  std::filesystem::path target = write_target_of(file);
  std::filesystem::path folder = target.parent_path().empty() ? "." : target.parent_path();
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  FileLock lock(target);
  refuse_read_only(target, file);
  std::string text = std::filesystem::exists(target, ec) ? read_file(target) : std::string();
  if (text.size() > max_yaml_file_size) {
    throw invalid_input("the YAML is larger than " + std::to_string(max_yaml_file_size >> 20) +
                            " MiB (" + file.string() + ")",
                        file.string());
  }
  std::optional<std::string> edited = edit(text);
  if (!edited)
    return false;
  write_file_atomically(target, *edited, profile.empty() ? 0644 : 0600);
  return true;
}

}  // namespace

void set_config_value(const std::filesystem::path& file, const std::string& profile,
                      const std::string& key, const std::string& value) {
  check_config_key(key);
  check_config_value(value);
  if (!profile.empty())
    check_profile_name(profile);
  auto path = path_in_file(profile, key);
  edit_config_file(file, profile, [&](const std::string& text) -> std::optional<std::string> {
    return yaml_set(text, path, value, file.string());
  });
}

bool unset_config_value(const std::filesystem::path& file, const std::string& profile,
                        const std::string& key) {
  check_config_key(key);
  if (!profile.empty())
    check_profile_name(profile);
  auto path = path_in_file(profile, key);
  std::error_code ec;
  if (!std::filesystem::exists(file, ec))
    return false;
  return edit_config_file(file, profile, [&](const std::string& text) {
    return yaml_unset(text, path, file.string());
  });
}

}  // namespace mpaas
