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

Command& Command::positional(const std::string& name, std::string& target, const std::string& help,
                             bool required) {
  m_app->add_option(name, target, help)->required(required);
  return *this;
}

Command& Command::positional(const std::string& name, std::vector<std::string>& target,
                             const std::string& help, bool required) {
  m_app->add_option(name, target, help)->required(required);
  return *this;
}

Command& Command::option(const std::string& flags, std::string& target, const std::string& help) {
  m_app->add_option(flags, target, help);
  return *this;
}

Command& Command::option(const std::string& flags, std::vector<std::string>& target,
                         const std::string& help) {
  m_app->add_option(flags, target, help)
      ->take_all()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->expected(1);
  return *this;
}

Command& Command::option(const std::string& flags, int& target, const std::string& help) {
  m_app->add_option(flags, target, help);
  return *this;
}

Command& Command::option(const std::string& flags, int64_t& target, const std::string& help) {
  m_app->add_option(flags, target, help);
  return *this;
}

Command& Command::option(const std::string& flags, uint64_t& target, const std::string& help) {
  m_app->add_option(flags, target, help);
  return *this;
}

Command& Command::option(const std::string& flags, double& target, const std::string& help) {
  m_app->add_option(flags, target, help);
  return *this;
}

Command& Command::choice(const std::string& flags, std::string& target, const std::string& help,
                         const std::vector<std::string>& choices) {
  m_app->add_option(flags, target, help)->check(CLI::IsMember(choices));
  return *this;
}

Command& Command::flag(const std::string& flags, bool& target, const std::string& help) {
  m_app->add_flag(flags, target, help);
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

void Command::on_selected(std::function<int()> action) {
  Context* context = m_context;
  m_app->callback([context, action] { context->action = action; });
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
