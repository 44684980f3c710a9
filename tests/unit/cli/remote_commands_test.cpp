// The platform commands against a remote endpoint (a fake server in the test): argv tables
// of login, logout and api; `app list` through --endpoint; login storing the token 0600
// only after the server accepted it; the token in no output; api's body and exit codes.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "api/options.hpp"
#include "fake_server.hpp"
#include "in_process.hpp"
#include "login/options.hpp"

using namespace mpaas;
using test::InProcess;
using test::parsed;
using test::refused;
using test::send_json;

namespace {

const std::string secret = "mpaas_AAAAsecretBBBBsecretCCCCsecretDDDDsecretEEE";
const char* app_json =
    R"({"id": "com.example.shop", "name": "Shop", "releases": 0, "created_at": "2025-06-15T14:13:20Z"})";

// Answers /v1/whoami and /v1/apps for the one token it knows.
void serve_platform(test::FakeServer& server) {
  auto authorized = [](const httplib::Request& request) {
    return request.get_header_value("Authorization") == "Bearer " + secret;
  };
  auto refuse = [](httplib::Response& response) {
    send_json(response, 401,
              R"({"error": {"kind": "auth", "message": "unknown token", "subject": null}})");
  };
  server.server.Get("/v1/whoami", [=](const httplib::Request& request, httplib::Response& reply) {
    if (!authorized(request))
      return refuse(reply);
    send_json(reply, 200, R"({"token": "tok_aaaaaaaaaaaa", "name": "ci", "scope": "admin"})");
  });
  server.server.Get("/v1/apps", [=](const httplib::Request& request, httplib::Response& reply) {
    if (!authorized(request))
      return refuse(reply);
    send_json(reply, 200, std::string("[") + app_json + "]");
  });
  server.server.Get("/v1/apps/missing", [](const httplib::Request&, httplib::Response& reply) {
    send_json(
        reply, 404,
        R"({"error": {"kind": "not-found", "message": "no app 'missing'", "subject": "app"}})");
  });
}

}  // namespace

TEST_CASE("argv table: login, logout, api", "[cli][argv][platform]") {
  CHECK(parsed<LoginOptions>({"login", "--endpoint", "https://x", "--token-stdin"}).token_stdin);
  CHECK_FALSE(parsed<LoginOptions>({"login"}).token_stdin);
  parsed<LogoutOptions>({"logout"});
  auto api = parsed<ApiOptions>({"api", "POST", "/v1/apps", "--data", "@body.json"});
  CHECK(api.method == "POST");
  CHECK(api.path == "/v1/apps");
  CHECK(api.data == "@body.json");
  CHECK(refused({"api", "FETCH", "/v1/apps"}) == 2);
  CHECK(refused({"api", "GET"}) == 2);
  // A token is never an argument (it would show in the process list and shell history).
  CHECK(refused({"login", "--token", "x"}) == 2);
}

TEST_CASE("remote: login keeps a checked token 0600, app list uses it, logout forgets it",
          "[cli][platform][http]") {
  test::FakeServer server;
  serve_platform(server);
  InProcess app("mpaas_wrong\n");
  CHECK(app.run({"login", "--endpoint", server.endpoint(), "--token-stdin"}) == 7);
  auto credentials = app.home / ".config/mpaas/credentials.yaml";
  CHECK_FALSE(std::filesystem::exists(credentials));

  app.in.clear();
  app.in.str(secret + "\n");
  REQUIRE(app.run({"--verbose", "login", "--endpoint", server.endpoint(), "--token-stdin"}) == 0);
  CHECK_THAT(app.out.str(), Catch::Contains("as ci (admin)"));
  struct stat status {};
  REQUIRE(::stat(credentials.c_str(), &status) == 0);
  CHECK((status.st_mode & 0777) == 0600);

  // The profile now names the endpoint: no flag needed, and the stored token is sent.
  REQUIRE(app.run({"--verbose", "--json", "app", "list"}) == 0);
  CHECK_THAT(app.out.str(), Catch::Contains("com.example.shop"));
  CHECK(app.run({"app", "show", "missing"}) == 5);
  CHECK_THAT(app.err.str(), Catch::Contains("no app 'missing'"));
  CHECK(app.out.str().find(secret) == std::string::npos);
  CHECK(app.err.str().find(secret) == std::string::npos);

  // Another endpoint never gets the stored token.
  test::FakeServer other;
  serve_platform(other);
  CHECK(app.run({"--endpoint", other.endpoint(), "app", "list"}) == 7);

  REQUIRE(app.run({"logout"}) == 0);
  CHECK(app.run({"app", "list"}) == 7);
  // MPAAS_TOKEN works without a login.
  app.context.environment["MPAAS_TOKEN"] = secret;
  CHECK(app.run({"app", "list"}) == 0);
}

TEST_CASE("remote: mpaas api prints the body and exits with the error's code",
          "[cli][platform][http]") {
  test::FakeServer server;
  serve_platform(server);
  server.server.Post("/v1/echo", [](const httplib::Request& request, httplib::Response& reply) {
    CHECK_FALSE(request.get_header_value("Idempotency-Key").empty());
    send_json(reply, 201, request.body);
  });
  InProcess app;
  app.context.environment["MPAAS_ENDPOINT"] = server.endpoint();
  app.context.environment["MPAAS_TOKEN"] = secret;
  REQUIRE(app.run({"api", "GET", "/v1/apps"}) == 0);
  CHECK(nlohmann::json::parse(app.out.str())[0]["id"] == "com.example.shop");
  app.out.str("");
  test::write_text(app.home / "body.json", R"({"a": 1})");
  REQUIRE(app.run({"api", "POST", "/v1/echo", "--data", "@body.json"}) == 0);
  CHECK(app.out.str() == "{\"a\": 1}\n");
  CHECK(app.run({"api", "GET", "/v1/apps/missing"}) == 5);
  CHECK(app.run({"api", "POST", "/v1/echo", "--data", "{not json"}) == 2);
  CHECK(app.run({"api", "GET", "v1/apps"}) == 2);
  app.context.environment.erase("MPAAS_ENDPOINT");
  CHECK(app.run({"api", "GET", "/v1/apps"}) == 2);
}
