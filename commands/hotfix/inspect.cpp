// `mpaas hotfix inspect FIX.mphf`: target, signer, and the entries it changes with their
// patch sizes (no key needed; the signature is not checked).
#include "command.hpp"
#include "hotfix/options.hpp"
#include "mpaas/hotfix/hotfix.hpp"

namespace mpaas {
namespace {

int run_hotfix_inspect(const HotfixReadOptions& options, Context& context) {
  context.emit(hotfix::inspect_bundle(context.resolve(options.bundle), std::nullopt));
  return 0;
}

}  // namespace

void register_hotfix_inspect(Command& group) {
  auto options = std::make_shared<HotfixReadOptions>();
  group.subcommand("inspect", "Show what a bundle changes, its target and its signer")
      .positional("bundle", options->bundle, "The bundle (FIX.mphf)")
      .examples({"mpaas hotfix inspect fix.mphf", "mpaas hotfix inspect fix.mphf --json"})
      .run(options, run_hotfix_inspect);
}

}  // namespace mpaas
