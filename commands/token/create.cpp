// `mpaas token create --name NAME [--scope read|release|admin] [--expires 30d|TIME]`: the
// secret is printed this once; the platform keeps only its SHA-256.
#include "command.hpp"
#include "mpaas/core/error.hpp"
#include "platform_access.hpp"
#include "token/options.hpp"

namespace mpaas {
namespace {

// "30d", "12h", "90m" from now, or an RFC 3339 time.
int64_t expiry_of(const std::string& text, const Clock& clock) {
  if (text.empty())
    return 0;
  auto now =
      std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
  char unit = text.back();
  auto number = text.substr(0, text.size() - 1);
  bool duration = !number.empty() && number.size() <= 6 &&
                  number.find_first_not_of("0123456789") == std::string::npos &&
                  (unit == 'd' || unit == 'h' || unit == 'm');
  if (!duration)
    return platform::parse_time(text, "expires");
  int64_t scale = unit == 'd' ? 86400 : unit == 'h' ? 3600 : 60;
  return now + std::stoll(number) * scale;
}

int run_token_create(const TokenCreateOptions& options, Context& context) {
  platform::TokenRequest request;
  request.name = options.name;
  request.scope = platform::parse_scope(options.scope);
  request.expires_at = expiry_of(options.expires, context.clock);
  context.emit(open_platform(context)->create_token(request));
  return 0;
}

}  // namespace

void register_token_create(Command& group) {
  auto options = std::make_shared<TokenCreateOptions>();
  group.subcommand("create", "Make a token; its secret is shown this once")
      .option("--name", options->name, "What the token is for: letters, digits, '.', '_', '-'")
      .required()
      .choice("--scope", options->scope, "What it may do (each includes the ones before)",
              {"read", "release", "admin"})
      .default_shown("read")
      .option("--expires", options->expires, "Lifetime (30d, 12h) or an RFC 3339 time")
      .examples({"mpaas token create --name ci --scope release --expires 30d",
                 "mpaas token create --name dashboard --json"})
      .run(options, run_token_create);
}

}  // namespace mpaas
