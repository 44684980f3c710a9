// Mustache rendering of template text (file contents and file names) with kainjow's engine.
// Templates produce source code, not HTML, so values are inserted as given: `{{x}}` does no
// HTML escaping. A bool variable is a Mustache boolean (`{{#with_tests}}...{{/with_tests}}`);
// a choice variable also defines `<name>_is_<choice>` booleans, and every string variable
// `<name>_path`, its value with dots turned into slashes (`{{package_path}}`: com/a/b, for
// file names, which cannot hold a closing tag's '/'). Built-in lambdas for contents:
// `{{#dots_to_slashes}}{{package}}{{/dots_to_slashes}}`,
// `{{#lower}}..{{/lower}}`, `{{#upper}}..{{/upper}}`. Only this file includes the engine.
#pragma once

#include <string>
#include <vector>

#include "mpaas/scaffold/manifest.hpp"

namespace mpaas::scaffold {

struct Value {
  Value(std::string name_, std::string text_, VariableType type_ = VariableType::string,
        std::vector<std::string> choices_ = {})
      : name(std::move(name_)), text(std::move(text_)), type(type_), choices(std::move(choices_)) {}

  std::string name;
  std::string text;  // bools are "true" or "false"
  VariableType type = VariableType::string;
  std::vector<std::string> choices;
};
using Values = std::vector<Value>;

// Renders `text`; a malformed template (an unclosed section...) throws invalid_input naming
// `where`.
std::string render_text(const std::string& text, const Values& values, const std::string& where);

// The value named `name`, or nullptr.
const Value* find_value(const Values& values, const std::string& name);

}  // namespace mpaas::scaffold
