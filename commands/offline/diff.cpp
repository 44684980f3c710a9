// `mpaas offline diff OLD NEW -o INC` and `mpaas offline apply OLD INC -o NEW`: incremental
// packages (an mpaas extension, documented in docs/formats.md). Signed like full packages
// when a key is given.
#include "mpaas/core/error.hpp"
#include "mpaas/offline/incremental.hpp"
#include "offline/offline.hpp"

namespace mpaas::offline_commands {
namespace {

struct DiffOptions {
  std::string old_package;
  std::string new_package;
  std::string output;
  std::string key;
};

offline::PackOptions signing_options(const std::string& key_flag, Context& context) {
  auto pack = pack_options(context);
  pack.key = find_signing_key(key_flag, "", context.cwd, context);
  return pack;
}

void require_file(const Context& context, const std::string& path) {
  if (!std::filesystem::is_regular_file(resolve_path(context, path))) {
    throw not_found("no such file (" + path + ")");
  }
}

int run_diff(const DiffOptions& options, Context& context) {
  if (options.output.empty())
    throw usage_error("diff needs an output file (-o)");
  require_file(context, options.old_package);
  require_file(context, options.new_package);
  auto progress = context.progress();
  auto summary = offline::diff_packages(
      resolve_path(context, options.old_package), resolve_path(context, options.new_package),
      resolve_path(context, options.output), signing_options(options.key, context), *progress);
  Json record{{"package", options.output},          {"added", summary.added},
              {"changed", summary.changed},         {"deleted", summary.deleted},
              {"copied", summary.copied},           {"size", summary.package.size},
              {"signed", summary.package.is_signed}};
  if (context.output_format() == OutputFormat::json) {
    context.print(render_record(record, OutputFormat::json));
  } else {
    context.print("wrote " + options.output + " (" + std::to_string(summary.added) + " added, " +
                  std::to_string(summary.changed) + " changed, " + std::to_string(summary.deleted) +
                  " deleted, " + human_bytes(summary.package.size) + ")\n");
  }
  return 0;
}

int run_apply(const DiffOptions& options, Context& context) {
  if (options.output.empty())
    throw usage_error("apply needs an output file (-o)");
  require_file(context, options.old_package);
  require_file(context, options.new_package);
  auto progress = context.progress();
  auto result = offline::apply_incremental(
      resolve_path(context, options.old_package), resolve_path(context, options.new_package),
      resolve_path(context, options.output), signing_options(options.key, context), *progress);
  if (context.output_format() == OutputFormat::json) {
    context.print(render_record(Json{{"package", options.output},
                                     {"files", result.files},
                                     {"size", result.size},
                                     {"signed", result.is_signed}},
                                OutputFormat::json));
  } else {
    context.print("wrote " + options.output + " (" + std::to_string(result.files) + " files, " +
                  human_bytes(result.size) + ")\n");
  }
  return 0;
}

}  // namespace

void register_diff(Command& group) {
  auto options = std::make_shared<DiffOptions>();
  group.subcommand("diff", "Make an incremental package from OLD to NEW (mpaas extension)")
      .positional("old", options->old_package, "The base package")
      .positional("new", options->new_package, "The target package")
      .option("-o,--output", options->output, "The incremental package to write")
      .option("--key", options->key, "RSA private key PEM to sign with (else MPAAS_SIGNING_KEY)")
      .examples(
          {"mpaas offline diff 80000001_1.0.0.1.amr 80000001_1.0.0.2.amr -o inc.amr --key k.pem"})
      .run(options, run_diff);
}

void register_apply(Command& group) {
  auto options = std::make_shared<DiffOptions>();
  group.subcommand("apply", "Rebuild NEW from OLD and an incremental package, checking every hash")
      .positional("old", options->old_package, "The base package")
      .positional("incremental", options->new_package, "The incremental package")
      .option("-o,--output", options->output, "The package to write")
      .option("--key", options->key, "RSA private key PEM to sign the result with")
      .examples(
          {"mpaas offline apply 80000001_1.0.0.1.amr inc.amr -o 80000001_1.0.0.2.amr --key k.pem"})
      .run(options, run_apply);
}

}  // namespace mpaas::offline_commands
