// template.yaml parsing and the file-pattern glob (see manifest.hpp).
#include "mpaas/scaffold/manifest.hpp"

#include <yaml-cpp/yaml.h>
#include <algorithm>
#include <set>

#include "mpaas/core/config.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/core/glob.hpp"
#include "mpaas/scaffold/limits.hpp"
#include "mpaas/scaffold/pattern.hpp"
#include "mpaas/scaffold/rules.hpp"

namespace mpaas::scaffold {
namespace {

void refuse_unknown_keys(const YAML::Node& node, const std::set<std::string>& known,
                         const std::string& where) {
  for (const auto& entry : node) {
    auto key = entry.first.as<std::string>();
    if (!known.count(key))
      throw invalid_input("unknown key '" + key + "' in " + where);
  }
}

VariableType type_of(const std::string& name, const std::string& where) {
  if (name == "string")
    return VariableType::string;
  if (name == "bool")
    return VariableType::boolean;
  if (name == "choice")
    return VariableType::choice;
  throw invalid_input("unknown type '" + name + "' (expected string, bool or choice) in " + where);
}

// [A-Za-z_][A-Za-z0-9_]*, checked by hand (no std::regex on template input).
bool is_variable_name(const std::string& name) {
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (name.empty() || !letter(name[0]))
    return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return letter(c) || (c >= '0' && c <= '9'); });
}

VariableSpec parse_variable(const std::string& name, const YAML::Node& node,
                            const std::string& source) {
  std::string where = "variables." + name + " of " + source;
  VariableSpec spec;
  spec.name = name;
  if (name.size() > max_variable_name_length || !is_variable_name(name))
    throw invalid_input("variable names hold up to " + std::to_string(max_variable_name_length) +
                            " letters, digits and '_' (" + where + ")",
                        source);
  if (node.IsNull())
    return spec;
  if (!node.IsMap())
    throw invalid_input("a variable is a mapping (" + where + ")");
  refuse_unknown_keys(node, {"description", "default", "type", "choices", "validate", "rule"},
                      where);
  if (node["description"])
    spec.description = node["description"].as<std::string>();
  if (node["type"])
    spec.type = type_of(node["type"].as<std::string>(), where);
  if (node["default"])
    spec.default_value = node["default"].as<std::string>();
  if (node["choices"])
    spec.choices = node["choices"].as<std::vector<std::string>>();
  if (node["validate"]) {
    spec.validate = node["validate"].as<std::string>();
    check_validate_pattern(spec.validate, where + ".validate");
  }
  if (node["rule"]) {
    spec.rule = node["rule"].as<std::string>();
    if (!is_rule(spec.rule))
      throw invalid_input("unknown rule '" + spec.rule + "' (" + where + ")");
  }
  if (spec.type == VariableType::choice && spec.choices.empty())
    throw invalid_input("a choice variable needs choices (" + where + ")");
  if (spec.type == VariableType::boolean && spec.default_value && *spec.default_value != "true" &&
      *spec.default_value != "false")
    throw invalid_input("a bool default is true or false (" + where + ")");
  return spec;
}

}  // namespace

bool glob_matches(const std::string& pattern, const std::string& path) {
  return mpaas::glob_match(pattern, path);
}

// The hardened reader of every YAML mpaas loads (size, nesting depth, alias expansion and
// alias cycles are refused before the tree is built; lib/core/config.cpp).
YAML::Node load_manifest_yaml(const std::string& text, const std::string& source) {
  return parse_yaml(text, source);
}

Manifest parse_manifest(const std::string& text, const std::string& source) {
  YAML::Node root = load_manifest_yaml(text, source);
  Manifest manifest;
  if (root.IsNull())
    return manifest;
  try {
    if (!root.IsMap())
      throw invalid_input("template.yaml is a mapping (" + source + ")");
    refuse_unknown_keys(root, {"description", "variables", "files"}, source);
    if (root["description"])
      manifest.description = root["description"].as<std::string>();
    for (const auto& entry : root["variables"]) {
      manifest.variables.push_back(
          parse_variable(entry.first.as<std::string>(), entry.second, source));
    }
    for (const auto& entry : root["files"]) {
      refuse_unknown_keys(entry, {"path", "when"}, "files of " + source);
      if (!entry["path"] || !entry["when"])
        throw invalid_input("each files entry has a path and a when (" + source + ")");
      manifest.files.push_back({entry["path"].as<std::string>(), entry["when"].as<std::string>()});
    }
  } catch (const YAML::Exception& error) {
    throw invalid_input("unexpected value at line " + std::to_string(error.mark.line + 1) + " (" +
                        source + ")");
  }
  return manifest;
}

}  // namespace mpaas::scaffold
