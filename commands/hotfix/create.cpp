// `mpaas hotfix create --base OLD --target NEW -o FIX.mphf [--key KEY.pem]`: the bundle that
// turns OLD into NEW, entry by entry for ZIP-based builds, signed when a key is given.
#include "command.hpp"
#include "hotfix/options.hpp"
#include "mpaas/core/atomic_file.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/hotfix/hotfix.hpp"
#include "offline/offline.hpp"

namespace mpaas {
namespace {

int run_hotfix_create(const HotfixCreateOptions& options, Context& context) {
  if (options.output.empty())
    throw usage_error("an output file is required (-o, --output)", "output");
  hotfix::CreateRequest request;
  request.base = context.resolve(options.base);
  request.target = context.resolve(options.target);
  request.output = context.resolve(options.output);
  request.app_versions = options.app_versions;
  request.notes = options.notes;
  if (!options.key.empty()) {
    auto path = context.resolve(options.key);
    request.key = crypto::load_private_key(read_file(path), options.key,
                                           offline_commands::passphrase_source(context));
  } else {
    context.warn("no --key: the bundle is unsigned, and `hotfix apply` refuses unsigned bundles");
  }
  auto progress = context.progress();
  context.emit(hotfix::create_bundle(request, *progress));
  return 0;
}

}  // namespace

void register_hotfix_create(Command& group) {
  auto options = std::make_shared<HotfixCreateOptions>();
  group.subcommand("create", "Make the bundle that turns the base build into the target build")
      .option("--base", options->base,
              "The build devices have (APK, IPA, AAB, JAR, zip, .amr or any file)")
      .required()
      .option("--target", options->target, "The fixed build")
      .required()
      .option("-o,--output", options->output, "The bundle to write (FIX.mphf)")
      .option("--key", options->key, "Private key to sign with (Ed25519, ECDSA P-256 or RSA PEM)")
      .option("--app-version", options->app_versions,
              "App versions of the base build the fix is for: 1.2.0, or MIN..MAX")
      .option("--notes", options->notes, "Release notes kept in the bundle")
      .examples({"mpaas hotfix create --base app-1.0.apk --target app-1.0.1.apk -o fix.mphf --key "
                 "keys/private.pem --app-version 1.0.0",
                 "mpaas hotfix create --base old.so --target new.so -o fix.mphf --key "
                 "keys/private.pem --json"})
      .run(options, run_hotfix_create);
}

}  // namespace mpaas
