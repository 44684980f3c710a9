// The platform's HTTP client against a fake server in the test: retries (503, 429 with
// Retry-After, a dropped connection) without real waiting, no retry of a POST without an
// Idempotency-Key, error replies mapped back to the same Error, the token sent and never
// shown, malformed replies refused.
#include <catch2/catch.hpp>
#include <functional>

#include "fake_server.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/platform/from_json.hpp"

using namespace mpaas;
using namespace mpaas::platform;
using namespace mpaas::platform::http;
using std::chrono::milliseconds;
using test::drop_connection;
using test::FakeServer;
using test::send_json;

namespace {

const char* app_json =
    R"({"id": "com.example.shop", "name": "Shop", "releases": 0, "created_at": "2025-06-15T14:13:20Z"})";
const char* secret = "mpaas_AAAAsecretBBBBsecretCCCCsecretDDDDsecretEEE";

HttpPlatform platform_for(FakeServer& server, test::NoWait& wait,
                          const std::string& token = secret) {
  HttpPlatformOptions options;
  options.client = wait.options(server.endpoint(), token);
  return HttpPlatform(options);
}

Error error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& error) {
    return error;
  }
  FAIL("no error");
  return failure("none");
}

}  // namespace

TEST_CASE("http client: 503, 429 with Retry-After and a dropped connection are retried",
          "[platform][http]") {
  FakeServer server;
  std::atomic<int> calls{0};
  server.server.Get("/v1/apps", [&](const httplib::Request& request, httplib::Response& response) {
    server.record(request);
    switch (++calls) {
      case 1:
        send_json(response, 503, R"({"error": {"kind": "unavailable", "message": "shutting down",
                                     "subject": null}})");
        return;
      case 2:
        response.set_header("Retry-After", "7");
        send_json(response, 429, "{}");
        return;
      case 3:
        drop_connection(response);
        return;
      default:
        send_json(response, 200, std::string("[") + app_json + "]");
    }
  });
  test::NoWait wait;
  auto platform = platform_for(server, wait);
  auto apps = platform.list_apps();
  REQUIRE(apps.apps.size() == 1);
  CHECK(apps.apps[0].id == "com.example.shop");
  CHECK(calls == 4);
  // Equal jitter with a zero draw: half of 500, 1000, 2000 ms; Retry-After wins when longer.
  CHECK(wait.delays ==
        std::vector<milliseconds>{milliseconds(250), milliseconds(7000), milliseconds(1000)});
}

TEST_CASE("http client: retries end after max attempts with the server's error",
          "[platform][http]") {
  FakeServer server;
  std::atomic<int> calls{0};
  server.server.Get("/v1/apps/x", [&](const httplib::Request&, httplib::Response& response) {
    ++calls;
    send_json(response, 503,
              R"({"error": {"kind": "unavailable", "message": "shutting down", "subject": null}})");
  });
  test::NoWait wait;
  auto platform = platform_for(server, wait);
  auto error = error_of([&] { platform.show_app("x"); });
  CHECK(error.kind() == ErrorKind::unavailable);
  CHECK(std::string(error.what()) == "shutting down");
  CHECK(calls == 4);
  CHECK(wait.delays.size() == 3);
}

TEST_CASE("http client: a POST is retried only with an Idempotency-Key, the same on each attempt",
          "[platform][http]") {
  FakeServer server;
  std::atomic<int> calls{0};
  server.server.Post("/v1/raw", [&](const httplib::Request& request, httplib::Response& response) {
    server.record(request);
    ++calls;
    send_json(response, 503, "{}");
  });
  server.server.Post("/v1/apps", [&](const httplib::Request& request, httplib::Response& response) {
    server.record(request);
    if (++calls < 3)
      return send_json(response, 502, "<html>bad gateway</html>");
    send_json(response, 201, app_json);
  });
  test::NoWait wait;
  Client client(wait.options(server.endpoint(), secret));
  Request plain;
  plain.method = "POST";
  plain.target = "/v1/raw";
  plain.body = Body{"{}"};
  CHECK(client.send(plain).status == 503);
  CHECK(calls == 1);

  calls = 0;
  auto platform = platform_for(server, wait);
  CHECK(platform.create_app("com.example.shop", "Shop").name == "Shop");
  CHECK(calls == 3);
  std::vector<std::string> keys;
  for (const auto& seen : server.seen()) {
    if (seen.path == "/v1/apps")
      keys.push_back(seen.headers.find("Idempotency-Key")->second);
  }
  REQUIRE(keys.size() == 3);
  CHECK(keys[0].size() >= 16);
  CHECK(keys[1] == keys[0]);
  CHECK(keys[2] == keys[0]);
  // Another creating call gets a key of its own.
  calls = 0;
  platform.create_app("com.example.shop", "Shop");
  CHECK(server.seen().back().headers.find("Idempotency-Key")->second != keys[0]);
}

TEST_CASE("http client: error replies come back as the same kind, message and subject",
          "[platform][http]") {
  struct Case {
    int status;
    ErrorKind kind;
  };
  std::vector<Case> cases = {{400, ErrorKind::usage},        {401, ErrorKind::auth},
                             {403, ErrorKind::auth},         {404, ErrorKind::not_found},
                             {409, ErrorKind::conflict},     {413, ErrorKind::invalid_input},
                             {422, ErrorKind::verification}, {429, ErrorKind::unavailable},
                             {500, ErrorKind::failure},      {503, ErrorKind::unavailable}};
  FakeServer server;
  int status = 0;
  ErrorKind kind = ErrorKind::failure;
  bool with_body = true;
  server.server.Get(
      R"(/v1/releases/(.*))", [&](const httplib::Request&, httplib::Response& response) {
        Json body = {
            {"error",
             {{"kind", kind_name(kind)}, {"message", "no release 'x'"}, {"subject", "release"}}}};
        if (with_body)
          send_json(response, status, body.dump());
        else
          response.status = status;
      });
  test::NoWait wait;
  auto platform = platform_for(server, wait);
  for (auto test : cases) {
    status = test.status;
    kind = test.kind;
    with_body = true;
    auto error = error_of([&] { platform.show_release("com.example.shop/android/1.2.0"); });
    CHECK(error.kind() == test.kind);
    CHECK(std::string(error.what()) == "no release 'x'");
    CHECK(error.subject() == "release");
    // Without a JSON body, the status alone decides the kind (docs/api.md's table).
    with_body = false;
    auto bare = error_of([&] { platform.show_release("rel_aaaaaaaaaaaa"); });
    if (test.status != 422)
      CHECK(bare.kind() == test.kind);
  }
}

TEST_CASE("http client: the token goes in the Authorization header and in no error",
          "[platform][http]") {
  std::string token = secret;
  std::vector<std::string> messages;
  {
    FakeServer server;
    server.server.Get(
        "/v1/apps", [&](const httplib::Request& request, httplib::Response& response) {
          server.record(request);
          send_json(response, 401,
                    R"({"error": {"kind": "auth", "message": "unknown token", "subject": null}})");
        });
    server.server.Get("/v1/apps/odd", [&](const httplib::Request&, httplib::Response& response) {
      send_json(response, 200, "not json");
    });
    test::NoWait wait;
    auto platform = platform_for(server, wait);
    auto refused = error_of([&] { platform.list_apps(); });
    CHECK(refused.kind() == ErrorKind::auth);
    messages.push_back(refused.what());
    messages.push_back(error_of([&] { platform.show_app("odd"); }).what());
    auto seen = server.seen();
    REQUIRE(seen.size() == 1);  // a 401 is not retried
    CHECK(seen[0].headers.find("Authorization")->second == "Bearer " + token);
  }
  // A server that is gone: the connection is refused on every attempt.
  std::string endpoint;
  {
    FakeServer gone;
    endpoint = gone.endpoint();
  }
  test::NoWait wait;
  HttpPlatformOptions options;
  options.client = wait.options(endpoint, token);
  HttpPlatform platform(options);
  auto unreachable = error_of([&] { platform.list_apps(); });
  CHECK(unreachable.kind() == ErrorKind::unavailable);
  CHECK(std::string(unreachable.what()).find("127.0.0.1") != std::string::npos);
  messages.push_back(unreachable.what());
  for (const auto& message : messages)
    CHECK(message.find("secret") == std::string::npos);
}

TEST_CASE("http client: a malformed reply is a failure naming the field", "[platform][http]") {
  FakeServer server;
  server.server.Get("/v1/apps/x", [&](const httplib::Request&, httplib::Response& response) {
    send_json(response, 200, R"({"id": 5, "name": "x"})");
  });
  server.server.Get("/v1/releases/rel_aaaaaaaaaaaa/gate",
                    [&](const httplib::Request&, httplib::Response& response) {
                      send_json(response, 200, R"({"release": []})");
                    });
  test::NoWait wait;
  auto platform = platform_for(server, wait);
  auto error = error_of([&] { platform.show_app("x"); });
  CHECK(error.kind() == ErrorKind::failure);
  CHECK(error.subject() == "app.id");
  CHECK(error_of([&] { platform.gate("rel_aaaaaaaaaaaa"); }).subject() == "gate.release");
}

TEST_CASE("http client: whoami, checks and whitelists use their routes", "[platform][http]") {
  FakeServer server;
  server.server.Get("/v1/whoami", [&](const httplib::Request& request,
                                      httplib::Response& response) {
    if (request.get_header_value("Authorization") != std::string("Bearer ") + secret)
      return send_json(response, 401,
                       R"({"error": {"kind": "auth", "message": "no", "subject": null}})");
    send_json(response, 200, R"({"token": "tok_aaaaaaaaaaaa", "name": "ci", "scope": "release"})");
  });
  std::string check_reply =
      to_json(CheckResult{Device{"d1", "", "13", "", "", ""}, {}, {}, {}}).dump();
  server.server.Post("/v1/apps/com.example.shop/check",
                     [&](const httplib::Request& request, httplib::Response& response) {
                       server.record(request);
                       auto body = Json::parse(request.body);
                       CHECK(body["platform"] == "android");
                       CHECK(body["device"]["os_version"] == "13");
                       send_json(response, 200, check_reply);
                     });
  server.server.Get("/v1/apps/com.example.shop/updates",
                    [&](const httplib::Request& request, httplib::Response& response) {
                      server.record(request);
                      CHECK(request.get_param_value("device_id") == "d1");
                      CHECK(request.get_param_value("os_version") == "13");
                      CHECK_FALSE(request.has_param("model"));
                      send_json(response, 200, check_reply);
                    });
  size_t whitelist_calls = 0;
  server.server.Post("/v1/releases/com.example.shop/android/1.2.0/whitelist",
                     [&](const httplib::Request& request, httplib::Response& response) {
                       ++whitelist_calls;
                       auto devices = Json::parse(request.body)["devices"];
                       send_json(response, 200,
                                 Json{{"release", "rel_aaaaaaaaaaaa"},
                                      {"changed", devices.size()},
                                      {"total", whitelist_calls * 10}}
                                     .dump());
                     });
  test::NoWait wait;
  HttpPlatformOptions options;
  options.client = wait.options(server.endpoint(), "");
  options.whitelist_batch = 2;
  HttpPlatform platform(options);
  auto me = platform.authenticate(secret);
  REQUIRE(me);
  CHECK(me->scope == Scope::release);
  CHECK_FALSE(platform.authenticate("mpaas_wrong"));

  CheckRequest request{"com.example.shop", "android", Device{"d1", "", "13", "", "", ""}, false};
  CHECK(platform.check(request).device.os_version == "13");
  request.count = true;
  CHECK(platform.check(request).device.id == "d1");
  CHECK(server.seen().size() == 2);

  auto added = platform.whitelist_add("com.example.shop/android/1.2.0", {"a", "b", "c", "d", "e"});
  CHECK(whitelist_calls == 3);
  CHECK(added.changed == 5);
  CHECK(added.total == 30);
  CHECK(added.release == "rel_aaaaaaaaaaaa");
}

TEST_CASE("http client: endpoints and backoff are checked", "[platform][http]") {
  for (const char* bad : {"ftp://x", "mpaas.example.com", "https://", "https://me:pw@host",
                          "https://host/?token=x", "https://host /v1"}) {
    CAPTURE(bad);
    CHECK(error_of([&] { check_endpoint(bad); }).kind() == ErrorKind::usage);
  }
  check_endpoint("https://mpaas.example.com/prefix");
  check_endpoint("http://127.0.0.1:8750");

  ClientOptions options;
  options.endpoint = "http://127.0.0.1:1";
  options.random = [] { return ~uint64_t{0}; };
  Client client(options);
  for (int attempt = 1; attempt < 40; ++attempt)
    CHECK(client.backoff(attempt, std::nullopt) <= options.max_delay);
  CHECK(client.backoff(1, 90) == milliseconds(90000));
  CHECK(encode_ref("com.example.shop/android/1.2.0") == "com.example.shop/android/1.2.0");
  CHECK(encode_segment("a/b c") == "a%2Fb%20c");
  CHECK(base64_encode("ab") == "YWI=");
  CHECK(base64_encode("abc") == "YWJj");
  CHECK(base64_encode("a") == "YQ==");
}
