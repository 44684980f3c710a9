// Context helpers (see context.hpp).
#include "context.hpp"

#include <charconv>
#include <string>

#include "mpaas/core/error.hpp"

namespace mpaas {

Context::Context(std::ostream& out_stream, std::ostream& err_stream, std::istream& in_stream,
                 const Clock& clock_ref)
    : out(out_stream), err(err_stream), in(in_stream), clock(clock_ref) {}

void Context::load_config() {
  ConfigInputs inputs;
  if (!global.endpoint.empty())
    inputs.flags["endpoint"] = global.endpoint;
  if (!global.cacert.empty())
    inputs.flags["cacert"] = global.cacert;
  if (!global.data_dir.empty())
    inputs.flags["data_dir"] = global.data_dir;
  if (!global.output.empty())
    inputs.flags["output"] = global.output;
  inputs.environment = environment;
  inputs.cwd = cwd;
  inputs.profile_flag = global.profile;
  config = Config::load(inputs);
  if (!global.profile.empty() && !config.profile_exists()) {
    warn("profile '" + global.profile + "' is not defined in " +
         config.user_config_path().string() + "; `mpaas config set` creates it");
  }
}

OutputFormat Context::output_format() const {
  // csv from the flag is the text format for everything but CSV data, which the commands
  // that offer it print themselves (cli/app.cpp refuses it elsewhere).
  if (global.output == "csv")
    return OutputFormat::text;
  auto configured = config.get("output");
  if (!configured)
    return OutputFormat::text;
  try {
    return parse_output_format(configured->value);
  } catch (const Error&) {
    if (configured->source.rfind("flag", 0) == 0)
      throw;
    // A value from a file or the environment: name where it comes from, not a flag.
    std::string shown =
        configured->value.size() > 40 ? configured->value.substr(0, 40) + "..." : configured->value;
    throw invalid_input("unknown output format '" + shown + "', expected text or json (output in " +
                            configured->source + ")",
                        "output");
  }
}

std::string Context::resolve(const std::string& path) const {
  std::filesystem::path given(path);
  if (path.empty() || path == "-" || given.is_absolute() || cwd.empty())
    return path;
  std::error_code ec;
  if (std::filesystem::equivalent(cwd, std::filesystem::current_path(ec), ec))
    return path;
  return (cwd / given).string();
}

bool Context::wants_json() const {
  // Errors can happen before the configuration is loaded (a parse error), so the flag and the
  // environment are read directly; a broken configured value falls back to text.
  if (!global.output.empty())
    return global.output == "json";
  auto variable = environment.find("MPAAS_OUTPUT");
  if (variable != environment.end())
    return variable->second == "json";
  try {
    return output_format() == OutputFormat::json;
  } catch (const std::exception&) {
    return false;
  }
}

std::filesystem::path Context::data_dir() const {
  return config.value_or("data_dir", default_data_dir(environment).string());
}

bool Context::color_enabled() const {
  return terminal.stdout_is_tty && !global.no_color && environment.count("NO_COLOR") == 0;
}

int Context::output_columns() const {
  constexpr int fallback = 80;
  if (auto found = environment.find("COLUMNS"); found != environment.end()) {
    int columns = 0;
    const auto& text = found->second;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), columns);
    if (error == std::errc() && end == text.data() + text.size() && columns > 0)
      return columns;
  }
  return terminal.stdout_columns > 0 ? terminal.stdout_columns : fallback;
}

bool Context::stderr_color_enabled() const {
  return terminal.stderr_is_tty && !global.no_color && environment.count("NO_COLOR") == 0;
}

std::unique_ptr<ProgressSink> Context::progress() const {
  if (terminal.stderr_is_tty && !global.quiet) {
    return std::make_unique<ProgressBar>(err, clock);
  }
  return std::make_unique<NullProgress>();
}

void Context::print(const std::string& text) const {
  out << text << std::flush;
}

void Context::warn(const std::string& message) const {
  if (!global.quiet) {
    err << "mpaas: " << (stderr_color_enabled() ? "\033[33mwarning:\033[0m" : "warning:") << " "
        << escape_for_terminal(message) << "\n";
  }
}

void Context::log(const std::string& message) const {
  if (global.verbose) {
    err << "mpaas: " << escape_for_terminal(message) << "\n";
  }
}

bool Context::confirm(const std::string& question) const {
  if (global.yes)
    return true;
  if (!terminal.stdin_is_tty)
    return false;
  err << question << " [y/N] " << std::flush;
  std::string answer;
  std::getline(in, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

}  // namespace mpaas
