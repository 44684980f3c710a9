// The `mpaas offline` group and the helpers its commands share (see offline.hpp).
#include "offline/offline.hpp"

#include <termios.h>
#include <unistd.h>

#include <thread>

#include "mpaas/core/atomic_file.hpp"
#include "mpaas/core/error.hpp"

namespace mpaas::offline_commands {
namespace fs = std::filesystem;

void bind_setting_flags(Command& command, SettingFlags& flags) {
  command.option("--id", flags.id, "Package id, 8 digits (offline.id)")
      .option("--name", flags.name, "Package name (offline.name)")
      .option("--version", flags.version, "Version, four-part or semver (offline.version)")
      .option("--root", flags.root, "Folder whose contents go to the tar's root (offline.root)")
      .option("--main-url", flags.main_url, "Entry page, must be in the package (offline.main_url)")
      .option("--vhost", flags.vhost, "Virtual host, https://ID.h5app.com (offline.vhost)")
      .choice("--type", flags.type, "Package type (offline.type)", {"normal", "global"})
      .option("--include", flags.include, "Glob relative to root, repeatable (offline.include)")
      .option("--exclude", flags.exclude, "Glob relative to root, repeatable (offline.exclude)");
}

Project load_project(const std::string& folder, const SettingFlags& flags, Context& context) {
  Project project;
  YAML::Node section;
  std::string source;
  if (!folder.empty()) {
    project.folder = resolve_path(context, folder);
    if (!fs::is_directory(project.folder))
      throw not_found("no such folder (" + folder + ")");
    source = (project.folder / "mpaas.yaml").string();
    section = load_yaml_file(project.folder / "mpaas.yaml")["offline"];
  } else {
    auto file = context.config.project_file();
    project.folder = file ? file->parent_path() : context.cwd;
    section = context.config.section("offline");
    source = context.config.section_file("offline");
  }
  auto& settings = project.settings = offline::settings_from_yaml(section, source);
  for (const auto& warning : settings.warnings)
    context.warn(warning);
  // Environment (MPAAS_OFFLINE__ID) overrides the file; flags override both.
  auto from_env = [&](const std::string& key, std::string& target) {
    auto value = context.config.get("offline." + key);
    if (value && value->source.rfind("env", 0) == 0)
      target = value->value;
  };
  for (auto [key, target] : {std::pair{"id", &settings.id},
                             {"name", &settings.name},
                             {"version", &settings.version},
                             {"root", &settings.root},
                             {"main_url", &settings.main_url},
                             {"vhost", &settings.vhost},
                             {"type", &settings.type}}) {
    from_env(key, *target);
  }
  for (auto [flag, target] : {std::pair{&flags.id, &settings.id},
                              {&flags.name, &settings.name},
                              {&flags.version, &settings.version},
                              {&flags.root, &settings.root},
                              {&flags.main_url, &settings.main_url},
                              {&flags.vhost, &settings.vhost},
                              {&flags.type, &settings.type}}) {
    if (!flag->empty())
      *target = *flag;
  }
  if (!flags.include.empty())
    settings.include = flags.include;
  if (!flags.exclude.empty())
    settings.exclude = flags.exclude;
  offline::apply_defaults(settings);
  return project;
}

fs::path resolve_path(const Context& context, const std::string& path) {
  fs::path given(path);
  return given.is_absolute() ? given : context.cwd / given;
}

crypto::PassphraseSource passphrase_source(Context& context) {
  return [&context]() -> std::optional<std::string> {
    auto it = context.environment.find("MPAAS_SIGNING_KEY_PASSPHRASE");
    if (it != context.environment.end())
      return it->second;
    if (!context.terminal.stdin_is_tty)
      return std::nullopt;
    context.err << "Passphrase for the signing key: " << std::flush;
    termios saved{};
    bool echo_off = tcgetattr(STDIN_FILENO, &saved) == 0;
    if (echo_off) {
      termios quiet = saved;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::string line;
    std::getline(context.in, line);
    if (echo_off)
      tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    context.err << "\n";
    return line;
  };
}

offline::SigningKey signing_key(const std::string& flag, const std::string& configured,
                                const fs::path& project_folder, Context& context) {
  offline::SigningKeySources sources;
  if (!flag.empty()) {
    sources.given_file = resolve_path(context, flag);
    sources.given_name = flag;
  }
  auto env = context.environment.find("MPAAS_SIGNING_KEY");
  if (env != context.environment.end())
    sources.environment_text = env->second;
  sources.configured = configured;
  sources.project_folder = project_folder;
  auto result = offline::load_signing_key(sources, passphrase_source(context));
  if (result.choice.origin == offline::SigningKeyOrigin::configured_missing) {
    context.warn("signing key " + result.choice.label +
                 " does not exist; building unsigned (create it with `mpaas keys generate -o " +
                 fs::path(configured).parent_path().string() + "`)");
  }
  return result;
}

std::optional<crypto::Key> find_signing_key(const std::string& flag, const std::string& configured,
                                            const fs::path& project_folder, Context& context) {
  return signing_key(flag, configured, project_folder, context).key;
}

crypto::Key load_public_key_argument(const std::string& argument, const Context& context) {
  auto path = resolve_path(context, argument);
  std::error_code error;
  if (fs::is_regular_file(path, error))
    return crypto::load_public_key(read_file(path), argument);
  if (fs::is_directory(path, error))
    throw usage_error("a folder, not a key file (" + argument + ")", argument);
  // Key text is PEM, or one line of base64 (no '.', '-' or '_'; an RSA key is hundreds of
  // characters): anything else is a file name, and a missing file is "not found".
  bool base64_only =
      argument.find_first_not_of(
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") == std::string::npos;
  if (argument.starts_with("-----BEGIN") || (base64_only && argument.size() >= 56))
    return crypto::load_public_key(argument, "--pubkey");
  throw not_found("no such key file (" + argument + ")", argument);
}

offline::PackOptions pack_options(Context& context) {
  offline::PackOptions options;
  auto epoch = context.environment.find("SOURCE_DATE_EPOCH");
  options.mtime = offline::epoch_from(epoch == context.environment.end() ? "" : epoch->second);
  options.threads = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
  return options;
}

}  // namespace mpaas::offline_commands

namespace mpaas {

void register_offline_commands(Command& root) {
  Command group =
      root.subcommand("offline", "Build, sign, verify and ship H5 offline packages (.amr)");
  group.examples({
      "mpaas offline build -o dist/ --key keys/private.pem",
      "mpaas offline verify 80000001_1.0.0.1.amr --pubkey keys/public.pem",
      "mpaas offline inspect 80000001_1.0.0.1.amr --json",
      "mpaas offline extract 80000001_1.0.0.1.amr out/",
      "mpaas offline diff old.amr new.amr -o inc.amr",
  });
  offline_commands::register_build(group);
  offline_commands::register_sign(group);
  offline_commands::register_verify(group);
  offline_commands::register_inspect(group);
  offline_commands::register_extract(group);
  offline_commands::register_config(group);
  offline_commands::register_diff(group);
  offline_commands::register_apply(group);
}

}  // namespace mpaas
