// template.yaml parsing and the file-pattern glob (see manifest.hpp).
#include "mpaas/scaffold/manifest.hpp"

#include <yaml-cpp/yaml.h>
#include <regex>
#include <set>

#include "mpaas/core/error.hpp"
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

VariableSpec parse_variable(const std::string& name, const YAML::Node& node,
                            const std::string& source) {
  std::string where = "variables." + name + " of " + source;
  VariableSpec spec;
  spec.name = name;
  if (!std::regex_match(name, std::regex("[A-Za-z_][A-Za-z0-9_]*")))
    throw invalid_input("variable names hold letters, digits and '_' (" + where + ")");
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
    try {
      std::regex check(spec.validate);
    } catch (const std::regex_error&) {
      throw invalid_input("invalid regex '" + spec.validate + "' (" + where + ".validate)");
    }
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

bool matches_from(const std::string& pattern, size_t p, const std::string& path, size_t s) {
  while (p < pattern.size()) {
    if (pattern.compare(p, 2, "**") == 0) {
      size_t rest = p + 2;
      if (rest < pattern.size() && pattern[rest] == '/')
        ++rest;
      for (size_t i = s; i <= path.size(); ++i) {
        if ((i == s || path[i - 1] == '/' || rest == pattern.size()) &&
            matches_from(pattern, rest, path, i))
          return true;
      }
      return false;
    }
    if (pattern[p] == '*') {
      for (size_t i = s; i <= path.size(); ++i) {
        if (matches_from(pattern, p + 1, path, i))
          return true;
        if (i < path.size() && path[i] == '/')
          break;
      }
      return false;
    }
    if (s >= path.size())
      return false;
    if (pattern[p] == '?' ? path[s] == '/' : pattern[p] != path[s])
      return false;
    ++p;
    ++s;
  }
  return s == path.size();
}

}  // namespace

bool glob_matches(const std::string& pattern, const std::string& path) {
  return matches_from(pattern, 0, path, 0);
}

Manifest parse_manifest(const std::string& text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& error) {
    throw invalid_input("invalid YAML at line " + std::to_string(error.mark.line + 1) +
                        ", column " + std::to_string(error.mark.column + 1) + " (" + source + ")");
  }
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
