// Naming rules (see rules.hpp). Each rule is a list of checks that stop at the first one
// broken, so the message tells the user exactly what to change.
#include "mpaas/scaffold/rules.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "mpaas/core/error.hpp"

namespace mpaas::scaffold {
namespace {

std::vector<std::string> split_dots(const std::string& value) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t dot = value.find('.', start);
    parts.push_back(
        value.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos)
      return parts;
    start = dot + 1;
  }
}

bool is_letter(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0;
}
bool is_digit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}

const std::set<std::string>& java_keywords() {
  static const std::set<std::string> keywords = {
      "abstract",  "assert",       "boolean",  "break",      "byte",    "case",       "catch",
      "char",      "class",        "const",    "continue",   "default", "do",         "double",
      "else",      "enum",         "extends",  "false",      "final",   "finally",    "float",
      "for",       "goto",         "if",       "implements", "import",  "instanceof", "int",
      "interface", "long",         "native",   "new",        "null",    "package",    "private",
      "protected", "public",       "return",   "short",      "static",  "strictfp",   "super",
      "switch",    "synchronized", "this",     "throw",      "throws",  "transient",  "true",
      "try",       "void",         "volatile", "while",      "_"};
  return keywords;
}

// Returns what is wrong, or an empty string. `allowed` says which non-alphanumeric
// characters a segment may hold; `letter_first` whether it must start with a letter.
std::string check_segments(const std::string& value, const std::string& allowed,
                           bool letter_first) {
  if (value.empty())
    return "it is empty";
  if (value.size() > 255)
    return "it is longer than 255 characters";
  auto segments = split_dots(value);
  if (segments.size() < 2)
    return "it needs at least two segments separated by dots";
  for (const auto& segment : segments) {
    if (segment.empty())
      return "a segment is empty (two dots in a row, or a leading or trailing dot)";
    for (char c : segment) {
      if (!is_letter(c) && !is_digit(c) && allowed.find(c) == std::string::npos) {
        std::string list = "letters, digits";
        for (char a : allowed)
          list += std::string(", '") + a + "'";
        return "segment '" + segment + "' holds '" + std::string(1, c) + "' (allowed: " + list +
               ")";
      }
    }
    if (letter_first && !is_letter(segment[0]))
      return "segment '" + segment + "' must start with a letter";
  }
  return "";
}

std::string check_java_package(const std::string& value) {
  std::string problem = check_segments(value, "_", true);
  if (!problem.empty())
    return problem;
  for (const auto& segment : split_dots(value)) {
    if (java_keywords().count(segment))
      return "segment '" + segment + "' is a Java keyword";
  }
  return "";
}

std::string check_offline_id(const std::string& value) {
  bool digits = value.size() == 8 && std::all_of(value.begin(), value.end(), is_digit);
  return digits ? "" : "it must be exactly 8 digits, e.g. 80000001";
}

struct Rule {
  const char* name;
  const char* title;
  std::string (*check)(const std::string&);
};

const std::vector<Rule>& rules() {
  static const std::vector<Rule> table = {
      {"app_id",
       "app id (reverse domain: letters, digits and '_', each segment starting with a letter)",
       [](const std::string& v) { return check_segments(v, "_", true); }},
      {"java_package", "Java package name (Android)", check_java_package},
      {"bundle_id", "iOS bundle id (letters, digits and '-', in dot-separated segments)",
       [](const std::string& v) { return check_segments(v, "-", false); }},
      {"offline_id", "offline package id", check_offline_id},
  };
  return table;
}

}  // namespace

const std::vector<std::string>& rule_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> list;
    for (const auto& rule : rules())
      list.push_back(rule.name);
    return list;
  }();
  return names;
}

bool is_rule(const std::string& name) {
  auto names = rule_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

void check_rule(const std::string& rule_name, const std::string& value, const std::string& field) {
  for (const auto& rule : rules()) {
    if (rule_name != rule.name)
      continue;
    std::string problem = rule.check(value);
    // Values over 255 characters are refused by every rule; quote only their start.
    std::string shown = value.size() > 64 ? value.substr(0, 64) + "..." : value;
    if (!problem.empty())
      throw usage_error(
          "'" + shown + "' is not a valid " + rule.title + ": " + problem + " (" + field + ")",
          field);
    return;
  }
  throw failure("unknown rule '" + rule_name + "' (" + field + ")");
}

std::string slug_of(const std::string& name) {
  std::string slug;
  for (char c : name) {
    if (is_letter(c) || is_digit(c)) {
      slug += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!slug.empty() && slug.back() != '-') {
      slug += '-';
    }
  }
  while (!slug.empty() && slug.back() == '-')
    slug.pop_back();
  return slug.empty() ? "app" : slug;
}

std::string identifier_of(const std::string& name) {
  std::string identifier;
  bool upper_next = true;
  for (char c : name) {
    if (!is_letter(c) && !is_digit(c)) {
      upper_next = true;
      continue;
    }
    identifier += upper_next ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper_next = false;
  }
  if (identifier.empty() || !is_letter(identifier[0]))
    identifier = "App" + identifier;
  return identifier;
}

std::string default_app_id(const std::string& name) {
  std::string segment;
  for (char c : slug_of(name)) {
    if (c != '-')
      segment += c;
  }
  if (!is_letter(segment[0]))
    segment = "app" + segment;
  if (java_keywords().count(segment))
    segment += "app";
  return "com.example." + segment;
}

}  // namespace mpaas::scaffold
