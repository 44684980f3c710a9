// A live API server for tests: cpp-httplib's server on a loopback port over a fresh embedded
// platform in a temp folder, serving on its own thread until destroyed, with an admin token
// and small helpers to call it (server_test.cpp, api_examples_test.cpp).
#pragma once

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <mutex>
#include <thread>

#include "mpaas/core/clock.hpp"
#include "mpaas/core/output.hpp"
#include "mpaas/core/sha256.hpp"
#include "mpaas/platform/local.hpp"
#include "mpaas/platform/server.hpp"
#include "temp_dir.hpp"

namespace mpaas::test {

inline std::string base64(const std::string& bytes) {
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

inline std::string raw_sha256(const std::string& bytes) {
  auto digest = sha256_of(bytes);
  return std::string(digest.begin(), digest.end());
}

inline int open_socket(int port) {
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
inline std::string send_raw(int port, const std::string& bytes) {
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
  std::filesystem::path folder = home / "platform";
  std::string admin;
  std::unique_ptr<platform::server::ApiServer> api;
  std::thread thread;
  int port = 0;
  std::vector<platform::server::AccessLogEntry> log;
  std::mutex log_mutex;

  explicit LiveServer(double rate = 1000, double burst = 1000) {
    {
      auto platform = platform::open_local_platform(folder, "setup", clock);
      platform::TokenRequest request;
      request.name = "admin";
      request.scope = platform::Scope::admin;
      admin = platform->create_token(request).secret;
    }
    platform::server::ServerOptions options;
    options.port = 0;
    options.uploads = folder / "uploads";
    options.threads = 8;
    options.rate_per_second = rate;
    options.rate_burst = burst;
    api = std::make_unique<platform::server::ApiServer>(
        [this] { return platform::open_local_platform(folder, "server", clock); }, options,
        [this](const platform::server::AccessLogEntry& entry) {
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

}  // namespace mpaas::test
