// `mpaas hotfix verify FIX.mphf --pubkey KEY`: the bundle is whole and signed by that key
// (exit 4 otherwise).
#include "command.hpp"
#include "hotfix/options.hpp"
#include "mpaas/hotfix/hotfix.hpp"
#include "offline/offline.hpp"

namespace mpaas {
namespace {

int run_hotfix_verify(const HotfixReadOptions& options, Context& context) {
  auto key = offline_commands::load_public_key_argument(options.pubkey, context);
  context.emit(hotfix::inspect_bundle(context.resolve(options.bundle), key));
  return 0;
}

}  // namespace

void register_hotfix_verify(Command& group) {
  auto options = std::make_shared<HotfixReadOptions>();
  group.subcommand("verify", "Check a bundle's structure and signature")
      .positional("bundle", options->bundle, "The bundle (FIX.mphf)")
      .option("--pubkey", options->pubkey, "Public key the bundle must be signed with")
      .required()
      .examples({"mpaas hotfix verify fix.mphf --pubkey keys/public.pem"})
      .run(options, run_hotfix_verify);
}

}  // namespace mpaas
