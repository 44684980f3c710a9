// The results of `mpaas diff` and `mpaas patch` as typed values with one JSON form each
// (docs/json.md), rendered as text or JSON by lib/core's output model.
#pragma once

#include <string>

#include "mpaas/core/output.hpp"
#include "mpaas/delta/delta.hpp"
#include "mpaas/delta/patch_format.hpp"

namespace mpaas::delta {

// What making a patch produced, and how long it took.
struct DiffReport {
  std::string patch;  // where it went, as the user named it ("-" for stdout)
  DiffSummary summary;
  double seconds = 0;
};
Json to_json(const DiffReport& report);
TextLayout text_layout(const DiffReport& report);

// What a patch's header declares (`mpaas patch --info`).
struct HeaderReport {
  std::string patch;  // its name, "stdin" when read from stdin
  PatchHeader header;
};
Json to_json(const HeaderReport& report);
TextLayout text_layout(const HeaderReport& report);

// What applying a patch wrote. Text mode prints nothing, as cp and bspatch do.
struct ApplyReport {
  std::string output;
  PatchHeader header;
  double seconds = 0;
};
Json to_json(const ApplyReport& report);
TextLayout text_layout(const ApplyReport& report);

}  // namespace mpaas::delta
