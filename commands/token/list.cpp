// `mpaas token list`: every token with its scope and dates, never a secret.
#include "command.hpp"
#include "platform_access.hpp"
#include "token/options.hpp"

namespace mpaas {
namespace {

int run_token_list(const TokenListOptions&, Context& context) {
  context.emit(open_platform(context)->list_tokens());
  return 0;
}

}  // namespace

void register_token_list(Command& group) {
  auto options = std::make_shared<TokenListOptions>();
  group.subcommand("list", "List tokens (never their secrets)")
      .examples({"mpaas token list", "mpaas token list --json"})
      .run(options, run_token_list);
}

}  // namespace mpaas
