// `mpaas offline verify FILE --pubkey KEY`: checks every entry's signature in CERT.json and
// that the signed pieces belong together (lib/offline/verdict.hpp says what "verified"
// means). Exit 0 when the package is verified, 4 naming the first reason it is not.
#include "mpaas/core/error.hpp"
#include "mpaas/offline/package_reports.hpp"
#include "mpaas/offline/reader.hpp"
#include "mpaas/offline/verdict.hpp"
#include "offline/offline.hpp"
#include "offline/options.hpp"

namespace mpaas::offline_commands {
namespace {

offline::Package read_for_verify(const std::filesystem::path& path) {
  try {
    offline::ReadOptions options;
    options.list_files = false;
    return offline::read_package(path, options);
  } catch (const Error& error) {
    // A package the reader refuses (not a zip, disagreeing zip headers, a damaged entry,
    // entries out of order) cannot verify. Files that cannot be opened keep their kind.
    if (error.kind() == ErrorKind::invalid_input)
      throw verification_failed(error.what(), error.subject());
    throw;
  }
}

int run_verify(const VerifyOptions& options, Context& context) {
  if (options.pubkey.empty())
    throw usage_error("verify needs a public key (--pubkey)");
  auto key = load_public_key_argument(options.pubkey, context);
  auto package = read_for_verify(resolve_path(context, options.package));
  if (!package.signatures)
    throw verification_failed("the package is not signed (CERT.json)", "CERT.json");
  auto verdict = offline::judge_package(package, key);
  context.emit(offline::VerifyReport{verdict});
  offline::require_verified(verdict);
  return 0;
}

}  // namespace

void register_verify(Command& group) {
  auto options = std::make_shared<VerifyOptions>();
  group
      .subcommand("verify",
                  "Verify every entry's signature and that the entries belong together (exit 4 "
                  "naming what fails)")
      .positional("file", options->package, "The .amr package")
      .option("--pubkey", options->pubkey,
              "Public key: a PEM file, or the one-line base64 form Android apps embed")
      .examples({"mpaas offline verify 80000001_1.0.0.1.amr --pubkey keys/public.pem",
                 "mpaas offline verify app.amr --pubkey MIIBIjANBgkqhkiG9w0BAQEFAAOC... --json"})
      .run(options, run_verify);
}

}  // namespace mpaas::offline_commands
