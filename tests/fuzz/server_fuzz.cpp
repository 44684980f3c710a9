// Fuzzes the HTTP API server as a client reaches it: each input is sent as raw bytes over a
// loopback connection to one ApiServer (over an embedded platform in a temp folder, with an
// app, a release and a tus upload in it), and the reply read until the server closes or
// stops answering. Beyond cpp-httplib's own parsing this covers ours: JSON bodies, query
// parameters, Upload-Metadata, Upload-Offset and Upload-Length, Range, Idempotency-Key,
// bearer tokens and route parameters. The server must never crash, leak or hang; after
// each input it must still answer /healthz.
//
// The text "$TOKEN" in an input becomes the admin token, "$UPLOAD" the upload's path, so
// that seeds reach the routes behind authentication.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "mpaas/core/clock.hpp"
#include "mpaas/platform/local.hpp"
#include "mpaas/platform/server.hpp"

namespace {

using namespace mpaas;

struct Fixture {
  std::filesystem::path folder;
  std::unique_ptr<platform::server::ApiServer> server;
  std::thread serving;
  int port = 0;
  std::string token;
  std::string upload;
};

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends `request` and reads the reply until the server closes the connection or is silent
// for `quiet_ms` (a keep-alive connection waiting for the next request). No half-close:
// cpp-httplib drops a request whose client has already shut its side down, unanswered.
std::string exchange(int port, const std::string& request, int quiet_ms) {
  int fd = connect_to(port);
  if (fd < 0)
    __builtin_trap();  // the server stopped listening
  size_t sent = 0;
  while (sent < request.size()) {
    auto wrote = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (wrote <= 0)
      break;
    sent += static_cast<size_t>(wrote);
  }
  std::string reply;
  char buffer[16384];
  pollfd wait{fd, POLLIN, 0};
  while (::poll(&wait, 1, quiet_ms) > 0) {
    auto got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got <= 0)
      break;
    reply.append(buffer, static_cast<size_t>(got));
  }
  ::close(fd);
  return reply;
}

const Clock& clock() {
  static SystemClock system;
  return system;
}

std::string header_value(const std::string& reply, const std::string& name) {
  auto at = reply.find(name + ": ");
  if (at == std::string::npos)
    return "";
  at += name.size() + 2;
  return reply.substr(at, reply.find('\r', at) - at);
}

bool healthy(int port) {
  auto reply =
      exchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 10000);
  return reply.rfind("HTTP/1.1 200", 0) == 0;
}

Fixture& fixture() {
  static Fixture* made = [] {
    auto* f = new Fixture;
    char pattern[] = "/tmp/mpaas-server-fuzz-XXXXXX";
    f->folder = ::mkdtemp(pattern);
    auto folder = f->folder / "platform";
    auto platform = platform::open_local_platform(folder, "fuzz", clock());
    platform::TokenRequest admin;
    admin.name = "fuzz";
    admin.scope = platform::Scope::admin;
    f->token = platform->create_token(admin).secret;
    platform->create_app("com.example.shop", "Shop");
    platform::server::ServerOptions options;
    options.port = 0;
    options.uploads = folder / "uploads";
    options.threads = 4;
    options.rate_per_second = 1e9;  // the fuzzer is one very busy client
    options.rate_burst = 1e9;
    f->server = std::make_unique<platform::server::ApiServer>(
        [folder] { return platform::open_local_platform(folder, "fuzz", clock()); }, options,
        [](const platform::server::AccessLogEntry&) {}, clock());
    f->port = f->server->bind();
    f->serving = std::thread([f] { f->server->serve(); });
    // serve() opens its first platforms before it accepts: wait until it answers.
    for (int attempt = 0; attempt < 600 && !healthy(f->port); ++attempt)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    // One upload to aim PATCH, HEAD and DELETE at, and a release to aim the rest at.
    auto created =
        exchange(f->port,
                 "POST /v1/uploads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + f->token +
                     "\r\nTus-Resumable: 1.0.0\r\nUpload-Length: 100\r\n"
                     "Content-Length: 0\r\nConnection: close\r\n\r\n",
                 2000);
    f->upload = header_value(created, "Location");
    return f;
  }();
  return *made;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& f = fixture();
  std::string request(reinterpret_cast<const char*>(data), size);
  request = replace_all(std::move(request), "$TOKEN", f.token);
  request = replace_all(std::move(request), "$UPLOAD", f.upload);
  exchange(f.port, request, 20);
  if (!healthy(f.port))
    __builtin_trap();
  return 0;
}
