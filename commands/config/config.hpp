// `mpaas config`: read and edit the layered configuration. One file per verb.
#pragma once

#include "command.hpp"

namespace mpaas::config_commands {

void register_get(Command& group);
void register_set(Command& group);
void register_unset(Command& group);
void register_list(Command& group);
void register_path(Command& group);

// The file `set`/`unset` edit: the project's mpaas.yaml with --project (found upward, else
// created in the cwd), otherwise the user config; and the profile to edit there (empty
// for the project file).
struct EditTarget {
  std::filesystem::path file;
  std::string profile;
};
EditTarget edit_target(const Context& context, bool project);

// The output format, or text with a warning when the configured one is broken: the config
// commands are how a user repairs it.
OutputFormat output_format_or_text(const Context& context);

// Prints a result in that format.
template <class Result>
void show(const Context& context, const Result& result) {
  context.print(render(to_json(result), text_layout(result), output_format_or_text(context)));
}

}  // namespace mpaas::config_commands
