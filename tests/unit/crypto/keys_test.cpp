// crypto/keys: generation, PEM and base64 forms, streaming signatures and verification.
#include <catch2/catch.hpp>

#include "mpaas/core/error.hpp"
#include "mpaas/crypto/keys.hpp"

using namespace mpaas::crypto;

TEST_CASE("base64 round-trips and rejects malformed text", "[crypto]") {
  for (const std::string& text :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    auto encoded = base64_encode(text);
    if (text.empty()) {
      CHECK(encoded.empty());
      continue;
    }
    auto decoded = base64_decode(encoded);
    REQUIRE(decoded);
    CHECK(*decoded == text);
  }
  CHECK(base64_encode("abc") == "YWJj");
  CHECK_FALSE(base64_decode("YWJ"));
  CHECK_FALSE(base64_decode("YW*j"));
}

TEST_CASE("RSA keys sign with SHA-1 and SHA-256 and verify by digest", "[crypto]") {
  auto key = generate_key(KeyType::rsa2048);
  CHECK(key.is_private());
  CHECK(key.type_name() == "RSA-2048");
  auto reloaded = load_private_key(private_key_pem(key), "test");
  auto public_key = load_public_key(public_key_pem(key), "test");
  CHECK_FALSE(public_key.is_private());
  auto from_base64 = load_public_key(public_key_base64(key), "test");
  CHECK(fingerprint(from_base64) == fingerprint(key));
  CHECK(fingerprint(key).rfind("SHA256:", 0) == 0);

  for (auto kind : {DigestKind::sha1, DigestKind::sha256}) {
    Signer signer(reloaded, kind);
    signer.update("hello ");
    signer.update("world");
    auto signature = signer.finish();
    CHECK(signature.size() == 256);
    Digest digest(kind);
    digest.update("hello world", 11);
    auto hashed = digest.finish();
    CHECK(verify_digest(public_key, kind, hashed, signature));
    CHECK(verify_message(public_key, kind, "hello world", signature));
    CHECK_FALSE(verify_message(public_key, kind, "hello worle", signature));
    auto other = kind == DigestKind::sha1 ? DigestKind::sha256 : DigestKind::sha1;
    CHECK_FALSE(verify_message(public_key, other, "hello world", signature));
  }
}

TEST_CASE("EC and Ed25519 keys sign our own formats", "[crypto]") {
  for (auto type : {KeyType::ec_p256, KeyType::ed25519}) {
    auto key = generate_key(type);
    Signer signer(key, DigestKind::sha256);
    signer.update("payload");
    auto signature = signer.finish();
    auto public_key = load_public_key(public_key_pem(key), "test");
    CHECK(verify_message(public_key, DigestKind::sha256, "payload", signature));
    CHECK_FALSE(verify_message(public_key, DigestKind::sha256, "payloaD", signature));
  }
  CHECK(generate_key(KeyType::ec_p256).type_name() == "EC-P256");
  CHECK(generate_key(KeyType::ed25519).type_name() == "ED25519");
}

TEST_CASE("malformed keys are refused with the input exit code", "[crypto]") {
  try {
    load_public_key("not a key", "k.pem");
    FAIL("no throw");
  } catch (const mpaas::Error& error) {
    CHECK(error.kind() == mpaas::ErrorKind::invalid_input);
    CHECK(std::string(error.what()) == "not a public key in PEM or base64 form (k.pem)");
  }
  CHECK_THROWS_AS(
      load_private_key("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "k.pem"),
      mpaas::Error);
  CHECK_THROWS_AS(parse_key_type("dsa"), mpaas::Error);
}
