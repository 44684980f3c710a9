// `mpaas version`: the version, the commit it was built from and, with -o json, the
// versions of the linked libraries. `mpaas --version` prints the first line only.
#include "command.hpp"
#include "mpaas/version/versions.hpp"

namespace mpaas {
namespace {

struct VersionOptions {};

int run_version(const VersionOptions&, Context& context) {
  Json record{{"version", mpaas_version()},
              {"commit", mpaas_commit()},
              {"libraries", linked_library_versions()}};
  context.print(render_record(record, context.output_format()));
  return 0;
}

}  // namespace

void register_version_command(Command& root) {
  auto options = std::make_shared<VersionOptions>();
  root.subcommand("version", "Show the version, commit and linked libraries")
      .examples({"mpaas version", "mpaas version -o json"})
      .run(options, run_version);
}

}  // namespace mpaas
