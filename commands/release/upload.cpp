// `mpaas release upload FILE --app --platform --version ...`: stores the artifact (sha256
// checked, progress bar on a terminal) and creates a release, gray at --percent (default 0:
// whitelist only), in the time-window mode, or a draft.
#include "mpaas/platform/platform.hpp"
#include "platform_access.hpp"
#include "release/release.hpp"

namespace mpaas {
namespace {

int run_release_upload(const ReleaseUploadOptions& options, Context& context) {
  platform::UploadRequest request;
  request.file = context.resolve(options.file);
  request.file_name = std::filesystem::path(options.file).filename().string();
  request.app = options.app;
  request.platform = options.platform;
  request.version = options.version;
  request.kind = options.kind;
  request.min_app_version = options.min_app_version;
  request.max_app_version = options.max_app_version;
  request.notes = options.notes;
  request.mandatory = options.mandatory;
  request.percent = platform::parse_percent(options.percent, "percent");
  request.rules = options.rules;
  request.draft = options.draft;
  request.if_absent = options.if_absent;
  request.window = release_commands::window_from_flags(options.window);
  if (!options.whitelist_file.empty()) {
    request.whitelist = with_input(
        context, options.whitelist_file,
        [](std::istream& in, const std::string& name) { return platform::read_id_list(in, name); });
  }
  auto progress = context.progress();
  context.emit(open_platform(context)->upload(request, *progress));
  return 0;
}

}  // namespace

void register_release_upload(Command& group) {
  auto options = std::make_shared<ReleaseUploadOptions>();
  Command command =
      group.subcommand("upload", "Store an artifact and create a release (gray at --percent)");
  command.positional("file", options->file, "The artifact: .apk, .ipa, .amr, a patch...")
      .option("--app", options->app, "App id")
      .required()
      .choice("--platform", options->platform, "Platform", {"android", "ios", "h5"})
      .required()
      .option("--version", options->version,
              "Version (1 to 4 numbers: 1.2.0); an .amr's must agree")
      .required()
      .choice("--kind", options->kind, "Kind (default: offline for an .amr, else native)",
              {"native", "offline", "hotfix"})
      .option("--min-app-version", options->min_app_version, "Lowest app version it applies to")
      .option("--max-app-version", options->max_app_version, "Highest app version it applies to")
      .option("--notes", options->notes, "Release notes")
      .flag("--mandatory", options->mandatory, "Devices must install it")
      .option("--percent", options->percent, "Gray percentage, 0.01 steps (0: whitelist only)")
      .default_shown("0")
      .option("--whitelist", options->whitelist_file,
              "File of device ids that always get it (one a line, # comments)")
      .option("--rule", options->rules,
              "Targeting rule, all must match: 'os_version>=12', 'model~Pixel*', "
              "'region in (CN-ZJ,CN-SH)'")
      .flag("--draft", options->draft, "Create it as a draft that reaches no one yet")
      .flag("--if-absent", options->if_absent,
            "Succeed without a change when this version exists with the same artifact");
  release_commands::bind_window_flags(command, options->window);
  command
      .examples({"mpaas release upload app.apk --app com.example.shop --platform android "
                 "--version 1.2.0 --percent 10 --whitelist testers.txt",
                 "mpaas release upload shop.amr --app com.example.shop --platform h5 --version "
                 "1.0.0.1 --rule 'os_version>=12' --if-absent"})
      .run(options, run_release_upload);
}

}  // namespace mpaas
