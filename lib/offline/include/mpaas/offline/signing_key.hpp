// Which private key signs an .amr package, in one place for the CLI and a server: the
// precedence of the places a key may come from, and the rule that mPaaS packages are
// signed with RSA (mPaaS clients verify SHA1withRSA; an EC or Ed25519 signature would be
// refused on every phone). Nothing here prompts or prints: a passphrase comes from the
// caller's PassphraseSource, and a configured key that does not exist yet is reported in
// the result for the caller to warn about.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "mpaas/crypto/keys.hpp"

namespace mpaas::offline {

// The places a signing key may come from, highest precedence first. Empty means not given.
struct SigningKeySources {
  // 1. A key file the request names explicitly (already resolved against the caller's
  //    working folder), and how the request wrote it (for messages).
  std::optional<std::filesystem::path> given_file;
  std::string given_name;
  // 2. PEM text from the environment, and the variable's name (for messages).
  std::string environment_text;
  std::string environment_name = "MPAAS_SIGNING_KEY";
  // 3. The project's configured key file (offline.sign.key), relative to project_folder
  //    unless absolute.
  std::string configured;
  std::filesystem::path project_folder;
};

enum class SigningKeyOrigin {
  none,                // no source given: the package is unsigned
  given_file,          // 1
  environment,         // 2
  configured_file,     // 3
  configured_missing,  // 3, but the file does not exist yet: unsigned (see choose_signing_key)
};

struct SigningKeyChoice {
  SigningKeyOrigin origin = SigningKeyOrigin::none;
  // The key's file for given_file, configured_file and configured_missing: a build leaves
  // it out of the package even when it lies under the source folder.
  std::optional<std::filesystem::path> file;
  std::string label;  // names the source in messages: the file as written, or the variable
};

// Applies the precedence without reading any key. A configured key whose file does not
// exist is configured_missing, not an error: a fresh `mpaas new h5` project names
// keys/private.pem before any key exists, and builds unsigned (as mPaaS debug packages
// are). A given file that does not exist stays given_file, and loading it fails.
SigningKeyChoice choose_signing_key(const SigningKeySources& sources);

struct SigningKey {
  SigningKeyChoice choice;
  std::optional<crypto::Key> key;  // empty for none and configured_missing
};

// Chooses and loads the signing key, and requires RSA. Throws not_found (subject "key") for
// a given or configured file that cannot be found, auth_error for a wrong passphrase,
// invalid_input for text that is not a private key or a key that is not RSA.
SigningKey load_signing_key(const SigningKeySources& sources,
                            const crypto::PassphraseSource& passphrase = {});

// Throws invalid_input (subject "key") unless `key` is an RSA key; `label` names where it
// came from. Every path that signs a package calls it, so a server cannot sign otherwise.
void require_rsa_signing_key(const crypto::Key& key, const std::string& label);

}  // namespace mpaas::offline
