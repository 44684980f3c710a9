// Global flags, parsing, dispatch and error -> exit code (see app.hpp).
#include "app.hpp"

#include <CLI/CLI.hpp>

#include "help/command_tree.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/version/versions.hpp"
#include "registry.hpp"

namespace mpaas {
namespace {

void add_global_flags(CLI::App& app, GlobalOptions& global) {
  const std::string group = "Global flags";
  app.add_option("--profile", global.profile, "Profile of the user config to use")->group(group);
  app.add_option("--endpoint", global.endpoint, "Platform API endpoint (default: embedded)")
      ->group(group);
  app.add_option("--data-dir", global.data_dir, "Data folder of the embedded platform")
      ->group(group);
  app.add_option("-o,--output", global.output, "Output format of printed data")
      ->check(CLI::IsMember({"text", "json"}))
      ->group(group);
  app.add_flag_callback(
         "--json", [&global] { global.output = "json"; },
         "Same as --output json (for commands whose -o names a file)")
      ->group(group);
  app.add_flag("-q,--quiet", global.quiet, "Print only data and errors")->group(group);
  app.add_flag("-v,--verbose", global.verbose, "Narrate what is done on stderr")->group(group);
  app.add_flag("--no-color", global.no_color, "Never colour output (also NO_COLOR)")->group(group);
  app.add_flag("-y,--yes", global.yes, "Confirm destructive actions without asking")->group(group);
}

// The deepest subcommand the parser entered.
const CLI::App* deepest_selected(const CLI::App& app) {
  const CLI::App* current = &app;
  while (true) {
    auto selected = current->get_subcommands();
    if (selected.empty())
      return current;
    current = selected.back();
  }
}

std::string first_unexpected(const CLI::App& app, const CLI::ParseError& error) {
  auto remaining = deepest_selected(app)->remaining(true);
  if (!remaining.empty())
    return remaining.front();
  std::string message = error.what();
  auto colon = message.rfind(": ");
  return colon == std::string::npos ? "" : message.substr(colon + 2);
}

// "unknown command 'confg' for 'mpaas', did you mean 'config'?"
std::string describe_unexpected(const CLI::App& app, const CLI::ParseError& error) {
  std::string word = first_unexpected(app, error);
  const CLI::App* where = deepest_selected(app);
  CommandInfo info = describe_command_tree(*where);
  std::vector<std::string> candidates;
  bool is_flag = !word.empty() && word[0] == '-';
  if (is_flag) {
    word = word.substr(0, word.find('='));
    for (const CLI::App* level = where; level != nullptr; level = level->get_parent()) {
      for (const auto& option : describe_command_tree(*level).options) {
        candidates.insert(candidates.end(), option.flags.begin(), option.flags.end());
      }
    }
  } else {
    for (const auto& child : info.children)
      candidates.push_back(child.name);
  }
  std::string kind = is_flag ? "flag" : (candidates.empty() ? "argument" : "command");
  std::string suggestion = closest_name(word, candidates);
  std::string path = info.path;
  return "unknown " + kind + " '" + word + "' for '" + path + "'" +
         (suggestion.empty() ? "" : ", did you mean '" + suggestion + "'?");
}

int report(Context& context, int code, const std::string& message) {
  context.err << "mpaas: error: " << message << "\n";
  return code;
}

}  // namespace

int run_cli(const std::vector<std::string>& arguments, Context& context) {
  CLI::App app(
      "mpaas: the release side of mobile development in one binary: scaffold "
      "projects, build and sign H5 offline packages, make binary patches, run gray "
      "releases and read analytics.",
      "mpaas");
  app.fallthrough();
  app.require_subcommand(0, 1);
  app.set_help_all_flag("", "");
  app.set_version_flag("--version", mpaas_version() + " (commit " + mpaas_commit() + ")");
  add_global_flags(app, context.global);
  context.root_app = &app;
  Command root(&app, context);
  root.examples({"mpaas config list", "mpaas help exit-codes",
                 "mpaas completion bash > /etc/bash_completion.d/mpaas"});
  register_all_commands(root);

  std::vector<std::string> reversed(arguments.rbegin(), arguments.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    context.out << help_text(*deepest_selected(app));
    return 0;
  } catch (const CLI::CallForVersion&) {
    context.out << "mpaas " << app.version() << "\n";
    return 0;
  } catch (const CLI::ExtrasError& error) {
    return report(context, 2, describe_unexpected(app, error));
  } catch (const CLI::ParseError& error) {
    std::string message = error.what();
    if (!message.empty())
      message[0] = static_cast<char>(std::tolower(message[0]));
    return report(context, 2,
                  message + " (" + describe_command_tree(*deepest_selected(app)).path + ")");
  }

  try {
    context.load_config();
    // Validate a configured format before running anything, except in `mpaas config`, which
    // must still work to repair a broken value (`config set output text`).
    std::string path = describe_command_tree(*deepest_selected(app)).path;
    if (path != "mpaas config" && path.rfind("mpaas config ", 0) != 0)
      context.output_format();
    if (!context.action) {
      // A group without a verb (or nothing at all): show what it offers.
      context.out << help_text(*deepest_selected(app));
      return 0;
    }
    return context.action();
  } catch (const Error& error) {
    return report(context, exit_code_of(error.kind()), error.what());
  } catch (const std::exception& error) {
    return report(context, 1, error.what());
  }
}

}  // namespace mpaas
