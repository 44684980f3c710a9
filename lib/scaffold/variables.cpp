// Variable resolution (see variables.hpp).
#include "mpaas/scaffold/variables.hpp"

#include <algorithm>

#include "mpaas/core/error.hpp"
#include "mpaas/scaffold/limits.hpp"
#include "mpaas/scaffold/pattern.hpp"
#include "mpaas/scaffold/rules.hpp"

namespace mpaas::scaffold {
namespace {

constexpr int max_prompt_attempts = 3;

std::string join(const std::vector<std::string>& items) {
  std::string joined;
  for (const auto& item : items)
    joined += (joined.empty() ? "" : ", ") + item;
  return joined;
}

// Normalises and checks `raw` for `spec`; throws usage_error naming `field`. The length is
// checked first, so no later message quotes an overlong value and the validate pattern only
// ever sees a bounded one.
std::string checked_value(const VariableSpec& spec, const std::string& raw,
                          const std::string& field) {
  if (raw.size() > max_value_length)
    throw usage_error("the value of " + spec.name + " is longer than " +
                          std::to_string(max_value_length) + " characters (" + field + ")",
                      field);
  std::string value = raw;
  if (spec.type == VariableType::boolean) {
    static const std::vector<std::string> yes = {"true", "yes", "y", "1", "on"};
    static const std::vector<std::string> no = {"false", "no", "n", "0", "off"};
    std::string lower = raw;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    if (std::find(yes.begin(), yes.end(), lower) != yes.end())
      return "true";
    if (std::find(no.begin(), no.end(), lower) != no.end())
      return "false";
    throw usage_error("'" + raw + "' is not true or false (" + field + ")");
  }
  if (spec.type == VariableType::choice &&
      std::find(spec.choices.begin(), spec.choices.end(), value) == spec.choices.end())
    throw usage_error("'" + value + "' is not one of " + join(spec.choices) + " (" + field + ")");
  if (!spec.validate.empty() && !matches_validate_pattern(spec.validate, value))
    throw usage_error("'" + value + "' does not match " + spec.validate + " (" + field + ")");
  if (!spec.rule.empty())
    check_rule(spec.rule, value, field);
  return value;
}

std::string prompt_until_valid(const VariableSpec& spec, const std::string& suggestion,
                               const Prompter& prompt) {
  std::string problem;
  for (int attempt = 0; attempt < max_prompt_attempts; ++attempt) {
    std::string answer = prompt(spec, suggestion, problem);
    if (answer.empty())
      answer = suggestion;
    try {
      return checked_value(spec, answer, spec.name);
    } catch (const Error& error) {
      problem = error.what();
    }
  }
  throw usage_error(problem);
}

Values builtin_values(const VariableRequest& request) {
  std::string app_id = request.app_id;
  std::string app_id_field = "--app-id";
  if (auto set = request.sets.find("app_id"); set != request.sets.end()) {
    app_id = set->second;
    app_id_field = "--set app_id";
  }
  if (app_id.empty())
    app_id = default_app_id(request.name);
  check_rule("app_id", app_id, app_id_field);
  return {{"app_id", app_id},
          {"name", request.name},
          {"slug", slug_of(request.name)},
          {"identifier", identifier_of(request.name)}};
}

void refuse_unknown_sets(const Manifest& manifest, const VariableRequest& request) {
  std::vector<std::string> known;
  for (const auto& spec : manifest.variables)
    known.push_back(spec.name);
  for (const auto& [key, value] : request.sets) {
    if (key == "app_id")
      continue;
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      auto builtins = builtin_variable_names();
      if (std::find(builtins.begin(), builtins.end(), key) != builtins.end())
        throw usage_error("'" + key +
                          "' is derived from the folder name and cannot be set (--set)");
      throw usage_error("unknown variable '" + key + "'; this template defines: " +
                        (known.empty() ? "none" : join(known)) + " (--set)");
    }
  }
}

}  // namespace

const std::vector<std::string>& builtin_variable_names() {
  static const std::vector<std::string> names = {"app_id", "name", "slug", "identifier"};
  return names;
}

std::pair<std::string, std::string> parse_assignment(const std::string& text) {
  auto equals = text.find('=');
  if (equals == std::string::npos || equals == 0)
    throw usage_error("expected key=value, got '" + text.substr(0, 100) +
                          (text.size() > 100 ? "...' (--set)" : "' (--set)"),
                      "--set");
  if (equals > max_variable_name_length)
    throw usage_error("a variable name is at most " + std::to_string(max_variable_name_length) +
                          " characters (--set)",
                      "--set");
  if (text.size() - equals - 1 > max_value_length)
    throw usage_error("the value of " + text.substr(0, equals) + " is longer than " +
                          std::to_string(max_value_length) + " characters (--set)",
                      "--set " + text.substr(0, equals));
  return {text.substr(0, equals), text.substr(equals + 1)};
}

Values resolve_variables(const Manifest& manifest, const VariableRequest& request) {
  refuse_unknown_sets(manifest, request);
  Values values = builtin_values(request);
  std::vector<std::string> missing;
  for (const auto& spec : manifest.variables) {
    auto builtins = builtin_variable_names();
    if (std::find(builtins.begin(), builtins.end(), spec.name) != builtins.end())
      throw invalid_input("template.yaml may not redefine the built-in variable '" + spec.name +
                          "' (variables." + spec.name + ")");
    Value value{spec.name, "", spec.type, spec.choices};
    std::string suggestion =
        spec.default_value ? render_text(*spec.default_value, values, "default of " + spec.name)
                           : "";
    // A default is the template's text: too long a one is the template's fault (exit 3).
    if (suggestion.size() > max_value_length)
      throw invalid_input("the default of " + spec.name + " renders longer than " +
                              std::to_string(max_value_length) + " characters (template.yaml)",
                          "variables." + spec.name);
    if (auto set = request.sets.find(spec.name); set != request.sets.end()) {
      value.text = checked_value(spec, set->second, "--set " + spec.name);
    } else if (request.prompt) {
      value.text = prompt_until_valid(spec, suggestion, request.prompt);
    } else if (spec.default_value && missing.empty()) {
      value.text = checked_value(
          spec, suggestion,
          "the default of " + spec.name + "; give another with --set " + spec.name + "=VALUE");
    } else if (!spec.default_value) {
      missing.push_back(spec.name);
    }
    values.push_back(value);
  }
  if (!missing.empty())
    throw usage_error("missing variable" + std::string(missing.size() > 1 ? "s " : " ") +
                      join(missing) + ": give " + (missing.size() > 1 ? "them" : "it") +
                      " with --set NAME=VALUE (--set)");
  return values;
}

}  // namespace mpaas::scaffold
