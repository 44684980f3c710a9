// API tokens on the embedded platform: made with a secret shown once, stored hashed, found by
// their secret only while live, revoked once.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <cctype>
#include <chrono>
#include <functional>

#include "error_kind.hpp"
#include "mpaas/core/clock.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/platform/local.hpp"
#include "temp_dir.hpp"

using namespace mpaas;
using namespace mpaas::platform;
using mpaas::test::kind_of_error;
namespace fs = std::filesystem;

namespace {

TokenRequest request(const std::string& name, Scope scope, int64_t expires_at = 0) {
  TokenRequest made;
  made.name = name;
  made.scope = scope;
  made.expires_at = expires_at;
  return made;
}

// Everything in the database file as text, to look for a secret in it.
std::string database_text(const fs::path& file) {
  std::string all;
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db, "SELECT id, name, scope, secret_sha256 FROM tokens", -1, &statement,
                     nullptr);
  while (sqlite3_step(statement) == SQLITE_ROW) {
    for (int i = 0; i < 4; ++i)
      all += reinterpret_cast<const char*>(sqlite3_column_text(statement, i)) + std::string(" ");
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return all;
}

}  // namespace

TEST_CASE("a token is made with a secret shown once and stored hashed", "[platform][tokens]") {
  test::TempDir home;
  FakeClock clock;
  clock.set(std::chrono::system_clock::time_point(std::chrono::seconds(1750000000)));
  auto store = open_local_platform(home / "platform", "tester", clock);
  auto token = store->create_token(request("ci", Scope::release));
  CHECK(token.id.rfind("tok_", 0) == 0);
  REQUIRE(token.secret.size() == 6 + 43);
  CHECK(token.secret.rfind("mpaas_", 0) == 0);
  CHECK(to_json(token)["secret"] == token.secret);
  CHECK(to_json(token)["scope"] == "release");
  CHECK(to_json(token)["expires_at"].is_null());

  auto listed = store->list_tokens();
  REQUIRE(listed.tokens.size() == 1);
  CHECK(listed.tokens[0].secret.empty());
  CHECK(to_json(listed)[0]["secret"].is_null());
  auto stored = database_text(home / "platform" / "platform.db");
  CHECK(stored.find(token.secret) == std::string::npos);
  CHECK(stored.find(token_secret_hash(token.secret)) != std::string::npos);

  auto found = store->authenticate(token.secret);
  REQUIRE(found);
  CHECK(found->id == token.id);
  CHECK(found->scope == Scope::release);
  CHECK(found->last_used_at == 1750000000);
  CHECK_FALSE(store->authenticate(token.secret + "x"));
  CHECK_FALSE(store->authenticate(""));
  CHECK_FALSE(store->authenticate(std::string(10000, 'a')));
}

TEST_CASE("secrets differ and are 256 random bits of base64url", "[platform][tokens]") {
  auto first = new_token_secret();
  auto second = new_token_secret();
  CHECK(first != second);
  for (char c : first.substr(6))
    CHECK((std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'));
}

TEST_CASE("revoked and expired tokens are not found; revoking twice is a conflict",
          "[platform][tokens]") {
  test::TempDir home;
  FakeClock clock;
  clock.set(std::chrono::system_clock::time_point(std::chrono::seconds(1750000000)));
  auto store = open_local_platform(home / "platform", "tester", clock);
  auto lasting = store->create_token(request("ops", Scope::admin));
  auto brief = store->create_token(request("brief", Scope::read, 1750000000 + 3600));
  CHECK(store->authenticate(brief.secret));
  clock.advance(std::chrono::seconds(3600));
  CHECK_FALSE(store->authenticate(brief.secret));
  CHECK(store->authenticate(lasting.secret));

  auto revoked = store->revoke_token(lasting.id);
  CHECK(revoked.revoked_at == 1750003600);
  CHECK_FALSE(store->authenticate(lasting.secret));
  CHECK(kind_of_error([&] { store->revoke_token(lasting.id); }) == ErrorKind::conflict);
  CHECK(kind_of_error([&] { store->revoke_token("tok_aaaaaaaaaaaa"); }) == ErrorKind::not_found);
  CHECK(store->list_tokens().tokens.size() == 2);
}

TEST_CASE("token names, scopes and expiries are checked", "[platform][tokens]") {
  test::TempDir home;
  FakeClock clock;
  clock.set(std::chrono::system_clock::time_point(std::chrono::seconds(1750000000)));
  auto store = open_local_platform(home / "platform", "tester", clock);
  CHECK(kind_of_error([&] { store->create_token(request("", Scope::read)); }) == ErrorKind::usage);
  CHECK(kind_of_error([&] { store->create_token(request("a b", Scope::read)); }) ==
        ErrorKind::usage);
  CHECK(kind_of_error([&] { store->create_token(request("old", Scope::read, 1700000000)); }) ==
        ErrorKind::usage);
  CHECK(kind_of_error([] { parse_scope("root"); }) == ErrorKind::usage);
  CHECK(scope_allows(Scope::admin, Scope::release));
  CHECK(scope_allows(Scope::release, Scope::release));
  CHECK_FALSE(scope_allows(Scope::read, Scope::release));
  CHECK(store->list_tokens().tokens.empty());
}
