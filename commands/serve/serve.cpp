// `mpaas serve`: the platform of the data folder over HTTP API v1 (docs/api.md), with an
// access-log line per request on stderr, and a graceful stop on SIGINT/SIGTERM.
#include <malloc.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "command.hpp"
#include "mpaas/core/atomic_file.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/core/interrupt.hpp"
#include "mpaas/platform/local.hpp"
#include "mpaas/platform/server.hpp"
#include "platform_access.hpp"
#include "serve/options.hpp"

namespace mpaas {
namespace {

struct Address {
  std::string host;
  int port = 0;
};

Address parse_listen(const std::string& text) {
  auto colon = text.rfind(':');
  Address address;
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    throw usage_error("--listen takes HOST:PORT (127.0.0.1:8750)", "listen");
  address.host = text.substr(0, colon);
  if (address.host.size() > 2 && address.host.front() == '[' && address.host.back() == ']')
    address.host = address.host.substr(1, address.host.size() - 2);
  auto port = text.substr(colon + 1);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) > 65535)
    throw usage_error("--listen port must be 0 to 65535", "listen");
  address.port = std::stoi(port);
  return address;
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// "24h", "30m", "90s", "7d" -> seconds.
int64_t parse_duration(const std::string& text, const std::string& field) {
  if (text.size() < 2 || text.size() > 12)
    throw usage_error("--" + field + " takes a duration such as 30m, 24h or 7d", field);
  auto unit = text.back();
  auto number = text.substr(0, text.size() - 1);
  if (number.find_first_not_of("0123456789") != std::string::npos)
    throw usage_error("--" + field + " takes a duration such as 30m, 24h or 7d", field);
  int64_t value = std::stoll(number);
  switch (unit) {
    case 's':
      return value;
    case 'm':
      return value * 60;
    case 'h':
      return value * 3600;
    case 'd':
      return value * 86400;
    default:
      throw usage_error("--" + field + " takes a duration such as 30m, 24h or 7d", field);
  }
}

// Until the platform has a live admin token (the first start), one is made and its secret
// written to admin-token (0600) in the data folder, never to the log: whoever runs the
// server can then make the others, remotely too.
void ensure_admin_token(platform::Platform& platform, const std::filesystem::path& folder,
                        Context& context) {
  auto now =
      std::chrono::duration_cast<std::chrono::seconds>(context.clock.now().time_since_epoch())
          .count();
  for (const auto& token : platform.list_tokens().tokens) {
    bool live = token.revoked_at == 0 && (token.expires_at == 0 || token.expires_at > now);
    if (live && token.scope == platform::Scope::admin)
      return;
  }
  platform::TokenRequest request;
  request.name = "admin";
  request.scope = platform::Scope::admin;
  auto token = platform.create_token(request);
  auto file = folder / "admin-token";
  AtomicFile out(file, 0600, Durability::synced);
  auto line = token.secret + "\n";
  out.write(line.data(), line.size());
  out.commit();
  context.err << "mpaas: made an admin token " << token.id << "; its secret is in " << file.string()
              << " (mode 0600)\n";
}

void append_log_line(std::string& out, const platform::server::AccessLogEntry& entry) {
  char numbers[96];
  int length = std::snprintf(numbers, sizeof numbers, " %d %llu %.2fms\n", entry.status,
                             static_cast<unsigned long long>(entry.bytes), entry.milliseconds);
  out += entry.method;
  out += ' ';
  out += entry.path;
  out.append(numbers, static_cast<size_t>(std::max(length, 0)));
}

// The access log, one line per request, written out at least every 50 ms (and whenever
// 64 KiB are waiting) rather than one write per request: at thousands of requests a second
// the write, and the lock the request threads took turns on, cost a tenth of a request.
// Each thread appends to its own buffer under its own lock, which only the flush contends.
class AccessLogBuffer {
 public:
  explicit AccessLogBuffer(std::ostream& out) : m_out(out) {}

  void add(const platform::server::AccessLogEntry& entry) {
    auto& mine = own_buffer();
    std::lock_guard lock(mine.mutex);
    append_log_line(mine.waiting, entry);
    if (mine.waiting.size() >= (64u << 10)) {
      std::lock_guard out_lock(m_out_mutex);
      write_out(mine.waiting);
    }
  }

  void flush() {
    std::lock_guard list_lock(m_list_mutex);
    std::lock_guard out_lock(m_out_mutex);
    for (auto& buffer : m_buffers) {
      std::lock_guard lock(buffer->mutex);
      write_out(buffer->waiting);
    }
  }

 private:
  struct Buffer {
    std::mutex mutex;
    std::string waiting;
  };

  // This thread's buffer, made on its first line. Buffers live as long as the log: a
  // server's threads are few and fixed.
  Buffer& own_buffer() {
    thread_local std::pair<const AccessLogBuffer*, Buffer*> cached{nullptr, nullptr};
    if (cached.first != this) {
      std::lock_guard lock(m_list_mutex);
      m_buffers.push_back(std::make_unique<Buffer>());
      cached = {this, m_buffers.back().get()};
    }
    return *cached.second;
  }

  void write_out(std::string& waiting) {
    if (waiting.empty())
      return;
    m_out.write(waiting.data(), static_cast<std::streamsize>(waiting.size()));
    m_out.flush();
    waiting.clear();
  }

  std::ostream& m_out;
  std::mutex m_out_mutex;   // one writer at a time on the stream
  std::mutex m_list_mutex;  // guards m_buffers
  std::vector<std::unique_ptr<Buffer>> m_buffers;
};

// A server allocates and frees the same sizes on every request; glibc would hand the freed
// top of each thread's heap back to the kernel and fault it in again on the next request,
// which on this kind of load costs more than the request. Keep it.
void keep_heap_memory() {
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_TOP_PAD, 16 << 20);
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
}

int run_serve(const ServeOptions& options, Context& context) {
  auto address = parse_listen(options.listen);
  bool tls = !options.tls_certificate.empty() || !options.tls_key.empty();
  if (tls && (options.tls_certificate.empty() || options.tls_key.empty()))
    throw usage_error("--tls-cert and --tls-key go together", "tls-cert");
  if (!tls && !is_loopback(address.host)) {
    if (!options.insecure) {
      throw usage_error("listening on " + address.host +
                            " without TLS exposes tokens on the network; give --tls-cert and "
                            "--tls-key, or --insecure to accept that",
                        "listen");
    }
    context.warn("serving plain HTTP on " + address.host +
                 ": tokens and data cross the network unencrypted (--insecure)");
  }
  if (options.threads < 1 || options.threads > 1024)
    throw usage_error("--threads must be 1 to 1024", "threads");

  std::filesystem::path data = context.resolve(context.data_dir().string());
  auto folder = data / "platform";
  auto actor = platform_actor(context);
  const Clock& clock = context.clock;
  ensure_admin_token(*platform::open_local_platform(folder, actor, clock), folder, context);

  platform::server::ServerOptions server_options;
  server_options.host = address.host;
  server_options.port = address.port;
  server_options.uploads = folder / "uploads";
  server_options.tls_certificate = context.resolve(options.tls_certificate);
  server_options.tls_key = context.resolve(options.tls_key);
  if (!tls)
    server_options.tls_certificate = server_options.tls_key = "";
  server_options.threads = static_cast<size_t>(options.threads);
  server_options.upload_expiry =
      std::chrono::seconds(parse_duration(options.upload_expiry, "upload-expiry"));

  keep_heap_memory();
  AccessLogBuffer access_log(context.err);
  platform::server::ApiServer server(
      [folder, actor, &clock] { return platform::open_local_platform(folder, actor, clock); },
      server_options,
      [&access_log](const platform::server::AccessLogEntry& entry) { access_log.add(entry); },
      clock);
  int port = server.bind();
  context.err << "mpaas: serving " << folder.string() << " on " << (tls ? "https" : "http") << "://"
              << address.host << ':' << port << "/v1\n"
              << std::flush;
  // A signal only records a stop request (core/interrupt.hpp): this thread turns it into a
  // graceful stop, and requests in flight finish before serve() returns.
  std::atomic<bool> done{false};
  std::thread watcher([&server, &done, &access_log] {
    while (!done && !stop_requested()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      access_log.flush();
    }
    server.stop();
  });
  server.serve();
  done = true;
  watcher.join();
  access_log.flush();
  context.err << "mpaas: stopped\n";
  return 0;
}

}  // namespace

void register_serve_command(Command& root) {
  auto options = std::make_shared<ServeOptions>();
  root.subcommand("serve", "Serve the platform over HTTP API v1 (docs/api.md)")
      .option("--listen", options->listen, "Address and port to listen on (HOST:PORT)")
      .default_shown("127.0.0.1:8750")
      .option("--tls-cert", options->tls_certificate, "TLS certificate (PEM) to serve HTTPS")
      .option("--tls-key", options->tls_key, "TLS private key (PEM) of --tls-cert")
      .flag("--insecure", options->insecure, "Allow plain HTTP on an address other than loopback")
      .option("--upload-expiry", options->upload_expiry,
              "Remove unfinished uploads after this long (30m, 24h, 7d)")
      .default_shown("24h")
      .option("--threads", options->threads, "Connections served at once")
      .default_shown("64")
      .examples({"mpaas serve", "mpaas serve --listen 127.0.0.1:0 --data-dir ./platform-data",
                 "mpaas serve --listen 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem"})
      .run(options, run_serve);
}

}  // namespace mpaas
