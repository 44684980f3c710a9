// `mpaas release download REL -o FILE`: the artifact, verified against its stored sha256.
#include "platform_access.hpp"
#include "release/release.hpp"

namespace mpaas {
namespace {

int run_release_download(const ReleaseDownloadOptions& options, Context& context) {
  auto progress = context.progress();
  auto result =
      open_platform(context)->download(options.release, context.resolve(options.output), *progress);
  result.file = options.output;
  context.emit(result);
  return 0;
}

}  // namespace

void register_release_download(Command& group) {
  auto options = std::make_shared<ReleaseDownloadOptions>();
  group.subcommand("download", "Write a release's artifact, verified against its sha256")
      .positional("release", options->release, "Release id, or APP/PLATFORM/VERSION")
      .option("-o,--output", options->output, "File to write")
      .required()
      .examples({"mpaas release download rel_ab12cd34ef56 -o app.apk"})
      .run(options, run_release_download);
}

}  // namespace mpaas
