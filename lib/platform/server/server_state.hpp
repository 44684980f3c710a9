// Internals of the API server shared by its route files (see server.hpp): the platform pool,
// rate limiter, idempotency cache and the per-server state with the JSON route wrapper.
#pragma once

#include <httplib.h>

#include <atomic>
#include <cmath>
#include <map>
#include <mutex>
#include <optional>

#include "device_front.hpp"
#include "handoff.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/core/sha256.hpp"
#include "mpaas/platform/server.hpp"
#include "requests.hpp"
#include "uploads.hpp"

namespace mpaas::platform::server {

// Who may call a route: devices need no token; the rest need a token of the scope.
enum class Access { device, read, release, admin };

inline Scope scope_of(Access access) {
  return access == Access::admin     ? Scope::admin
         : access == Access::release ? Scope::release
                                     : Scope::read;
}

// A Platform per request in flight, taken from a free list: an embedded platform's SQLite
// connection belongs to one thread at a time, and opening one per request would cost more
// than the request.
class PlatformPool {
 public:
  explicit PlatformPool(PlatformFactory factory) : m_factory(std::move(factory)) {}

  class Lease {
   public:
    Lease(PlatformPool& pool, std::unique_ptr<Platform> platform)
        : m_pool(pool), m_platform(std::move(platform)) {}
    ~Lease() { m_pool.give_back(std::move(m_platform)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Platform& operator*() { return *m_platform; }
    Platform* operator->() { return m_platform.get(); }

   private:
    PlatformPool& m_pool;
    std::unique_ptr<Platform> m_platform;
  };

  // Opens `count` platforms up front, so that the first requests of many connections do
  // not each pay for opening one.
  void prefill(size_t count) {
    std::vector<std::unique_ptr<Platform>> made;
    for (size_t i = 0; i < count; ++i)
      made.push_back(m_factory());
    std::lock_guard lock(m_mutex);
    for (auto& platform : made)
      m_free.push_back(std::move(platform));
  }

  Lease take() {
    {
      std::lock_guard lock(m_mutex);
      if (!m_free.empty()) {
        auto platform = std::move(m_free.back());
        m_free.pop_back();
        return Lease(*this, std::move(platform));
      }
    }
    return Lease(*this, m_factory());
  }

 private:
  void give_back(std::unique_ptr<Platform> platform) {
    if (!platform)
      return;
    std::lock_guard lock(m_mutex);
    m_free.push_back(std::move(platform));
  }

  PlatformFactory m_factory;
  std::mutex m_mutex;
  std::vector<std::unique_ptr<Platform>> m_free;
};

// Requests per token: a token bucket each, refilled at `rate` per second up to `burst`.
class RateLimiter {
 public:
  RateLimiter(double rate, double burst) : m_rate(rate), m_burst(burst) {}

  // Seconds to wait before the next request is allowed; 0 when this one is.
  int admit(const std::string& key, std::chrono::steady_clock::time_point now) {
    std::lock_guard lock(m_mutex);
    auto& bucket = m_buckets[key];
    if (bucket.last.time_since_epoch().count() == 0) {
      bucket.tokens = m_burst;
    } else {
      double elapsed = std::chrono::duration<double>(now - bucket.last).count();
      bucket.tokens = std::min(m_burst, bucket.tokens + elapsed * m_rate);
    }
    bucket.last = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return std::max(1, static_cast<int>(std::ceil((1 - bucket.tokens) / m_rate)));
  }

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point last{};
  };
  double m_rate, m_burst;
  std::mutex m_mutex;
  std::map<std::string, Bucket> m_buckets;
};

// Responses of creating calls by (token, Idempotency-Key), so that a retried request acts
// once. Kept in memory for a day and at most `capacity` entries (oldest dropped first).
class IdempotencyCache {
 public:
  struct Entry {
    std::string request_hash;
    int status = 0;
    std::string body;
    int64_t at = 0;
    std::string location;  // a tus creation's reply is its Location, not a body
  };

  std::optional<Entry> find(const std::string& key) {
    std::lock_guard lock(m_mutex);
    auto found = m_entries.find(key);
    if (found == m_entries.end())
      return std::nullopt;
    return found->second;
  }

  void remember(const std::string& key, Entry entry, int64_t now) {
    std::lock_guard lock(m_mutex);
    for (auto it = m_entries.begin(); it != m_entries.end();) {
      if (now - it->second.at > 24 * 3600)
        it = m_entries.erase(it);
      else
        ++it;
    }
    if (m_entries.size() >= capacity)
      m_entries.erase(m_entries.begin());
    m_entries[key] = std::move(entry);
  }

 private:
  static constexpr size_t capacity = 10000;
  std::mutex m_mutex;
  std::map<std::string, Entry> m_entries;
};

// POST /v1/apps/{app}/events (analytics_routes.cpp): its body streams, may be chunked and
// is limited by the upload limit, not the JSON one.
bool is_events_post(const httplib::Request& request);
// The header the server puts on an events request whose body is gzip by Content-Encoding
// (which it removes, so that the event reader decodes the body, not cpp-httplib).
inline const char* const gzip_body_mark = "Mpaas-Gzip-Body";
// Takes Content-Encoding off an events request (see gzip_body_mark); the refusal of an
// encoding other than gzip.
std::optional<Error> take_events_encoding(const httplib::Request& request);

inline int status_of(const Error& error) {
  switch (error.kind()) {
    case ErrorKind::usage:
      return 400;
    case ErrorKind::invalid_input:
      // Too large is said by the length header at fault; anything else malformed is 422.
      return error.subject() == "Content-Length" || error.subject() == "Upload-Length" ? 413 : 422;
    case ErrorKind::verification:
      return error.subject() == "Upload-Checksum" ? 460 : 422;
    case ErrorKind::not_found:
      return 404;
    case ErrorKind::conflict:
      return 409;
    case ErrorKind::auth:
      return 401;
    case ErrorKind::unavailable:
      return 503;
    case ErrorKind::failure:
    case ErrorKind::interrupted:
      return 500;
  }
  return 500;
}

// cpp-httplib 0.11 applies a request's Range header to whatever reply it writes, JSON and
// error bodies included (a 404 became `{"erro` with a Content-Range). Only an artifact that
// is there may be sent in part: every other reply forgets the ranges asked for. The request
// is the library's own non-const object, handed to handlers as const.
inline void forget_ranges(const httplib::Request& request) {
  const_cast<httplib::Request&>(request).ranges.clear();
}

inline std::string bearer_of(const httplib::Request& request) {
  auto header = request.get_header_value("Authorization");
  const std::string prefix = "Bearer ";
  if (header.size() <= prefix.size() || header.compare(0, prefix.size(), prefix) != 0)
    return "";
  return header.substr(prefix.size());
}

// A short, non-reversible key for a token in memory maps (rate limits, idempotency).
inline std::string token_key(const Token& token) {
  return token.id;
}

struct ApiServer::State {
  State(PlatformFactory factory, ServerOptions options_, AccessLog log_, const Clock& clock_)
      : options(std::move(options_)),
        log(std::move(log_)),
        clock(clock_),
        pool(std::move(factory)),
        limiter(options.rate_per_second, options.rate_burst),
        uploads(options.uploads, options.max_upload, options.upload_expiry.count(), clock_) {}

  ServerOptions options;
  AccessLog log;
  const Clock& clock;
  PlatformPool pool;
  RateLimiter limiter;
  IdempotencyCache idempotency;
  UploadStore uploads;
  std::unique_ptr<httplib::Server> http;
  // Plain HTTP: `http` as a HandoffServer behind the device front; null with TLS.
  HandoffServer* handoff = nullptr;
  std::atomic<DeviceFront*> front{nullptr};
  std::atomic<bool> stopping{false};
  std::atomic<bool> ready{false};
  int port = 0;
  int listening_socket = -1;  // as cpp-httplib made it, for its backlog (see bind)

  int64_t now_seconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
  }

  void send_json(httplib::Response& response, int status, const Json& body) {
    response.status = status;
    response.set_content(body.dump() + "\n", "application/json; charset=utf-8");
  }

  // The one place an error becomes a reply: a scope refusal is 403 (other auth errors 401),
  // a rate limit (Retry-After set by admit) 429.
  void send_error(httplib::Response& response, const Error& error) {
    Json body = {{"error",
                  {{"kind", kind_name(error.kind())},
                   {"message", error.what()},
                   {"subject", error.subject()}}}};
    int status = status_of(error);
    if (error.kind() == ErrorKind::auth && error.subject() == "scope")
      status = 403;
    if (error.kind() == ErrorKind::unavailable && response.has_header("Retry-After"))
      status = 429;
    send_json(response, status, body);
  }

  // Authenticates and rate-limits a call that needs a token; returns the token or throws.
  Token admit(const httplib::Request& request, httplib::Response& response, Platform& platform,
              Access access) {
    auto secret = bearer_of(request);
    if (secret.empty())
      throw Error(ErrorKind::auth, "a token is required (Authorization: Bearer ...)", "token");
    auto token = platform.authenticate(secret);
    if (!token)
      throw Error(ErrorKind::auth, "the token is unknown, revoked or expired", "token");
    int wait = limiter.admit(token_key(*token), clock.steady_now());
    if (wait > 0) {
      response.set_header("Retry-After", std::to_string(wait));
      throw Error(ErrorKind::unavailable, "too many requests for this token; retry later", "token");
    }
    platform.set_actor("token " + token->name);
    if (!scope_allows(token->scope, scope_of(access))) {
      throw Error(ErrorKind::auth,
                  "the token's scope is " + scope_name(token->scope) + "; this needs " +
                      scope_name(scope_of(access)),
                  "scope");
    }
    return *token;
  }

  using JsonHandler =
      std::function<std::pair<int, Json>(const httplib::Request&, Platform&, const Token*)>;

  // The shape every JSON route shares: auth, the platform lease, errors as JSON, and the
  // idempotency of creating calls.
  httplib::Server::Handler json_route(Access access, JsonHandler handler) {
    return [this, access, handler](const httplib::Request& request, httplib::Response& response) {
      try {
        auto platform = pool.take();
        std::optional<Token> token;
        if (access != Access::device)
          token = admit(request, response, *platform, access);
        auto key = request.get_header_value("Idempotency-Key");
        if (request.method == "POST" && token && !key.empty()) {
          reply_idempotent(request, response, *platform, *token, key, handler);
          return;
        }
        auto [status, body] = handler(request, *platform, token ? &*token : nullptr);
        send_json(response, status, body);
      } catch (const Error& error) {
        send_error(response, error);
      } catch (const std::exception&) {
        send_error(response, failure("internal error"));
      }
    };
  }

  void reply_idempotent(const httplib::Request& request, httplib::Response& response,
                        Platform& platform, const Token& token, const std::string& key,
                        const JsonHandler& handler) {
    if (key.size() > 128)
      throw usage_error("the Idempotency-Key is longer than 128 characters", "Idempotency-Key");
    auto cache_key = token_key(token) + "\n" + request.path + "\n" + key;
    auto request_hash = to_hex(sha256_of(request.body));
    if (auto seen = idempotency.find(cache_key)) {
      if (seen->request_hash != request_hash)
        throw conflict("the Idempotency-Key was used for another request", "Idempotency-Key");
      response.status = seen->status;
      response.set_content(seen->body, "application/json; charset=utf-8");
      response.set_header("Idempotent-Replayed", "true");
      return;
    }
    auto [status, body] = handler(request, platform, &token);
    send_json(response, status, body);
    idempotency.remember(cache_key, {request_hash, status, response.body, now_seconds(), ""},
                         now_seconds());
  }

  // POST /v1/uploads with an Idempotency-Key: the same key and upload headers from the same
  // token get the first creation's Location again, not a second upload.
  void create_upload_once(const httplib::Request& request, httplib::Response& response,
                          const Token& token, const std::function<void()>& create);

  // An update check's reply body and status; errors become the JSON error reply.
  int answer_check(Platform& platform, const CheckRequest& check, std::string& body);
  // What each loop of the device front answers checks with.
  DeviceFront::AnswerFactory check_answers();
  // Serves plain HTTP: the device front, and cpp-httplib for what it hands over.
  void serve_behind_front();

  void register_routes();
  void register_tus_routes();
  void register_device_routes();
  void register_analytics_routes();
  // POST /v1/apps/{app}/events: the body to the platform as it arrives; the reply or a throw.
  void ingest_body(const httplib::Request& request, httplib::Response& response,
                   const httplib::ContentReader& reader);
  std::pair<int, Json> create_release(const httplib::Request& request, Platform& platform);
  // A tus route: auth (release scope), Tus-Resumable on every reply, errors as JSON.
  httplib::Server::Handler tus_route(
      std::function<void(const httplib::Request&, httplib::Response&, Platform&)> handler);
};

}  // namespace mpaas::platform::server
