// `mpaas offline inspect FILE`: the manifest, hpmfile settings, envelope entries and tar
// files with sizes and SHA-256, and the signature state (checked when --pubkey is given).
// The state is "valid" only for what `offline verify` accepts (lib/offline/verdict.hpp):
// pieces that do not belong together are listed as mismatches and make it "invalid".
#include "mpaas/core/error.hpp"
#include "mpaas/offline/package_reports.hpp"
#include "mpaas/offline/reader.hpp"
#include "mpaas/offline/verdict.hpp"
#include "offline/offline.hpp"
#include "offline/options.hpp"

namespace mpaas::offline_commands {
namespace {

int run_inspect(const InspectOptions& options, Context& context) {
  auto path = resolve_path(context, options.package);
  std::optional<crypto::Key> key;
  if (!options.pubkey.empty())
    key = load_public_key_argument(options.pubkey, context);
  auto package = offline::read_package(path);
  context.emit(offline::inspect_package(path, package, key));
  return 0;
}

}  // namespace

void register_inspect(Command& group) {
  auto options = std::make_shared<InspectOptions>();
  group
      .subcommand("inspect",
                  "Show a package's manifest, settings, entries, files and signature state")
      .positional("file", options->package, "The .amr package")
      .option("--pubkey", options->pubkey,
              "Public key (PEM file or base64) to check signatures with")
      .examples({"mpaas offline inspect 80000001_1.0.0.1.amr",
                 "mpaas offline inspect app.amr --pubkey keys/public.pem --json"})
      .run(options, run_inspect);
}

}  // namespace mpaas::offline_commands
