// Fuzzes the config YAML reader (parse_yaml: size, depth and alias-expansion limits) and the
// comment-preserving editor (yaml_set / yaml_unset) on whatever text parses. Any
// mpaas::Error is an accepted refusal; a crash, hang, leak or sanitizer report is a bug, and
// so is an edit whose result does not parse again.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "mpaas/core/config.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/core/yaml_edit.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    mpaas::parse_yaml(text, "fuzz.yaml");
  } catch (const mpaas::Error&) {
    return 0;
  }
  const std::vector<std::vector<std::string>> paths = {
      {"a"}, {"offline", "id"}, {"profiles", "default", "endpoint"}};
  for (const auto& path : paths) {
    try {
      std::string edited = mpaas::yaml_set(text, path, "v: #x, [y]", "fuzz.yaml");
      mpaas::parse_yaml(edited, "edited.yaml");  // verified by yaml_set: must not throw
    } catch (const mpaas::Error& error) {
      if (std::string(error.what()).find("edited.yaml") != std::string::npos)
        std::abort();
    }
    try {
      mpaas::yaml_unset(text, path, "fuzz.yaml");
    } catch (const mpaas::Error&) {
    }
  }
  return 0;
}
