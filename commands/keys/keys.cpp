// `mpaas keys generate` and `mpaas keys show`: key pairs for signing packages. mPaaS
// packages use RSA; EC and Ed25519 keys sign mpaas's own formats. Private keys are written
// 0600 and never printed.
#include <filesystem>

#include "command.hpp"
#include "mpaas/core/atomic_file.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/crypto/keys.hpp"

namespace mpaas::keys_commands {
namespace {
namespace fs = std::filesystem;

struct GenerateOptions {
  std::string folder = ".";
  std::string type = "rsa2048";
  bool force = false;
};

struct ShowOptions {
  std::string key;
};

fs::path resolve(const Context& context, const std::string& path) {
  return fs::path(path).is_absolute() ? fs::path(path) : context.cwd / path;
}

Json public_record(const crypto::Key& key, const std::string& folder) {
  Json record{{"type", key.type_name()}, {"fingerprint", crypto::fingerprint(key)}};
  if (!folder.empty()) {
    record["private_key"] = folder + "/private.pem";
    record["public_key"] = folder + "/public.pem";
  }
  record["public_base64"] = crypto::public_key_base64(key);
  return record;
}

int run_generate(const GenerateOptions& options, Context& context) {
  auto type = crypto::parse_key_type(options.type);
  auto folder = resolve(context, options.folder);
  fs::create_directories(folder);
  for (const char* name : {"private.pem", "public.pem"}) {
    if (fs::exists(folder / name) && !options.force) {
      throw conflict("the key already exists, use --force to replace it (" +
                     (fs::path(options.folder) / name).string() + ")");
    }
  }
  auto key = crypto::generate_key(type);
  // A new private key is 0600 whatever mode an old one had; the public key keeps its mode.
  write_file_atomically(folder / "private.pem", crypto::private_key_pem(key), 0600,
                        ExistingMode::replace);
  write_file_atomically(folder / "public.pem", crypto::public_key_pem(key), 0644);
  auto record = public_record(key, fs::path(options.folder).lexically_normal().generic_string());
  if (context.output_format() == OutputFormat::json) {
    context.print(render_record(record, OutputFormat::json));
  } else {
    if (!context.global.quiet) {
      context.err << "wrote " << record["private_key"].get<std::string>() << " (0600) and "
                  << record["public_key"].get<std::string>() << " (" << key.type_name() << ", "
                  << record["fingerprint"].get<std::string>() << ")\n";
    }
    context.print(record["public_base64"].get<std::string>() + "\n");
  }
  return 0;
}

int run_show(const ShowOptions& options, Context& context) {
  auto text = read_file(resolve(context, options.key));
  auto key = crypto::load_public_key(text, options.key);
  auto record = public_record(key, "");
  record["public_pem"] = crypto::public_key_pem(key);
  if (context.output_format() == OutputFormat::json) {
    context.print(render_record(record, OutputFormat::json));
  } else {
    context.print(record["public_pem"].get<std::string>() + "type: " + key.type_name() +
                  "\nfingerprint: " + record["fingerprint"].get<std::string>() + "\n");
  }
  return 0;
}

}  // namespace
}  // namespace mpaas::keys_commands

namespace mpaas {

void register_keys_commands(Command& root) {
  using namespace keys_commands;
  Command group = root.subcommand("keys", "Generate and show signing keys");
  group.examples({"mpaas keys generate -o keys", "mpaas keys show keys/private.pem"});
  auto generate = std::make_shared<GenerateOptions>();
  group
      .subcommand("generate",
                  "Write private.pem (0600) and public.pem; print the base64 public key")
      .option("-o,--output", generate->folder,
              "Folder for the key pair (default .)")
      .choice("--type", generate->type, "Key type; mPaaS packages need RSA",
              {"rsa2048", "rsa4096", "ec-p256", "ed25519"})
      .flag("--force", generate->force, "Replace an existing key pair")
      .examples(
          {"mpaas keys generate -o keys", "mpaas keys generate -o keys --type rsa4096 --json"})
      .run(generate, run_generate);
  auto show = std::make_shared<ShowOptions>();
  group.subcommand("show", "Print a key's public half and fingerprint (never the private key)")
      .positional("key", show->key, "A private or public key PEM")
      .examples({"mpaas keys show keys/private.pem", "mpaas keys show keys/public.pem --json"})
      .run(show, run_show);
}

}  // namespace mpaas
