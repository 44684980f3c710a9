// A template's `validate` patterns, run with RE2: its automata take time linear in the value
// whatever the pattern ("(a+)+$" included) and never recurse per character, unlike
// std::regex, which backtracked for minutes or overflowed the stack. RE2's syntax is
// ECMAScript's and Perl's common core, without backreferences or lookaround.
#pragma once

#include <string>

namespace mpaas::scaffold {

// Throws invalid_input naming `where` when `pattern` is too long or not valid RE2.
void check_validate_pattern(const std::string& pattern, const std::string& where);

// True when the whole of `value` matches `pattern` (checked by check_validate_pattern).
bool matches_validate_pattern(const std::string& pattern, const std::string& value);

}  // namespace mpaas::scaffold
