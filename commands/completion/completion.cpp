// `mpaas completion bash|zsh|fish`: prints a completion script generated from the live
// command tree. completions/ in the repository holds the same output (`make docs`), and a
// test fails when it is stale.
#include "command.hpp"
#include "completion/options.hpp"
#include "completion/scripts.hpp"
#include "help/command_tree.hpp"
#include "mpaas/core/error.hpp"

namespace mpaas {
namespace {

int run_completion(const CompletionOptions& options, Context& context) {
  CommandInfo tree = describe_command_tree(*context.root_app, context.option_metadata);
  if (options.shell != "bash" && options.shell != "zsh" && options.shell != "fish") {
    throw usage_error("unknown shell '" + options.shell + "', expected bash, zsh or fish (SHELL)");
  }
  if (options.shell == "bash") {
    context.print(bash_completion_script(tree));
  } else if (options.shell == "zsh") {
    context.print(zsh_completion_script(tree));
  } else {
    context.print(fish_completion_script(tree));
  }
  return 0;
}

}  // namespace

void register_completion_command(Command& root) {
  auto options = std::make_shared<CompletionOptions>();
  root.subcommand("completion", "Print a shell completion script")
      .positional("shell", options->shell, "Shell to complete for: bash, zsh or fish")
      .choices({"bash", "zsh", "fish"})
      .examples({"source <(mpaas completion bash)", "mpaas completion zsh > \"${fpath[1]}/_mpaas\"",
                 "mpaas completion fish > ~/.config/fish/completions/mpaas.fish"})
      .run(options, run_completion);
}

}  // namespace mpaas
