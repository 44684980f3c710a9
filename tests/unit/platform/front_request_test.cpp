// The device front's reader of request heads (lib/platform/server/front_request.hpp): it
// takes an update check it understands whole, and leaves every other request to cpp-httplib.
#include <catch2/catch.hpp>

#include "front_request.hpp"

using mpaas::platform::server::FrontRequest;
using mpaas::platform::server::read_front_request;
using Kind = FrontRequest::Kind;

namespace {

constexpr size_t max_head = 8192;

std::string check_head(const std::string& target, const std::string& headers = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + "\r\n";
}

Kind kind_of(const std::string& head) {
  return read_front_request(head, max_head).kind;
}

}  // namespace

TEST_CASE("front: an update check is read whole, its query decoded", "[server][front]") {
  auto head = check_head(
      "/v1/apps/com.example.shop/updates?platform=android&model=Pixel%208&network=wi+fi"
      "&device_id=d1&device_id=d2&flag&=empty");
  auto request = read_front_request(head + "GET /next", max_head);
  REQUIRE(request.kind == Kind::check);
  CHECK(request.head_length == head.size());
  CHECK(request.app == "com.example.shop");
  CHECK(request.path == "/v1/apps/com.example.shop/updates");
  CHECK(request.parameter("platform") == "android");
  CHECK(request.parameter("model") == "Pixel 8");
  CHECK(request.parameter("network") == "wi fi");
  CHECK(request.parameter("device_id") == "d1");  // the first, as cpp-httplib
  CHECK(request.parameter("flag").empty());
  CHECK(request.parameter("absent").empty());
  CHECK_FALSE(request.close);
  // A stray % that is no escape is kept as written.
  CHECK(read_front_request(check_head("/v1/apps/a/updates?model=100%"), max_head)
            .parameter("model") == "100%");
}

TEST_CASE("front: Connection: close is honoured; a zero Content-Length is no body",
          "[server][front]") {
  auto closing = read_front_request(
      check_head("/v1/apps/a/updates", "connection: Close\r\nContent-Length: 0\r\n"), max_head);
  REQUIRE(closing.kind == Kind::check);
  CHECK(closing.close);
}

TEST_CASE("front: a head not ended yet waits, and one longer than the limit goes on",
          "[server][front]") {
  auto head = check_head("/v1/apps/a/updates");
  CHECK(kind_of(head.substr(0, head.size() - 1)) == Kind::incomplete);
  CHECK(kind_of("") == Kind::incomplete);
  CHECK(kind_of("GET /v1/apps/a/updates HTTP/1.1\r\nX: " + std::string(max_head, 'a')) ==
        Kind::other);
  CHECK(read_front_request(head, head.size() - 1).kind == Kind::other);
}

TEST_CASE("front: every other request is left to cpp-httplib", "[server][front]") {
  const std::vector<std::string> others = {
      "POST /v1/apps/a/updates HTTP/1.1\r\n\r\n",
      "HEAD /v1/apps/a/updates HTTP/1.1\r\n\r\n",
      "GET /v1/apps/a/updates HTTP/1.0\r\n\r\n",
      "GET /v1/apps/a/releases HTTP/1.1\r\n\r\n",
      "GET /v1/apps//updates HTTP/1.1\r\n\r\n",
      "GET /v1/apps/a/b/updates HTTP/1.1\r\n\r\n",
      "GET /v1/apps/a%2Fb/updates HTTP/1.1\r\n\r\n",
      "GET /v1/apps/a/updates?model=%u0041 HTTP/1.1\r\n\r\n",
      "GET /v1/apps/a/updates#x HTTP/1.1\r\n\r\n",
      "GET  /v1/apps/a/updates HTTP/1.1\r\n\r\n",
      "GET /v1/apps/\xff/updates HTTP/1.1\r\n\r\n",
      check_head("/v1/apps/a/updates", "Content-Length: 5\r\n"),
      check_head("/v1/apps/a/updates", "Transfer-Encoding: chunked\r\n"),
      check_head("/v1/apps/a/updates", "Expect: 100-continue\r\n"),
      check_head("/v1/apps/a/updates", "Upgrade: websocket\r\n"),
      check_head("/v1/apps/a/updates", "no colon here\r\n"),
      check_head("/v1/apps/a/updates", ": no name\r\n"),
      check_head("/v1/apps/a/updates", "Bad Name: x\r\n"),
      check_head("/v1/apps/a/updates", "X-A: 1\r\n folded\r\n"),
      check_head("/v1/apps/a/updates", "X-A: bare\nX-B: lf\r\n"),
      "\x16\x03\x01garbage\r\n\r\n",
  };
  for (const auto& head : others) {
    INFO(head);
    CHECK(kind_of(head) == Kind::other);
  }
}
