// The analytics routes (docs/api.md, "Analytics"): events in as NDJSON or CSV, streamed to
// the platform as they arrive, and metrics and comparisons out as the CLI's JSON.
#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <streambuf>
#include <thread>

#include "handoff.hpp"
#include "server_state.hpp"

namespace mpaas::platform::server {
namespace {

// Bytes of a body waiting between the thread that reads it off the connection and the one
// that ingests it: the reader waits while this much is queued, so memory stays bounded
// whatever the body's size.
constexpr size_t pipe_capacity = 4u << 20;
// What a refused request (no token, no scope) may still send before its connection is
// closed instead of read to the end.
constexpr uint64_t max_drained_unauthorised = 64u << 10;
constexpr size_t max_file_name = 255;

// A bounded queue of body bytes from the reading thread to the ingesting one. The reader
// stops (closes the pipe with an error) on a broken or oversized body; the ingesting side
// abandons it when it stops early (a strict refusal), and the reader then drains the rest
// of the body so that the connection stays in step.
class BodyPipe {
 public:
  // False once the ingesting side has gone: the caller reads on and drops the bytes.
  bool push(const char* data, size_t size) {
    std::unique_lock lock(m_mutex);
    m_space.wait(lock, [&] { return m_abandoned || m_queued < pipe_capacity; });
    if (m_abandoned)
      return false;
    m_chunks.emplace_back(data, size);
    m_queued += size;
    m_ready.notify_one();
    return true;
  }

  // The end of the body; with an error, what the ingesting side throws instead of reading
  // on (at once: bytes still queued are not taken).
  void close(std::optional<Error> error = std::nullopt) {
    std::lock_guard lock(m_mutex);
    if (error && !m_error)
      m_error = std::move(error);
    m_closed = true;
    m_ready.notify_all();
  }

  // Up to `size` bytes into `out`; 0 at the end of the body.
  size_t pull(char* out, size_t size) {
    std::unique_lock lock(m_mutex);
    m_ready.wait(lock, [&] { return m_error || !m_chunks.empty() || m_closed; });
    if (m_error)
      throw *m_error;
    if (m_chunks.empty())
      return 0;
    auto& front = m_chunks.front();
    size_t taken = std::min(size, front.size() - m_offset);
    std::memcpy(out, front.data() + m_offset, taken);
    m_offset += taken;
    if (m_offset == front.size()) {
      m_chunks.pop_front();
      m_offset = 0;
    }
    m_queued -= taken;
    m_space.notify_one();
    return taken;
  }

  void abandon() {
    std::lock_guard lock(m_mutex);
    m_abandoned = true;
    m_chunks.clear();
    m_queued = 0;
    m_space.notify_all();
  }

  std::optional<Error> error() {
    std::lock_guard lock(m_mutex);
    return m_error;
  }

 private:
  std::mutex m_mutex;
  std::condition_variable m_ready, m_space;
  std::deque<std::string> m_chunks;
  size_t m_offset = 0;
  size_t m_queued = 0;
  bool m_closed = false;
  bool m_abandoned = false;
  std::optional<Error> m_error;
};

// The pipe as an istream's buffer, for the platform's event reader. A pipe error is thrown
// through the stream (badbit is in its exception mask), so it reaches the route unchanged.
class PipeBuffer : public std::streambuf {
 public:
  explicit PipeBuffer(BodyPipe& pipe) : m_pipe(pipe) {}

 protected:
  int_type underflow() override {
    size_t got = m_pipe.pull(m_buffer, sizeof m_buffer);
    if (got == 0)
      return traits_type::eof();
    setg(m_buffer, m_buffer, m_buffer + got);
    return traits_type::to_int_type(m_buffer[0]);
  }

 private:
  BodyPipe& m_pipe;
  char m_buffer[1 << 16];
};

// Reads and drops what is left of a body, up to `limit` bytes; past that the connection
// is closed after the reply instead.
void drain(const httplib::ContentReader& reader, const httplib::Request& request, uint64_t limit) {
  uint64_t total = 0;
  bool complete = reader([&](const char*, size_t size) {
    total += size;
    return total <= limit;
  });
  if (!complete)
    close_after_reply(request);
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// The format a Content-Type names; nullopt (by the file name, else sniffed) for any other.
std::optional<analytics::EventFormat> format_of_type(const std::string& content_type) {
  auto type = lowercase(content_type.substr(0, content_type.find(';')));
  type.erase(std::remove(type.begin(), type.end(), ' '), type.end());
  if (type == "application/x-ndjson" || type == "application/ndjson" ||
      type == "application/jsonl" || type == "application/x-jsonlines")
    return analytics::EventFormat::ndjson;
  if (type == "text/csv")
    return analytics::EventFormat::csv;
  return std::nullopt;
}

// Query parameters: each known one at most once (`where` and `version` may repeat), and no
// unknown one, so that a misspelt parameter is an error rather than silently ignored.
void check_parameters(const httplib::Request& request, std::initializer_list<const char*> known,
                      std::initializer_list<const char*> repeatable = {}) {
  for (const auto& [name, value] : request.params) {
    bool is_known = std::any_of(known.begin(), known.end(),
                                [&, &name = name](const char* k) { return name == k; });
    if (!is_known)
      throw usage_error("unknown parameter '" + name.substr(0, 40) + "'", name.substr(0, 40));
    bool repeats = std::any_of(repeatable.begin(), repeatable.end(),
                               [&, &name = name](const char* k) { return name == k; });
    if (!repeats && request.get_param_value_count(name.c_str()) > 1)
      throw usage_error("'" + name + "' is given more than once", name);
  }
}

std::string parameter(const httplib::Request& request, const char* name,
                      const std::string& fallback = {}) {
  return request.has_param(name) ? request.get_param_value(name) : fallback;
}

std::string required_parameter(const httplib::Request& request, const char* name) {
  auto value = parameter(request, name);
  if (value.empty())
    throw usage_error(std::string("'") + name + "' is required", name);
  return value;
}

std::vector<std::string> all_values(const httplib::Request& request, const char* name) {
  std::vector<std::string> values;
  for (size_t i = 0; i < request.get_param_value_count(name); ++i)
    values.push_back(request.get_param_value(name, i));
  return values;
}

bool strict_parameter(const httplib::Request& request) {
  auto value = parameter(request, "strict", "false");
  if (value != "true" && value != "false")
    throw usage_error("'strict' must be true or false", "strict");
  return value == "true";
}

std::string file_parameter(const httplib::Request& request) {
  auto name = parameter(request, "file", "body");
  bool printable =
      std::none_of(name.begin(), name.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
  if (name.empty() || name.size() > max_file_name || !printable)
    throw usage_error("'file' must be 1 to 255 bytes without control characters", "file");
  return name;
}

std::vector<std::string> split_steps(const std::string& text) {
  std::vector<std::string> steps;
  size_t start = 0;
  while (true) {
    auto comma = text.find(',', start);
    steps.push_back(text.substr(start, comma - start));
    if (comma == std::string::npos || steps.size() > 10)
      return steps;
    start = comma + 1;
  }
}

// GET /v1/apps/{app}/analytics/{metric}: the query the CLI's flags would make.
analytics::QueryRequest query_request(const httplib::Request& request) {
  using namespace analytics;
  check_parameters(
      request, {"from", "to", "interval", "tz", "group_by", "where", "event", "steps", "window"},
      {"where"});
  QueryRequest query;
  query.app = request.matches[1];
  query.metric = parse_metric(request.matches[2]);
  if (request.has_param("event") && query.metric != Metric::event)
    throw usage_error("'event' is for the event metric", "event");
  for (const char* name : {"steps", "window"}) {
    if (request.has_param(name) && query.metric != Metric::funnel)
      throw usage_error(std::string("'") + name + "' is for funnels", name);
  }
  if (query.metric == Metric::event)
    query.event = required_parameter(request, "event");
  if (query.metric == Metric::funnel) {
    query.steps = split_steps(required_parameter(request, "steps"));
    if (request.has_param("window"))
      query.window_ms = parse_window(request.get_param_value("window"));
  }
  query.from_day = parse_date(required_parameter(request, "from"), "from");
  query.to_day = parse_date(required_parameter(request, "to"), "to");
  query.interval = parse_interval(parameter(request, "interval", "day"));
  query.tz = parameter(request, "tz", "UTC");
  if (request.has_param("group_by")) {
    auto field = request.get_param_value("group_by");
    query.group_by = parse_dimension(field);
    if (!query.group_by)
      throw usage_error("unknown group_by field '" + field.substr(0, 40) +
                            "', expected platform, app_version, os_version, model, region, "
                            "network, channel or event",
                        "group_by");
  }
  query.where = parse_where(all_values(request, "where"));
  check_query(query);
  return query;
}

// GET /v1/apps/{app}/analytics/compare: the baseline version first, then the new one.
analytics::CompareRequest compare_request(const httplib::Request& request) {
  check_parameters(request, {"version", "from", "to", "tz"}, {"version"});
  auto versions = all_values(request, "version");
  if (versions.size() != 2 || versions[0].empty() || versions[1].empty())
    throw usage_error("compare takes exactly two versions: version=A&version=B", "version");
  analytics::CompareRequest compare;
  compare.app = request.matches[1];
  compare.version_a = versions[0];
  compare.version_b = versions[1];
  compare.from_day = analytics::parse_date(required_parameter(request, "from"), "from");
  compare.to_day = analytics::parse_date(required_parameter(request, "to"), "to");
  compare.tz = parameter(request, "tz", "UTC");
  return compare;
}

}  // namespace

bool is_events_post(const httplib::Request& request) {
  const std::string prefix = "/v1/apps/", suffix = "/events";
  const auto& path = request.path;
  return request.method == "POST" && path.size() > prefix.size() + suffix.size() &&
         path.rfind(prefix, 0) == 0 &&
         path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0 &&
         path.find('/', prefix.size()) == path.size() - suffix.size();
}

std::optional<Error> take_events_encoding(const httplib::Request& request) {
  auto& headers = const_cast<httplib::Request&>(request).headers;
  // Only the server sets this mark: a client's own is dropped.
  headers.erase(gzip_body_mark);
  auto encoding = lowercase(request.get_header_value("Content-Encoding"));
  if (encoding.empty() || encoding == "identity")
    return std::nullopt;
  if (encoding != "gzip" && encoding != "x-gzip")
    return usage_error("an events body is sent as it is or with Content-Encoding: gzip",
                       "Content-Encoding");
  // The event reader decodes gzip itself (any number of members, a cut-off stream refused),
  // so cpp-httplib must not: it would take one member only and miss a truncated one.
  headers.erase("Content-Encoding");
  headers.emplace(gzip_body_mark, "1");
  return std::nullopt;
}

void ApiServer::State::ingest_body(const httplib::Request& request, httplib::Response& response,
                                   const httplib::ContentReader& reader) {
  auto platform = pool.take();
  try {
    admit(request, response, *platform, Access::release);
  } catch (const Error&) {
    drain(reader, request, max_drained_unauthorised);
    throw;
  }
  analytics::IngestRequest ingest;
  analytics::IngestInput input;
  try {
    check_parameters(request, {"strict", "file"});
    ingest.app = request.matches[1];
    ingest.strict = strict_parameter(request);
    input.name = file_parameter(request);
    input.format = format_of_type(request.get_header_value("Content-Type"));
  } catch (const Error&) {
    drain(reader, request, options.max_upload);
    throw;
  }

  // The body is read on a thread of its own and handed to the platform through the pipe as
  // it arrives: a body of any size costs the pipe's few MiB.
  BodyPipe pipe;
  bool gzip_expected = request.has_header(gzip_body_mark);
  uint64_t limit = options.max_upload;
  std::thread body_reader([&] {
    uint64_t total = 0;
    std::string head;  // the first two bytes, for the gzip magic
    bool dropping = false;
    try {
      bool complete = reader([&](const char* data, size_t size) {
        total += size;
        if (total > limit) {
          pipe.close(invalid_input("the body is larger than " + std::to_string(limit) + " bytes",
                                   "Content-Length"));
          return false;
        }
        if (dropping)
          return true;
        if (gzip_expected && head.size() < 2) {
          head.append(data, std::min(size, 2 - head.size()));
          if (head.size() == 2 && head != "\x1f\x8b") {
            pipe.close(invalid_input("the body is not gzip, as its Content-Encoding says",
                                     "Content-Encoding"));
            dropping = true;
            return true;
          }
        }
        if (!pipe.push(data, size))
          dropping = true;  // the platform stopped: read on to the end, keep nothing
        return true;
      });
      if (!complete) {
        close_after_reply(request);
        pipe.close(usage_error("the request body broke off", "body"));
      }
    } catch (...) {
      close_after_reply(request);
      pipe.close(failure("cannot read the request body"));
    }
    pipe.close();
  });
  auto finish_reading = [&] {
    pipe.abandon();
    body_reader.join();
  };

  analytics::IngestResult result;
  try {
    PipeBuffer buffer(pipe);
    std::istream stream(&buffer);
    stream.exceptions(std::ios::badbit);
    input.stream = &stream;
    ingest.inputs.push_back(input);
    NullProgress progress;
    result = platform->ingest_events(ingest, progress);
  } catch (...) {
    finish_reading();
    // A body that broke off or ran over its limit is the reason, whatever the reader made
    // of what it got.
    if (auto error = pipe.error())
      throw *error;
    throw;
  }
  finish_reading();
  if (auto error = pipe.error())
    throw *error;
  send_json(response, 200, to_json(result));
}

void ApiServer::State::register_analytics_routes() {
  auto& server = *http;
  server.Post(R"(/v1/apps/([^/]+)/events)",
              [this](const httplib::Request& request, httplib::Response& response,
                     const httplib::ContentReader& reader) {
                try {
                  ingest_body(request, response, reader);
                } catch (const Error& error) {
                  send_error(response, error);
                } catch (const std::exception&) {
                  send_error(response, failure("internal error"));
                }
              });
  // Before the metric route, which would take "compare" for a metric's name.
  server.Get(R"(/v1/apps/([^/]+)/analytics/compare)",
             json_route(Access::read, [](const auto& request, Platform& p, const Token*) {
               return std::pair{200, to_json(p.compare_events(compare_request(request)))};
             }));
  server.Get(R"(/v1/apps/([^/]+)/analytics/([^/]+))",
             json_route(Access::read, [](const auto& request, Platform& p, const Token*) {
               return std::pair{200, to_json(p.query_events(query_request(request)))};
             }));
}

}  // namespace mpaas::platform::server
