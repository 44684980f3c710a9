// Mustache rendering (see render.hpp).
#include "mpaas/scaffold/render.hpp"

#include <algorithm>
#include <cctype>
#include <kainjow/mustache.hpp>
#include <string_view>

#include "mpaas/core/error.hpp"
#include "mpaas/scaffold/limits.hpp"

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

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

// std::regex's \s, as the old pattern had it.
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// If `line` (one line, its '\n' included) is a standalone section, comment or end tag, the
// tag ("{{#x}}"); else an empty view. Standalone: blanks, "{{", spaces, one of # ^ / !, no
// brace up to "}}", then blanks and the line's end. A single pass over the line.
std::string_view standalone_tag(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && is_blank(line[i]))
    ++i;
  size_t tag_start = i;
  if (line.substr(i, 2) != "{{")
    return {};
  i += 2;
  while (i < line.size() && is_space(line[i]))
    ++i;
  if (i >= line.size() || std::string_view("#^/!").find(line[i]) == std::string_view::npos)
    return {};
  size_t brace = line.find_first_of("{}", i + 1);
  if (brace == std::string_view::npos || line.substr(brace, 2) != "}}")
    return {};
  size_t tag_end = brace + 2;
  i = tag_end;
  while (i < line.size() && is_blank(line[i]))
    ++i;
  if (i < line.size() && line[i] == '\r')
    ++i;
  if (i < line.size() && line[i] == '\n')
    ++i;
  return i == line.size() ? line.substr(tag_start, tag_end - tag_start) : std::string_view();
}

// The spec removes a "standalone" section tag (alone on its line but for whitespace) with
// its whole line. kainjow does so for sections it renders but leaves the line of a section
// it skips, so a false `{{#with_tests}}` line would leave a blank line behind. Joining each
// standalone tag to the next line before rendering gives the spec's output either way.
std::string join_standalone_tags(const std::string& text) {
  std::string joined;
  joined.reserve(text.size());
  std::string_view rest = text;
  while (!rest.empty()) {
    size_t end = rest.find('\n');
    end = end == std::string_view::npos ? rest.size() : end + 1;
    std::string_view line = rest.substr(0, end);
    std::string_view tag = standalone_tag(line);
    joined += tag.empty() ? line : tag;
    rest.remove_prefix(end);
  }
  return joined;
}

std::string_view trimmed(std::string_view text) {
  auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!text.empty() && space(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && space(text.back()))
    text.remove_suffix(1);
  return text;
}

struct Delimiters {
  std::string begin = "{{";
  std::string end = "}}";
};

// A set-delimiter tag's contents ("=<% %>="), read as kainjow reads it; false when invalid
// (the engine then reports the error itself).
bool read_delimiters(std::string_view contents, Delimiters& delimiters) {
  if (contents.size() < 5 || contents.back() != '=')
    return false;
  std::string_view inner = trimmed(contents.substr(1, contents.size() - 2));
  size_t space = inner.find(' ');
  if (space == std::string_view::npos)
    return false;
  std::string_view begin = inner.substr(0, space);
  std::string_view end = inner.substr(inner.find_first_not_of(' ', space + 1));
  auto valid = [](std::string_view delimiter) {
    return std::none_of(delimiter.begin(), delimiter.end(), [](char c) {
      return c == '=' || std::isspace(static_cast<unsigned char>(c));
    });
  };
  if (!valid(begin) || !valid(end))
    return false;
  delimiters.begin = begin;
  delimiters.end = end;
  return true;
}

// Walks the tags as kainjow's parser finds them (set-delimiter tags included) and counts
// them, refusing sections nested deeper than the engine can recurse safely. Stops quietly at
// a malformed tag, which the engine then reports with its position.
size_t count_tags(const std::string& text, const std::string& where) {
  Delimiters delimiters;
  size_t tags = 0;
  size_t depth = 0;
  size_t position = 0;
  while (true) {
    size_t start = text.find(delimiters.begin, position);
    if (start == std::string::npos)
      return tags;
    ++tags;
    size_t contents = start + delimiters.begin.size();
    bool braces = delimiters.begin == "{{" && delimiters.end == "}}";
    bool triple = braces && contents < text.size() && text[contents] == '{';
    if (triple)
      ++contents;
    std::string close = triple ? "}}}" : delimiters.end;
    size_t stop = text.find(close, contents);
    if (stop == std::string::npos)
      return tags;
    std::string_view tag = trimmed(std::string_view(text).substr(contents, stop - contents));
    if (!tag.empty() && tag[0] == '=') {
      if (!read_delimiters(tag, delimiters))
        return tags;
    } else if (!triple && !tag.empty() && (tag[0] == '#' || tag[0] == '^')) {
      if (++depth > max_section_depth)
        throw invalid_input("sections are nested more than " + std::to_string(max_section_depth) +
                                " deep (" + where + ")",
                            where);
    } else if (!triple && !tag.empty() && tag[0] == '/') {
      if (depth == 0)
        return tags;
      --depth;
    }
    position = stop + close.size();
  }
}

// Refuses text the engine could not render in bounded memory and stack: too large, a line
// too long, sections nested too deep, or enough tags to repeat the longest value past
// max_rendered_size (the output can be no larger than the text plus one value per tag).
void check_renderable(const std::string& text, const Values& values, const std::string& where) {
  if (text.size() > max_template_text_size)
    throw invalid_input("a file holding Mustache tags is larger than " +
                            std::to_string(max_template_text_size / 1024) + " KiB (" + where + ")",
                        where);
  size_t line_start = 0;
  while (line_start < text.size()) {
    size_t end = text.find('\n', line_start);
    size_t length = (end == std::string::npos ? text.size() : end) - line_start;
    if (length > max_template_line_length)
      throw invalid_input("a line is longer than " + std::to_string(max_template_line_length) +
                              " characters (" + where + ")",
                          where);
    if (end == std::string::npos)
      break;
    line_start = end + 1;
  }
  size_t longest_value = 0;
  for (const auto& value : values)
    longest_value = std::max(longest_value, value.text.size());
  size_t tags = count_tags(text, where);
  if (longest_value > 0 && tags > (max_rendered_size - text.size()) / longest_value)
    throw invalid_input("rendering could exceed " + std::to_string(max_rendered_size >> 20) +
                            " MiB: " + std::to_string(tags) + " tags and a value of " +
                            std::to_string(longest_value) + " characters (" + where + ")",
                        where);
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
  check_renderable(text, values, where);
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
