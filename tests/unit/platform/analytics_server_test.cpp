// The analytics routes of the HTTP API on a live server over the embedded platform: events
// POSTed as NDJSON, CSV or gzip (chunked or not), scopes, strict refusals that store nothing,
// duplicates across two POSTs, queries and compares with their parameter refusals, and the
// HTTP client (HttpPlatform) giving the same results as the embedded platform.
#include <httplib.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <sstream>

#include "fake_server.hpp"
#include "live_server.hpp"
#include "mpaas/platform/from_json.hpp"
#include "mpaas/platform/http/http_platform.hpp"

using namespace mpaas;
using namespace mpaas::platform;
using mpaas::test::LiveServer;

namespace {

const std::string shop = "/v1/apps/com.example.shop";

std::string line(const std::string& id, const std::string& device, const std::string& time,
                 const std::string& name, const std::string& version) {
  return R"({"time":")" + time + R"(","event_id":")" + id + R"(","device_id":")" + device +
         R"(","event":")" + name + R"(","app_version":")" + version + "\"}\n";
}

std::string sample_events() {
  return line("e1", "d1", "2026-03-02T10:00:00Z", "launch", "1.0") +
         line("e2", "d2", "2026-03-02T23:30:00Z", "launch", "1.1") +
         line("e3", "d2", "2026-03-03T10:00:00Z", "crash", "1.1");
}

std::string gzip_of(const std::string& text) {
  z_stream stream{};
  REQUIRE(deflateInit2(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(compressBound(static_cast<uLong>(text.size())) + 64, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  stream.avail_in = static_cast<uInt>(text.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&stream, Z_FINISH) == Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

struct Reply {
  int status = 0;
  Json body;
};

Reply post_events(LiveServer& server, const std::string& query, const std::string& body,
                  const std::string& type = "application/x-ndjson", const std::string& secret = "",
                  httplib::Headers extra = {}) {
  auto headers = server.auth(secret.empty() ? server.admin : secret);
  headers.insert(extra.begin(), extra.end());
  auto reply =
      server.client().Post((shop + "/events" + query).c_str(), headers, body, type.c_str());
  REQUIRE(reply);
  INFO(reply->body);
  return Reply{reply->status, Json::parse(reply->body)};
}

Reply get(LiveServer& server, const std::string& path, const std::string& secret = "") {
  auto reply =
      server.client().Get(path.c_str(), server.auth(secret.empty() ? server.admin : secret));
  REQUIRE(reply);
  INFO(reply->body);
  return Reply{reply->status, Json::parse(reply->body)};
}

// A stream that cannot seek back, as a pipe on stdin.
class OneWayBuffer : public std::streambuf {
 public:
  explicit OneWayBuffer(std::string text) : m_text(std::move(text)) {
    setg(m_text.data(), m_text.data(), m_text.data() + m_text.size());
  }

 private:
  std::string m_text;
};

void make_shop(LiveServer& server) {
  server.post("/v1/apps", {{"id", "com.example.shop"}, {"name", "Shop"}}, 201);
}

}  // namespace

TEST_CASE("events POSTed as NDJSON are ingested once, a second POST counts duplicates",
          "[server][analytics]") {
  LiveServer server;
  make_shop(server);
  auto first = post_events(server, "?file=e.ndjson", sample_events() + "{\"time\":\"later\"}\n");
  CHECK(first.status == 200);
  CHECK(first.body["ingested"] == 3);
  CHECK(first.body["duplicates"] == 0);
  CHECK(first.body["rejected"] == 1);
  CHECK(first.body["files"] == 1);
  CHECK(first.body["events"] == 3);
  CHECK(first.body["devices"] == 2);
  REQUIRE(first.body["rejections"].size() == 1);
  CHECK(first.body["rejections"][0]["file"] == "e.ndjson");
  CHECK(first.body["rejections"][0]["line"] == 4);

  // The same body again (a client's retry): nothing new, every event a duplicate.
  auto again = post_events(server, "?file=e.ndjson", sample_events());
  CHECK(again.status == 200);
  CHECK(again.body["ingested"] == 0);
  CHECK(again.body["duplicates"] == 3);
  CHECK(again.body["events"] == 3);
}

TEST_CASE("events as CSV, gzip (by Content-Encoding or sniffed) and chunked",
          "[server][analytics]") {
  LiveServer server;
  make_shop(server);
  auto csv = post_events(server, "",
                         "time,event_id,device_id,event,app_version\n"
                         "2026-03-03T09:00:00Z,c1,d1,crash,1.1\n",
                         "text/csv");
  CHECK(csv.status == 200);
  CHECK(csv.body["ingested"] == 1);

  auto two_members = gzip_of(line("g1", "d3", "2026-03-02T10:00:00Z", "launch", "1.0")) +
                     gzip_of(line("g2", "d4", "2026-03-02T10:00:00Z", "launch", "1.0"));
  auto encoded = post_events(server, "?file=g.ndjson", two_members, "application/x-ndjson", "",
                             {{"Content-Encoding", "gzip"}});
  CHECK(encoded.status == 200);
  CHECK(encoded.body["ingested"] == 2);
  auto sniffed =
      post_events(server, "", gzip_of(line("g3", "d5", "2026-03-02T10:00:00Z", "launch", "1.0")),
                  "application/octet-stream");
  CHECK(sniffed.status == 200);
  CHECK(sniffed.body["ingested"] == 1);

  // A cut-off gzip body is refused (422), and a body that is not gzip though it says so.
  auto whole = gzip_of(line("g4", "d6", "2026-03-02T10:00:00Z", "launch", "1.0"));
  auto cut = post_events(server, "?file=cut.gz", whole.substr(0, whole.size() - 6),
                         "application/x-ndjson", "", {{"Content-Encoding", "gzip"}});
  CHECK(cut.status == 422);
  CHECK(cut.body["error"]["subject"] == "cut.gz");
  auto plain = post_events(server, "", sample_events(), "application/x-ndjson", "",
                           {{"Content-Encoding", "gzip"}});
  CHECK(plain.status == 422);
  CHECK(plain.body["error"]["subject"] == "Content-Encoding");
  auto brotli = post_events(server, "", sample_events(), "application/x-ndjson", "",
                            {{"Content-Encoding", "br"}});
  CHECK(brotli.status == 400);
  CHECK(brotli.body["error"]["subject"] == "Content-Encoding");

  // Chunked (no Content-Length), in several pieces, as the HTTP client sends a stream.
  std::string body;
  for (int i = 0; i < 2000; ++i)
    body += line("k" + std::to_string(i), "dk" + std::to_string(i % 50), "2026-03-04T10:00:00Z",
                 "launch", "1.2");
  auto headers = server.auth(server.admin);
  size_t offset = 0;
  auto reply = server.client().Post((shop + "/events?file=k.ndjson").c_str(), headers,
                                    [&](size_t, httplib::DataSink& sink) {
                                      size_t piece = std::min<size_t>(7777, body.size() - offset);
                                      sink.write(body.data() + offset, piece);
                                      offset += piece;
                                      if (offset == body.size())
                                        sink.done();
                                      return true;
                                    },
                                    "application/x-ndjson");
  REQUIRE(reply);
  INFO(reply->body);
  CHECK(reply->status == 200);
  CHECK(Json::parse(reply->body)["ingested"] == 2000);
}

TEST_CASE("events need a release token; a strict refusal stores nothing", "[server][analytics]") {
  LiveServer server;
  make_shop(server);
  auto none =
      server.client().Post((shop + "/events").c_str(), sample_events(), "application/x-ndjson");
  REQUIRE(none);
  CHECK(none->status == 401);
  auto reader = server.token("dashboard", "read");
  auto refused = post_events(server, "", sample_events(), "application/x-ndjson", reader);
  CHECK(refused.status == 403);
  CHECK(refused.body["error"]["subject"] == "scope");
  // The connection of a refused POST still serves its next request.
  auto http = server.client();
  http.set_keep_alive(true);
  auto first = http.Post((shop + "/events").c_str(), server.auth(reader), sample_events(),
                         "application/x-ndjson");
  REQUIRE(first);
  CHECK(first->status == 403);
  auto next = http.Get("/v1/whoami", server.auth(reader));
  REQUIRE(next);
  CHECK(next->status == 200);

  auto strict =
      post_events(server, "?strict=true&file=b.ndjson", sample_events() + "oops\n", "text/plain");
  CHECK(strict.status == 422);
  CHECK(strict.body["error"]["kind"] == "invalid-input");
  CHECK(strict.body["error"]["subject"] == "b.ndjson");
  CHECK(strict.body["error"]["message"].get<std::string>().find("line 4 of b.ndjson") == 0);
  auto count = get(server, shop + "/analytics/active-devices?from=2026-03-02&to=2026-03-03");
  CHECK(count.status == 200);
  CHECK(count.body["series"][0]["values"] == Json::array({0, 0}));

  CHECK(post_events(server, "?strict=yes", sample_events()).status == 400);
  CHECK(post_events(server, "?bogus=1", sample_events()).body["error"]["subject"] == "bogus");
  auto unknown_app =
      server.client().Post("/v1/apps/com.example.none/events", server.auth(server.admin),
                           sample_events(), "application/x-ndjson");
  REQUIRE(unknown_app);
  CHECK(unknown_app->status == 404);
}

TEST_CASE("analytics queries and compares answer the CLI's JSON; bad parameters are 400",
          "[server][analytics]") {
  LiveServer server;
  make_shop(server);
  REQUIRE(post_events(server, "", sample_events()).status == 200);
  auto reader = server.token("dashboard", "read");

  auto crash_free =
      get(server, shop + "/analytics/crash-free?from=2026-03-02&to=2026-03-03", reader);
  CHECK(crash_free.status == 200);
  CHECK(crash_free.body["metric"] == "crash-free");
  CHECK(crash_free.body["series"][0]["values"] == Json::array({1.0, 0.0}));
  auto grouped = get(server, shop +
                                 "/analytics/active-devices?from=2026-03-02&to=2026-03-03"
                                 "&tz=Europe%2FBerlin&group_by=app_version&where=event%3Dlaunch"
                                 "&where=event%3Dcrash");
  CHECK(grouped.status == 200);
  CHECK(grouped.body["tz"] == "Europe/Berlin");
  CHECK(grouped.body["where"]["event"] == Json::array({"launch", "crash"}));
  CHECK(grouped.body["series"].size() == 2);
  auto funnel = get(server, shop +
                                "/analytics/funnel?steps=launch,crash&window=2d&from=2026-03-02"
                                "&to=2026-03-03");
  CHECK(funnel.status == 200);
  CHECK(funnel.body["funnel"][1]["devices"] == 1);
  auto event = get(server, shop + "/analytics/event?event=launch&from=2026-03-02&to=2026-03-02");
  CHECK(event.body["series"][0]["devices"] == Json::array({2}));
  auto compare = get(server,
                     shop +
                         "/analytics/compare?version=1.0&version=1.1&from=2026-03-01"
                         "&to=2026-03-09",
                     reader);
  CHECK(compare.status == 200);
  CHECK(compare.body["version_b"] == "1.1");
  CHECK(compare.body["metrics"].size() >= 3);

  // No token 401; each bad parameter 400 naming it.
  auto anonymous =
      server.client().Get((shop + "/analytics/launches?from=2026-03-02&to=2026-03-03").c_str());
  REQUIRE(anonymous);
  CHECK(anonymous->status == 401);
  struct Case {
    std::string target, subject;
  };
  for (const auto& test : std::vector<Case>{
           {"/analytics/bogus?from=2026-03-02&to=2026-03-03", "metric"},
           {"/analytics/launches?to=2026-03-03", "from"},
           {"/analytics/launches?from=2026-03-02&to=March", "to"},
           {"/analytics/launches?from=2026-03-04&to=2026-03-03", "to"},
           {"/analytics/launches?from=2026-03-02&to=2026-03-03&interval=year", "interval"},
           {"/analytics/launches?from=2026-03-02&to=2026-03-03&tz=Nowhere%2FLand", "tz"},
           {"/analytics/launches?from=2026-03-02&to=2026-03-03&group_by=colour", "group_by"},
           {"/analytics/launches?from=2026-03-02&to=2026-03-03&where=colour%3Dred", "where"},
           {"/analytics/launches?from=2026-03-02&to=2026-03-03&from=2026-03-01", "from"},
           {"/analytics/launches?from=2026-03-02&to=2026-03-03&colour=red", "colour"},
           {"/analytics/launches?from=2026-03-02&to=2026-03-03&event=launch", "event"},
           {"/analytics/event?from=2026-03-02&to=2026-03-03", "event"},
           {"/analytics/funnel?steps=launch&from=2026-03-02&to=2026-03-03", "steps"},
           {"/analytics/funnel?steps=a,b&window=3y&from=2026-03-02&to=2026-03-03", "window"},
           {"/analytics/compare?version=1.0&from=2026-03-01&to=2026-03-09", "version"},
           {"/analytics/compare?version=1.0&version=1.1&from=2026-03-01", "to"},
       }) {
    INFO(test.target);
    auto refused = get(server, shop + test.target);
    CHECK(refused.status == 400);
    CHECK(refused.body["error"]["kind"] == "usage");
    CHECK(refused.body["error"]["subject"] == test.subject);
  }
  CHECK(get(server, "/v1/apps/com.example.none/analytics/launches?from=2026-03-02&to=2026-03-03")
            .status == 404);
}

TEST_CASE("the HTTP client ingests, queries and compares as the embedded platform does",
          "[server][analytics]") {
  LiveServer server;
  make_shop(server);
  http::HttpPlatformOptions options;
  options.client.endpoint = "http://127.0.0.1:" + std::to_string(server.port);
  options.client.token = server.admin;
  options.client.sleep = [](std::chrono::milliseconds) {};
  http::HttpPlatform remote(options);

  std::istringstream ndjson(sample_events() + "not json\n");
  std::istringstream csv(
      "time,event_id,device_id,event,app_version\n"
      "2026-03-03T09:00:00Z,c1,d1,crash,1.1\n");
  analytics::IngestRequest request;
  request.app = "com.example.shop";
  request.inputs = {{"a.ndjson", &ndjson, std::nullopt, 0}, {"b.csv", &csv, std::nullopt, 0}};
  std::vector<std::string> rejected;
  request.on_reject = [&](const analytics::Rejection& rejection) {
    rejected.push_back(rejection.file + ":" + std::to_string(rejection.line));
  };
  NullProgress progress;
  auto ingested = remote.ingest_events(request, progress);
  CHECK(ingested.ingested == 4);
  CHECK(ingested.rejected == 1);
  CHECK(ingested.files == 2);
  CHECK(ingested.events == 4);
  CHECK(rejected == std::vector<std::string>{"a.ndjson:4"});

  // Strict: the refusal comes back as the embedded platform's error.
  std::istringstream bad(line("x1", "d9", "2026-03-02T10:00:00Z", "launch", "1.0") + "oops\n");
  analytics::IngestRequest strict;
  strict.app = "com.example.shop";
  strict.strict = true;
  strict.inputs = {{"bad.ndjson", &bad, std::nullopt, 0}};
  try {
    remote.ingest_events(strict, progress);
    FAIL("no refusal");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::invalid_input);
    CHECK(error.subject() == "bad.ndjson");
  }

  auto local = open_local_platform(server.folder, "test", server.clock);
  analytics::QueryRequest query;
  query.app = "com.example.shop";
  query.metric = analytics::Metric::active_devices;
  query.from_day = analytics::parse_date("2026-03-02", "from");
  query.to_day = analytics::parse_date("2026-03-03", "to");
  query.tz = "Europe/Berlin";
  query.group_by = analytics::Dimension::app_version;
  query.where = analytics::parse_where({"event=launch", "event=crash"});
  CHECK(to_json(remote.query_events(query)).dump() == to_json(local->query_events(query)).dump());
  CHECK(analytics::to_csv(remote.query_events(query)) ==
        analytics::to_csv(local->query_events(query)));
  query.metric = analytics::Metric::funnel;
  query.group_by.reset();
  query.where.clear();
  query.steps = {"launch", "crash"};
  query.window_ms = analytics::parse_window("2d");
  CHECK(to_json(remote.query_events(query)).dump() == to_json(local->query_events(query)).dump());
  query.metric = analytics::Metric::retention;
  CHECK(to_json(remote.query_events(query)).dump() == to_json(local->query_events(query)).dump());

  analytics::CompareRequest compare;
  compare.app = "com.example.shop";
  compare.version_a = "1.0";
  compare.version_b = "1.1";
  compare.from_day = analytics::parse_date("2026-03-01", "from");
  compare.to_day = analytics::parse_date("2026-03-09", "to");
  CHECK(to_json(remote.compare_events(compare)).dump() ==
        to_json(local->compare_events(compare)).dump());
}

TEST_CASE("the HTTP client sends an events file again after a 503, a pipe only if unread",
          "[platform][http][analytics]") {
  mpaas::test::FakeServer fake;
  std::vector<std::string> bodies;
  std::mutex mutex;
  analytics::IngestResult stored;
  stored.app = "shop";
  stored.ingested = 3;
  stored.files = 1;
  fake.server.Post(
      "/v1/apps/shop/events", [&](const httplib::Request& request, httplib::Response& response) {
        std::lock_guard lock(mutex);
        bodies.push_back(request.body);
        if (bodies.size() % 2 == 1) {
          response.status = 503;
          response.set_content(
              R"({"error": {"kind": "unavailable", "message": "busy", "subject": ""}})",
              "application/json");
          return;
        }
        response.set_content(to_json(stored).dump(), "application/json");
      });
  http::HttpPlatformOptions options;
  options.client.endpoint = fake.endpoint();
  options.client.token = "mpaas_test";
  options.client.sleep = [](std::chrono::milliseconds) {};
  http::HttpPlatform remote(options);
  NullProgress progress;

  std::istringstream file(sample_events());
  analytics::IngestRequest request;
  request.app = "shop";
  request.inputs = {{"e.ndjson", &file, std::nullopt, 0}};
  CHECK(remote.ingest_events(request, progress).ingested == 3);
  REQUIRE(bodies.size() == 2);
  CHECK(bodies[0] == sample_events());
  CHECK(bodies[1] == sample_events());

  // A pipe that was read cannot be sent again: the 503 stands (exit 8).
  OneWayBuffer pipe(sample_events());
  std::istream piped(&pipe);
  request.inputs = {{"stdin", &piped, std::nullopt, 0}};
  try {
    remote.ingest_events(request, progress);
    FAIL("no error");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::unavailable);
  }
  CHECK(bodies.size() == 3);
}
