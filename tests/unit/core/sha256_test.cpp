// SHA-256 against the FIPS 180-2 test vectors, streamed in pieces and over a file.
#include <catch2/catch.hpp>

#include "mpaas/core/sha256.hpp"
#include "temp_dir.hpp"

using namespace mpaas;

TEST_CASE("sha256 matches the standard test vectors", "[core][sha256]") {
  CHECK(to_hex(sha256_of("")) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(to_hex(sha256_of("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("sha256 streamed in chunks equals the one-shot digest", "[core][sha256]") {
  std::string million(1000000, 'a');
  Sha256 hasher;
  for (size_t offset = 0; offset < million.size(); offset += 4099) {
    hasher.update(million.data() + offset, std::min<size_t>(4099, million.size() - offset));
  }
  CHECK(to_hex(hasher.finish()) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256 of a file equals sha256 of its bytes", "[core][sha256]") {
  test::TempDir dir;
  test::write_text(dir / "f", "hello world\n");
  CHECK(sha256_of_file(dir / "f") == sha256_of("hello world\n"));
}
