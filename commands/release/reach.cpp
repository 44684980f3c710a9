// `mpaas release reach REL --devices FILE`: how many and which devices of a list (CSV with a
// header, or NDJSON) receive the release now; read in one streaming pass.
#include "platform_access.hpp"
#include "release/release.hpp"

namespace mpaas {
namespace {

int run_release_reach(const ReleaseReachOptions& options, Context& context) {
  auto gate = open_platform(context)->gate(options.release);
  context.emit(with_input(context, options.devices, [&](std::istream& in, const std::string& name) {
    return platform::reach(gate, in, name);
  }));
  return 0;
}

}  // namespace

void register_release_reach(Command& group) {
  auto options = std::make_shared<ReleaseReachOptions>();
  group.subcommand("reach", "How many and which devices of a list receive a release now")
      .positional("release", options->release, "Release id, or APP/PLATFORM/VERSION")
      .option("--devices", options->devices,
              "CSV with a header (id,app_version,os_version,model,region,network) or NDJSON; "
              "- is stdin")
      .required()
      .examples({"mpaas release reach rel_ab12cd34ef56 --devices devices.csv --json"})
      .run(options, run_release_reach);
}

}  // namespace mpaas
