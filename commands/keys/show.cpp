// `mpaas keys show KEY`: a key's public half (PEM), type and fingerprint; never the private
// key, even when KEY is one.
#include "keys/keys.hpp"
#include "keys/options.hpp"
#include "mpaas/core/atomic_file.hpp"
#include "mpaas/crypto/key_report.hpp"

namespace mpaas::keys_commands {
namespace {

int run_show(const ShowOptions& options, Context& context) {
  auto key = crypto::load_public_key(read_file(context.resolve(options.key)), options.key);
  crypto::KeyReport report = crypto::describe_key(key);
  report.public_pem = crypto::public_key_pem(key);
  context.emit(report);
  return 0;
}

}  // namespace

void register_show(Command& group) {
  auto options = std::make_shared<ShowOptions>();
  group.subcommand("show", "Print a key's public half and fingerprint (never the private key)")
      .positional("key", options->key, "A private or public key PEM")
      .examples({"mpaas keys show keys/private.pem", "mpaas keys show keys/public.pem --json"})
      .run(options, run_show);
}

}  // namespace mpaas::keys_commands
