// template.yaml: what a template declares about itself (description, variables, conditional
// files). Parsing only: values are resolved in variables.hpp and files rendered in
// project.hpp. Unknown keys are refused so that a typo in a template does not silently
// change what it generates.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

namespace mpaas::scaffold {

inline constexpr const char* manifest_file_name = "template.yaml";

enum class VariableType { string, boolean, choice };

struct VariableSpec {
  std::string name;
  std::string description;
  VariableType type = VariableType::string;
  std::optional<std::string> default_value;  // a Mustache template over earlier variables
  std::vector<std::string> choices;          // for choice
  std::string validate;                      // an RE2 pattern the whole value must match
  std::string rule;                          // a named rule of rules.hpp
};

// Files matching `pattern` ("tests/**", "*.md", "pages/about/*") are generated only when
// `when` holds: "var" (a true bool), "!var", "var == value" or "var != value".
struct FileRule {
  std::string pattern;
  std::string when;
};

struct Manifest {
  std::string description;
  std::vector<VariableSpec> variables;
  std::vector<FileRule> files;
};

// Parses template.yaml text; throws invalid_input naming `source` on a malformed file.
Manifest parse_manifest(const std::string& text, const std::string& source);

// The one place template YAML is turned into nodes (built-in, folder and git templates
// alike): core's hardened parse_yaml, as for mpaas.yaml; throws invalid_input naming `source`.
YAML::Node load_manifest_yaml(const std::string& text, const std::string& source);

// True when `path` (with '/' separators) matches the glob: '*' and '?' within one path
// segment, '**' across any number of segments (mpaas/core/glob.hpp, shared with offline).
bool glob_matches(const std::string& pattern, const std::string& path);

}  // namespace mpaas::scaffold
