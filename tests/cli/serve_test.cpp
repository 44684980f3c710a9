// `mpaas serve` as users run it: a real process on a loopback port, called with curl (the
// standard tool), over TLS with a CA made by openssl, stopped with SIGTERM; and `mpaas
// token` on the embedded platform.
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "background.hpp"
#include "mpaas/core/sha256.hpp"
#include "process.hpp"
#include "served.hpp"
#include "temp_dir.hpp"

using mpaas::test::RunResult;
using mpaas::test::TempDir;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

RunResult curl(const std::vector<std::string>& arguments) {
  std::vector<std::string> all = {"-s", "-S", "--max-time", "20"};
  all.insert(all.end(), arguments.begin(), arguments.end());
  return mpaas::test::run_program("curl", all);
}

fs::path platform_folder(const fs::path& home) {
  return home / ".local/share/mpaas/platform";
}

// A server on a fresh home of its own.
struct Served {
  TempDir home;
  mpaas::test::ServedPlatform platform;

  explicit Served(std::vector<std::string> extra = {}) : platform(home.path(), std::move(extra)) {}

  std::string url(const std::string& path, const std::string& scheme = "http") const {
    return platform.url(path, scheme);
  }
};

}  // namespace

TEST_CASE(
    "mpaas serve answers curl, keeps its admin token 0600 and out of the log, and stops on SIGTERM",
    "[cli][serve]") {
  Served served;
  struct stat status {};
  REQUIRE(::stat((platform_folder(served.home.path()) / "admin-token").c_str(), &status) == 0);
  CHECK((status.st_mode & 0777) == 0600);
  CHECK(served.platform.admin_token().rfind("mpaas_", 0) == 0);

  auto bearer = "Authorization: Bearer " + served.platform.admin_token();
  auto created = curl({"-X", "POST", "-H", bearer, "--data", R"({"id":"com.example.shop"})",
                       served.url("/v1/apps")});
  REQUIRE(created.exit_code == 0);
  CHECK(json::parse(created.out)["id"] == "com.example.shop");

  // An artifact through tus with curl, then a release from it.
  auto artifact = served.home / "shop.apk";
  std::ofstream(artifact) << std::string(300000, 'x') << "end";
  auto size = std::to_string(fs::file_size(artifact));
  auto creation =
      curl({"-i", "-X", "POST", "-H", bearer, "-H", "Tus-Resumable: 1.0.0", "-H",
            "Content-Length: 0", "-H", "Upload-Length: " + size, served.url("/v1/uploads")});
  auto at = creation.out.find("Location: ");
  REQUIRE(at != std::string::npos);
  auto location = creation.out.substr(at + 10, creation.out.find('\r', at) - at - 10);
  auto patched =
      curl({"-X", "PATCH", "-H", bearer, "-H", "Tus-Resumable: 1.0.0", "-H", "Upload-Offset: 0",
            "-H", "Content-Type: application/offset+octet-stream", "--data-binary",
            "@" + artifact.string(), "-w", "%{http_code}", served.url(location)});
  CHECK(patched.out == "204");
  auto upload_id = location.substr(location.rfind('/') + 1);
  auto release =
      curl({"-X", "POST", "-H", bearer, "--data",
            R"({"upload":")" + upload_id +
                R"(","platform":"android","version":"1.2.0","percent":10,"file_name":"shop.apk"})",
            served.url("/v1/apps/com.example.shop/releases")});
  REQUIRE(release.exit_code == 0);
  auto made = json::parse(release.out);
  CHECK(made["size"] == 300003);

  // The embedded platform sees it too, while the server runs (one data folder, two processes).
  auto shown = mpaas::test::run_mpaas(
      {"release", "show", "com.example.shop/android/1.2.0", "--json"}, served.home.path());
  REQUIRE(shown.exit_code == 0);
  CHECK(json::parse(shown.out)["id"] == made["id"]);

  // The artifact by range, as an app would resume a download.
  auto range = curl({"-r", "300000-300002",
                     served.url("/v1/releases/" + made["id"].get<std::string>() + "/artifact")});
  CHECK(range.out == "end");

  // No token, no access; and the access log has lines, never the token.
  auto refused = curl({"-w", "%{http_code}", "-o", "/dev/null", served.url("/v1/apps")});
  CHECK(refused.out == "401");
  auto log = served.platform.process().stderr_text();
  CHECK(log.find("POST /v1/apps 201") != std::string::npos);
  CHECK(log.find(served.platform.admin_token()) == std::string::npos);

  CHECK(served.platform.process().stop(SIGTERM, std::chrono::seconds(20)) == 0);
  CHECK(served.platform.process().stderr_text().find("mpaas: stopped") != std::string::npos);
}

TEST_CASE("curl POSTs NDJSON events and reads a metric back", "[cli][serve][analytics]") {
  Served served;
  auto bearer = "Authorization: Bearer " + served.platform.admin_token();
  REQUIRE(curl({"-f", "-X", "POST", "-H", bearer, "--data", R"({"id":"com.example.shop"})",
                served.url("/v1/apps")})
              .exit_code == 0);
  auto events = served.home / "events.ndjson";
  std::ofstream(events)
      << R"({"time":"2026-03-02T10:00:00Z","event_id":"e1","device_id":"d1","event":"launch"})"
      << "\n"
      << R"({"time":"2026-03-02T11:00:00Z","event_id":"e2","device_id":"d2","event":"crash"})"
      << "\n";
  auto posted = curl({"-X", "POST", "-H", bearer, "-H", "Content-Type: application/x-ndjson",
                      "--data-binary", "@" + events.string(),
                      served.url("/v1/apps/com.example.shop/events?file=events.ndjson")});
  REQUIRE(posted.exit_code == 0);
  INFO(posted.out);
  auto summary = json::parse(posted.out);
  CHECK(summary["ingested"] == 2);
  CHECK(summary["events"] == 2);
  // Gzip on the way, as curl sends a compressed file, chunked: the same events, duplicates.
  REQUIRE(mpaas::test::run_program("gzip", {"-k", events.string()}).exit_code == 0);
  auto gzipped = curl({"-X", "POST", "-H", bearer, "-H", "Content-Encoding: gzip", "-H",
                       "Transfer-Encoding: chunked", "--data-binary", "@" + events.string() + ".gz",
                       served.url("/v1/apps/com.example.shop/events")});
  REQUIRE(gzipped.exit_code == 0);
  INFO(gzipped.out);
  CHECK(json::parse(gzipped.out)["duplicates"] == 2);
  auto metric = curl({"-H", bearer,
                      served.url("/v1/apps/com.example.shop/analytics/crash-free?from=2026-03-02"
                                 "&to=2026-03-02")});
  REQUIRE(metric.exit_code == 0);
  CHECK(json::parse(metric.out)["series"][0]["values"] == json::array({0.5}));
  // The embedded platform's CLI reads the same store.
  auto shown =
      mpaas::test::run_mpaas({"analytics", "query", "launches", "--app", "com.example.shop",
                              "--from", "2026-03-02", "--to", "2026-03-02", "--csv"},
                             served.home.path());
  CHECK(shown.out == "period,value\n2026-03-02,1\n");
}

TEST_CASE("a standard tus client (tuspy) uploads in chunks, and the upload becomes a release",
          "[cli][serve][interop]") {
  const std::string python = "/usr/bin/python3";
  REQUIRE(mpaas::test::run_program(python, {"-c", "import tusclient"}).exit_code == 0);
  Served served;
  auto bearer = "Authorization: Bearer " + served.platform.admin_token();
  REQUIRE(curl({"-f", "-X", "POST", "-H", bearer, "--data", R"({"id":"com.example.shop"})",
                served.url("/v1/apps")})
              .exit_code == 0);
  std::string bytes(3 * 1000 * 1000 + 17, '\0');
  for (size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<char>((i * 7919) >> 5);
  auto artifact = served.home / "shop.apk";
  mpaas::test::write_text(artifact, bytes);
  // tuspy: creation, then PATCHes of 1 MiB, each resuming from the offset it was told.
  const char* script = R"(
import sys
from tusclient import client
c = client.TusClient(sys.argv[1], headers={"Authorization": "Bearer " + sys.argv[2]})
uploader = c.uploader(sys.argv[3], chunk_size=1 << 20, metadata={"filename": "shop.apk"})
uploader.upload()
print(uploader.url)
)";
  auto uploaded = mpaas::test::run_program(
      python,
      {"-c", script, served.url("/v1/uploads"), served.platform.admin_token(), artifact.string()});
  INFO(uploaded.err);
  REQUIRE(uploaded.exit_code == 0);
  auto url = uploaded.out.substr(0, uploaded.out.find('\n'));
  auto upload_id = url.substr(url.rfind('/') + 1);
  // The server logs a request once its reply is out: the last PATCH's line may come a
  // moment after the client has its reply.
  auto patches_logged = [&] {
    auto log = served.platform.process().stderr_text();
    size_t patches = 0;
    for (size_t at = log.find("PATCH /v1/uploads/"); at != std::string::npos;
         at = log.find("PATCH /v1/uploads/", at + 1))
      ++patches;
    return patches;
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (patches_logged() < 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(served.platform.process().stderr_text().find("POST /v1/uploads 201") != std::string::npos);
  CHECK(patches_logged() == 3);

  auto release = curl({"-f", "-X", "POST", "-H", bearer, "--data",
                       R"({"upload":")" + upload_id +
                           R"(","platform":"android","version":"1.0.0","file_name":"shop.apk"})",
                       served.url("/v1/apps/com.example.shop/releases")});
  REQUIRE(release.exit_code == 0);
  auto made = json::parse(release.out);
  CHECK(made["size"] == bytes.size());
  CHECK(made["sha256"] == mpaas::to_hex(mpaas::sha256_of(bytes).data(), 32));
  auto got = curl({served.url("/v1/releases/" + made["id"].get<std::string>() + "/artifact")});
  CHECK(got.out == bytes);
}

TEST_CASE("mpaas serve refuses plain HTTP off loopback unless --insecure", "[cli][serve]") {
  TempDir home;
  auto refused = mpaas::test::run_mpaas({"serve", "--listen", "0.0.0.0:0"}, home.path());
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("--insecure") != std::string::npos);
  auto bad = mpaas::test::run_mpaas({"serve", "--listen", "nonsense"}, home.path());
  CHECK(bad.exit_code == 2);
  auto half = mpaas::test::run_mpaas({"serve", "--tls-cert", "cert.pem"}, home.path());
  CHECK(half.exit_code == 2);
}

TEST_CASE("mpaas serve speaks TLS with a certificate from a private CA", "[cli][serve]") {
  REQUIRE(mpaas::test::have_program("openssl"));
  TempDir keys;
  auto made = mpaas::test::run_program(
      "openssl",
      {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
       (keys / "key.pem").string(), "-out", (keys / "cert.pem").string(), "-days", "2", "-subj",
       "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"});
  REQUIRE(made.exit_code == 0);
  Served served(
      {"--tls-cert", (keys / "cert.pem").string(), "--tls-key", (keys / "key.pem").string()});
  CHECK(served.platform.process().stderr_text().find("https://") != std::string::npos);
  auto trusted = curl({"--cacert", (keys / "cert.pem").string(), served.url("/healthz", "https")});
  CHECK(trusted.exit_code == 0);
  CHECK(json::parse(trusted.out)["status"] == "ok");
  auto untrusted = curl({served.url("/healthz", "https")});
  CHECK(untrusted.exit_code == 60);  // curl: peer certificate cannot be authenticated

  // The mpaas client trusts the private CA with --cacert, and only then.
  mpaas::test::RunOptions client{{}, served.platform.client_environment("https"), ""};
  auto listed =
      mpaas::test::run_mpaas({"--cacert", (keys / "cert.pem").string(), "--json", "app", "list"},
                             served.home.path(), client);
  INFO(listed.err);
  CHECK(listed.exit_code == 0);
  CHECK(json::parse(listed.out) == json::array());
  auto refused = mpaas::test::run_mpaas({"app", "list"}, served.home.path(), client);
  CHECK(refused.exit_code == 8);
  CHECK_THAT(refused.err, Catch::Contains("certificate"));
  CHECK(refused.err.find(served.platform.admin_token()) == std::string::npos);
}

TEST_CASE("mpaas token makes, lists and revokes tokens on the embedded platform", "[cli][serve]") {
  TempDir home;
  auto made = mpaas::test::run_mpaas(
      {"token", "create", "--name", "ci", "--scope", "release", "--expires", "30d", "--json"},
      home.path());
  REQUIRE(made.exit_code == 0);
  auto token = json::parse(made.out);
  CHECK(token["scope"] == "release");
  CHECK(token["secret"].get<std::string>().rfind("mpaas_", 0) == 0);
  CHECK_FALSE(token["expires_at"].is_null());
  auto listed = mpaas::test::run_mpaas({"token", "list", "--json"}, home.path());
  REQUIRE(listed.exit_code == 0);
  CHECK(listed.out.find(token["secret"].get<std::string>()) == std::string::npos);
  CHECK(json::parse(listed.out).size() == 1);
  auto id = token["id"].get<std::string>();
  CHECK(mpaas::test::run_mpaas({"token", "revoke", id}, home.path()).exit_code == 0);
  CHECK(mpaas::test::run_mpaas({"token", "revoke", id}, home.path()).exit_code == 6);
  CHECK(mpaas::test::run_mpaas({"token", "create", "--name", "x", "--scope", "root"}, home.path())
            .exit_code == 2);
}
