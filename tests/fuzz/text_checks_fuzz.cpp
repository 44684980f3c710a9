// Fuzzes the hand-written checks that replaced std::regex and the backtracking globs: the
// glob matcher (pattern and path split from the input at the first NUL), versions,
// --author and .git name detection. They must never crash, recurse per byte or take more
// than linear time (libFuzzer's -timeout catches a slow input).
#include <cstdint>
#include <string>

#include "mpaas/core/error.hpp"
#include "mpaas/core/glob.hpp"
#include "mpaas/offline/settings.hpp"
#include "mpaas/scaffold/git.hpp"
#include "mpaas/scaffold/project.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  size_t split = input.find('\0');
  std::string pattern = input.substr(0, split);
  std::string path = split == std::string::npos ? input : input.substr(split + 1);
  bool matched = mpaas::glob_match(pattern, path);
  // A pattern without wildcards matches exactly itself.
  if (pattern.find_first_of("*?") == std::string::npos && pattern.rfind("./", 0) != 0 &&
      matched != (pattern == path))
    __builtin_trap();
  (void)mpaas::offline::is_valid_version(input);
  (void)mpaas::scaffold::is_git_folder_name(input);
  try {
    (void)mpaas::scaffold::parse_author(input);
  } catch (const mpaas::Error&) {
  }
  return 0;
}
