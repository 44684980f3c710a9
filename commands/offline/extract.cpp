// `mpaas offline extract FILE DIR`: safe extraction of a package's web files. Unsafe
// entries (.., absolute paths, links leaving DIR or through other links, names DIR cannot
// hold, devices, zip bombs) are refused with exit 3 before anything is written; the files
// are written into a staging folder and moved into place, so a failure or a signal leaves
// DIR as it was (lib/offline/extract.hpp).
#include "mpaas/offline/extract.hpp"
#include "mpaas/offline/reports.hpp"
#include "offline/options.hpp"

#include "mpaas/core/error.hpp"
#include "offline/incremental_common.hpp"

namespace mpaas::offline_commands {
namespace {

int run_extract(const ExtractOptions& options, Context& context) {
  require_file(context, options.package);
  auto path = resolve_path(context, options.package);
  archive::ExtractionLimits limits;
  limits.max_total_bytes = options.max_size_mib << 20;
  limits.max_ratio = options.max_ratio;
  auto result = offline::extract_package(path, resolve_path(context, options.folder), limits);
  context.emit(offline::ExtractReport{options.folder, result});
  return 0;
}

}  // namespace

void register_extract(Command& group) {
  auto options = std::make_shared<ExtractOptions>();
  group.subcommand("extract", "Extract a package's web files safely into a folder")
      .positional("file", options->package, "The .amr package")
      .positional("dir", options->folder, "Target folder (created when missing)")
      .option("--max-size", options->max_size_mib, "Refuse packages expanding beyond this many MiB")
      .option("--max-ratio", options->max_ratio, "Refuse packages expanding beyond this ratio")
      .examples({"mpaas offline extract 80000001_1.0.0.1.amr out/",
                 "mpaas offline extract big.amr out/ --max-size 8192 --json"})
      .run(options, run_extract);
}

}  // namespace mpaas::offline_commands
