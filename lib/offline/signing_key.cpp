// Choosing and loading the key that signs a package (see signing_key.hpp).
#include "mpaas/offline/signing_key.hpp"

#include "mpaas/core/atomic_file.hpp"
#include "mpaas/core/error.hpp"

namespace mpaas::offline {
namespace fs = std::filesystem;
namespace {

// A PEM private key is a few KiB; anything much larger is not one, and is not read whole.
constexpr uintmax_t max_key_file_size = 1 << 20;

std::string read_key_file(const fs::path& file, const std::string& label) {
  std::error_code error;
  auto status = fs::status(file, error);
  if (!fs::exists(status))
    throw not_found("no such key file (" + label + ")", "key");
  if (fs::is_directory(status))
    throw usage_error("a folder, not a key file (" + label + ")", "key");
  if (!fs::is_regular_file(status))
    throw usage_error("not a regular file (" + label + ")", "key");
  auto size = fs::file_size(file, error);
  if (!error && size > max_key_file_size)
    throw invalid_input("not a private key: larger than 1 MiB (" + label + ")", "key");
  return read_file(file);
}

}  // namespace

SigningKeyChoice choose_signing_key(const SigningKeySources& sources) {
  SigningKeyChoice choice;
  if (sources.given_file) {
    choice.origin = SigningKeyOrigin::given_file;
    choice.file = sources.given_file;
    choice.label = sources.given_name.empty() ? sources.given_file->string() : sources.given_name;
  } else if (!sources.environment_text.empty()) {
    choice.origin = SigningKeyOrigin::environment;
    choice.label = sources.environment_name;
  } else if (!sources.configured.empty()) {
    fs::path configured(sources.configured);
    choice.file = configured.is_absolute() ? configured : sources.project_folder / configured;
    choice.label = choice.file->string();
    std::error_code error;
    choice.origin = fs::exists(*choice.file, error) ? SigningKeyOrigin::configured_file
                                                    : SigningKeyOrigin::configured_missing;
  }
  return choice;
}

SigningKey load_signing_key(const SigningKeySources& sources,
                            const crypto::PassphraseSource& passphrase) {
  SigningKey result;
  result.choice = choose_signing_key(sources);
  const auto& choice = result.choice;
  switch (choice.origin) {
    case SigningKeyOrigin::none:
    case SigningKeyOrigin::configured_missing:
      return result;
    case SigningKeyOrigin::environment:
      result.key = crypto::load_private_key(sources.environment_text, choice.label, passphrase);
      break;
    case SigningKeyOrigin::given_file:
    case SigningKeyOrigin::configured_file:
      result.key = crypto::load_private_key(read_key_file(*choice.file, choice.label), choice.label,
                                            passphrase);
      break;
  }
  require_rsa_signing_key(*result.key, choice.label);
  return result;
}

void require_rsa_signing_key(const crypto::Key& key, const std::string& label) {
  if (!key.is_rsa()) {
    throw invalid_input(
        "mPaaS packages are signed with RSA, not " + key.type_name() + " (" + label + ")", "key");
  }
}

}  // namespace mpaas::offline
