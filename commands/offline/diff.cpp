// `mpaas offline diff OLD NEW -o INC`: an incremental package (an mpaas extension,
// documented in docs/formats.md), signed like full packages when a key is given. Both
// packages are read as streams; nothing is extracted (lib/offline/incremental).
#include "mpaas/offline/incremental.hpp"
#include "mpaas/offline/reports.hpp"
#include "offline/incremental_common.hpp"
#include "offline/options.hpp"

namespace mpaas::offline_commands {
namespace {

int run_diff(const DiffOptions& options, Context& context) {
  if (options.output.empty())
    throw usage_error("diff needs an output file (-o)", "--output");
  require_file(context, options.old_package);
  require_file(context, options.new_package);
  auto progress = context.progress();
  auto summary = offline::diff_packages(
      resolve_path(context, options.old_package), resolve_path(context, options.new_package),
      resolve_path(context, options.output), signing_options(options.key, context), *progress);
  context.emit(offline::IncrementalReport{options.output, summary});
  return 0;
}

}  // namespace

void register_diff(Command& group) {
  auto options = std::make_shared<DiffOptions>();
  group.subcommand("diff", "Make an incremental package from OLD to NEW (mpaas extension)")
      .positional("old", options->old_package, "The base package")
      .positional("new", options->new_package, "The target package")
      .option("-o,--output", options->output, "The incremental package to write")
      .option("--key", options->key, "RSA private key PEM to sign with (else MPAAS_SIGNING_KEY)")
      .examples(
          {"mpaas offline diff 80000001_1.0.0.1.amr 80000001_1.0.0.2.amr -o inc.amr --key k.pem"})
      .run(options, run_diff);
}

}  // namespace mpaas::offline_commands
