// `mpaas api METHOD PATH [--data JSON|@FILE]`: any route of the platform API with the
// profile's endpoint and token, like `gh api`. The reply's body goes to stdout as it came;
// an error reply becomes the error it names (and its exit code). A POST carries a fresh
// Idempotency-Key, so that its retries never act twice.
#include "api/options.hpp"
#include "command.hpp"
#include "login/remote.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/platform/http/http_platform.hpp"
#include "platform_access.hpp"

namespace mpaas {
namespace {

constexpr size_t max_body_size = 64u << 20;

std::string read_all(std::istream& in, const std::string& name) {
  std::string text;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<size_t>(in.gcount()));
    if (text.size() > max_body_size)
      throw invalid_input(name + " is over 64 MiB", name);
  }
  return text;
}

std::string body_of(const ApiOptions& options, Context& context) {
  if (options.data.empty() || options.data[0] != '@')
    return options.data;
  return with_input(context, options.data.substr(1), read_all);
}

int run_api(const ApiOptions& options, Context& context) {
  if (options.path.empty() || options.path[0] != '/')
    throw usage_error("the path starts with / (/v1/apps)", "path");
  std::string endpoint = configured_endpoint(context);
  if (endpoint.empty())
    throw usage_error(
        "mpaas api needs a platform server: --endpoint URL, MPAAS_ENDPOINT or "
        "the profile's endpoint",
        "endpoint");
  platform::http::Client client(remote_options(context, endpoint).client);
  platform::http::Request request;
  request.method = options.method;
  request.target = options.path;
  request.headers.emplace_back("Accept", "application/json");
  if (options.method == "POST")
    request.headers.emplace_back("Idempotency-Key", platform::http::new_idempotency_key());
  std::string body = body_of(options, context);
  if (!body.empty()) {
    if (Json::parse(body, nullptr, false).is_discarded())
      throw usage_error("--data is not JSON", "data");
    request.body = platform::http::Body{body};
  }
  context.log(options.method + " " + endpoint + options.path);
  auto response = client.send(request);
  if (response.status < 200 || response.status > 299)
    throw platform::http::error_of_response(response);
  context.out << response.body;
  if (!response.body.empty() && response.body.back() != '\n')
    context.out << "\n";
  return 0;
}

}  // namespace

void register_api_command(Command& root) {
  auto options = std::make_shared<ApiOptions>();
  root.subcommand("api", "Call any route of the platform API with the profile's token")
      .positional("method", options->method, "HTTP method")
      .choices({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"})
      .positional("path", options->path, "Path below the endpoint (/v1/apps)")
      .option("--data", options->data, "JSON body, or @FILE (@- reads stdin)")
      .examples({"mpaas api GET /v1/apps", "mpaas api POST /v1/apps --data '{\"id\": \"x\"}'",
                 "mpaas api POST /v1/releases/rel_ab12cd34ef56/whitelist --data @ids.json"})
      .run(options, run_api);
}

}  // namespace mpaas
