// The Platform over HTTP: each method as its docs/api.md route (see http_platform.hpp).
// Uploads are in upload.cpp.
#include "mpaas/platform/http/http_platform.hpp"

#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>

#include "mpaas/core/atomic_file.hpp"
#include "mpaas/core/interrupt.hpp"
#include "mpaas/core/sha256.hpp"
#include "mpaas/platform/from_json.hpp"

namespace mpaas::platform::http {
namespace {

std::string app_path(const std::string& app) {
  return "/v1/apps/" + encode_segment(app);
}

std::string release_path(const std::string& ref) {
  return "/v1/releases/" + encode_ref(ref);
}

std::string action_name(LifecycleChange::Action action) {
  switch (action) {
    case LifecycleChange::Action::rollout:
      return "rollout";
    case LifecycleChange::Action::pause:
      return "pause";
    case LifecycleChange::Action::resume:
      return "resume";
    case LifecycleChange::Action::finish:
      return "finish";
    case LifecycleChange::Action::rollback:
      return "rollback";
  }
  return "rollout";
}

Json rollout_body(const LifecycleChange& change) {
  Json body = Json::object();
  if (change.window) {
    body["window"] = Json{{"max_devices", change.window->max_devices},
                          {"until", format_time(change.window->until)}};
  } else if (change.percent) {
    BasisPoints points = *change.percent;
    body["percent"] = points % 100 == 0 ? Json(points / 100) : Json(points / 100.0);
  }
  return body;
}

// `?a=1&b=2` of the non-empty values, or nothing.
std::string query_of(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string query;
  for (const auto& [name, value] : pairs) {
    if (value.empty())
      continue;
    query += (query.empty() ? "?" : "&") + name + "=" + encode_query(value);
  }
  return query;
}

}  // namespace

void check_endpoint(const std::string& endpoint) {
  auto refuse = [&](const std::string& why) {
    throw usage_error("the endpoint must be an http:// or https:// URL " + why, "endpoint");
  };
  size_t scheme_end = endpoint.find("://");
  std::string scheme = scheme_end == std::string::npos ? "" : endpoint.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https")
    refuse("(https://mpaas.example.com)");
  for (unsigned char c : endpoint) {
    if (c <= 0x20 || c == 0x7f)
      refuse("without spaces or control characters");
  }
  std::string rest = endpoint.substr(scheme_end + 3);
  std::string authority = rest.substr(0, rest.find('/'));
  if (authority.empty())
    refuse("with a host");
  if (authority.find('@') != std::string::npos)
    refuse("without a user name or password (log in with a token instead)");
  if (rest.find_first_of("?#") != std::string::npos)
    refuse("without a query or fragment");
}

Json reply_json(const Response& response) {
  if (response.status < 200 || response.status > 299)
    throw error_of_response(response);
  Json json = Json::parse(response.body, nullptr, false);
  if (json.is_discarded())
    throw failure(
        "malformed server reply: not JSON (status " + std::to_string(response.status) + ")",
        "reply");
  return json;
}

HttpPlatform::HttpPlatform(HttpPlatformOptions options)
    : m_options(std::move(options)),
      m_client((check_endpoint(m_options.client.endpoint), m_options.client)) {}

Json HttpPlatform::call(const std::string& method, const std::string& target,
                        const std::optional<Json>& body) {
  Request request;
  request.method = method;
  request.target = target;
  request.headers.emplace_back("Accept", "application/json");
  if (body)
    request.body = Body{body->dump()};
  return reply_json(m_client.send(request));
}

// A POST that makes or changes something, with one Idempotency-Key for all its attempts,
// so that a retry after a lost reply never acts twice.
Json HttpPlatform::create(const std::string& target, const Json& body) {
  Request request;
  request.method = "POST";
  request.target = target;
  request.headers.emplace_back("Accept", "application/json");
  request.headers.emplace_back("Idempotency-Key", new_idempotency_key());
  request.body = Body{body.dump()};
  return reply_json(m_client.send(request));
}

App HttpPlatform::create_app(const std::string& id, const std::string& name) {
  return app_from_json(create("/v1/apps", Json{{"id", id}, {"name", name}}));
}

AppList HttpPlatform::list_apps() {
  return app_list_from_json(call("GET", "/v1/apps"));
}

App HttpPlatform::show_app(const std::string& id) {
  return app_from_json(call("GET", app_path(id)));
}

AppDeleted HttpPlatform::delete_app(const std::string& id) {
  return app_deleted_from_json(call("DELETE", app_path(id)));
}

ReleaseList HttpPlatform::list_releases(const ReleaseFilter& filter) {
  std::string state = filter.state ? state_name(*filter.state) : std::string();
  return release_list_from_json(
      call("GET", app_path(filter.app) + "/releases" +
                      query_of({{"state", state}, {"platform", filter.platform}})));
}

Release HttpPlatform::show_release(const std::string& ref) {
  return release_from_json(call("GET", release_path(ref)));
}

History HttpPlatform::history(const std::string& ref) {
  return history_from_json(call("GET", release_path(ref) + "/history"), ref);
}

Release HttpPlatform::change(const std::string& ref, const LifecycleChange& change) {
  Json body =
      change.action == LifecycleChange::Action::rollout ? rollout_body(change) : Json::object();
  return release_from_json(create(release_path(ref) + "/" + action_name(change.action), body));
}

WhitelistChange HttpPlatform::whitelist_edit(const std::string& ref,
                                             const std::vector<std::string>& devices,
                                             const std::string& route) {
  WhitelistChange total;
  size_t batch = std::max<size_t>(1, m_options.whitelist_batch);
  // At least one request, so that an empty list still names the release (and its errors).
  for (size_t start = 0; start == 0 || start < devices.size(); start += batch) {
    size_t end = std::min(devices.size(), start + batch);
    Json body = {{"devices", std::vector<std::string>(devices.begin() + static_cast<long>(start),
                                                      devices.begin() + static_cast<long>(end))}};
    auto part = whitelist_change_from_json(create(release_path(ref) + route, body));
    total.release = part.release;
    total.changed += part.changed;
    total.total = part.total;
    if (devices.empty())
      break;
  }
  return total;
}

WhitelistChange HttpPlatform::whitelist_add(const std::string& ref,
                                            const std::vector<std::string>& devices) {
  return whitelist_edit(ref, devices, "/whitelist");
}

WhitelistChange HttpPlatform::whitelist_remove(const std::string& ref,
                                               const std::vector<std::string>& devices) {
  return whitelist_edit(ref, devices, "/whitelist/remove");
}

WhitelistIds HttpPlatform::whitelist_list(const std::string& ref) {
  return whitelist_ids_from_json(call("GET", release_path(ref) + "/whitelist"));
}

CheckResult HttpPlatform::check(const CheckRequest& request) {
  const Device& device = request.device;
  if (request.count) {
    // The device's own check, which takes a time-window place: the route app SDKs call.
    return check_result_from_json(call("GET", app_path(request.app) + "/updates" +
                                                  query_of({{"platform", request.platform},
                                                            {"device_id", device.id},
                                                            {"app_version", device.app_version},
                                                            {"os_version", device.os_version},
                                                            {"model", device.model},
                                                            {"region", device.region},
                                                            {"network", device.network}})));
  }
  // A simulation changes nothing, so it is safe to repeat although it is a POST.
  Request simulation;
  simulation.method = "POST";
  simulation.target = app_path(request.app) + "/check";
  simulation.retry_always = true;
  simulation.body = Body{Json{{"platform", request.platform}, {"device", to_json(device)}}.dump()};
  return check_result_from_json(reply_json(m_client.send(simulation)));
}

ReleaseGate HttpPlatform::gate(const std::string& ref) {
  return release_gate_from_json(call("GET", release_path(ref) + "/gate"));
}

Token HttpPlatform::create_token(const TokenRequest& request) {
  Json expires = request.expires_at == 0 ? Json(nullptr) : Json(format_time(request.expires_at));
  return token_from_json(create(
      "/v1/tokens",
      Json{{"name", request.name}, {"scope", scope_name(request.scope)}, {"expires_at", expires}}));
}

TokenList HttpPlatform::list_tokens() {
  return token_list_from_json(call("GET", "/v1/tokens"));
}

Token HttpPlatform::revoke_token(const std::string& id) {
  return token_from_json(call("DELETE", "/v1/tokens/" + encode_segment(id)));
}

// ---- analytics ----

analytics::IngestResult HttpPlatform::ingest_events(const analytics::IngestRequest& request,
                                                    ProgressSink& progress) {
  // One POST per input; the platform answers each with its IngestResult, summed here.
  analytics::IngestResult total;
  total.app = request.app;
  uint64_t size = 0;
  for (const auto& input : request.inputs)
    size = input.size == 0 || size == UINT64_MAX ? UINT64_MAX : size + input.size;
  progress.start("ingesting", size == UINT64_MAX ? 0 : size);
  for (const auto& input : request.inputs) {
    auto part = ingest_input(request, input, progress);
    total.ingested += part.ingested;
    total.duplicates += part.duplicates;
    total.rejected += part.rejected;
    total.files += part.files;
    total.batches += part.batches;
    // The store's totals after the last input.
    total.events = part.events;
    total.devices = part.devices;
    for (auto& rejection : part.rejections) {
      if (request.on_reject)
        request.on_reject(rejection);
      if (total.rejections.size() < analytics::max_listed_rejections)
        total.rejections.push_back(std::move(rejection));
    }
  }
  progress.finish();
  return total;
}

analytics::IngestResult HttpPlatform::ingest_input(const analytics::IngestRequest& request,
                                                   const analytics::IngestInput& input,
                                                   ProgressSink& progress) {
  auto format = input.format ? input.format : analytics::format_of_name(input.name);
  std::istream& stream = *input.stream;
  // Where the input starts, to send it again after a dropped connection; a pipe cannot seek
  // back, and is sent again only when none of it was read yet.
  std::streampos start = stream.tellg();
  if (start == std::streampos(-1))
    stream.clear();
  uint64_t sent = 0, reported = 0;

  Request post;
  post.method = "POST";
  post.target = app_path(request.app) + "/events" +
                query_of({{"file", input.name}, {"strict", request.strict ? "true" : ""}});
  post.headers.emplace_back("Accept", "application/json");
  StreamBody body;
  body.content_type = !format                                  ? "application/octet-stream"
                      : *format == analytics::EventFormat::csv ? "text/csv"
                                                               : "application/x-ndjson";
  body.read = [&](char* buffer, size_t size) -> size_t {
    throw_if_stop_requested();
    stream.read(buffer, static_cast<std::streamsize>(size));
    auto got = static_cast<size_t>(stream.gcount());
    if (got == 0 && stream.bad())
      throw failure("cannot read " + input.name, input.name);
    sent += got;
    if (sent > reported) {
      progress.advance(sent - reported);
      reported = sent;
    }
    return got;
  };
  post.stream_body = body;
  // Events are deduplicated by their event_id, so sending the same input again stores each
  // event once: a POST of events is safe to retry (the retry counts them as duplicates).
  post.retry_always = true;
  post.rewind = [&] {
    if (sent == 0)
      return true;
    if (start == std::streampos(-1))
      return false;
    stream.clear();
    stream.seekg(start);
    if (!stream)
      return false;
    sent = 0;
    return true;
  };
  return ingest_result_from_json(reply_json(m_client.send(post)));
}

analytics::QueryResult HttpPlatform::query_events(const analytics::QueryRequest& request) {
  using analytics::Metric;
  std::vector<std::pair<std::string, std::string>> parameters = {
      {"from", analytics::format_date(request.from_day)},
      {"to", analytics::format_date(request.to_day)},
      {"interval", analytics::interval_name(request.interval)},
      {"tz", request.tz}};
  if (request.group_by)
    parameters.emplace_back("group_by", analytics::dimension_name(*request.group_by));
  if (request.metric == Metric::event)
    parameters.emplace_back("event", request.event);
  if (request.metric == Metric::funnel) {
    std::string steps;
    for (const auto& step : request.steps) {
      // The route lists steps with commas between them.
      if (step.find(',') != std::string::npos)
        throw usage_error("a funnel step with a comma cannot be asked of a server", "steps");
      steps += (steps.empty() ? "" : ",") + step;
    }
    parameters.emplace_back("steps", steps);
    parameters.emplace_back("window", analytics::format_window(request.window_ms));
  }
  for (const auto& where : request.where) {
    for (const auto& value : where.values)
      parameters.emplace_back("where", where.field + "=" + value);
  }
  return query_result_from_json(call("GET", app_path(request.app) + "/analytics/" +
                                                analytics::metric_name(request.metric) +
                                                query_of(parameters)));
}

analytics::CompareResult HttpPlatform::compare_events(const analytics::CompareRequest& request) {
  return compare_result_from_json(
      call("GET", app_path(request.app) + "/analytics/compare" +
                      query_of({{"version", request.version_a},
                                {"version", request.version_b},
                                {"from", analytics::format_date(request.from_day)},
                                {"to", analytics::format_date(request.to_day)},
                                {"tz", request.tz}})));
}

std::optional<Token> HttpPlatform::authenticate(const std::string& secret) {
  Request request;
  request.target = "/v1/whoami";
  request.token = secret;
  Response response = m_client.send(request);
  if (response.status == 401)
    return std::nullopt;
  return whoami_from_json(reply_json(response));
}

// ---- artifacts ----

void HttpPlatform::fetch_artifact(const Release& release,
                                  const std::function<void(const char*, size_t)>& write,
                                  ProgressSink& progress) {
  Sha256 hash;
  uint64_t received = 0;
  uint64_t skip = 0;    // bytes a server that ignored our Range sends again
  bool fresh = true;    // no chunk of this attempt seen yet
  std::string refused;  // why the transfer was stopped, when it was
  Request request;
  request.target = release_path(release.id) + "/artifact";
  request.sink = [&](const Response& response, const char* data, size_t size) {
    if (fresh) {
      fresh = false;
      skip = response.status == 206 ? 0 : received;
      if (response.status == 206 &&
          response.header("content-range").rfind("bytes " + std::to_string(received) + "-", 0) !=
              0) {
        refused = "a range that was not asked for";
        return false;
      }
    }
    size_t drop = static_cast<size_t>(std::min<uint64_t>(skip, size));
    skip -= drop;
    data += drop;
    size -= drop;
    if (received + size > release.size) {
      // More bytes than the release has: refuse rather than fill a disk.
      refused = "more than the " + std::to_string(release.size) + " bytes of the release";
      return false;
    }
    hash.update(data, size);
    write(data, size);
    received += size;
    progress.advance(size);
    return true;
  };
  progress.start("download", release.size);
  for (int attempt = 1;; ++attempt) {
    request.headers.clear();
    if (received > 0)
      request.headers.emplace_back("Range", "bytes=" + std::to_string(received) + "-");
    fresh = true;
    try {
      Response response = m_client.send_once(request);
      if (response.status < 300)
        break;
      if (!retryable_status(response.status) || attempt >= m_client.options().max_attempts)
        throw error_of_response(response);
      m_client.sleep(m_client.backoff(attempt, retry_after_seconds(response)));
    } catch (const TransportError& error) {
      if (!refused.empty())
        throw failure("the server sent " + refused + " (release " + release.id + ")", "artifact");
      if (!error.retryable() || attempt >= m_client.options().max_attempts)
        throw;
      m_client.sleep(m_client.backoff(attempt, std::nullopt));
    }
  }
  progress.finish();
  if (received != release.size || to_hex(hash.finish()) != release.sha256)
    throw verification_failed(
        "the artifact of release " + release.id + " does not match its sha256", "sha256");
}

Download HttpPlatform::download(const std::string& ref, const std::filesystem::path& destination,
                                ProgressSink& progress) {
  Release release = show_release(ref);
  AtomicFile out(destination, 0644, Durability::rename_only);
  fetch_artifact(
      release, [&](const char* data, size_t size) { out.write(data, size); }, progress);
  out.commit();
  return Download{release.id, destination.string(), release.sha256, release.size};
}

Platform::Artifact HttpPlatform::open_artifact(const std::string& ref) {
  Release release = show_release(ref);
  // An unnamed temp file: the stream keeps it open, and nothing is left behind.
  std::string pattern = (std::filesystem::temp_directory_path() / "mpaas-artifact-XXXXXX").string();
  int fd = mkstemp(pattern.data());
  if (fd < 0)
    throw failure("cannot create a temp file in " + std::filesystem::temp_directory_path().string(),
                  "artifact");
  close(fd);
  auto stream = std::make_unique<std::fstream>(
      pattern, std::ios::in | std::ios::out | std::ios::binary | std::ios::trunc);
  std::filesystem::remove(pattern);
  NullProgress quiet;
  fetch_artifact(
      release, [&](const char* data, size_t size) { stream->write(data, static_cast<long>(size)); },
      quiet);
  stream->seekg(0);
  return Artifact{std::move(release), std::move(stream)};
}

}  // namespace mpaas::platform::http
