// `mpaas release`: uploads and the gray-release lifecycle on the platform.
#include "release/release.hpp"

#include "mpaas/core/error.hpp"

namespace mpaas {

namespace release_commands {

std::optional<platform::TimeWindow> window_from_flags(const WindowFlags& flags) {
  if (flags.max_devices == 0 && flags.until.empty())
    return std::nullopt;
  if (flags.max_devices == 0 || flags.until.empty())
    throw usage_error("the time window needs both --max-devices and --until");
  platform::TimeWindow window;
  window.max_devices = static_cast<uint32_t>(flags.max_devices);
  window.until = platform::parse_time(flags.until, "until");
  return window;
}

void bind_window_flags(Command& command, WindowFlags& flags) {
  command
      .option("--max-devices", flags.max_devices,
              "Time-window mode: the first N distinct devices that check in get it")
      .range(1, 100000000)
      .option("--until", flags.until,
              "Time-window mode: the end of the window (RFC 3339, 2025-07-01T12:00:00Z)");
}

}  // namespace release_commands

void register_release_upload(Command& group);
void register_release_list(Command& group);
void register_release_show(Command& group);
void register_release_history(Command& group);
void register_release_download(Command& group);
void register_release_rollout(Command& group);
void register_release_pause(Command& group);
void register_release_resume(Command& group);
void register_release_finish(Command& group);
void register_release_rollback(Command& group);
void register_release_whitelist(Command& group);
void register_release_check(Command& group);
void register_release_reach(Command& group);

void register_release_commands(Command& root) {
  Command group =
      root.subcommand("release", "Upload releases and run gray rollouts on the platform");
  group.examples(
      {"mpaas release upload app.apk --app com.example.shop --platform android "
       "--version 1.2.0 --percent 10",
       "mpaas release check --app com.example.shop --platform android --device-id d1"});
  register_release_upload(group);
  register_release_list(group);
  register_release_show(group);
  register_release_history(group);
  register_release_download(group);
  register_release_rollout(group);
  register_release_pause(group);
  register_release_resume(group);
  register_release_finish(group);
  register_release_rollback(group);
  register_release_whitelist(group);
  register_release_check(group);
  register_release_reach(group);
}

}  // namespace mpaas
