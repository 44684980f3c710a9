// The HTTP API server on a real loopback port, over the embedded platform in a temp folder,
// called with cpp-httplib's client: auth and scopes, errors as JSON, tus uploads and the
// release made from one, the lifecycle, device checks and artifact ranges, idempotency, rate
// limits, and the route list against docs/api.md.
#include <httplib.h>

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "live_server.hpp"
#include "process.hpp"

using namespace mpaas;
using namespace mpaas::platform;
using mpaas::test::base64;
using mpaas::test::LiveServer;
using mpaas::test::open_socket;
using mpaas::test::raw_sha256;
using mpaas::test::send_raw;
using mpaas::test::TempDir;

TEST_CASE("health, readiness and unknown routes answer JSON", "[server]") {
  LiveServer server;
  auto http = server.client();
  auto health = http.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(Json::parse(health->body)["status"] == "ok");
  auto unknown = http.Get("/v2/nothing");
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
  CHECK(Json::parse(unknown->body)["error"]["kind"] == "not-found");
}

TEST_CASE("tokens: none or wrong is 401, a lacking scope 403, never echoed", "[server]") {
  LiveServer server;
  auto http = server.client();
  auto none = http.Get("/v1/apps");
  REQUIRE(none);
  CHECK(none->status == 401);
  CHECK(Json::parse(none->body)["error"]["kind"] == "auth");
  auto wrong = http.Get("/v1/apps", server.auth("mpaas_not-a-real-token"));
  REQUIRE(wrong);
  CHECK(wrong->status == 401);
  CHECK(wrong->body.find("not-a-real-token") == std::string::npos);
  auto reader = server.token("dashboard", "read");
  server.get("/v1/apps", 200, reader);
  auto refused = server.post("/v1/apps", {{"id", "com.example.shop"}}, 403, reader);
  CHECK(refused["error"]["subject"] == "scope");
  CHECK(server.get("/v1/whoami", 200, reader)["scope"] == "read");
  // Revoked: 401 from then on.
  auto tokens = server.get("/v1/tokens", 200);
  std::string id;
  for (const auto& token : tokens) {
    CHECK(token["secret"].is_null());
    if (token["name"] == "dashboard")
      id = token["id"];
  }
  auto revoked = server.client().Delete(("/v1/tokens/" + id).c_str(), server.auth(server.admin));
  REQUIRE(revoked);
  CHECK(revoked->status == 200);
  server.get("/v1/apps", 401, reader);
  // The access log has each request, and no secret.
  std::lock_guard lock(server.log_mutex);
  CHECK(server.log.size() >= 7);
  for (const auto& entry : server.log)
    CHECK(entry.path.find("mpaas_") == std::string::npos);
}

TEST_CASE("a tus upload becomes a release; the lifecycle and checks work over HTTP", "[server]") {
  LiveServer server;
  server.post("/v1/apps", {{"id", "com.example.shop"}, {"name", "Shop"}}, 201);
  std::string artifact = "an android package, some bytes long enough for chunks";
  auto upload = server.upload(artifact, "shop-1.2.0.apk");
  auto release = server.post("/v1/apps/com.example.shop/releases",
                             {{"upload", upload},
                              {"platform", "android"},
                              {"version", "1.2.0"},
                              {"percent", 10},
                              {"whitelist", {"vip-1"}},
                              {"rules", {"os_version>=12"}},
                              {"sha256", to_hex(sha256_of(artifact))}},
                             201);
  CHECK(release["state"] == "gray");
  CHECK(release["percent"] == 10);
  CHECK(release["file_name"] == "shop-1.2.0.apk");
  CHECK(release["size"] == artifact.size());
  CHECK(release["created_by"] == "token admin");
  auto id = release["id"].get<std::string>();
  // The upload was consumed.
  server.get("/v1/releases/" + id, 200);
  CHECK(server.get("/v1/releases/com.example.shop/android/1.2.0", 200)["id"] == id);

  auto rolled = server.post("/v1/releases/" + id + "/rollout", {{"percent", 50}}, 200);
  CHECK(rolled["percent"] == 50);
  auto lowered = server.post("/v1/releases/" + id + "/rollout", {{"percent", 20}}, 409);
  CHECK(lowered["error"]["kind"] == "conflict");
  CHECK(server.post("/v1/releases/" + id + "/pause", Json::object(), 200)["state"] == "paused");
  CHECK(server.post("/v1/releases/" + id + "/resume", Json::object(), 200)["state"] == "gray");
  auto added =
      server.post("/v1/releases/" + id + "/whitelist", {{"devices", {"vip-2", "vip-3"}}}, 200);
  CHECK(added["changed"] == 2);
  CHECK(added["total"] == 3);
  CHECK(server.get("/v1/releases/" + id + "/whitelist", 200)["devices"].size() == 3);
  auto history = server.get("/v1/releases/" + id + "/history", 200);
  CHECK(history.size() >= 5);

  // A device-side check needs no token; a whitelisted device gets the release.
  auto check = server.client().Get(
      "/v1/apps/com.example.shop/updates?platform=android&device_id=vip-2&os_version=13");
  REQUIRE(check);
  CHECK(check->status == 200);
  auto decision = Json::parse(check->body);
  REQUIRE(decision["offers"].size() == 1);
  CHECK(decision["offers"][0]["id"] == id);
  auto simulated = server.post(
      "/v1/apps/com.example.shop/check",
      {{"platform", "android"}, {"device", {{"id", "d-1"}, {"os_version", "11"}}}}, 200);
  CHECK(simulated["offers"].empty());
  CHECK(simulated["skipped"][0]["reason"].get<std::string>().find("os_version") !=
        std::string::npos);

  // The artifact: whole, a range, and 304 for its ETag.
  auto http = server.client();
  auto whole = http.Get(("/v1/releases/" + id + "/artifact").c_str());
  REQUIRE(whole);
  CHECK(whole->status == 200);
  CHECK(whole->body == artifact);
  auto etag = whole->get_header_value("ETag");
  CHECK(etag == "\"" + to_hex(sha256_of(artifact)) + "\"");
  auto part = http.Get(("/v1/releases/" + id + "/artifact").c_str(), {{"Range", "bytes=3-9"}});
  REQUIRE(part);
  CHECK(part->status == 206);
  CHECK(part->body == artifact.substr(3, 7));
  auto same = http.Get(("/v1/releases/" + id + "/artifact").c_str(), {{"If-None-Match", etag}});
  REQUIRE(same);
  CHECK(same->status == 304);

  CHECK(server.post("/v1/releases/" + id + "/finish", Json::object(), 200)["state"] == "released");
  CHECK(server.post("/v1/releases/" + id + "/resume", Json::object(), 409)["error"]["kind"] ==
        "conflict");
}

namespace {

// Creates a tus upload of `length` bytes as the admin; its Location.
std::string new_upload(const LiveServer& server, httplib::Client& http, const std::string& length) {
  httplib::Headers create = server.auth(server.admin);
  create.emplace("Tus-Resumable", "1.0.0");
  create.emplace("Upload-Length", length);
  auto made = http.Post("/v1/uploads", create, "", "application/offset+octet-stream");
  REQUIRE(made);
  REQUIRE(made->status == 201);
  return made->get_header_value("Location");
}

}  // namespace

TEST_CASE("tus: a wrong checksum keeps nothing, a wrong offset is 409, HEAD tells the offset",
          "[server]") {
  LiveServer server;
  auto http = server.client();
  auto location = new_upload(server, http, "10");
  auto patch = [&](const std::string& offset, const std::string& body,
                   const std::string& checksum) {
    httplib::Headers headers = server.auth(server.admin);
    headers.emplace("Tus-Resumable", "1.0.0");
    headers.emplace("Upload-Offset", offset);
    if (!checksum.empty())
      headers.emplace("Upload-Checksum", "sha256 " + base64(raw_sha256(checksum)));
    return http.Patch(location.c_str(), headers, body, "application/offset+octet-stream");
  };
  auto bad = patch("0", "hello", "other");
  REQUIRE(bad);
  CHECK(bad->status == 460);
  httplib::Headers head_headers = server.auth(server.admin);
  head_headers.emplace("Tus-Resumable", "1.0.0");
  auto head = http.Head(location.c_str(), head_headers);
  REQUIRE(head);
  CHECK(head->get_header_value("Upload-Offset") == "0");
  auto good = patch("0", "hello", "hello");
  REQUIRE(good);
  CHECK(good->status == 204);
  auto stale = patch("0", "hello", "");
  REQUIRE(stale);
  CHECK(stale->status == 409);
  auto too_long = patch("5", "too long!", "");
  REQUIRE(too_long);
  CHECK(too_long->status == 413);
  head = http.Head(location.c_str(), head_headers);
  CHECK(head->get_header_value("Upload-Offset") == "5");
  // Without Tus-Resumable: 412.
  auto old = http.Head(location.c_str(), server.auth(server.admin));
  REQUIRE(old);
  CHECK(old->status == 412);
  // Termination.
  auto removed = http.Delete(location.c_str(), head_headers);
  REQUIRE(removed);
  CHECK(removed->status == 204);
  head = http.Head(location.c_str(), head_headers);
  CHECK(head->status == 404);
}

TEST_CASE("tus: a body cut off stays for the client to resume, unless a checksum came with it",
          "[server]") {
  LiveServer server;
  auto http = server.client();
  httplib::Headers tus = server.auth(server.admin);
  tus.emplace("Tus-Resumable", "1.0.0");
  auto offset_of = [&](const std::string& location) {
    auto head = http.Head(location.c_str(), tus);
    REQUIRE(head);
    return head->get_header_value("Upload-Offset");
  };
  auto wait_for_offset = [&](const std::string& location, const std::string& wanted) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (offset_of(location) != wanted && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return offset_of(location);
  };
  // Ten bytes announced, four sent; the client goes away once the server holds them.
  auto cut_off_patch = [&](bool with_checksum) {
    auto location = new_upload(server, http, "10");
    std::string head = "PATCH " + location + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                       server.admin +
                       "\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n"
                       "Content-Type: application/offset+octet-stream\r\nContent-Length: 10\r\n";
    if (with_checksum)
      head += "Upload-Checksum: sha256 " + base64(raw_sha256("abcdefghij")) + "\r\n";
    int client = mpaas::test::open_socket(server.port);
    REQUIRE(client >= 0);
    std::string partial = head + "\r\nabcd";
    REQUIRE(::send(client, partial.data(), partial.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(partial.size()));
    REQUIRE(wait_for_offset(location, "4") == "4");
    ::close(client);
    return location;
  };

  SECTION("without a checksum the four bytes stay, and the upload goes on from them") {
    auto location = cut_off_patch(false);
    // The next PATCH waits for the cut one to let go, then starts where it stopped.
    httplib::Headers rest = tus;
    rest.emplace("Upload-Offset", "4");
    auto resumed = http.Patch(location.c_str(), rest, "efghij", "application/offset+octet-stream");
    REQUIRE(resumed);
    CHECK(resumed->status == 204);
    CHECK(resumed->get_header_value("Upload-Offset") == "10");
  }
  SECTION("with a checksum the unverifiable four bytes go, and the upload is back at 0") {
    auto location = cut_off_patch(true);
    CHECK(wait_for_offset(location, "0") == "0");
    httplib::Headers again = tus;
    again.emplace("Upload-Offset", "0");
    again.emplace("Upload-Checksum", "sha256 " + base64(raw_sha256("abcdefghij")));
    auto whole =
        http.Patch(location.c_str(), again, "abcdefghij", "application/offset+octet-stream");
    REQUIRE(whole);
    CHECK(whole->status == 204);
  }
}

TEST_CASE("an Idempotency-Key makes a retried creation act once", "[server]") {
  LiveServer server;
  auto http = server.client();
  httplib::Headers headers = server.auth(server.admin);
  headers.emplace("Idempotency-Key", "create-shop-1");
  auto body = Json{{"id", "com.example.shop"}}.dump();
  auto first = http.Post("/v1/apps", headers, body, "application/json");
  auto again = http.Post("/v1/apps", headers, body, "application/json");
  REQUIRE(first);
  REQUIRE(again);
  CHECK(first->status == 201);
  CHECK(again->status == 201);
  CHECK(again->body == first->body);
  CHECK(again->get_header_value("Idempotent-Replayed") == "true");
  auto other =
      http.Post("/v1/apps", headers, Json{{"id", "com.example.other"}}.dump(), "application/json");
  REQUIRE(other);
  CHECK(other->status == 409);
  CHECK(server.get("/v1/apps", 200).size() == 1);

  // A tus creation retried with its key gets the first upload's Location, not a second one.
  httplib::Headers tus = server.auth(server.admin);
  tus.emplace("Tus-Resumable", "1.0.0");
  tus.emplace("Upload-Length", "10");
  tus.emplace("Idempotency-Key", "upload-1");
  auto created = http.Post("/v1/uploads", tus, "", "application/offset+octet-stream");
  auto retried = http.Post("/v1/uploads", tus, "", "application/offset+octet-stream");
  REQUIRE(created);
  REQUIRE(retried);
  CHECK(created->status == 201);
  CHECK(retried->status == 201);
  CHECK_FALSE(created->get_header_value("Location").empty());
  CHECK(retried->get_header_value("Location") == created->get_header_value("Location"));
  CHECK(retried->get_header_value("Idempotent-Replayed") == "true");
  size_t parts = 0;
  for (const auto& entry : std::filesystem::directory_iterator(server.folder / "uploads"))
    parts += entry.path().extension() == ".part";
  CHECK(parts == 1);
  tus.erase("Upload-Length");
  tus.emplace("Upload-Length", "11");
  auto changed = http.Post("/v1/uploads", tus, "", "application/offset+octet-stream");
  REQUIRE(changed);
  CHECK(changed->status == 409);
}

TEST_CASE("a token over its rate gets 429 with Retry-After", "[server]") {
  LiveServer server(1, 3);
  auto http = server.client();
  int limited = 0;
  std::string retry_after;
  for (int i = 0; i < 6; ++i) {
    auto reply = http.Get("/v1/apps", server.auth(server.admin));
    REQUIRE(reply);
    if (reply->status == 429) {
      ++limited;
      retry_after = reply->get_header_value("Retry-After");
    }
  }
  CHECK(limited >= 2);
  CHECK(retry_after == "1");
}

TEST_CASE("bad bodies and oversized or garbage requests get a 4xx; the server carries on",
          "[server]") {
  LiveServer server;
  auto http = server.client();
  auto broken = http.Post("/v1/apps", server.auth(server.admin), "{not json", "application/json");
  REQUIRE(broken);
  CHECK(broken->status == 422);
  auto wrong_type = server.post("/v1/apps", {{"id", 42}}, 400);
  CHECK(wrong_type["error"]["subject"] == "id");
  httplib::Headers huge = server.auth(server.admin);
  huge.emplace("X-Filler", std::string(20000, 'a'));
  auto oversized = http.Get("/v1/apps", huge);
  CHECK((!oversized || oversized->status >= 400));
  // Raw garbage, a request that never ends (held open while others are served) and an
  // endless header line, each on its own socket.
  auto garbage = send_raw(server.port, std::string("\x16\x03\x01garbage\r\n\r\n"));
  CHECK((garbage.empty() || garbage.rfind("HTTP/1.1 4", 0) == 0));
  int slow = open_socket(server.port);
  REQUIRE(slow >= 0);
  std::string partial = "GET /v1/apps HTTP/1.1\r\nHost: x\r\n";
  CHECK(::send(slow, partial.data(), partial.size(), MSG_NOSIGNAL) > 0);
  auto endless = send_raw(server.port, "GET /" + std::string(100000, 'a') + " HTTP/1.1\r\n\r\n");
  CHECK((endless.empty() || endless.rfind("HTTP/1.1 4", 0) == 0));
  auto meanwhile = http.Get("/healthz");
  REQUIRE(meanwhile);
  CHECK(meanwhile->status == 200);
  ::close(slow);
  auto still = http.Get("/healthz");
  REQUIRE(still);
  CHECK(still->status == 200);
}

TEST_CASE("every route is in docs/api.md with an example and answers (no 'no such route')",
          "[server]") {
  std::ifstream in(test::source_dir() / "docs" / "api.md");
  std::stringstream text;
  text << in.rdbuf();
  auto doc = text.str();
  LiveServer server;
  for (const auto& route : server::ApiServer::routes()) {
    auto space = route.find(' ');
    auto method = route.substr(0, space);
    auto path = route.substr(space + 1);
    INFO(route);
    CHECK(doc.find("| " + method + " | `" + path) != std::string::npos);
    // An example of it too, replayed by api_examples_test.cpp.
    CHECK(doc.find("<!-- example: " + route + " -->") != std::string::npos);
    std::string concrete = path;
    for (auto [name, value] :
         {std::pair{"{app}", "com.example.none"}, std::pair{"{ref}", "rel_aaaaaaaaaaaa"},
          std::pair{"{id}", "rel_aaaaaaaaaaaa"}, std::pair{"{upload}", "up_aaaaaaaaaaaaaaaa"}}) {
      auto at = concrete.find(name);
      if (at != std::string::npos)
        concrete.replace(at, std::string(name).size(), value);
    }
    httplib::Request request;
    request.method = method;
    request.path = concrete;
    request.headers = server.auth(server.admin);
    request.headers.emplace("Tus-Resumable", "1.0.0");
    if (method == "POST" || method == "PATCH")
      request.body = "{}";
    httplib::Response response;
    httplib::Error error = httplib::Error::Success;
    auto http = server.client();
    REQUIRE(http.send(request, response, error));
    CHECK(response.body.find("no such route") == std::string::npos);
  }
}

TEST_CASE("a check's JSON text from kept release texts is what to_json gives", "[server]") {
  TempDir home;
  FakeClock clock;
  clock.set(std::chrono::system_clock::time_point(std::chrono::seconds(1750000000)));
  auto platform = open_local_platform(home / "platform", "tester", clock);
  platform->create_app("com.example.shop", "Shop");
  std::vector<std::string> ids;
  for (int i = 1; i <= 6; ++i) {
    auto file = home / ("a" + std::to_string(i));
    std::ofstream(file) << "artifact " << i;
    UploadRequest request;
    request.file = file;
    request.app = "com.example.shop";
    request.platform = "android";
    request.version = "1.0." + std::to_string(i);
    request.kind = i % 2 ? "hotfix" : "native";
    request.percent = static_cast<BasisPoints>(i * 1500);
    request.notes = i == 3 ? "quotes \" and \\ and \t tab, caf\xc3\xa9" : "";
    request.rules = {i == 4 ? "model~Pix\"el*" : "os_version>=12"};
    request.whitelist = {"vip"};
    if (i == 5) {
      request.percent = 0;
      request.window = TimeWindow{3, 1750000000 + 600, 0};
    }
    NullProgress progress;
    ids.push_back(platform->upload(request, progress).id);
  }
  LifecycleChange pause;
  pause.action = LifecycleChange::Action::pause;
  platform->change(ids[1], pause);
  for (std::string device : {"vip", "d-1", "d-2", "d-3"}) {
    CheckRequest check{"com.example.shop", "android", Device{device, "", "13", "Pixel 8", "", ""},
                       true};
    auto result = platform->check(check);
    INFO(device);
    CHECK(server::check_response_text(result) == to_json(result).dump());
    // Again, from the kept texts.
    CHECK(server::check_response_text(result) == to_json(result).dump());
  }
  // A release that changed since its text was kept.
  LifecycleChange raise;
  raise.action = LifecycleChange::Action::rollout;
  raise.percent = 10000;
  platform->change(ids[0], raise);
  CheckRequest check{"com.example.shop", "android", Device{"d-1", "", "13", "Pixel 8", "", ""},
                     false};
  auto result = platform->check(check);
  CHECK(server::check_response_text(result) == to_json(result).dump());
  // Lists in an order no platform gives (texts are kept by position): still the same text.
  std::reverse(result.decisions.begin(), result.decisions.end());
  std::reverse(result.offers.begin(), result.offers.end());
  std::reverse(result.skipped.begin(), result.skipped.end());
  CHECK(server::check_response_text(result) == to_json(result).dump());
}

TEST_CASE("a Range header applies to an artifact that is there, never to JSON or an error",
          "[server]") {
  LiveServer server;
  auto http = server.client();
  // cpp-httplib would cut any reply to the range: a JSON list, a 401, a 404 for the artifact.
  auto apps =
      http.Get("/v1/apps", {{"Authorization", "Bearer " + server.admin}, {"Range", "bytes=0-5"}});
  REQUIRE(apps);
  CHECK(apps->status == 200);
  CHECK(apps->body == "[]\n");
  CHECK_FALSE(apps->has_header("Content-Range"));
  auto refused = http.Get("/v1/apps", {{"Range", "bytes=0-5"}});
  REQUIRE(refused);
  CHECK(refused->status == 401);
  CHECK(Json::parse(refused->body)["error"]["kind"] == "auth");
  for (std::string range : {"bytes=0-5", "bytes=500-600"}) {
    INFO(range);
    auto missing = http.Get("/v1/releases/rel_aaaaaaaaaaaa/artifact", {{"Range", range}});
    REQUIRE(missing);
    CHECK(missing->status == 404);
    CHECK_FALSE(missing->has_header("Content-Range"));
    CHECK(Json::parse(missing->body)["error"]["kind"] == "not-found");
  }
  // A release's artifact: a range inside it is 206, one past its end 416.
  server.post("/v1/apps", {{"id", "com.example.shop"}}, 201);
  std::string artifact = "twenty bytes of data";
  auto upload = server.upload(artifact, "a.apk");
  auto id =
      server
          .post("/v1/apps/com.example.shop/releases",
                {{"upload", upload}, {"platform", "android"}, {"version", "1.0.0"}}, 201)["id"]
          .get<std::string>();
  auto part = http.Get(("/v1/releases/" + id + "/artifact").c_str(), {{"Range", "bytes=7-11"}});
  REQUIRE(part);
  CHECK(part->status == 206);
  CHECK(part->body == "bytes");
  CHECK(part->get_header_value("Content-Range") == "bytes 7-11/20");
  auto past = http.Get(("/v1/releases/" + id + "/artifact").c_str(), {{"Range", "bytes=50-60"}});
  REQUIRE(past);
  CHECK(past->status == 416);
  CHECK(past->get_header_value("Content-Range") == "bytes */20");
  CHECK(Json::parse(past->body)["error"]["subject"] == "Range");
}

TEST_CASE("a JSON body over its limit is refused before it is read, a chunked one too",
          "[server]") {
  LiveServer server;
  // Only the head arrives: the server must answer from the announced length, not wait for
  // 5 MB (or 16 GiB) that it would otherwise read into memory first.
  auto big = send_raw(server.port,
                      "POST /v1/apps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      "Content-Length: 5000000\r\n\r\n{");
  CHECK(big.rfind("HTTP/1.1 413", 0) == 0);
  CHECK(big.find("\"subject\":\"Content-Length\"") != std::string::npos);
  auto chunked = send_raw(server.port,
                          "POST /v1/apps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n1\r\n{\r\n");
  CHECK(chunked.rfind("HTTP/1.1 400", 0) == 0);
  CHECK(chunked.find("needs a Content-Length") != std::string::npos);
  // A body at the limit is read and judged as JSON; a PATCH may be as long as its upload.
  auto http = server.client();
  auto at_limit = http.Post("/v1/apps", server.auth(server.admin), std::string(4u << 20, ' '),
                            "application/json");
  REQUIRE(at_limit);
  CHECK(at_limit->status == 422);
  auto upload = server.upload(std::string(5u << 20, 'x'), "big.bin", 5u << 20);
  CHECK(!upload.empty());
}

namespace {

struct RawReply {
  int status = 0;
  std::string headers;
  std::string body;
};

// Splits what a server sent on one connection into its replies (each with a Content-Length).
std::vector<RawReply> split_replies(std::string stream) {
  std::vector<RawReply> replies;
  while (true) {
    auto head_end = stream.find("\r\n\r\n");
    if (head_end == std::string::npos || stream.rfind("HTTP/1.1 ", 0) != 0)
      break;
    RawReply reply;
    reply.status = std::stoi(stream.substr(9, 3));
    reply.headers = stream.substr(0, head_end + 2);
    auto length_at = reply.headers.find("Content-Length: ");
    size_t length =
        length_at == std::string::npos ? 0 : std::stoul(reply.headers.substr(length_at + 16));
    reply.body = stream.substr(head_end + 4, length);
    replies.push_back(reply);
    stream.erase(0, head_end + 4 + length);
  }
  return replies;
}

}  // namespace

TEST_CASE("checks, and any request after them, are answered in order on one connection",
          "[server][front]") {
  LiveServer server;
  server.post("/v1/apps", {{"id", "com.example.shop"}}, 201);
  const std::string check =
      "GET /v1/apps/com.example.shop/updates?platform=android&device_id=d-1 HTTP/1.1\r\n"
      "Host: x\r\n\r\n";
  const std::string unknown_app =
      "GET /v1/apps/com.example.none/updates?platform=android&device_id=d-1 HTTP/1.1\r\n"
      "Host: x\r\n\r\n";
  const std::string health = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string last_check =
      "GET /v1/apps/com.example.shop/updates?platform=android&device_id=d-2 HTTP/1.1\r\n"
      "Host: x\r\nConnection: close\r\n\r\n";
  // All in one write: the checks come before and after a request the full server answers.
  auto replies = split_replies(send_raw(server.port, check + unknown_app + health + last_check));
  REQUIRE(replies.size() == 4);
  CHECK(replies[0].status == 200);
  CHECK(Json::parse(replies[0].body)["device"]["id"] == "d-1");
  CHECK(replies[0].headers.find("Content-Type: application/json") != std::string::npos);
  CHECK(replies[1].status == 404);
  CHECK(Json::parse(replies[1].body)["error"]["subject"] == "app");
  CHECK(replies[2].status == 200);
  CHECK(Json::parse(replies[2].body)["status"] == "ok");
  CHECK(replies[3].status == 200);
  CHECK(Json::parse(replies[3].body)["device"]["id"] == "d-2");
  CHECK(replies[3].headers.find("Connection: close") != std::string::npos);

  // Connection: close on a check: one reply, then the server closes (send_raw returns).
  auto closing =
      "GET /v1/apps/com.example.shop/updates?device_id=d-3&platform=android "
      "HTTP/1.1\r\nConnection: close\r\n\r\n" +
      health;
  auto closed = split_replies(send_raw(server.port, closing));
  REQUIRE(closed.size() == 1);
  CHECK(Json::parse(closed[0].body)["device"]["id"] == "d-3");

  // Every check is in the access log, with its path and no query.
  std::lock_guard lock(server.log_mutex);
  auto checks = std::count_if(server.log.begin(), server.log.end(), [](const auto& entry) {
    return entry.path == "/v1/apps/com.example.shop/updates" && entry.status == 200;
  });
  CHECK(checks == 3);
}

TEST_CASE("a check head sent in pieces is answered; a slow one does not hold others up",
          "[server][front]") {
  LiveServer server;
  server.post("/v1/apps", {{"id", "com.example.shop"}}, 201);
  int slow = open_socket(server.port);
  REQUIRE(slow >= 0);
  std::string head =
      "GET /v1/apps/com.example.shop/updates?platform=android&device_id=d-9 "
      "HTTP/1.1\r\nHost: x\r\n\r\n";
  for (size_t at = 0; at < head.size(); at += 10) {
    auto piece = head.substr(at, 10);
    REQUIRE(::send(slow, piece.data(), piece.size(), MSG_NOSIGNAL) > 0);
    // Meanwhile another client is served at once.
    if (at == 20) {
      auto other =
          server.client().Get("/v1/apps/com.example.shop/updates?platform=android&device_id=d-8");
      REQUIRE(other);
      CHECK(other->status == 200);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::string reply;
  char buffer[4096];
  while (split_replies(reply).empty()) {
    ssize_t got = ::recv(slow, buffer, sizeof buffer, 0);
    REQUIRE(got > 0);
    reply.append(buffer, static_cast<size_t>(got));
  }
  ::close(slow);
  auto replies = split_replies(reply);
  REQUIRE(replies.size() == 1);
  CHECK(Json::parse(replies[0].body)["device"]["id"] == "d-9");
}

TEST_CASE("a release takes its finished upload into the blob store without a copy", "[server]") {
  LiveServer server;
  server.post("/v1/apps", {{"id", "com.example.shop"}}, 201);
  std::string artifact(300000, 'x');
  for (size_t i = 0; i < artifact.size(); ++i)
    artifact[i] = static_cast<char>((i * 131) >> 3);
  auto upload = server.upload(artifact, "shop.apk", 65536);
  struct stat uploaded {};
  REQUIRE(::stat((server.folder / "uploads" / (upload + ".part")).c_str(), &uploaded) == 0);
  auto sha256 = to_hex(sha256_of(artifact));

  // A wrong sha256 is refused, and the upload is still there to make the release from.
  auto wrong = server.post("/v1/apps/com.example.shop/releases",
                           {{"upload", upload},
                            {"platform", "android"},
                            {"version", "1.0.0"},
                            {"sha256", std::string(64, '0')}},
                           422);
  CHECK(wrong["error"]["subject"] == "sha256");
  auto release = server.post(
      "/v1/apps/com.example.shop/releases",
      {{"upload", upload}, {"platform", "android"}, {"version", "1.0.0"}, {"sha256", sha256}}, 201);
  CHECK(release["sha256"] == sha256);
  // The blob is the upload's own file (same inode), named by the hash taken as it came in.
  struct stat blob {};
  REQUIRE(::stat((server.folder / "blobs" / sha256.substr(0, 2) / sha256).c_str(), &blob) == 0);
  CHECK(blob.st_ino == uploaded.st_ino);
  CHECK(blob.st_size == static_cast<off_t>(artifact.size()));
  CHECK_FALSE(std::filesystem::exists(server.folder / "uploads" / (upload + ".part")));
  auto download = server.client().Get(
      ("/v1/releases/" + release["id"].get<std::string>() + "/artifact").c_str());
  REQUIRE(download);
  CHECK(download->body == artifact);
}

TEST_CASE("a refused body's bytes are never taken for the next request", "[server]") {
  LiveServer server;
  // A request hidden in the body of one that is refused before its body is read.
  std::string smuggled = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  auto body = smuggled + std::string(100 - smuggled.size(), ' ');
  auto refused_patch =
      send_raw(server.port,
               "PATCH /v1/uploads/no-such-upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                   server.admin +
                   "\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: "
                   "application/offset+octet-stream\r\nContent-Length: 100\r\n\r\n" +
                   body);
  auto replies = split_replies(refused_patch);
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].status == 404);
  // A JSON body over its limit is refused from its head, its bytes unread.
  auto refused_json = send_raw(server.port,
                               "POST /v1/apps HTTP/1.1\r\nHost: x\r\nContent-Type: "
                               "application/json\r\nContent-Length: 5000000\r\n\r\n" +
                                   smuggled);
  replies = split_replies(refused_json);
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].status == 413);
}
