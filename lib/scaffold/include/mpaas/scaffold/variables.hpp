// Resolves a template's variables to values: the built-ins first (app_id, name, slug,
// identifier), then each declared variable in order, from --set, else a prompt when there
// is a terminal, else its default (a Mustache template over the variables before it). All
// values are validated (type, regex, named rule) before anything is written. When variables
// have neither a value nor a default, one usage_error (exit 2) names every one of them.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "mpaas/scaffold/manifest.hpp"
#include "mpaas/scaffold/render.hpp"

namespace mpaas::scaffold {

// Asks for one variable. `suggestion` is the default (may be empty), `problem` why the
// previous answer was refused (empty on the first ask). An empty answer takes the suggestion.
using Prompter = std::function<std::string(const VariableSpec& spec, const std::string& suggestion,
                                           const std::string& problem)>;

struct VariableRequest {
  std::string name;                         // the project folder's name
  std::string app_id;                       // empty: derived from the name
  std::map<std::string, std::string> sets;  // --set key=value
  Prompter prompt;                          // empty when stdin is not a terminal
};

// Names defined for every template, whatever its template.yaml says.
const std::vector<std::string>& builtin_variable_names();

Values resolve_variables(const Manifest& manifest, const VariableRequest& request);

// Parses "key=value" (--set); throws usage_error otherwise.
std::pair<std::string, std::string> parse_assignment(const std::string& text);

}  // namespace mpaas::scaffold
