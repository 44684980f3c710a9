// `mpaas hotfix apply --base OLD FIX.mphf -o OUT --pubkey KEY`: verifies the bundle, refuses
// another base (exit 4) and rebuilds the target; `--dir` writes the changed entries only.
#include "command.hpp"
#include "hotfix/options.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/hotfix/hotfix.hpp"
#include "offline/offline.hpp"

namespace mpaas {
namespace {

int run_hotfix_apply(const HotfixApplyOptions& options, Context& context) {
  if (options.output.empty() == options.folder.empty())
    throw usage_error("give either an output file (-o) or a folder for the changed entries (--dir)",
                      "output");
  hotfix::ApplyRequest request;
  request.base = context.resolve(options.base);
  request.bundle = context.resolve(options.bundle);
  request.key = offline_commands::load_public_key_argument(options.pubkey, context);
  if (!options.output.empty())
    request.output = context.resolve(options.output);
  else
    request.changed_folder = context.resolve(options.folder);
  auto progress = context.progress();
  context.emit(hotfix::apply_bundle(request, *progress));
  return 0;
}

}  // namespace

void register_hotfix_apply(Command& group) {
  auto options = std::make_shared<HotfixApplyOptions>();
  group.subcommand("apply", "Verify a bundle and rebuild the target from the base build")
      .positional("bundle", options->bundle, "The bundle (FIX.mphf)")
      .option("--base", options->base, "The build the fix was made for")
      .required()
      .option("-o,--output", options->output, "The rebuilt target to write")
      .option("--dir", options->folder,
              "Instead: write the changed and added entries as files into this new folder")
      .option("--pubkey", options->pubkey, "Public key the bundle must be signed with")
      .required()
      .examples({"mpaas hotfix apply --base app-1.0.apk fix.mphf -o app-1.0.1.apk --pubkey "
                 "keys/public.pem",
                 "mpaas hotfix apply --base app-1.0.apk fix.mphf --dir changed --pubkey "
                 "keys/public.pem"})
      .run(options, run_hotfix_apply);
}

}  // namespace mpaas
