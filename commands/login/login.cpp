// `mpaas login --endpoint URL [--token-stdin]`: checks a token with the server (GET
// /v1/whoami), then keeps the endpoint in the profile and the token in the credentials
// file (0600). The token is read from stdin or asked for on a terminal without echo; it is
// never an argument, so it stays out of shell history and the process list.
#include <termios.h>
#include <unistd.h>

#include "command.hpp"
#include "login/credentials.hpp"
#include "login/options.hpp"
#include "login/remote.hpp"
#include "mpaas/core/config.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/platform/http/http_platform.hpp"
#include "platform_access.hpp"

namespace mpaas {

struct LoginReport {
  std::string profile, endpoint;
  platform::Token token;  // id, name and scope as the server knows them
};

Json to_json(const LoginReport& report) {
  return Json{{"profile", report.profile},
              {"endpoint", report.endpoint},
              {"token", report.token.id},
              {"name", report.token.name},
              {"scope", platform::scope_name(report.token.scope)}};
}

TextLayout text_layout(const LoginReport&) {
  return TextLayout::sentence("logged in to {endpoint} as {name} ({scope}), profile {profile}");
}

namespace {

std::string trimmed(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  size_t end = text.find_last_not_of(" \t\r\n");
  return begin == std::string::npos ? std::string() : text.substr(begin, end - begin + 1);
}

// Turns terminal echo off for the lifetime of the object (and back on, even on an error).
class NoEcho {
 public:
  NoEcho() {
    if (::tcgetattr(STDIN_FILENO, &m_saved) == 0) {
      termios quiet = m_saved;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      m_active = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
    }
  }
  ~NoEcho() {
    if (m_active)
      ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &m_saved);
  }
  NoEcho(const NoEcho&) = delete;
  NoEcho& operator=(const NoEcho&) = delete;

 private:
  termios m_saved{};
  bool m_active = false;
};

std::string read_token(const LoginOptions& options, Context& context) {
  std::string line;
  if (options.token_stdin) {
    std::getline(context.in, line);
  } else if (context.terminal.stdin_is_tty) {
    context.err << "token: " << std::flush;
    NoEcho quiet;
    std::getline(context.in, line);
    context.err << "\n";
  } else {
    throw usage_error("give the token on stdin with --token-stdin (stdin is not a terminal)",
                      "token");
  }
  std::string token = trimmed(line);
  check_token_text(token);
  return token;
}

int run_login(const LoginOptions& options, Context& context) {
  std::string endpoint = configured_endpoint(context);
  if (endpoint.empty())
    throw usage_error("login needs the server's address: --endpoint URL", "endpoint");
  auto remote = remote_options(context, endpoint);
  std::string token = read_token(options, context);
  remote.client.token.clear();
  platform::http::HttpPlatform server(remote);
  auto known = server.authenticate(token);
  if (!known)
    throw auth_error("the server at " + endpoint + " refused this token", "token");
  set_config_value(context.config.user_config_path(), context.config.profile(), "endpoint",
                   endpoint);
  store_credentials(context, StoredCredentials{endpoint, token});
  context.emit(LoginReport{context.config.profile(), endpoint, *known});
  return 0;
}

}  // namespace

void register_login_command(Command& root) {
  auto options = std::make_shared<LoginOptions>();
  root.subcommand("login", "Check a token with a platform server and keep it for the profile")
      .flag("--token-stdin", options->token_stdin,
            "Read the token from stdin (else it is asked for on the terminal)")
      .examples({"mpaas login --endpoint https://mpaas.example.com",
                 "echo \"$MPAAS_CI_TOKEN\" | mpaas login --endpoint https://mpaas.example.com "
                 "--token-stdin --profile ci"})
      .run(options, run_login);
}

}  // namespace mpaas
