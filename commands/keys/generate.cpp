// `mpaas keys generate`: writes private.pem (0600) and public.pem, prints the base64 public
// key (what the mPaaS console asks for), or the whole report with --json.
#include <filesystem>

#include "keys/keys.hpp"
#include "keys/options.hpp"
#include "mpaas/core/atomic_file.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/crypto/key_report.hpp"

namespace mpaas::keys_commands {
namespace {
namespace fs = std::filesystem;

void refuse_existing_pair(const fs::path& folder, const GenerateOptions& options) {
  for (const char* name : {"private.pem", "public.pem"}) {
    if (fs::exists(fs::symlink_status(folder / name)) && !options.force) {
      std::string shown = (fs::path(options.folder) / name).string();
      throw conflict("the key already exists, use --force to replace it (" + shown + ")", shown);
    }
  }
}

int run_generate(const GenerateOptions& options, Context& context) {
  auto type = crypto::parse_key_type(options.type);
  fs::path folder = context.resolve(options.folder);
  fs::create_directories(folder);
  refuse_existing_pair(folder, options);
  auto key = crypto::generate_key(type);
  // A new private key is 0600 whatever mode an old one had; the public key keeps its mode.
  write_file_atomically(folder / "private.pem", crypto::private_key_pem(key), 0600,
                        ExistingMode::replace);
  write_file_atomically(folder / "public.pem", crypto::public_key_pem(key), 0644);
  crypto::KeyReport report = crypto::describe_key(key);
  std::string shown = fs::path(options.folder).lexically_normal().generic_string();
  report.private_key_path = shown + "/private.pem";
  report.public_key_path = shown + "/public.pem";
  if (!context.global.quiet) {
    context.err << "wrote " << *report.private_key_path << " (0600) and " << *report.public_key_path
                << " (" << report.type << ", " << report.fingerprint << ")\n";
  }
  context.emit(report);
  return 0;
}

}  // namespace

void register_generate(Command& group) {
  auto options = std::make_shared<GenerateOptions>();
  group
      .subcommand("generate",
                  "Write private.pem (0600) and public.pem; print the base64 public key")
      .option("-o,--output", options->folder, "Folder for the key pair (default .)")
      .choice("--type", options->type, "Key type; mPaaS packages need RSA",
              {"rsa2048", "rsa4096", "ec-p256", "ed25519"})
      .flag("--force", options->force, "Replace an existing key pair")
      .examples(
          {"mpaas keys generate -o keys", "mpaas keys generate -o keys --type rsa4096 --json"})
      .run(options, run_generate);
}

}  // namespace mpaas::keys_commands
