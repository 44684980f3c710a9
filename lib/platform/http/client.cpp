// The libcurl wrapper of the platform client (see client.hpp).
#include "mpaas/platform/http/client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <random>
#include <thread>

#include "mpaas/core/interrupt.hpp"
#include "mpaas/core/output.hpp"
#include "mpaas/platform/from_json.hpp"

namespace mpaas::platform::http {
namespace {

// A reply kept in memory (JSON, an error) is at most this large; artifacts go to a sink.
constexpr size_t max_reply_size = 64u << 20;
// A server asking to wait longer than this is not waited for: the 429 or 503 stands.
constexpr long max_retry_after_seconds = 120;

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string trimmed(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos)
    return {};
  size_t end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

// Errors where another attempt may succeed: the network, not the request.
bool retryable_code(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

struct Transfer {
  const Request* request = nullptr;
  Response* response = nullptr;
  CURL* curl = nullptr;
  bool too_large = false;
  // An exception of a callback, carried across libcurl's C frames and thrown after it.
  std::exception_ptr error;
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  std::string line(data, size * count);
  // A new status line (after a 100 Continue or a proxy's CONNECT) starts a new header set.
  if (line.rfind("HTTP/", 0) == 0) {
    transfer->response->headers.clear();
    return size * count;
  }
  auto colon = line.find(':');
  if (colon != std::string::npos)
    transfer->response->headers[lowercase(trimmed(line.substr(0, colon)))] =
        trimmed(line.substr(colon + 1));
  return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  size_t bytes = size * count;
  long status = 0;
  curl_easy_getinfo(transfer->curl, CURLINFO_RESPONSE_CODE, &status);
  // Only a success streams to the sink; an error's JSON body is kept for its message.
  transfer->response->status = status;
  if (transfer->request->sink && status >= 200 && status < 300) {
    try {
      return transfer->request->sink(*transfer->response, data, bytes) ? bytes : 0;
    } catch (...) {
      transfer->error = std::current_exception();
      return 0;
    }
  }
  if (transfer->response->body.size() + bytes > max_reply_size) {
    transfer->too_large = true;
    return 0;
  }
  transfer->response->body.append(data, bytes);
  return bytes;
}

size_t on_read(char* buffer, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  try {
    return transfer->request->stream_body->read(buffer, size * count);
  } catch (...) {
    transfer->error = std::current_exception();
    return CURL_READFUNC_ABORT;
  }
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t uploaded) {
  auto* transfer = static_cast<Transfer*>(user);
  if (stop_requested())
    return 1;
  if (transfer->request->sent) {
    try {
      transfer->request->sent(static_cast<uint64_t>(uploaded));
    } catch (...) {
      transfer->error = std::current_exception();
      return 1;
    }
  }
  return 0;
}

class HeaderList {
 public:
  void add(const std::string& line) { m_list = curl_slist_append(m_list, line.c_str()); }
  curl_slist* get() const { return m_list; }
  ~HeaderList() { curl_slist_free_all(m_list); }

 private:
  curl_slist* m_list = nullptr;
};

bool has_header(const Request& request, const std::string& name) {
  std::string wanted = lowercase(name);
  return std::any_of(request.headers.begin(), request.headers.end(),
                     [&](const auto& header) { return lowercase(header.first) == wanted; });
}

// Base URL without a trailing slash.
std::string base_of(const std::string& endpoint) {
  std::string base = endpoint;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  return base;
}

Error status_error(const Response& response) {
  long status = response.status;
  std::string message = "the server answered " + std::to_string(status);
  if (status == 400 || status == 405)
    return usage_error(message);
  if (status == 401 || status == 403)
    return auth_error(message + " (the token is missing, rejected or lacks the scope)");
  if (status == 404)
    return not_found(message);
  if (status == 409)
    return conflict(message);
  if (status == 413 || status == 422)
    return invalid_input(message);
  if (status == 460)
    return verification_failed(message + " (checksum mismatch)");
  if (status == 429 || status == 502 || status == 503 || status == 504)
    return unavailable(message);
  return failure(message);
}

}  // namespace

std::string Response::header(const std::string& lowercase_name) const {
  auto found = headers.find(lowercase_name);
  return found == headers.end() ? std::string() : found->second;
}

struct Client::Handle {
  CURL* curl = nullptr;
  ~Handle() {
    if (curl)
      curl_easy_cleanup(curl);
  }
};

Client::Client(ClientOptions options) : m_options(std::move(options)), m_handle(new Handle) {
  init_curl_once();
  m_handle->curl = curl_easy_init();
  if (!m_handle->curl)
    throw failure("cannot start the HTTP client (libcurl)");
  if (!m_options.sleep) {
    m_options.sleep = [](std::chrono::milliseconds delay) {
      // In slices, so that Ctrl-C does not wait for a long backoff.
      auto until = std::chrono::steady_clock::now() + delay;
      while (std::chrono::steady_clock::now() < until) {
        throw_if_stop_requested();
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
            std::chrono::milliseconds(100), until - std::chrono::steady_clock::now()));
      }
    };
  }
  if (!m_options.random) {
    m_options.random = [] {
      std::random_device device;
      return (static_cast<uint64_t>(device()) << 32) | device();
    };
  }
}

Client::~Client() = default;

Response Client::send_once(const Request& request) {
  throw_if_stop_requested();
  CURL* curl = m_handle->curl;
  // Reset keeps the connection cache: the next request reuses the connection.
  curl_easy_reset(curl);
  Response response;
  Transfer transfer;
  transfer.request = &request;
  transfer.response = &response;
  transfer.curl = curl;
  std::string url = base_of(m_options.endpoint) + request.target;
  char error_text[CURL_ERROR_SIZE] = {0};

  HeaderList headers;
  const std::string& token = request.token ? *request.token : m_options.token;
  if (!token.empty() && !has_header(request, "Authorization"))
    headers.add("Authorization: Bearer " + token);
  for (const auto& [name, value] : request.headers)
    headers.add(name + ": " + value);
  // No "Expect: 100-continue" round trip before each body.
  headers.add("Expect:");
  if (request.body)
    headers.add("Content-Type: " + request.body->content_type);
  if (request.stream_body) {
    headers.add("Content-Type: " + request.stream_body->content_type);
    headers.add("Transfer-Encoding: chunked");
  }

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_text);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, m_options.user_agent.c_str());
  // Redirects are not followed: the token must not travel to another place.
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  // Proxies come from the environment (libcurl reads http_proxy, https_proxy, no_proxy);
  // loopback never goes through one unless no_proxy says otherwise.
  if (!std::getenv("no_proxy") && !std::getenv("NO_PROXY"))
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
  if (!m_options.ca_file.empty())
    curl_easy_setopt(curl, CURLOPT_CAINFO, m_options.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(m_options.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
                   std::max(1L, static_cast<long>(m_options.stall_timeout.count() / 1000)));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);

  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (request.stream_body) {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(curl, CURLOPT_READDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(-1));
  } else if (request.body) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body->text.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body->text.size()));
  } else if (request.method == "POST" || request.method == "PATCH" || request.method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(0));
  }

  CURLcode code = curl_easy_perform(curl);
  if (transfer.error)
    std::rethrow_exception(transfer.error);
  if (code == CURLE_ABORTED_BY_CALLBACK)
    throw_if_stop_requested();
  if (transfer.too_large)
    throw failure("malformed server reply: over " + std::to_string(max_reply_size >> 20) + " MiB",
                  "reply");
  if (code != CURLE_OK) {
    std::string detail = error_text[0] ? error_text : curl_easy_strerror(code);
    throw TransportError("cannot reach " + base_of(m_options.endpoint) + ": " + detail,
                         retryable_code(code));
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

Response Client::send(const Request& request) {
  bool may_retry = request.retry_always || safe_to_retry(request);
  auto can_send_again = [&] { return !request.rewind || request.rewind(); };
  for (int attempt = 1;; ++attempt) {
    bool last = !may_retry || attempt >= m_options.max_attempts;
    std::optional<Response> response;
    try {
      response = send_once(request);
    } catch (const TransportError& error) {
      if (last || !error.retryable() || !can_send_again())
        throw;
    }
    if (response) {
      if (last || !retryable_status(response->status))
        return *response;
      auto asked = retry_after_seconds(*response);
      if (asked && *asked > max_retry_after_seconds)
        return *response;
      if (!can_send_again())
        return *response;
      sleep(backoff(attempt, asked));
    } else {
      sleep(backoff(attempt, std::nullopt));
    }
  }
}

std::chrono::milliseconds Client::backoff(int attempt, std::optional<long> retry_after) const {
  using std::chrono::milliseconds;
  int doublings = std::clamp(attempt - 1, 0, 20);
  auto exponential =
      std::min<int64_t>(m_options.base_delay.count() << doublings, m_options.max_delay.count());
  // "Equal jitter": half fixed, half random, so that clients failing together spread out
  // yet each still waits.
  int64_t half = exponential / 2;
  int64_t delay = half + static_cast<int64_t>(m_options.random() % static_cast<uint64_t>(half + 1));
  if (retry_after)
    delay = std::max<int64_t>(delay, *retry_after * 1000);
  return milliseconds(delay);
}

void Client::sleep(std::chrono::milliseconds delay) const {
  m_options.sleep(delay);
}

bool retryable_status(long status) {
  return status == 429 || (status >= 500 && status <= 599);
}

bool safe_to_retry(const Request& request) {
  const std::string& method = request.method;
  if (method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE")
    return true;
  return method == "POST" && has_header(request, "Idempotency-Key");
}

std::optional<long> retry_after_seconds(const Response& response) {
  std::string value = response.header("retry-after");
  if (value.empty() || value.size() > 9 ||
      !std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c); }))
    return std::nullopt;
  return std::stol(value);
}

Error error_of_response(const Response& response) {
  Json json = Json::parse(response.body, nullptr, false);
  if (!json.is_discarded() && json.is_object() && json.contains("error")) {
    try {
      return error_from_json(json);
    } catch (const Error&) {
      // A malformed error object: the status still says what kind of failure it was.
    }
  }
  return status_error(response);
}

namespace {

bool unreserved(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

std::string percent_encoded(const std::string& text, bool keep_slashes) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (unreserved(c) || (keep_slashes && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string encode_segment(const std::string& text) {
  return percent_encoded(text, false);
}

std::string encode_ref(const std::string& ref) {
  return percent_encoded(ref, true);
}

std::string encode_query(const std::string& text) {
  return percent_encoded(text, false);
}

std::string base64_encode(const std::string& bytes) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0})
      out += alphabet[(n >> shift) & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t n = uint8_t(bytes[i]) << 16;
    if (rest == 2)
      n |= uint8_t(bytes[i + 1]) << 8;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += rest == 2 ? alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string new_idempotency_key() {
  std::random_device device;
  std::string bytes;
  for (int i = 0; i < 4; ++i) {
    uint32_t word = device();
    bytes.append(reinterpret_cast<const char*>(&word), sizeof word);
  }
  std::string key = base64_encode(bytes);
  // base64url without padding: safe in a header as it is.
  key.erase(key.find('='));
  std::replace(key.begin(), key.end(), '+', '-');
  std::replace(key.begin(), key.end(), '/', '_');
  return key;
}

}  // namespace mpaas::platform::http
