// `mpaas offline apply OLD INC -o NEW`: rebuilds the target package from its base and an
// incremental package made by `offline diff`, checking every hash, and signs it like a full
// package when a key is given. Both packages are read as streams; nothing is extracted, and
// a change list naming unsafe paths is refused (lib/offline/incremental).
#include "mpaas/offline/incremental.hpp"
#include "mpaas/offline/reports.hpp"
#include "offline/incremental_common.hpp"
#include "offline/options.hpp"

namespace mpaas::offline_commands {
namespace {

int run_apply(const ApplyOptions& options, Context& context) {
  if (options.output.empty())
    throw usage_error("apply needs an output file (-o)", "--output");
  require_file(context, options.base_package);
  require_file(context, options.incremental_package);
  auto progress = context.progress();
  auto result = offline::apply_incremental(resolve_path(context, options.base_package),
                                           resolve_path(context, options.incremental_package),
                                           resolve_path(context, options.output),
                                           signing_options(options.key, context), *progress);
  context.emit(offline::RebuiltReport{options.output, result});
  return 0;
}

}  // namespace

void register_apply(Command& group) {
  auto options = std::make_shared<ApplyOptions>();
  group.subcommand("apply", "Rebuild NEW from OLD and an incremental package, checking every hash")
      .positional("old", options->base_package, "The base package")
      .positional("incremental", options->incremental_package, "The incremental package")
      .option("-o,--output", options->output, "The package to write")
      .option("--key", options->key, "RSA private key PEM to sign the result with")
      .examples(
          {"mpaas offline apply 80000001_1.0.0.1.amr inc.amr -o 80000001_1.0.0.2.amr --key k.pem"})
      .run(options, run_apply);
}

}  // namespace mpaas::offline_commands
