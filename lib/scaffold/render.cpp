// Mustache rendering (see render.hpp).
#include "mpaas/scaffold/render.hpp"

#include <algorithm>
#include <cctype>
#include <kainjow/mustache.hpp>
#include <regex>

#include "mpaas/core/error.hpp"

namespace mpaas::scaffold {
namespace {

using Data = kainjow::mustache::data;
using Renderer = kainjow::mustache::renderer;

Data transform_lambda(char (*transform)(char)) {
  return Data{kainjow::mustache::lambda2{
      [transform](const std::string& text, const Renderer& render) -> std::string {
        std::string rendered = render(text);
        std::transform(rendered.begin(), rendered.end(), rendered.begin(), transform);
        return rendered;
      }}};
}

// The spec removes a "standalone" section tag (alone on its line but for whitespace) with
// its whole line. kainjow does so for sections it renders but leaves the line of a section
// it skips, so a false `{{#with_tests}}` line would leave a blank line behind. Joining each
// standalone tag to the next line before rendering gives the spec's output either way.
std::string join_standalone_tags(const std::string& text) {
  static const std::regex standalone(R"(^[ \t]*(\{\{\s*[#^/!][^{}]*\}\})[ \t]*\r?\n?$)");
  std::string joined;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    end = end == std::string::npos ? text.size() : end + 1;
    std::string line = text.substr(start, end - start);
    std::smatch match;
    joined += std::regex_match(line, match, standalone) ? match[1].str() : line;
    start = end;
  }
  return joined;
}

Data data_of(const Values& values) {
  Data data;
  for (const auto& value : values) {
    if (value.type == VariableType::boolean) {
      data.set(value.name, Data{value.text == "true"});
      continue;
    }
    data.set(value.name, Data{value.text});
    std::string path = value.text;
    std::replace(path.begin(), path.end(), '.', '/');
    data.set(value.name + "_path", Data{path});
    for (const auto& choice : value.choices)
      data.set(value.name + "_is_" + choice, Data{value.text == choice});
  }
  data.set("dots_to_slashes", transform_lambda([](char c) { return c == '.' ? '/' : c; }));
  data.set("lower", transform_lambda(
                        [](char c) { return static_cast<char>(std::tolower((unsigned char)c)); }));
  data.set("upper", transform_lambda(
                        [](char c) { return static_cast<char>(std::toupper((unsigned char)c)); }));
  return data;
}

}  // namespace

std::string render_text(const std::string& text, const Values& values, const std::string& where) {
  if (text.find("{{") == std::string::npos)
    return text;
  kainjow::mustache::mustache engine{join_standalone_tags(text)};
  if (!engine.is_valid())
    throw invalid_input("invalid Mustache template: " + engine.error_message() + " (" + where +
                        ")");
  engine.set_custom_escape([](const std::string& raw) { return raw; });
  std::string rendered = engine.render(data_of(values));
  if (!engine.is_valid())
    throw invalid_input("invalid Mustache template: " + engine.error_message() + " (" + where +
                        ")");
  return rendered;
}

const Value* find_value(const Values& values, const std::string& name) {
  auto found = std::find_if(values.begin(), values.end(),
                            [&](const Value& value) { return value.name == name; });
  return found == values.end() ? nullptr : &*found;
}

}  // namespace mpaas::scaffold
