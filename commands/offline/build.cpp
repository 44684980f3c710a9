// `mpaas offline build [DIR]`: builds {id}_{version}.amr from the project's offline:
// settings and flags, signed when a key is given. Reproducible and streaming; the work is
// in lib/offline/builder.
#include "mpaas/core/error.hpp"
#include "mpaas/core/sha256.hpp"
#include "mpaas/offline/package_reports.hpp"
#include "offline/offline.hpp"
#include "offline/options.hpp"

namespace mpaas::offline_commands {
namespace {
namespace fs = std::filesystem;

fs::path output_path(const BuildOptions& options, const offline::Settings& settings,
                     const Context& context) {
  std::string name = settings.id + "_" + settings.version + ".amr";
  if (options.output.empty())
    return context.cwd / name;
  auto path = resolve_path(context, options.output);
  bool is_folder = fs::is_directory(path) || options.output.back() == '/';
  if (is_folder) {
    fs::create_directories(path);
    return path / name;
  }
  return path;
}

int run_build(const BuildOptions& options, Context& context) {
  auto project = load_project(options.folder, options.settings, context);
  offline::validate_settings(project.settings);
  auto pack = pack_options(context);
  pack.digest = crypto::parse_digest(options.digest);
  if (!options.unsigned_package) {
    auto chosen = signing_key(options.key, project.settings.sign_key, project.folder, context);
    pack.key = chosen.key;
    // The key's file never goes into the package, even when it lies under the source folder.
    if (chosen.key)
      pack.key_file = chosen.choice.file;
  }
  auto output = output_path(options, project.settings, context);
  auto progress = context.progress();
  auto result = offline::build_package(project.settings, project.folder, output, pack, *progress);
  for (const auto& item : result.left_out) {
    context.warn("left out " + item.path + " (" + item.reason +
                 "); name it in offline.include or --include to pack it");
  }
  std::string signature = result.is_signed ? crypto::digest_name(pack.digest) + "withRSA" : "";
  context.emit(offline::BuildReport{output, project.settings.id, project.settings.version, result,
                                    signature, to_hex(sha256_of_file(output))});
  return 0;
}

}  // namespace

void register_build(Command& group) {
  auto options = std::make_shared<BuildOptions>();
  auto command =
      group.subcommand("build", "Build a reproducible {id}_{version}.amr from the project")
          .positional("dir", options->folder,
                      "Project folder holding mpaas.yaml (default: the current project)", false)
          .option("-o,--output", options->output,
                  "Output file, or folder ending in / (default: ./{id}_{version}.amr)")
          .option(
              "--key", options->key,
              "RSA private key PEM to sign with (else MPAAS_SIGNING_KEY, else offline.sign.key)")
          .choice("--digest", options->digest,
                  "Signature digest; sha256 is an mpaas extension (mPaaS clients verify sha1)",
                  {"sha1", "sha256"})
          .flag("--unsigned", options->unsigned_package,
                "Build without signing, whatever key is configured");
  bind_setting_flags(command, options->settings);
  command
      .examples({"mpaas offline build", "mpaas offline build -o dist/ --key keys/private.pem",
                 "SOURCE_DATE_EPOCH=1700000000 mpaas offline build --version 1.0.0.2 --json",
                 "MPAAS_SIGNING_KEY=\"$(cat private.pem)\" mpaas offline build my-h5-app"})
      .run(options, run_build);
}

}  // namespace mpaas::offline_commands
