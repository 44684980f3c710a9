// What "verified" means for an .amr, in one place for verify, inspect and anything else
// that must trust a package. mPaaS signs each envelope entry on its own (CERT.json maps
// each name to its signature), so valid signatures only say that each piece came from the
// key holder, not that the pieces belong together: the signed Manifest.xml of 1.0.0.2
// with the signed tar of 1.0.0.1 (a downgrade), or one app's manifest with another app's
// tar, would each verify. A package is verified when it is signed, every signature is
// valid, and the pieces agree:
//   - the tar entry is named {uid}.tar after the manifest's <uid>;
//   - hpmfile.json (exactly one, at the tar's root) has the manifest's appid and version;
//   - for an incremental package (a manifest with <base_version>), incremental.json has
//     the manifest's app_id, target_version and base_version instead.
#pragma once

#include <string>
#include <vector>

#include "mpaas/crypto/keys.hpp"
#include "mpaas/offline/reader.hpp"

namespace mpaas::offline {

// Two pieces of a package that do not belong together; the message names both values.
struct Mismatch {
  std::string message;
  std::string subject;  // the entry or member at fault
};

struct Verdict {
  bool is_signed = false;
  std::vector<SignatureCheck> signatures;  // empty when unsigned
  std::vector<Mismatch> mismatches;
  bool verified() const;
};

// The checks that need no key (inspect shows them even without one).
std::vector<Mismatch> find_mismatches(const Package& package);
Verdict judge_package(const Package& package, const crypto::Key& key);
// Throws verification_failed for the first reason the verdict is not "verified": not
// signed, then a signature that is not valid, then a mismatch.
void require_verified(const Verdict& verdict);

}  // namespace mpaas::offline
