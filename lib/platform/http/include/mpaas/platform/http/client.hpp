// A small HTTP client over libcurl for the platform API (docs/api.md): TLS verification
// always on (an extra CA file for private CAs), proxies from the standard environment
// variables (libcurl reads them), connect and stall timeouts, and retries with exponential
// backoff and jitter. Retried: connection errors, 429 and 5xx, for GET, HEAD, PUT and DELETE
// and for a POST that carries an Idempotency-Key (the server then acts once however often it
// arrives); `Retry-After` is honoured. Sleeping and randomness are injected so that tests
// never wait.
//
// The bearer token goes only into the Authorization header: never into a URL, a message
// or an error.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mpaas/core/error.hpp"

namespace mpaas::platform::http {

struct ClientOptions {
  std::string endpoint;  // "https://host[:port][/prefix]"
  std::string token;     // empty: no Authorization header
  std::string ca_file;   // PEM bundle of extra trusted CAs; empty: the system's
  std::chrono::milliseconds connect_timeout{10000};
  // A transfer that moves no byte for this long is dropped (and may be retried); there is
  // no limit on a whole transfer, as a 1 GB upload may take long.
  std::chrono::milliseconds stall_timeout{60000};
  int max_attempts = 5;  // of one request, the first included
  std::chrono::milliseconds base_delay{500};
  std::chrono::milliseconds max_delay{30000};
  std::string user_agent = "mpaas";
  // Injected for tests; default: std::this_thread::sleep_for and std::random_device.
  std::function<void(std::chrono::milliseconds)> sleep;
  std::function<uint64_t()> random;
};

// Header names are lowercase in responses.
using Headers = std::map<std::string, std::string>;

struct Response {
  long status = 0;
  Headers headers;
  std::string body;
  std::string header(const std::string& lowercase_name) const;
};

struct Body {
  std::string text;
  std::string content_type = "application/json; charset=utf-8";
};

// A request that got no HTTP response: no connection, or it broke. An unavailable error
// (exit 8) naming the endpoint and libcurl's reason, never a header.
class TransportError : public Error {
 public:
  TransportError(const std::string& message, bool retryable)
      : Error(ErrorKind::unavailable, message, "endpoint"), m_retryable(retryable) {}
  // True for the network's faults (refused, reset, timed out), not the request's or TLS's.
  bool retryable() const { return m_retryable; }

 private:
  bool m_retryable;
};

// A body read while it is sent, of a length not known ahead (sent chunked): `read` fills up
// to `size` bytes and returns how many, 0 at the end; it may throw.
struct StreamBody {
  std::function<size_t(char*, size_t)> read;
  std::string content_type = "application/octet-stream";
};

struct Request {
  std::string method = "GET";
  std::string target;  // path and query below the endpoint: "/v1/apps?x=1"
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<Body> body;
  std::optional<StreamBody> stream_body;  // instead of `body`
  // Called before another attempt of the request: false when its body cannot be sent again
  // (a stream that was read and cannot seek back), and the last reply or error stands.
  std::function<bool()> rewind;
  // Called with each chunk of a successful (2xx) response's body instead of keeping it in
  // memory (downloads), with the response's status and headers so far; false stops.
  std::function<bool(const Response&, const char*, size_t)> sink;
  // Called with the bytes of the request body sent so far (uploads).
  std::function<void(uint64_t)> sent;
  // Retry this request whatever its method (the caller knows it is safe to repeat).
  bool retry_always = false;
  // Another bearer token for this request (authenticate checks a given secret).
  std::optional<std::string> token;
};

class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends with the retry policy above. Returns any HTTP status (4xx and 5xx included, once
  // retries are spent); throws unavailable when the server cannot be reached at all,
  // interrupted on a stop request.
  Response send(const Request& request);
  // One attempt, no retry: the caller runs its own recovery (tus uploads).
  Response send_once(const Request& request);

  // The delay before attempt `attempt` + 1 (attempt counts from 1): exponential from
  // base_delay, capped at max_delay, with jitter; at least `retry_after` when the server
  // asked for it.
  std::chrono::milliseconds backoff(int attempt, std::optional<long> retry_after_seconds) const;
  void sleep(std::chrono::milliseconds delay) const;
  const ClientOptions& options() const { return m_options; }

 private:
  struct Handle;
  ClientOptions m_options;
  std::unique_ptr<Handle> m_handle;
};

// Whether a response status is worth another attempt: 429 and 5xx.
bool retryable_status(long status);
// Whether a request may be repeated: GET, HEAD, PUT, DELETE, or a POST with an
// Idempotency-Key header.
bool safe_to_retry(const Request& request);
// Seconds from a Retry-After header (a number of seconds; an HTTP date is not used here);
// nullopt when absent or not a number.
std::optional<long> retry_after_seconds(const Response& response);

// The Error a failed response stands for: its {"error": ...} body when it has one, else a
// kind from the status (docs/api.md's table), with a message naming the status.
Error error_of_response(const Response& response);

// A path segment percent-encoded (RFC 3986 unreserved characters kept).
std::string encode_segment(const std::string& text);
// A release ref for a path: an id, or APP/PLATFORM/VERSION with its slashes kept.
std::string encode_ref(const std::string& ref);
std::string encode_query(const std::string& text);

// A fresh Idempotency-Key: 22 base64url characters (128 random bits from the kernel).
std::string new_idempotency_key();
std::string base64_encode(const std::string& bytes);

}  // namespace mpaas::platform::http
