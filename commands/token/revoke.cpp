// `mpaas token revoke ID`: the token stops working at once; revoking twice is a conflict.
#include "command.hpp"
#include "platform_access.hpp"
#include "token/options.hpp"

namespace mpaas {
namespace {

int run_token_revoke(const TokenRevokeOptions& options, Context& context) {
  context.emit(open_platform(context)->revoke_token(options.id));
  return 0;
}

}  // namespace

void register_token_revoke(Command& group) {
  auto options = std::make_shared<TokenRevokeOptions>();
  group.subcommand("revoke", "Revoke a token (exit 6 when it is revoked already)")
      .positional("id", options->id, "Token id (tok_...)")
      .examples({"mpaas token revoke tok_k3x9qm2ab7fd"})
      .run(options, run_token_revoke);
}

}  // namespace mpaas
