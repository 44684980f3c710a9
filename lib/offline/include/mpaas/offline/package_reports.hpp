// The results of `mpaas offline build`, `sign`, `verify` and `inspect` as typed values with
// one JSON form each (docs/json.md), rendered as text or JSON by lib/core's output model.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "mpaas/core/output.hpp"
#include "mpaas/offline/builder.hpp"
#include "mpaas/offline/reader.hpp"
#include "mpaas/offline/verdict.hpp"

namespace mpaas::offline {

// A package built: what went in, how it was signed, and what was left out.
struct BuildReport {
  std::filesystem::path package;
  std::string id, version;
  PackResult result;
  std::string signature;  // "SHA1withRSA", empty when unsigned
  std::string sha256;     // of the package file
};
Json to_json(const BuildReport& report);
TextLayout text_layout(const BuildReport& report);

// A package signed in place.
struct SignReport {
  std::filesystem::path package;
  std::string signature;
  uint64_t size = 0;
};
Json to_json(const SignReport& report);
TextLayout text_layout(const SignReport& report);

// `offline verify`: one row per signed entry (the verdict itself is the exit code).
struct VerifyReport {
  Verdict verdict;
};
Json to_json(const VerifyReport& report);
TextLayout text_layout(const VerifyReport& report);

// `offline inspect`: everything a package holds and its signature state, which is "valid"
// only for what verify accepts, "invalid", "unsigned", or "signed (not checked: ...)".
struct InspectReport {
  std::filesystem::path package;
  const Package* contents = nullptr;  // borrowed for the call that renders it
  std::string signature;
  std::optional<Verdict> verdict;  // when a key was given and the package is signed
  std::vector<Mismatch> mismatches;
};
// The report for `package`, judged with `key` when one is given.
InspectReport inspect_package(const std::filesystem::path& path, const Package& package,
                              const std::optional<crypto::Key>& key);
Json to_json(const InspectReport& report);
TextLayout text_layout(const InspectReport& report);

}  // namespace mpaas::offline
