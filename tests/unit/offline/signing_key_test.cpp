// offline/signing_key: which key signs a package (a given file, then the environment, then
// the configured file) and the RSA-only rule, as domain functions a server can call
// without the command layer; and the builder refusing a non-RSA key itself.
#include <catch2/catch.hpp>

#include "mpaas/core/error.hpp"
#include "mpaas/core/progress.hpp"
#include "mpaas/offline/builder.hpp"
#include "mpaas/offline/signing_key.hpp"
#include "temp_dir.hpp"

using namespace mpaas;
using namespace mpaas::offline;
using mpaas::test::TempDir;
using mpaas::test::write_text;
namespace fs = std::filesystem;

namespace {

ErrorKind kind_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& error) {
    return error.kind();
  }
  FAIL("no error was thrown");
  return ErrorKind::failure;
}

}  // namespace

TEST_CASE("signing key precedence: a given file, then the environment, then the configured file",
          "[offline][signing-key]") {
  TempDir dir;
  auto given = crypto::generate_key(crypto::KeyType::rsa2048);
  auto from_env = crypto::generate_key(crypto::KeyType::rsa2048);
  auto configured = crypto::generate_key(crypto::KeyType::rsa2048);
  write_text(dir / "given.pem", crypto::private_key_pem(given));
  write_text(dir / "keys/private.pem", crypto::private_key_pem(configured));

  SigningKeySources sources;
  sources.given_file = dir / "given.pem";
  sources.given_name = "given.pem";
  sources.environment_text = crypto::private_key_pem(from_env);
  sources.configured = "keys/private.pem";
  sources.project_folder = dir.path();

  auto first = load_signing_key(sources);
  CHECK(first.choice.origin == SigningKeyOrigin::given_file);
  CHECK(first.choice.file == dir / "given.pem");
  REQUIRE(first.key);
  CHECK(crypto::fingerprint(*first.key) == crypto::fingerprint(given));

  sources.given_file.reset();
  auto second = load_signing_key(sources);
  CHECK(second.choice.origin == SigningKeyOrigin::environment);
  CHECK_FALSE(second.choice.file);
  REQUIRE(second.key);
  CHECK(crypto::fingerprint(*second.key) == crypto::fingerprint(from_env));

  sources.environment_text.clear();
  auto third = load_signing_key(sources);
  CHECK(third.choice.origin == SigningKeyOrigin::configured_file);
  CHECK(third.choice.file == dir / "keys/private.pem");
  REQUIRE(third.key);
  CHECK(crypto::fingerprint(*third.key) == crypto::fingerprint(configured));

  // A configured key that does not exist yet: unsigned, with the file to warn about.
  fs::remove(dir / "keys/private.pem");
  auto missing = load_signing_key(sources);
  CHECK(missing.choice.origin == SigningKeyOrigin::configured_missing);
  CHECK(missing.choice.file == dir / "keys/private.pem");
  CHECK_FALSE(missing.key);

  sources.configured.clear();
  CHECK(load_signing_key(sources).choice.origin == SigningKeyOrigin::none);
}

TEST_CASE("signing key: a given file must exist and be a file; RSA only",
          "[offline][signing-key]") {
  TempDir dir;
  SigningKeySources sources;
  sources.given_file = dir / "missing.pem";
  sources.given_name = "missing.pem";
  // A given key that is missing is an error, even when a configured one exists.
  sources.configured = "keys/private.pem";
  sources.project_folder = dir.path();
  write_text(dir / "keys/private.pem",
             crypto::private_key_pem(crypto::generate_key(crypto::KeyType::rsa2048)));
  CHECK(kind_of([&] { load_signing_key(sources); }) == ErrorKind::not_found);
  sources.given_file = dir / "keys";
  CHECK(kind_of([&] { load_signing_key(sources); }) == ErrorKind::usage);

  for (auto type : {crypto::KeyType::ec_p256, crypto::KeyType::ed25519}) {
    auto key = crypto::generate_key(type);
    write_text(dir / "other.pem", crypto::private_key_pem(key));
    sources.given_file = dir / "other.pem";
    sources.given_name = "other.pem";
    try {
      load_signing_key(sources);
      FAIL("a " + key.type_name() + " key was accepted");
    } catch (const Error& error) {
      CHECK(error.kind() == ErrorKind::invalid_input);
      CHECK(std::string(error.what()) ==
            "mPaaS packages are signed with RSA, not " + key.type_name() + " (other.pem)");
      CHECK(error.subject() == "key");
    }
  }
}

TEST_CASE("the builder itself refuses to sign with a key that is not RSA",
          "[offline][signing-key]") {
  TempDir dir;
  write_text(dir / "www/index.html", "<html></html>\n");
  Settings settings;
  settings.id = "80000001";
  settings.name = "h5app";
  settings.version = "1.0.0.1";
  settings.root = "www";
  settings.vhost = "https://80000001.h5app.com";
  PackOptions options;
  options.key = crypto::generate_key(crypto::KeyType::ec_p256);
  NullProgress progress;
  auto output = dir / "out.amr";
  CHECK(kind_of([&] { build_package(settings, dir.path(), output, options, progress); }) ==
        ErrorKind::invalid_input);
  CHECK_FALSE(fs::exists(output));
}
