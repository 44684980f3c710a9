// `mpaas keys`: generation of each type with file modes, show, refusing to overwrite.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "process.hpp"
#include "temp_dir.hpp"

using mpaas::test::read_text;
using mpaas::test::run_mpaas;
using mpaas::test::run_program;
using mpaas::test::TempDir;
namespace fs = std::filesystem;

TEST_CASE("keys generate writes a 0600 private key and prints the base64 public key",
          "[cli][keys]") {
  TempDir home;
  for (std::string type : {"rsa2048", "ec-p256", "ed25519"}) {
    auto folder = home / type;
    auto result =
        run_mpaas({"keys", "generate", "-o", folder.string(), "--type", type}, home.path());
    REQUIRE(result.exit_code == 0);
    CHECK((fs::status(folder / "private.pem").permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write));
    CHECK(result.out.find("-----") == std::string::npos);
    CHECK(result.out.back() == '\n');
    CHECK(result.out.find('\n') == result.out.size() - 1);  // one line
    auto openssl =
        run_program("openssl", {"pkey", "-pubin", "-in", (folder / "public.pem").string(),
                                "-outform", "DER", "-out", (folder / "pub.der").string()});
    REQUIRE(openssl.exit_code == 0);
    auto base64 = run_program("openssl", {"base64", "-A", "-in", (folder / "pub.der").string()});
    CHECK(base64.out + "\n" == result.out);
  }
  auto again = run_mpaas({"keys", "generate", "-o", (home / "rsa2048").string()}, home.path());
  CHECK(again.exit_code == 6);
}

TEST_CASE("keys show prints the public half and fingerprint, never the private key",
          "[cli][keys]") {
  TempDir home;
  REQUIRE(run_mpaas({"keys", "generate", "-o", (home / "k").string()}, home.path()).exit_code == 0);
  auto shown = run_mpaas({"keys", "show", (home / "k/private.pem").string()}, home.path());
  CHECK(shown.exit_code == 0);
  CHECK_THAT(shown.out, Catch::StartsWith("-----BEGIN PUBLIC KEY-----") &&
                            Catch::Contains("type:        RSA-2048") &&
                            Catch::Contains("fingerprint: SHA256:"));
  CHECK(shown.out.find("PRIVATE") == std::string::npos);
  auto json =
      run_mpaas({"keys", "show", (home / "k/public.pem").string(), "-o", "json"}, home.path());
  auto record = nlohmann::json::parse(json.out);
  CHECK(record["public_pem"] == read_text(home / "k/public.pem"));
  auto bad = run_mpaas({"keys", "show", (home / "k/nothing.pem").string()}, home.path());
  CHECK(bad.exit_code == 5);
}

TEST_CASE("an encrypted private key never makes OpenSSL prompt", "[cli][keys]") {
  TempDir home;
  auto encrypted = home / "encrypted.pem";
  REQUIRE(
      run_program("openssl", {"genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                              "-aes-256-cbc", "-pass", "pass:secret", "-out", encrypted.string()})
          .exit_code == 0);
  REQUIRE_THAT(read_text(encrypted), Catch::Contains("ENCRYPTED"));
  // Without a controlling terminal OpenSSL's own prompt falls back to stdin: feed it the
  // passphrase, as a user would have typed it. mpaas must not ask, read or accept it.
  mpaas::test::RunOptions options;
  options.stdin_data = "secret\n";
  options.env["HOME"] = home.path().string();
  options.env["XDG_CONFIG_HOME"] = (home / ".config").string();
  auto shown = run_program(
      "setsid", {"-w", mpaas::test::mpaas_binary(), "keys", "show", encrypted.string()}, options);
  CHECK(shown.exit_code == 3);
  CHECK(shown.out.empty());
  CHECK(shown.err ==
        "mpaas: error: the key is an encrypted private key; give its public key "
        "instead (" +
            encrypted.string() + ")\n");
  auto verify = run_program("setsid",
                            {"-w", mpaas::test::mpaas_binary(), "offline", "verify",
                             (home / "none.amr").string(), "--pubkey", encrypted.string()},
                            options);
  CHECK(verify.exit_code == 3);
  CHECK_THAT(verify.err, Catch::Contains("encrypted private key"));
  CHECK(verify.err.find("pass phrase") == std::string::npos);
}
