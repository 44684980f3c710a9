// `mpaas version`: the version, the commit it was built from and, with --json, the
// versions of the linked libraries. `mpaas --version` prints the first line only.
#include "command.hpp"
#include "mpaas/version/versions.hpp"
#include "version/options.hpp"

namespace mpaas {
namespace {

int run_version(const VersionOptions&, Context& context) {
  context.emit(version_report());
  return 0;
}

}  // namespace

void register_version_command(Command& root) {
  auto options = std::make_shared<VersionOptions>();
  root.subcommand("version", "Show the version, commit and linked libraries")
      .examples({"mpaas version", "mpaas version --json"})
      .run(options, run_version);
}

}  // namespace mpaas
