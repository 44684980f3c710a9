// `mpaas release check --app --platform --device-id ...`: what this device receives now,
// and why every other release is skipped. A simulation unless --count, the device-side
// check that takes a time-window place.
#include "platform_access.hpp"
#include "release/release.hpp"

namespace mpaas {
namespace {

int run_release_check(const ReleaseCheckOptions& options, Context& context) {
  platform::CheckRequest request;
  request.app = options.app;
  request.platform = options.platform;
  request.device = platform::Device{options.device_id, options.app_version, options.os_version,
                                    options.model,     options.region,      options.network};
  request.count = options.count;
  context.emit(open_platform(context)->check(request));
  return 0;
}

}  // namespace

void register_release_check(Command& group) {
  auto options = std::make_shared<ReleaseCheckOptions>();
  group.subcommand("check", "What a device receives now, and why the other releases are skipped")
      .option("--app", options->app, "App id")
      .required()
      .choice("--platform", options->platform, "Platform", {"android", "ios", "h5"})
      .required()
      .option("--device-id", options->device_id, "The device's id")
      .required()
      .option("--app-version", options->app_version, "The device's app version")
      .option("--os-version", options->os_version, "The device's OS version")
      .option("--model", options->model, "The device's model")
      .option("--region", options->region, "The device's region (CN-ZJ)")
      .option("--network", options->network, "The device's network (wifi, 4g...)")
      .flag("--count", options->count,
            "A device-side check: take a time-window place (a plain check never does)")
      .examples({"mpaas release check --app com.example.shop --platform android --device-id d1 "
                 "--os-version 13 --model 'Pixel 7'"})
      .run(options, run_release_check);
}

}  // namespace mpaas
