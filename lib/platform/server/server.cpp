// The HTTP API v1 server (see server.hpp and docs/api.md).
#include "mpaas/platform/server.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <thread>

#include "handoff.hpp"
#include "server_state.hpp"

namespace mpaas::platform::server {
namespace {

// When the request on this worker thread began: cpp-httplib serves a request start to end
// on one thread, and its logger runs after the reply is written.
thread_local std::chrono::steady_clock::time_point request_started;

bool is_artifact_download(const httplib::Request& request) {
  const std::string prefix = "/v1/releases/", suffix = "/artifact";
  const auto& path = request.path;
  return (request.method == "GET" || request.method == "HEAD") &&
         path.size() > prefix.size() + suffix.size() && path.rfind(prefix, 0) == 0 &&
         path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// cpp-httplib reads a body whole before the route runs, up to its payload limit, which is
// the largest upload (a tus PATCH and an events POST stream instead): a JSON body announced
// over its limit, or sent chunked with no length at all, is refused before a byte of it is
// read. An events body may be chunked; its limit is the upload limit.
std::optional<Error> refused_body(const httplib::Request& request, uint64_t limit, bool streamed) {
  if (request.method == "PATCH")
    return std::nullopt;
  bool chunked = request.get_header_value("Transfer-Encoding").find("chunked") != std::string::npos;
  if (!streamed && chunked)
    return usage_error("a request body needs a Content-Length", "Content-Length");
  auto length = request.get_header_value("Content-Length");
  // Without either, cpp-httplib would read the body until the client closes.
  if (streamed && !chunked && length.empty())
    return usage_error("an events body needs a Content-Length or chunked encoding",
                       "Content-Length");
  if (length.empty() || length.size() > 19 ||
      length.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;  // cpp-httplib refuses a malformed length itself
  if (std::stoull(length) > limit)
    return invalid_input("the body is larger than " + std::to_string(limit) + " bytes",
                         "Content-Length");
  return std::nullopt;
}

}  // namespace

ApiServer::ApiServer(PlatformFactory factory, ServerOptions options, AccessLog log,
                     const Clock& clock)
    : m_state(
          std::make_unique<State>(std::move(factory), std::move(options), std::move(log), clock)) {
  auto& state = *m_state;
  if (!state.options.tls_certificate.empty()) {
    state.http = std::make_unique<httplib::SSLServer>(state.options.tls_certificate.c_str(),
                                                      state.options.tls_key.c_str());
    if (!state.http->is_valid())
      throw invalid_input(
          "cannot load the TLS certificate or key (" + state.options.tls_certificate.string() + ")",
          state.options.tls_certificate.string());
  } else {
    auto handoff = std::make_unique<HandoffServer>();
    state.handoff = handoff.get();
    state.http = std::move(handoff);
  }
  auto threads = state.options.threads;
  state.http->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // A reply goes out in two writes (head, then body): with Nagle's algorithm on, the body
  // waits for the peer's delayed ACK of the head, 40 ms per request on keep-alive.
  state.http->set_tcp_nodelay(true);
  // The listening socket, kept so that bind() can widen its backlog.
  state.http->set_socket_options([&state](socket_t socket) {
    httplib::default_socket_options(socket);
    state.listening_socket = socket;
  });
  state.http->set_keep_alive_max_count(100000);
  state.http->set_keep_alive_timeout(5);
  state.http->set_read_timeout(10, 0);
  state.http->set_write_timeout(10, 0);
  state.http->set_payload_max_length(state.options.max_upload);
  state.http->set_logger(
      [&state](const httplib::Request& request, const httplib::Response& response) {
        if (!state.log)
          return;
        AccessLogEntry entry;
        entry.method = request.method;
        entry.path = request.path;
        entry.status = response.status;
        // A streamed reply (artifacts, checks) has its length, not a body.
        entry.bytes = response.body.empty() ? response.content_length_ : response.body.size();
        entry.milliseconds =
            std::chrono::duration<double, std::milli>(state.clock.steady_now() - request_started)
                .count();
        state.log(entry);
      });
  state.http->set_pre_routing_handler(
      [&state](const httplib::Request& request, httplib::Response& response) {
        request_started = state.clock.steady_now();
        if (!is_artifact_download(request))
          forget_ranges(request);
        bool events = is_events_post(request);
        std::optional<Error> refused;
        if (events)
          refused = take_events_encoding(request);
        if (!refused)
          refused = refused_body(
              request, events ? state.options.max_upload : state.options.max_json_body, events);
        if (refused) {
          // The body is not read: its connection closes after the reply, or the unread bytes
          // would be taken for the next request (a request smuggled inside a refused body).
          close_after_reply(request);
          state.send_error(response, *refused);
          return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
      });
  state.http->set_error_handler([&state](const httplib::Request&, httplib::Response& response) {
    if (!response.body.empty())
      return;
    if (response.status == 404)
      state.send_error(response, not_found("no such route", "path"));
    else if (response.status == 413)
      state.send_error(response, invalid_input("the request is too large", "Content-Length"));
    else if (response.status == 400)
      state.send_error(response, usage_error("malformed request", "request"));
    else
      state.send_json(
          response, response.status,
          {{"error", {{"kind", "failure"}, {"message", "http error"}, {"subject", ""}}}});
  });
  state.register_routes();
}

ApiServer::~ApiServer() = default;

int ApiServer::bind() {
  auto& state = *m_state;
  if (state.options.port == 0) {
    state.port = state.http->bind_to_any_port(state.options.host.c_str());
  } else if (state.http->bind_to_port(state.options.host.c_str(), state.options.port)) {
    state.port = state.options.port;
  } else {
    state.port = -1;
  }
  if (state.port <= 0) {
    throw failure("cannot listen on " + state.options.host + ":" +
                      std::to_string(state.options.port) + " (in use, or not an address here)",
                  "listen");
  }
  // cpp-httplib listens with a backlog of 5: when more clients than that connect at once
  // (a team's CI, a load test), the kernel drops the rest of the handshakes and they wait
  // for the 1-second SYN retry. Listening again on the same socket only widens the queue.
  if (state.listening_socket >= 0)
    ::listen(state.listening_socket, SOMAXCONN);
  return state.port;
}

void ApiServer::serve() {
  m_state->pool.prefill(std::min<size_t>(m_state->options.threads, 16));
  m_state->ready = true;
  if (m_state->handoff)
    m_state->serve_behind_front();
  else
    m_state->http->listen_after_bind();
  m_state->ready = false;
}

void ApiServer::stop() {
  m_state->ready = false;
  // Set before the front is looked at, as serve_behind_front sets the front before it
  // looks at this: a stop that comes while serving starts is never missed.
  m_state->stopping = true;
  if (auto* front = m_state->front.load())
    front->stop();
  m_state->http->stop();
}

void ApiServer::State::serve_behind_front() {
  // The connections handed over keep a worker each while they are kept alive, as they
  // would with cpp-httplib's own accept loop.
  auto workers = std::make_unique<httplib::ThreadPool>(options.threads);
  FrontOptions front_options;
  // Two loops a core: with one, a loop waiting on its clients left a core idle while the
  // other loop's clients had requests queued (bench/serve: 16,000 checks/s with 2 loops on
  // 2 cores, 18,000 with 4, no better with 8).
  front_options.loops = std::clamp<size_t>(2 * std::thread::hardware_concurrency(), 2, 8);
  DeviceFront device_front(
      listening_socket, front_options, check_answers(),
      [this, &workers](int socket, std::string buffered) {
        workers->enqueue([this, socket, buffered = std::move(buffered)]() mutable {
          handoff->serve_handed_over(socket, std::move(buffered));
        });
      },
      log, clock);
  front = &device_front;
  if (!stopping)
    device_front.run();
  front = nullptr;
  // No new connections from here on (cpp-httplib never listened, so it will not close it).
  ::close(listening_socket);
  listening_socket = -1;
  // Requests in flight on handed-over connections finish; their connections then close.
  handoff->begin_stopping();
  workers->shutdown();
}

std::vector<std::string> ApiServer::routes() {
  // As registered below and spelled in docs/api.md (a test holds the three together).
  return {"GET /healthz",
          "GET /readyz",
          "GET /v1/apps/{app}/updates",
          "GET /v1/releases/{id}/artifact",
          "OPTIONS /v1/uploads",
          "POST /v1/uploads",
          "HEAD /v1/uploads/{upload}",
          "PATCH /v1/uploads/{upload}",
          "DELETE /v1/uploads/{upload}",
          "POST /v1/apps",
          "GET /v1/apps",
          "GET /v1/apps/{app}",
          "DELETE /v1/apps/{app}",
          "POST /v1/apps/{app}/releases",
          "GET /v1/apps/{app}/releases",
          "POST /v1/apps/{app}/check",
          "GET /v1/releases/{ref}/history",
          "GET /v1/releases/{ref}/gate",
          "GET /v1/releases/{ref}/whitelist",
          "POST /v1/releases/{ref}/whitelist/remove",
          "POST /v1/releases/{ref}/whitelist",
          "POST /v1/releases/{ref}/rollout",
          "POST /v1/releases/{ref}/pause",
          "POST /v1/releases/{ref}/resume",
          "POST /v1/releases/{ref}/finish",
          "POST /v1/releases/{ref}/rollback",
          "GET /v1/releases/{ref}",
          "POST /v1/tokens",
          "GET /v1/tokens",
          "DELETE /v1/tokens/{id}",
          "GET /v1/whoami",
          "POST /v1/apps/{app}/events",
          "GET /v1/apps/{app}/analytics/compare",
          "GET /v1/apps/{app}/analytics/{metric}"};
}

void ApiServer::State::register_routes() {
  auto& server = *http;
  server.Get("/healthz", [this](const httplib::Request&, httplib::Response& response) {
    send_json(response, 200, {{"status", "ok"}});
  });
  server.Get("/readyz", [this](const httplib::Request&, httplib::Response& response) {
    if (ready)
      send_json(response, 200, {{"status", "ready"}});
    else
      send_error(response, Error(ErrorKind::unavailable, "not ready", "server"));
  });

  // Before the release routes: /v1/releases/(.+) would take /v1/releases/ID/artifact.
  register_device_routes();
  register_tus_routes();

  // ---- apps ----
  server.Post("/v1/apps",
              json_route(Access::release, [this](const auto& request, Platform& p, const Token*) {
                auto body = parse_body(request.body, options.max_json_body);
                return std::pair{201, to_json(p.create_app(optional_text(body, "id"),
                                                           optional_text(body, "name")))};
              }));
  server.Get("/v1/apps", json_route(Access::read, [](const auto&, Platform& p, const Token*) {
               return std::pair{200, to_json(p.list_apps())};
             }));
  server.Get(R"(/v1/apps/([^/]+))",
             json_route(Access::read, [](const auto& request, Platform& p, const Token*) {
               return std::pair{200, to_json(p.show_app(request.matches[1]))};
             }));
  server.Delete(R"(/v1/apps/([^/]+))",
                json_route(Access::admin, [](const auto& request, Platform& p, const Token*) {
                  return std::pair{200, to_json(p.delete_app(request.matches[1]))};
                }));

  // ---- releases ----
  server.Post(R"(/v1/apps/([^/]+)/releases)",
              json_route(Access::release, [this](const auto& request, Platform& p, const Token*) {
                return create_release(request, p);
              }));
  server.Get(R"(/v1/apps/([^/]+)/releases)",
             json_route(Access::read, [](const auto& request, Platform& p, const Token*) {
               ReleaseFilter filter;
               filter.app = request.matches[1];
               filter.platform = request.get_param_value("platform");
               if (request.has_param("state") && !request.get_param_value("state").empty())
                 filter.state = parse_state(request.get_param_value("state"));
               return std::pair{200, to_json(p.list_releases(filter))};
             }));
  server.Post(R"(/v1/apps/([^/]+)/check)",
              json_route(Access::read, [this](const auto& request, Platform& p, const Token*) {
                auto body = parse_body(request.body, options.max_json_body);
                CheckRequest check;
                check.app = request.matches[1];
                check.platform = optional_text(body, "platform");
                check.device = device_of(body.value("device", Json::object()));
                return std::pair{200, to_json(p.check(check))};
              }));
  server.Get(R"(/v1/releases/(.+)/history)",
             json_route(Access::read, [](const auto& request, Platform& p, const Token*) {
               return std::pair{200, to_json(p.history(request.matches[1]))};
             }));
  server.Get(R"(/v1/releases/(.+)/gate)",
             json_route(Access::read, [](const auto& request, Platform& p, const Token*) {
               return std::pair{200, to_json(p.gate(request.matches[1]))};
             }));
  server.Get(R"(/v1/releases/(.+)/whitelist)",
             json_route(Access::read, [](const auto& request, Platform& p, const Token*) {
               return std::pair{200, to_json(p.whitelist_list(request.matches[1]))};
             }));
  server.Post(
      R"(/v1/releases/(.+)/whitelist/remove)",
      json_route(Access::release, [this](const auto& request, Platform& p, const Token*) {
        auto body = parse_body(request.body, options.max_json_body);
        return std::pair{200, to_json(p.whitelist_remove(request.matches[1], device_list(body)))};
      }));
  server.Post(
      R"(/v1/releases/(.+)/whitelist)",
      json_route(Access::release, [this](const auto& request, Platform& p, const Token*) {
        auto body = parse_body(request.body, options.max_json_body);
        return std::pair{200, to_json(p.whitelist_add(request.matches[1], device_list(body)))};
      }));
  server.Post(R"(/v1/releases/(.+)/rollout)",
              json_route(Access::release, [this](const auto& request, Platform& p, const Token*) {
                auto body = parse_body(request.body, options.max_json_body);
                return std::pair{200, to_json(p.change(request.matches[1], rollout_request(body)))};
              }));
  for (auto [name, action] : {std::pair{"pause", LifecycleChange::Action::pause},
                              std::pair{"resume", LifecycleChange::Action::resume},
                              std::pair{"finish", LifecycleChange::Action::finish},
                              std::pair{"rollback", LifecycleChange::Action::rollback}}) {
    server.Post(std::string(R"(/v1/releases/(.+)/)") + name,
                json_route(Access::release,
                           [action = action](const auto& request, Platform& p, const Token*) {
                             LifecycleChange change;
                             change.action = action;
                             return std::pair{200, to_json(p.change(request.matches[1], change))};
                           }));
  }
  server.Get(R"(/v1/releases/(.+))",
             json_route(Access::read, [](const auto& request, Platform& p, const Token*) {
               return std::pair{200, to_json(p.show_release(request.matches[1]))};
             }));

  register_analytics_routes();

  // ---- tokens ----
  server.Post("/v1/tokens",
              json_route(Access::admin, [this](const auto& request, Platform& p, const Token*) {
                auto body = parse_body(request.body, options.max_json_body);
                return std::pair{201, to_json(p.create_token(token_request(body)))};
              }));
  server.Get("/v1/tokens", json_route(Access::admin, [](const auto&, Platform& p, const Token*) {
               return std::pair{200, to_json(p.list_tokens())};
             }));
  server.Delete(R"(/v1/tokens/([^/]+))",
                json_route(Access::admin, [](const auto& request, Platform& p, const Token*) {
                  return std::pair{200, to_json(p.revoke_token(request.matches[1]))};
                }));
  server.Get("/v1/whoami", json_route(Access::read, [](const auto&, Platform&, const Token* token) {
               return std::pair{200, Json{{"token", token->id},
                                          {"name", token->name},
                                          {"scope", scope_name(token->scope)}}};
             }));
}

}  // namespace mpaas::platform::server
