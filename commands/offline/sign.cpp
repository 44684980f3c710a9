// `mpaas offline sign FILE --key KEY.pem`: (re)signs a package in place, atomically.
#include "mpaas/core/error.hpp"
#include "mpaas/offline/package_reports.hpp"
#include "offline/offline.hpp"
#include "offline/options.hpp"

namespace mpaas::offline_commands {
namespace {

int run_sign(const SignOptions& options, Context& context) {
  // The package is opened by the reader, whose errors name it: missing (5), a folder (2),
  // unreadable (1), not a package (3).
  auto path = resolve_path(context, options.package);
  auto pack = pack_options(context);
  pack.digest = crypto::parse_digest(options.digest);
  pack.key = find_signing_key(options.key, "", context.cwd, context);
  if (!pack.key)
    throw usage_error("signing needs a key (--key or MPAAS_SIGNING_KEY)");
  auto progress = context.progress();
  auto result = offline::sign_package(path, pack, *progress);
  std::string signature = crypto::digest_name(pack.digest) + "withRSA";
  context.emit(offline::SignReport{path, signature, result.size});
  return 0;
}

}  // namespace

void register_sign(Command& group) {
  auto options = std::make_shared<SignOptions>();
  group.subcommand("sign", "Sign or re-sign a package in place (atomically)")
      .positional("file", options->package, "The .amr package")
      .option("--key", options->key, "RSA private key PEM (else MPAAS_SIGNING_KEY)")
      .choice("--digest", options->digest,
              "Signature digest; sha256 is an mpaas extension (mPaaS clients verify sha1)",
              {"sha1", "sha256"})
      .examples({"mpaas offline sign 80000001_1.0.0.1.amr --key keys/private.pem",
                 "mpaas offline sign app.amr --key private.pem --digest sha256   # extension"})
      .run(options, run_sign);
}

}  // namespace mpaas::offline_commands
