// The results of the `mpaas offline` commands that write files (extract, config, diff,
// apply) as typed values with one JSON form each (docs/json.md), rendered as text or JSON
// by lib/core's output model. `path`s are as the user named them.
#pragma once

#include <string>

#include "mpaas/core/output.hpp"
#include "mpaas/offline/extract.hpp"
#include "mpaas/offline/incremental.hpp"

namespace mpaas::offline {

struct ExtractReport {
  std::string folder;
  ExtractResult result;
};
Json to_json(const ExtractReport& report);
TextLayout text_layout(const ExtractReport& report);

// `offline config`: the preset h5_json.json written, and how many packages it lists.
struct H5ConfigReport {
  std::string file;
  size_t packages = 0;
};
Json to_json(const H5ConfigReport& report);
TextLayout text_layout(const H5ConfigReport& report);

// `offline diff`: the incremental package written.
struct IncrementalReport {
  std::string package;
  DiffSummary summary;
};
Json to_json(const IncrementalReport& report);
TextLayout text_layout(const IncrementalReport& report);

// `offline apply`: the package rebuilt.
struct RebuiltReport {
  std::string package;
  PackResult result;
};
Json to_json(const RebuiltReport& report);
TextLayout text_layout(const RebuiltReport& report);

}  // namespace mpaas::offline
