// validate patterns through RE2 (see pattern.hpp).
#include "mpaas/scaffold/pattern.hpp"

#include <re2/re2.h>

#include "mpaas/core/error.hpp"
#include "mpaas/scaffold/limits.hpp"

namespace mpaas::scaffold {
namespace {

// RE2 logs compile errors to stderr by default; lib never prints. Its default memory budget
// (8 MiB per pattern) bounds what a pattern may compile to.
RE2::Options pattern_options() {
  RE2::Options options;
  options.set_log_errors(false);
  return options;
}

}  // namespace

void check_validate_pattern(const std::string& pattern, const std::string& where) {
  if (pattern.size() > max_validate_pattern_length)
    throw invalid_input("the validate pattern is longer than " +
                            std::to_string(max_validate_pattern_length) + " characters (" + where +
                            ")",
                        where);
  RE2 compiled(pattern, pattern_options());
  if (!compiled.ok())
    throw invalid_input(
        "invalid regex '" + pattern + "': " + compiled.error() + " (RE2 syntax; " + where + ")",
        where);
}

bool matches_validate_pattern(const std::string& pattern, const std::string& value) {
  RE2 compiled(pattern, pattern_options());
  return compiled.ok() && RE2::FullMatch(value, compiled);
}

}  // namespace mpaas::scaffold
