// Global flags, parsing, dispatch and error -> exit code (see app.hpp).
#include "app.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <new>
#include <system_error>

#include "help/command_tree.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/core/output.hpp"
#include "mpaas/version/versions.hpp"
#include "registry.hpp"

namespace mpaas {
namespace {

// Global flags are declared on CLI11 directly; the one with fixed values is recorded in the
// builder's metadata too, so completions offer its values.
void add_global_flags(CLI::App& app, GlobalOptions& global, OptionMetadata& metadata) {
  const std::string group = "Global flags";
  app.add_option("--profile", global.profile, "Profile of the user config to use")->group(group);
  app.add_option("--endpoint", global.endpoint, "Platform API endpoint (default: embedded)")
      ->group(group);
  app.add_option("--cacert", global.cacert,
                 "CA bundle (PEM) that the endpoint's certificate must chain to")
      ->group(group);
  app.add_option("--data-dir", global.data_dir, "Data folder of the embedded platform")
      ->group(group);
  // The one rule for -o: it names the file a command writes (as for curl, gcc, bsdiff).
  // The format of printed data is --json or --output FORMAT (or MPAAS_OUTPUT). The old
  // global spelling `-o json` stays accepted, hidden, on commands that write no file.
  app.add_flag_callback(
         "--json", [&global] { global.output = "json"; },
         "Print data as JSON (same as --output json)")
      ->group(group);
  // csv is the one extra format, for the commands whose data is a CSV contract
  // (commands_with_csv below): `-o csv` and `--output csv` are their --csv.
  CLI::Option* output =
      app.add_option("--output", global.output,
                     "Format of printed data: text or json (csv for analytics query)")
          ->check(CLI::IsMember({"text", "json", "csv"}))
          ->group(group);
  OptionInfo output_info;
  output_info.flags = {"--output"};
  output_info.description = output->get_description();
  output_info.takes_value = true;
  output_info.choices = {"text", "json", "csv"};
  output_info.default_value = "text";
  metadata[output] = output_info;
  app.add_option("-o", global.output, "Format of printed data (old spelling of --output)")
      ->check(CLI::IsMember({"text", "json", "csv"}))
      ->group("");
  app.add_flag("-q,--quiet", global.quiet, "Print only data and errors")->group(group);
  app.add_flag("-v,--verbose", global.verbose, "Narrate what is done on stderr")->group(group);
  app.add_flag("--no-color", global.no_color, "Never colour output (also NO_COLOR)")->group(group);
  app.add_flag("-y,--yes", global.yes, "Confirm destructive actions without asking")->group(group);
}

// The commands that print CSV for --output csv (or -o csv); every other refuses it.
const char* const commands_with_csv[] = {"mpaas analytics query"};

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
std::string describe_unexpected(const CLI::App& app, const CLI::ParseError& error,
                                const Context& context) {
  std::string word = first_unexpected(app, error);
  const CLI::App* where = deepest_selected(app);
  CommandInfo info = describe_command_tree(*where, context.option_metadata);
  std::vector<std::string> candidates;
  bool is_flag = !word.empty() && word[0] == '-';
  if (is_flag) {
    word = word.substr(0, word.find('='));
    for (const CLI::App* level = where; level != nullptr; level = level->get_parent()) {
      for (const auto& option : describe_command_tree(*level, context.option_metadata).options) {
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

// Anything thrown becomes an mpaas::Error: standard-library failures get the kind their
// cause deserves and a clean one-line message instead of libstdc++'s wording.
Error as_error(const std::exception& thrown) {
  if (const auto* error = dynamic_cast<const Error*>(&thrown))
    return *error;
  if (const auto* fs_error = dynamic_cast<const std::filesystem::filesystem_error*>(&thrown)) {
    std::string subject = fs_error->path1().string();
    std::string message = fs_error->code().message();
    if (!message.empty())
      message[0] = static_cast<char>(std::tolower(message[0]));
    if (!subject.empty())
      message += " (" + subject + ")";
    auto condition = fs_error->code().default_error_condition();
    if (condition == std::errc::no_such_file_or_directory)
      return not_found(message, subject);
    if (condition == std::errc::file_exists || condition == std::errc::directory_not_empty)
      return conflict(message, subject);
    if (condition == std::errc::not_a_directory || condition == std::errc::is_a_directory ||
        condition == std::errc::filename_too_long ||
        condition == std::errc::too_many_symbolic_link_levels)
      return invalid_input(message, subject);
    return failure(message, subject);
  }
  if (dynamic_cast<const std::bad_alloc*>(&thrown))
    return failure("out of memory");
  if (const auto* system = dynamic_cast<const std::system_error*>(&thrown))
    return failure(system->code().message());
  return failure(thrown.what());
}

// True when `command` is the top-level command `name` or one of its subcommands.
bool is_within(const CLI::App& command, const std::string& name) {
  const CLI::App* top = &command;
  while (top->get_parent() != nullptr && top->get_parent()->get_parent() != nullptr)
    top = top->get_parent();
  return top->get_parent() != nullptr && top->get_name() == name;
}

// lib names domain fields ("codec", "memory limit"); where the selected command has the flag
// for that field (--codec, --memory-limit), the message names the flag the user typed.
// Errors about what was asked name its flag; errors about bad data (an invalid file, a failed
// verification) name the file instead, even when a flag of the same name exists.
Error with_flag_named(const Error& error, const CLI::App& app, const Context& context) {
  bool about_the_request =
      error.kind() != ErrorKind::invalid_input && error.kind() != ErrorKind::verification;
  if (error.subject().empty() || !about_the_request)
    return error;
  std::string flag = "--" + error.subject();
  std::replace(flag.begin(), flag.end(), ' ', '-');
  for (const CLI::App* level = deepest_selected(app); level != nullptr;
       level = level->get_parent()) {
    for (const auto& option : describe_command_tree(*level, context.option_metadata).options) {
      if (std::find(option.flags.begin(), option.flags.end(), flag) != option.flags.end())
        return Error(error.kind(), std::string(error.what()) + " (" + flag + ")", error.subject());
    }
  }
  return error;
}

// One line on stderr, or {"error": {...}} when the output format is JSON, so that scripts
// can read failures as well as results.
int report(Context& context, const Error& error) {
  if (context.wants_json()) {
    context.err << error_json(error).dump() << "\n";
  } else {
    std::string label = context.stderr_color_enabled() ? "\033[31merror:\033[0m" : "error:";
    context.err << "mpaas: " << label << " " << escape_for_terminal(error.what()) << "\n";
  }
  return exit_code_of(error.kind());
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
  add_global_flags(app, context.global, context.option_metadata);
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
    return report(context, usage_error(describe_unexpected(app, error, context)));
  } catch (const CLI::ParseError& error) {
    std::string message = error.what();
    if (!message.empty())
      message[0] = static_cast<char>(std::tolower(message[0]));
    return report(
        context,
        usage_error(message + " (" +
                    describe_command_tree(*deepest_selected(app), context.option_metadata).path +
                    ")"));
  }

  try {
    context.load_config();
    // Validate a configured format before running anything, except in `mpaas config`, which
    // must still work to repair a broken value (`config set output text`).
    if (!is_within(*deepest_selected(app), "config"))
      context.output_format();
    if (context.global.output == "csv") {
      std::string path;
      for (const CLI::App* level = deepest_selected(app); level != nullptr;
           level = level->get_parent())
        path = path.empty() ? level->get_name() : level->get_name() + " " + path;
      if (std::find(std::begin(commands_with_csv), std::end(commands_with_csv), path) ==
          std::end(commands_with_csv))
        throw usage_error("csv output is for `mpaas analytics query` only; use --json", "output");
    }
    if (context.parse_only)
      return 0;
    if (!context.action) {
      // A group without a verb (or nothing at all): show what it offers.
      context.out << help_text(*deepest_selected(app));
      return 0;
    }
    return context.action();
  } catch (const std::exception& thrown) {
    return report(context, with_flag_named(as_error(thrown), app, context));
  }
}

}  // namespace mpaas
