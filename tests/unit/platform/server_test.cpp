// The HTTP API server on a real loopback port, over the embedded platform in a temp folder,
// called with cpp-httplib's client: auth and scopes, errors as JSON, tus uploads and the
// release made from one, the lifecycle, device checks and artifact ranges, idempotency, rate
// limits, and the route list against docs/api.md.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <thread>

#include "mpaas/core/clock.hpp"
#include "mpaas/core/sha256.hpp"
#include "mpaas/platform/local.hpp"
#include "mpaas/platform/server.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

using namespace mpaas;
using namespace mpaas::platform;
using mpaas::test::TempDir;
namespace fs = std::filesystem;

namespace {

std::string base64(const std::string& bytes) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0})
      out += alphabet[(n >> shift) & 63];
  }
  if (i + 1 == bytes.size()) {
    uint32_t n = uint8_t(bytes[i]) << 16;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string raw_sha256(const std::string& bytes) {
  auto digest = sha256_of(bytes);
  return std::string(digest.begin(), digest.end());
}

int open_socket(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  timeval timeout{3, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

// Sends `bytes` on a new connection and returns what comes back before it closes (or 3 s).
std::string send_raw(int port, const std::string& bytes) {
  int fd = open_socket(port);
  REQUIRE(fd >= 0);
  ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  std::string reply;
  char buffer[4096];
  ssize_t got;
  while ((got = ::recv(fd, buffer, sizeof buffer, 0)) > 0)
    reply.append(buffer, static_cast<size_t>(got));
  ::close(fd);
  return reply;
}

// A server over a fresh embedded platform, serving on its own thread until destroyed.
struct LiveServer {
  TempDir home;
  SystemClock clock;
  fs::path folder = home / "platform";
  std::string admin;
  std::unique_ptr<server::ApiServer> api;
  std::thread thread;
  int port = 0;
  std::vector<server::AccessLogEntry> log;
  std::mutex log_mutex;

  explicit LiveServer(double rate = 1000, double burst = 1000) {
    {
      auto platform = open_local_platform(folder, "setup", clock);
      TokenRequest request;
      request.name = "admin";
      request.scope = Scope::admin;
      admin = platform->create_token(request).secret;
    }
    server::ServerOptions options;
    options.port = 0;
    options.uploads = folder / "uploads";
    options.threads = 8;
    options.rate_per_second = rate;
    options.rate_burst = burst;
    api = std::make_unique<server::ApiServer>(
        [this] { return open_local_platform(folder, "server", clock); }, options,
        [this](const server::AccessLogEntry& entry) {
          std::lock_guard lock(log_mutex);
          log.push_back(entry);
        },
        clock);
    port = api->bind();
    thread = std::thread([this] { api->serve(); });
    for (int i = 0; i < 200; ++i) {
      auto ready = client().Get("/readyz");
      if (ready && ready->status == 200)
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  ~LiveServer() {
    api->stop();
    thread.join();
  }

  httplib::Client client() const {
    httplib::Client made("127.0.0.1", port);
    made.set_read_timeout(30, 0);
    return made;
  }

  httplib::Headers auth(const std::string& secret) const {
    return {{"Authorization", "Bearer " + secret}};
  }

  std::string token(const std::string& name, const std::string& scope) {
    auto reply = client().Post("/v1/tokens", auth(admin),
                               Json{{"name", name}, {"scope", scope}}.dump(), "application/json");
    REQUIRE(reply);
    REQUIRE(reply->status == 201);
    return Json::parse(reply->body)["secret"].get<std::string>();
  }

  // Uploads `bytes` in chunks through tus; returns the upload id.
  std::string upload(const std::string& bytes, const std::string& name, size_t chunk = 7) {
    auto http = client();
    httplib::Headers create = auth(admin);
    create.emplace("Tus-Resumable", "1.0.0");
    create.emplace("Upload-Length", std::to_string(bytes.size()));
    create.emplace("Upload-Metadata", "filename " + base64(name));
    auto made = http.Post("/v1/uploads", create, "", "application/offset+octet-stream");
    REQUIRE(made);
    REQUIRE(made->status == 201);
    auto location = made->get_header_value("Location");
    for (size_t offset = 0; offset < bytes.size(); offset += chunk) {
      auto piece = bytes.substr(offset, chunk);
      httplib::Headers patch = auth(admin);
      patch.emplace("Tus-Resumable", "1.0.0");
      patch.emplace("Upload-Offset", std::to_string(offset));
      patch.emplace("Upload-Checksum", "sha256 " + base64(raw_sha256(piece)));
      auto sent = http.Patch(location.c_str(), patch, piece, "application/offset+octet-stream");
      REQUIRE(sent);
      REQUIRE(sent->status == 204);
      CHECK(sent->get_header_value("Upload-Offset") == std::to_string(offset + piece.size()));
    }
    return location.substr(std::string("/v1/uploads/").size());
  }

  Json post(const std::string& path, const Json& body, int expected,
            const std::string& secret = "") {
    auto reply = client().Post(path.c_str(), auth(secret.empty() ? admin : secret), body.dump(),
                               "application/json");
    REQUIRE(reply);
    INFO(reply->body);
    CHECK(reply->status == expected);
    return Json::parse(reply->body);
  }

  Json get(const std::string& path, int expected, const std::string& secret = "") {
    auto reply = client().Get(path.c_str(), auth(secret.empty() ? admin : secret));
    REQUIRE(reply);
    INFO(reply->body);
    CHECK(reply->status == expected);
    return Json::parse(reply->body);
  }
};

}  // namespace

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

TEST_CASE("tus: a wrong checksum keeps nothing, a wrong offset is 409, HEAD tells the offset",
          "[server]") {
  LiveServer server;
  auto http = server.client();
  httplib::Headers create = server.auth(server.admin);
  create.emplace("Tus-Resumable", "1.0.0");
  create.emplace("Upload-Length", "10");
  auto made = http.Post("/v1/uploads", create, "", "application/offset+octet-stream");
  REQUIRE(made);
  REQUIRE(made->status == 201);
  auto location = made->get_header_value("Location");
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

TEST_CASE("every route is in docs/api.md and answers (no 'no such route')", "[server]") {
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
}
