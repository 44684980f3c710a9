// Glob matching of '/'-separated relative paths, shared by the offline include/exclude
// lists (mpaas.yaml) and the files rules of templates (template.yaml).
//
//   ?     one character other than '/'
//   *     any run of characters other than '/', the empty run included
//   **/   zero or more whole path segments ("**/*.md" matches "a.md" and "x/y/a.md")
//   **    elsewhere (at the end, or before anything but '/'): any run of characters, '/'
//         included ("tests/**" matches everything under tests/)
//   ./    a leading "./" is ignored ("./www/**" is "www/**")
//
// Every other character matches itself. Matching simulates the pattern as a set of states
// advanced once per character of the path (no backtracking): the time is
// O(length(pattern) x length(path)) whatever the pattern, so a hostile pattern such as
// "*a*a*a*a*a*b" against a long name costs no more than a plain one.
#pragma once

#include <string_view>

namespace mpaas {

bool glob_match(std::string_view pattern, std::string_view path);

}  // namespace mpaas
