// `mpaas offline verify FILE --pubkey KEY`: checks every entry's signature in CERT.json.
// Exit 0 when all verify, 4 naming the first entry that does not.
#include "mpaas/core/error.hpp"
#include "offline/offline.hpp"
#include "mpaas/offline/reader.hpp"

namespace mpaas::offline_commands {
namespace {

struct VerifyOptions {
  std::string package;
  std::string pubkey;
};

offline::Package read_for_verify(const std::filesystem::path& path) {
  try {
    offline::ReadOptions options;
    options.list_files = false;
    return offline::read_package(path, options);
  } catch (const Error& error) {
    // A damaged envelope (bad CRC, broken deflate or tar) cannot verify.
    if (error.kind() == ErrorKind::invalid_input)
      throw verification_failed(error.what());
    throw;
  }
}

int run_verify(const VerifyOptions& options, Context& context) {
  if (options.pubkey.empty())
    throw usage_error("verify needs a public key (--pubkey)");
  auto key = load_public_key_argument(options.pubkey, context);
  auto path = resolve_path(context, options.package);
  if (!std::filesystem::is_regular_file(path))
    throw not_found("no such file (" + options.package + ")");
  auto package = read_for_verify(path);
  if (!package.signatures)
    throw verification_failed("the package is not signed (CERT.json)");
  auto checks = offline::check_signatures(package, key);
  Json rows = Json::array();
  for (const auto& check : checks) {
    rows.push_back(Json{{"entry", check.entry}, {"state", check.state}, {"digest", check.digest}});
  }
  context.print(render_table({{"entry", "entry"}, {"state", "state"}, {"digest", "digest"}}, rows,
                             context.output_format()));
  for (const auto& check : checks) {
    if (check.state != "valid") {
      throw verification_failed("signature " + check.state + " (" + check.entry + ")");
    }
  }
  return 0;
}

}  // namespace

void register_verify(Command& group) {
  auto options = std::make_shared<VerifyOptions>();
  group.subcommand("verify", "Verify every entry's signature (exit 4 naming the one that fails)")
      .positional("file", options->package, "The .amr package")
      .option("--pubkey", options->pubkey,
              "Public key: a PEM file, or the one-line base64 form Android apps embed")
      .examples({"mpaas offline verify 80000001_1.0.0.1.amr --pubkey keys/public.pem",
                 "mpaas offline verify app.amr --pubkey MIIBIjANBgkqhkiG9w0BAQEFAAOC... --json"})
      .run(options, run_verify);
}

}  // namespace mpaas::offline_commands
