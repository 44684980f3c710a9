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
                            Catch::Contains("type: RSA-2048") &&
                            Catch::Contains("fingerprint: SHA256:"));
  CHECK(shown.out.find("PRIVATE") == std::string::npos);
  auto json =
      run_mpaas({"keys", "show", (home / "k/public.pem").string(), "-o", "json"}, home.path());
  auto record = nlohmann::json::parse(json.out);
  CHECK(record["public_pem"] == read_text(home / "k/public.pem"));
  auto bad = run_mpaas({"keys", "show", (home / "k/nothing.pem").string()}, home.path());
  CHECK(bad.exit_code == 5);
}
