// Artifacts over HTTP: tus uploads in checksummed chunks, resumed from the server's offset
// after a dropped connection or a killed run (the same bytes arrive), and downloads that
// resume with Range and refuse a wrong sha256.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <thread>

#include "fake_server.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/core/sha256.hpp"
#include "mpaas/platform/from_json.hpp"
#include "temp_dir.hpp"

using namespace mpaas;
using namespace mpaas::platform;
using namespace mpaas::platform::http;
using test::FakeServer;
using test::send_json;
namespace fs = std::filesystem;

namespace {

std::string pattern_bytes(size_t size) {
  std::string bytes(size, '\0');
  uint32_t state = 12345;
  for (auto& byte : bytes) {
    state = state * 1103515245 + 12345;
    byte = static_cast<char>(state >> 16);
  }
  return bytes;
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

Release release_of(const std::string& bytes) {
  Release release;
  release.id = "rel_aaaaaaaaaaaa";
  release.app = "com.example.shop";
  release.platform = "android";
  release.kind = "native";
  release.version = "1.2.0";
  release.state = ReleaseState::gray;
  release.file_name = "app.apk";
  release.size = bytes.size();
  release.sha256 = to_hex(sha256_of(bytes));
  return release;
}

// A tus server that keeps uploads in memory. `drop_patch` decides, per PATCH, how many of
// its bytes to keep before dropping the connection (npos: none dropped).
struct TusServer {
  FakeServer fake;
  std::mutex mutex;
  std::map<std::string, std::string> data;
  std::map<std::string, uint64_t> lengths;
  int created = 0, patches = 0, heads = 0;
  uint64_t patched_bytes = 0;
  std::function<size_t(int patch, size_t size)> drop_patch = [](int, size_t) {
    return std::string::npos;
  };
  Json release_request;

  TusServer() {
    auto& server = fake.server;
    server.Post("/v1/uploads", [this](const httplib::Request& request, httplib::Response& reply) {
      std::lock_guard<std::mutex> lock(mutex);
      std::string id = "up_" + std::to_string(++created);
      lengths[id] = std::stoull(request.get_header_value("Upload-Length"));
      data[id] = "";
      CHECK(request.get_header_value("Tus-Resumable") == "1.0.0");
      // The file's name only: its sha256 is hashed on the way and sent with the release.
      CHECK(request.get_header_value("Upload-Metadata").rfind("filename ", 0) == 0);
      CHECK(request.get_header_value("Upload-Metadata").find("sha256") == std::string::npos);
      reply.status = 201;
      reply.set_header("Location", "/v1/uploads/" + id);
    });
    server.Get(R"(/v1/uploads/([^/]+))",
               [this](const httplib::Request& request, httplib::Response& reply) {
                 std::lock_guard<std::mutex> lock(mutex);
                 ++heads;
                 std::string id = request.matches[1];
                 if (!lengths.count(id)) {
                   reply.status = 404;
                   return;
                 }
                 reply.status = 200;
                 reply.set_header("Upload-Offset", std::to_string(data[id].size()));
                 reply.set_header("Upload-Length", std::to_string(lengths[id]));
               });
    server.Patch(R"(/v1/uploads/([^/]+))", [this](const httplib::Request& request,
                                                  httplib::Response& reply) {
      std::lock_guard<std::mutex> lock(mutex);
      std::string id = request.matches[1];
      ++patches;
      patched_bytes += request.body.size();
      if (std::stoull(request.get_header_value("Upload-Offset")) != data[id].size()) {
        reply.status = 409;
        return;
      }
      std::string expected =
          "sha256 " + base64_encode(std::string(
                          reinterpret_cast<const char*>(sha256_of(request.body).data()), 32));
      if (request.get_header_value("Upload-Checksum") != expected) {
        reply.status = 460;
        return;
      }
      size_t keep = drop_patch(patches, request.body.size());
      if (keep != std::string::npos) {
        data[id] += request.body.substr(0, keep);
        test::drop_connection(reply);
        return;
      }
      data[id] += request.body;
      reply.status = 204;
      reply.set_header("Upload-Offset", std::to_string(data[id].size()));
    });
    server.Post("/v1/apps/com.example.shop/releases",
                [this](const httplib::Request& request, httplib::Response& reply) {
                  std::lock_guard<std::mutex> lock(mutex);
                  release_request = Json::parse(request.body);
                  std::string id = release_request["upload"];
                  std::string bytes = data[id];
                  if (bytes.size() != lengths[id])
                    return send_json(reply, 409, "{}");
                  send_json(reply, 201, to_json(release_of(bytes)).dump());
                });
  }

  HttpPlatform platform(test::NoWait& wait, const fs::path& state_dir, uint64_t chunk) {
    HttpPlatformOptions options;
    options.client = wait.options(fake.endpoint(), "mpaas_token");
    options.state_dir = state_dir;
    options.chunk_size = chunk;
    return HttpPlatform(options);
  }
};

struct CountingProgress : ProgressSink {
  uint64_t total = 0, done = 0;
  void start(const std::string&, uint64_t size) override { total = size; }
  void advance(uint64_t amount) override { done += amount; }
  void finish() override {}
};

UploadRequest upload_request(const fs::path& file) {
  UploadRequest request;
  request.file = file;
  request.app = "com.example.shop";
  request.platform = "android";
  request.version = "1.2.0";
  request.percent = 1250;
  return request;
}

size_t files_in(const fs::path& folder) {
  if (!fs::exists(folder))
    return 0;
  return static_cast<size_t>(
      std::distance(fs::recursive_directory_iterator(folder), fs::recursive_directory_iterator()));
}

}  // namespace

TEST_CASE("http upload: tus in checksummed chunks, then the release", "[platform][http]") {
  test::TempDir temp;
  std::string bytes = pattern_bytes(300 * 1024 + 7);
  write_file(temp.path() / "app.apk", bytes);
  TusServer server;
  test::NoWait wait;
  auto platform = server.platform(wait, temp.path() / "state", 64 * 1024);
  CountingProgress progress;
  auto release = platform.upload(upload_request(temp.path() / "app.apk"), progress);
  CHECK(release.sha256 == to_hex(sha256_of(bytes)));
  CHECK(server.data["up_1"] == bytes);
  CHECK(server.patches == 5);
  CHECK(progress.total == bytes.size());
  CHECK(progress.done == bytes.size());
  CHECK(server.release_request["upload"] == "up_1");
  CHECK(server.release_request["sha256"] == release.sha256);
  CHECK(server.release_request["percent"] == 12.5);
  CHECK(server.release_request["file_name"] == "app.apk");
  // Done: nothing is left to resume.
  CHECK(files_in(temp.path() / "state" / "uploads") == 0);
}

TEST_CASE("http upload: a connection dropped mid-chunk resumes from the server's offset",
          "[platform][http]") {
  test::TempDir temp;
  std::string bytes = pattern_bytes(200 * 1024);
  write_file(temp.path() / "app.apk", bytes);
  TusServer server;
  // The second PATCH keeps 10,000 bytes of its chunk, then the connection drops.
  server.drop_patch = [](int patch, size_t) { return patch == 2 ? 10000 : std::string::npos; };
  test::NoWait wait;
  auto platform = server.platform(wait, temp.path() / "state", 64 * 1024);
  CountingProgress progress;
  platform.upload(upload_request(temp.path() / "app.apk"), progress);
  CHECK(server.data["up_1"] == bytes);
  CHECK(server.created == 1);
  CHECK(server.heads == 1);
  CHECK(progress.done == bytes.size());
  // Only the part the server did not keep went again, and the whole file was hashed once.
  CHECK(server.patched_bytes == bytes.size() + 64 * 1024 - 10000);
  CHECK(server.release_request["sha256"] == to_hex(sha256_of(bytes)));
}

namespace {

// A run whose connection stays down after the first chunk (every later attempt dropped):
// it fails saying the same command resumes it.
void fail_after_first_chunk(TusServer& server, const fs::path& state, const fs::path& file) {
  server.drop_patch = [](int patch, size_t) { return patch >= 2 ? 0 : std::string::npos; };
  test::NoWait wait;
  auto platform = server.platform(wait, state, 64 * 1024);
  NullProgress quiet;
  try {
    platform.upload(upload_request(file), quiet);
    FAIL("no error");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::unavailable);
    CHECK(std::string(error.what()).find("run the same command again") != std::string::npos);
  }
}

}  // namespace

TEST_CASE("http upload: the same upload run again after a failed run continues it",
          "[platform][http]") {
  test::TempDir temp;
  std::string bytes = pattern_bytes(256 * 1024 + 100);
  write_file(temp.path() / "app.apk", bytes);
  TusServer server;
  fs::path state = temp.path() / "state";
  fail_after_first_chunk(server, state, temp.path() / "app.apk");
  REQUIRE(files_in(state / "uploads") == 1);
  auto state_file = fs::directory_iterator(state / "uploads")->path();
  struct stat status {};
  REQUIRE(::stat(state_file.c_str(), &status) == 0);
  CHECK((status.st_mode & 0777) == 0600);
  CHECK(read_file(state_file).find("mpaas_token") == std::string::npos);

  server.drop_patch = [](int, size_t) { return std::string::npos; };
  int patches_before = server.patches;
  test::NoWait wait;
  auto platform = server.platform(wait, state, 64 * 1024);
  CountingProgress progress;
  platform.upload(upload_request(temp.path() / "app.apk"), progress);
  CHECK(server.created == 1);  // no second upload: the first was continued
  CHECK(server.data["up_1"] == bytes);
  CHECK(server.patches - patches_before == 4);  // chunks 2..5
  CHECK(progress.done == bytes.size());
  CHECK(files_in(state / "uploads") == 0);
  // The run that resumed hashed the chunk it did not send again as well.
  CHECK(server.release_request["sha256"] == to_hex(sha256_of(bytes)));
}

TEST_CASE("http upload: a file changed since the failed run starts a fresh upload",
          "[platform][http]") {
  test::TempDir temp;
  write_file(temp.path() / "app.apk", pattern_bytes(256 * 1024));
  TusServer server;
  fs::path state = temp.path() / "state";
  fail_after_first_chunk(server, state, temp.path() / "app.apk");
  // Rewritten with other bytes (and so another modification time): not the same upload.
  std::string changed = pattern_bytes(256 * 1024);
  changed[0] ^= 1;
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  write_file(temp.path() / "app.apk", changed);
  server.drop_patch = [](int, size_t) { return std::string::npos; };
  test::NoWait wait;
  auto platform = server.platform(wait, state, 64 * 1024);
  NullProgress quiet;
  platform.upload(upload_request(temp.path() / "app.apk"), quiet);
  CHECK(server.created == 2);
  CHECK(server.data["up_2"] == changed);
  CHECK(server.release_request["sha256"] == to_hex(sha256_of(changed)));
}

TEST_CASE("http download: a broken transfer resumes with Range; a wrong sha256 is refused",
          "[platform][http]") {
  test::TempDir temp;
  std::string bytes = pattern_bytes(100 * 1024);
  FakeServer server;
  Release release = release_of(bytes);
  int artifact_calls = 0;
  std::vector<std::string> ranges;
  server.server.Get("/v1/releases/rel_aaaaaaaaaaaa",
                    [&](const httplib::Request&, httplib::Response& reply) {
                      send_json(reply, 200, to_json(release).dump());
                    });
  server.server.Get("/v1/releases/rel_aaaaaaaaaaaa/artifact", [&](const httplib::Request& request,
                                                                  httplib::Response& reply) {
    ranges.push_back(request.get_header_value("Range"));
    if (++artifact_calls == 1) {
      // Half the bytes, then the connection breaks.
      reply.set_content_provider(bytes.size(), "application/octet-stream",
                                 [&](size_t offset, size_t, httplib::DataSink& sink) {
                                   if (offset >= bytes.size() / 2)
                                     return false;
                                   sink.write(bytes.data(), bytes.size() / 2);
                                   return true;
                                 });
      return;
    }
    // cpp-httplib answers a Range request with 206 by itself.
    reply.set_content(bytes, "application/octet-stream");
  });
  test::NoWait wait;
  HttpPlatformOptions options;
  options.client = wait.options(server.endpoint(), "");
  HttpPlatform platform(options);
  NullProgress quiet;
  auto download = platform.download("rel_aaaaaaaaaaaa", temp.path() / "got.apk", quiet);
  CHECK(read_file(temp.path() / "got.apk") == bytes);
  CHECK(download.sha256 == release.sha256);
  REQUIRE(ranges.size() == 2);
  CHECK(ranges[0].empty());
  CHECK(ranges[1] == "bytes=" + std::to_string(bytes.size() / 2) + "-");

  auto artifact = platform.open_artifact("rel_aaaaaaaaaaaa");
  std::string streamed((std::istreambuf_iterator<char>(*artifact.bytes)),
                       std::istreambuf_iterator<char>());
  CHECK(streamed == bytes);

  release.sha256 = std::string(64, '0');
  try {
    platform.download("rel_aaaaaaaaaaaa", temp.path() / "bad.apk", quiet);
    FAIL("no error");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::verification);
  }
  CHECK_FALSE(fs::exists(temp.path() / "bad.apk"));
}
