// A key's public facts as a typed result (`mpaas keys generate` and `mpaas keys show`), with
// one JSON form (docs/json.md). Never holds the private half.
#pragma once

#include <optional>
#include <string>

#include "mpaas/core/output.hpp"
#include "mpaas/crypto/keys.hpp"

namespace mpaas::crypto {

struct KeyReport {
  std::string type;         // "rsa2048", "ec-p256", ...
  std::string fingerprint;  // sha256 of the public key's DER
  std::string public_base64;
  // Where a new pair was written (generate); unset for show.
  std::optional<std::string> private_key_path, public_key_path;
  // The public half as PEM (show); unset for generate, which wrote it to a file.
  std::optional<std::string> public_pem;
};

// The public facts of `key`.
KeyReport describe_key(const Key& key);

Json to_json(const KeyReport& report);
// Generate prints the base64 public key alone (what the mPaaS console asks for); show
// prints the PEM, then the type and fingerprint.
TextLayout text_layout(const KeyReport& report);

}  // namespace mpaas::crypto
