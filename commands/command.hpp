// The shape every subcommand follows (gh-style): an Options struct bound to flags by a
// register function, and a run(const Options&, Context&) that does the work and returns
// the exit code.
//
// Command is a thin builder over CLI11 so that command files do not include CLI11 at all:
// CLI11 is header-only and costs ~20 s of compile time per file under the sanitizers, and
// only command.cpp, cli/app.cpp and help/command_tree.cpp pay it. When CLI11 selects a
// subcommand its run is queued on the Context, and main() calls it after parsing has
// finished, so global flags and configuration are settled before any command runs.
#pragma once

#include <any>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "context.hpp"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace mpaas {

class Command {
 public:
  Command(CLI::App* app, Context& context) : m_app(app), m_context(&context) {}

  // A child command; an empty description hides it from help and completions.
  Command subcommand(const std::string& name, const std::string& description);

  // Positional arguments, in the order declared.
  Command& positional(const std::string& name, std::string& target, const std::string& help,
                      bool required = true);
  Command& positional(const std::string& name, std::vector<std::string>& target,
                      const std::string& help, bool required = true);

  // Options taking a value: flags like "-o,--output" or "--level".
  Command& option(const std::string& flags, std::string& target, const std::string& help);
  Command& option(const std::string& flags, std::vector<std::string>& target,
                  const std::string& help);  // repeatable
  Command& option(const std::string& flags, int& target, const std::string& help);
  Command& option(const std::string& flags, int64_t& target, const std::string& help);
  Command& option(const std::string& flags, uint64_t& target, const std::string& help);
  Command& option(const std::string& flags, double& target, const std::string& help);
  // An option whose value must be one of `choices` (offered by the completions).
  Command& choice(const std::string& flags, std::string& target, const std::string& help,
                  const std::vector<std::string>& choices);
  // A boolean switch.
  Command& flag(const std::string& flags, bool& target, const std::string& help);

  // Modifiers of the option declared last: its default as shown in help (and man pages),
  // the inclusive range a number must fall in, and whether it must be given.
  Command& default_shown(const std::string& value);
  Command& range(int64_t min, int64_t max);
  Command& required();
  // The fixed values the option declared last accepts (positionals too).
  Command& choices(const std::vector<std::string>& values);

  // "Examples:" lines in the help and the man page.
  Command& examples(const std::vector<std::string>& lines);

  // Queues run(*options, context) when this command is selected.
  // The parsed options stay reachable as Context::parsed_options (a std::any holding the
  // shared_ptr<Options>), so argv tables can check what a command line means without
  // running it.
  template <class Options>
  Command& run(std::shared_ptr<Options> options, int (*run_function)(const Options&, Context&)) {
    Context* context = m_context;
    on_selected([context, options, run_function] { return run_function(*options, *context); },
                std::any(options));
    return *this;
  }

  CLI::App* app() const { return m_app; }
  Context& context() const { return *m_context; }

 private:
  void on_selected(std::function<int()> action, std::any options);
  // Records what help, completions and man pages need to know about `option`.
  Command& record(CLI::Option* option, OptionInfo info);
  OptionInfo& last_info();

  CLI::App* m_app;
  Context* m_context;
  CLI::Option* m_last = nullptr;
};

// A command's help with its full path in the usage line ("mpaas config set [OPTIONS]").
std::string help_text(const CLI::App& command);

}  // namespace mpaas
