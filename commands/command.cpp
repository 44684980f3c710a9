// The Command builder over CLI11 (see command.hpp). The one commands/ file that includes
// CLI11 besides the help tree walker.
#include "command.hpp"

#include <CLI/CLI.hpp>

namespace mpaas {

Command Command::subcommand(const std::string& name, const std::string& description) {
  CLI::App* child = m_app->add_subcommand(name, description);
  if (description.empty())
    child->group("");
  return Command(child, *m_context);
}

namespace {

std::vector<std::string> split_flags(const std::string& flags) {
  std::vector<std::string> names;
  size_t start = 0;
  while (start <= flags.size()) {
    size_t comma = flags.find(',', start);
    if (comma == std::string::npos)
      comma = flags.size();
    if (comma > start)
      names.push_back(flags.substr(start, comma - start));
    start = comma + 1;
  }
  return names;
}

OptionInfo option_info(const std::string& flags, const std::string& help, bool takes_value) {
  OptionInfo info;
  info.flags = split_flags(flags);
  info.description = help;
  info.takes_value = takes_value;
  return info;
}

OptionInfo positional_info(const std::string& name, const std::string& help, bool required) {
  OptionInfo info;
  info.positional_name = name;
  info.description = help;
  info.takes_value = true;
  info.required = required;
  return info;
}

}  // namespace

Command& Command::record(CLI::Option* option, OptionInfo info) {
  m_last = option;
  m_context->option_metadata[option] = std::move(info);
  return *this;
}

OptionInfo& Command::last_info() {
  return m_context->option_metadata.at(m_last);
}

Command& Command::positional(const std::string& name, std::string& target, const std::string& help,
                             bool required) {
  return record(m_app->add_option(name, target, help)->required(required),
                positional_info(name, help, required));
}

Command& Command::positional(const std::string& name, std::vector<std::string>& target,
                             const std::string& help, bool required) {
  OptionInfo info = positional_info(name, help, required);
  info.repeatable = true;
  return record(m_app->add_option(name, target, help)->required(required), std::move(info));
}

Command& Command::option(const std::string& flags, std::string& target, const std::string& help) {
  return record(m_app->add_option(flags, target, help), option_info(flags, help, true));
}

Command& Command::option(const std::string& flags, std::vector<std::string>& target,
                         const std::string& help) {
  OptionInfo info = option_info(flags, help, true);
  info.repeatable = true;
  return record(m_app->add_option(flags, target, help)
                    ->take_all()
                    ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
                    ->expected(1),
                std::move(info));
}

Command& Command::option(const std::string& flags, int& target, const std::string& help) {
  return record(m_app->add_option(flags, target, help), option_info(flags, help, true));
}

Command& Command::option(const std::string& flags, int64_t& target, const std::string& help) {
  return record(m_app->add_option(flags, target, help), option_info(flags, help, true));
}

Command& Command::option(const std::string& flags, uint64_t& target, const std::string& help) {
  return record(m_app->add_option(flags, target, help), option_info(flags, help, true));
}

Command& Command::option(const std::string& flags, double& target, const std::string& help) {
  return record(m_app->add_option(flags, target, help), option_info(flags, help, true));
}

Command& Command::choice(const std::string& flags, std::string& target, const std::string& help,
                         const std::vector<std::string>& choices) {
  OptionInfo info = option_info(flags, help, true);
  info.choices = choices;
  return record(m_app->add_option(flags, target, help)->check(CLI::IsMember(choices)),
                std::move(info));
}

Command& Command::flag(const std::string& flags, bool& target, const std::string& help) {
  return record(m_app->add_flag(flags, target, help), option_info(flags, help, false));
}

Command& Command::default_shown(const std::string& value) {
  m_last->default_str(value);
  last_info().default_value = value;
  return *this;
}

Command& Command::range(int64_t min, int64_t max) {
  m_last->check(CLI::Range(min, max));
  last_info().range = std::make_pair(min, max);
  return *this;
}

Command& Command::choices(const std::vector<std::string>& values) {
  m_last->check(CLI::IsMember(values));
  last_info().choices = values;
  return *this;
}

Command& Command::required() {
  m_last->required();
  last_info().required = true;
  return *this;
}

Command& Command::examples(const std::vector<std::string>& lines) {
  std::string footer = "\nExamples:\n";
  for (const auto& line : lines) {
    footer += "  " + line + "\n";
  }
  m_app->footer(footer);
  return *this;
}

void Command::on_selected(std::function<int()> action, std::any options) {
  Context* context = m_context;
  m_app->callback([context, action, options] {
    context->action = action;
    context->parsed_options = options;
  });
}

std::string help_text(const CLI::App& command) {
  std::string parents;
  for (const CLI::App* parent = command.get_parent(); parent != nullptr;
       parent = parent->get_parent()) {
    parents = parent->get_name() + (parents.empty() ? "" : " " + parents);
  }
  return command.help(parents);
}

}  // namespace mpaas
