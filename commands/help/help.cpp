// `mpaas help [COMMAND...]` shows a command's help; `mpaas help exit-codes` prints the
// exit-code table (also in `man mpaas`), as text or JSON.
#include "command.hpp"
#include "help/command_tree.hpp"
#include "help/options.hpp"
#include "mpaas/core/error.hpp"

namespace mpaas {
namespace {

int print_exit_codes(Context& context) {
  context.emit(exit_code_table());
  return 0;
}

int run_help(const HelpOptions& options, Context& context) {
  if (options.topic.size() == 1 && options.topic[0] == "exit-codes") {
    return print_exit_codes(context);
  }
  CLI::App* command = context.root_app;
  for (const auto& name : options.topic) {
    CLI::App* child = find_subcommand(*command, name);
    if (child == nullptr) {
      std::vector<std::string> names{"exit-codes"};
      for (const auto& info : describe_command_tree(*command, context.option_metadata).children)
        names.push_back(info.name);
      std::string suggestion = closest_name(name, names);
      throw usage_error("no help topic '" + name + "'" +
                        (suggestion.empty() ? "" : ", did you mean '" + suggestion + "'?"));
    }
    command = child;
  }
  context.print(help_text(*command));
  return 0;
}

}  // namespace

void register_help_command(Command& root) {
  auto options = std::make_shared<HelpOptions>();
  root.subcommand("help", "Show help for a command, or the exit codes")
      .positional("topic", options->topic, "A command path, or exit-codes", false)
      .examples({"mpaas help config set", "mpaas help exit-codes --json"})
      .run(options, run_help);
}

}  // namespace mpaas
