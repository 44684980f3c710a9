// argv -> options tables for `mpaas serve` and `mpaas token`.
#include <catch2/catch.hpp>

#include "in_process.hpp"
#include "serve/options.hpp"
#include "token/options.hpp"

using namespace mpaas;
using test::parsed;
using test::refused;

TEST_CASE("argv table: serve", "[cli][argv][serve]") {
  auto defaults = parsed<ServeOptions>({"serve"});
  CHECK(defaults.listen == "127.0.0.1:8750");
  CHECK(defaults.upload_expiry == "24h");
  CHECK(defaults.threads == 64);
  CHECK_FALSE(defaults.insecure);
  auto given =
      parsed<ServeOptions>({"serve", "--listen", "0.0.0.0:8443", "--tls-cert", "c.pem", "--tls-key",
                            "k.pem", "--insecure", "--upload-expiry", "2h", "--threads", "8"});
  CHECK(given.listen == "0.0.0.0:8443");
  CHECK(given.tls_certificate == "c.pem");
  CHECK(given.tls_key == "k.pem");
  CHECK(given.insecure);
  CHECK(given.upload_expiry == "2h");
  CHECK(given.threads == 8);
  CHECK(refused({"serve", "--threads", "many"}) == 2);
}

TEST_CASE("argv table: token", "[cli][argv][serve]") {
  auto create = parsed<TokenCreateOptions>(
      {"token", "create", "--name", "ci", "--scope", "release", "--expires", "30d"});
  CHECK(create.name == "ci");
  CHECK(create.scope == "release");
  CHECK(create.expires == "30d");
  CHECK(parsed<TokenCreateOptions>({"token", "create", "--name", "x"}).scope == "read");
  CHECK(parsed<TokenRevokeOptions>({"token", "revoke", "tok_k3x9qm2ab7fd"}).id ==
        "tok_k3x9qm2ab7fd");
  CHECK(refused({"token", "create"}) == 2);
  CHECK(refused({"token", "create", "--name", "x", "--scope", "root"}) == 2);
  CHECK(refused({"token", "revoke"}) == 2);
}
