// `mpaas offline inspect FILE`: the manifest, hpmfile settings, envelope entries and tar
// files with sizes and SHA-256, and the signature state (checked when --pubkey is given).
// The state is "valid" only for what `offline verify` accepts (lib/offline/verdict.hpp):
// pieces that do not belong together are listed as mismatches and make it "invalid".
#include "mpaas/core/error.hpp"
#include "mpaas/offline/reader.hpp"
#include "mpaas/offline/verdict.hpp"
#include "offline/offline.hpp"

namespace mpaas::offline_commands {
namespace {

struct InspectOptions {
  std::string package;
  std::string pubkey;
};

std::string signature_state(const offline::Package& package, const std::optional<crypto::Key>& key,
                            Json& checks) {
  if (!package.signatures)
    return "unsigned";
  if (!key)
    return "signed (not checked: no --pubkey)";
  auto verdict = offline::judge_package(package, *key);
  for (const auto& check : verdict.signatures) {
    checks.push_back(
        Json{{"entry", check.entry}, {"state", check.state}, {"digest", check.digest}});
  }
  return verdict.verified() ? "valid" : "invalid";
}

int run_inspect(const InspectOptions& options, Context& context) {
  auto path = resolve_path(context, options.package);
  std::optional<crypto::Key> key;
  if (!options.pubkey.empty())
    key = load_public_key_argument(options.pubkey, context);
  auto package = offline::read_package(path);
  Json checks = Json::array();
  std::string state = signature_state(package, key, checks);
  Json mismatches = Json::array();
  for (const auto& mismatch : offline::find_mismatches(package))
    mismatches.push_back(mismatch.message);
  Json entries = Json::array();
  for (const auto& entry : package.entries) {
    entries.push_back(Json{{"name", entry.name}, {"size", entry.size}, {"sha256", entry.sha256}});
  }
  Json files = Json::array();
  for (const auto& file : package.files) {
    files.push_back(Json{{"path", file.path}, {"size", file.size}, {"sha256", file.sha256}});
  }
  Json manifest{{"uid", package.manifest.uid},
                {"name", package.manifest.name},
                {"version", package.manifest.version}};
  if (context.output_format() == OutputFormat::json) {
    context.print(render_record(Json{{"package", path.string()},
                                     {"size", package.package_size},
                                     {"manifest", manifest},
                                     {"hpmfile", package.hpmfile},
                                     {"signature", state},
                                     {"signatures", checks},
                                     {"mismatches", mismatches},
                                     {"entries", entries},
                                     {"files", files}},
                                OutputFormat::json));
    return 0;
  }
  Json summary{{"package", path.filename().string()},
               {"size", human_bytes(package.package_size)},
               {"manifest", manifest},
               {"signature", state}};
  if (!mismatches.empty())
    summary["mismatches"] = mismatches;
  if (package.hpmfile.is_object()) {
    summary["main_url"] = package.hpmfile.value("launchParams", Json::object()).value("url", "");
    summary["vhost"] = package.hpmfile.value("host", Json::object()).value("online", "");
  }
  std::string text = render_record(summary, OutputFormat::text) + "\n";
  text += render_table({{"name", "entry"}, {"size", "size"}, {"sha256", "sha256"}}, entries,
                       OutputFormat::text) +
          "\n";
  text += render_table({{"path", "file"}, {"size", "size"}, {"sha256", "sha256"}}, files,
                       OutputFormat::text);
  context.print(text);
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
