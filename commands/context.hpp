// Context: everything a command touches, handed to its run function. Commands never
// reach for std::cout, getenv or the real clock directly, so tests can run a command
// in-process with string streams, a fake terminal, a fixed clock and a temp data dir.
#pragma once

#include <any>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "help/command_tree.hpp"
#include "mpaas/core/clock.hpp"
#include "mpaas/core/config.hpp"
#include "mpaas/core/output.hpp"
#include "mpaas/core/progress.hpp"

namespace CLI {
class App;
}

namespace mpaas {

struct GlobalOptions {
  std::string profile;
  std::string endpoint;
  std::string cacert;  // PEM bundle trusted for the endpoint instead of the system's
  std::string data_dir;
  std::string output;  // empty: from config, else text
  bool quiet = false;
  bool verbose = false;
  bool no_color = false;
  bool yes = false;
};

struct Terminal {
  bool stdin_is_tty = false;
  bool stdout_is_tty = false;
  bool stderr_is_tty = false;
  int stdout_columns = 0;  // the width of the terminal on stdout; 0: not a terminal or unknown
};

class Context {
 public:
  Context(std::ostream& out, std::ostream& err, std::istream& in, const Clock& clock);

  std::ostream& out;
  std::ostream& err;
  std::istream& in;
  const Clock& clock;
  Terminal terminal;
  GlobalOptions global;
  std::map<std::string, std::string> environment;
  std::filesystem::path cwd;
  Config config;
  CLI::App* root_app = nullptr;    // the live command tree (completion and man generation)
  OptionMetadata option_metadata;  // what the command builder recorded about each option

  // Set by the selected subcommand during parsing; run by main() once parsing is done.
  std::function<int()> action;
  // The selected command's options (a std::shared_ptr<ItsOptions>), for argv tables.
  std::any parsed_options;
  // Parse and load the configuration, but do not run the command (tests).
  bool parse_only = false;

  // Reads the config layers from the global flags, environment and files.
  void load_config();

  // A path the user gave, against the context's working folder ("-" and absolute paths
  // unchanged). In the real process that folder is the process's own, and the path is kept
  // as given so that messages name it as the user typed it.
  std::string resolve(const std::string& path) const;

  OutputFormat output_format() const;
  // True when errors should be printed as JSON: like output_format(), but never throws, so
  // that a broken `output` setting can itself be reported.
  bool wants_json() const;
  std::filesystem::path data_dir() const;
  bool color_enabled() const;
  // Colour on stderr (the "error:" and "warning:" labels): a terminal, no --no-color/NO_COLOR.
  bool stderr_color_enabled() const;
  // Columns to draw in on stdout: $COLUMNS when it is a number, else the terminal's width,
  // else 80 (a pipe or file).
  int output_columns() const;
  // A progress bar on stderr when it is a terminal and not --quiet, else a null sink.
  std::unique_ptr<ProgressSink> progress() const;

  // Writes rendered data to stdout.
  void print(const std::string& text) const;
  // Prints a typed result (found by ADL: to_json(result), text_layout(result)) in the
  // output format in force: the one way commands print data.
  template <class Result>
  void emit(const Result& result) const {
    print(rendered(result));
  }
  // The same text, for a command that shows it elsewhere (stderr, when stdout carries data).
  template <class Result>
  std::string rendered(const Result& result) const {
    return render(to_json(result), text_layout(result), output_format());
  }
  // One "mpaas: warning: ..." line on stderr unless --quiet.
  void warn(const std::string& message) const;
  // One line of narration on stderr for --verbose.
  void log(const std::string& message) const;
  // Asks yes/no on the terminal; true without asking under --yes; false (refuse) when stdin
  // is not a terminal, so scripts must pass --yes for destructive actions.
  bool confirm(const std::string& question) const;
};

}  // namespace mpaas
