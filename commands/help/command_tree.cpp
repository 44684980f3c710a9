// Snapshot of the CLI11 tree and name suggestions (see command_tree.hpp).
#include "help/command_tree.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>

namespace mpaas {
namespace {

OptionInfo describe_option(const CLI::Option* option, const OptionMetadata& metadata) {
  auto recorded = metadata.find(option);
  if (recorded != metadata.end())
    return recorded->second;
  OptionInfo info;
  for (const auto& name : option->get_snames())
    info.flags.push_back("-" + name);
  for (const auto& name : option->get_lnames())
    info.flags.push_back("--" + name);
  if (info.flags.empty())
    info.positional_name = option->get_name();
  info.description = option->get_description();
  info.takes_value = option->get_type_size() > 0;
  return info;
}

CommandInfo describe(const CLI::App& app, const std::string& parent_path,
                     const OptionMetadata& metadata) {
  CommandInfo info;
  info.name = app.get_name();
  info.path = parent_path.empty() ? info.name : parent_path + " " + info.name;
  info.description = app.get_description();
  info.footer = app.get_footer();
  for (const CLI::Option* option : app.get_options()) {
    if (option == app.get_help_ptr() || option == app.get_help_all_ptr())
      continue;
    if (option->get_group().empty())
      continue;  // hidden
    info.options.push_back(describe_option(option, metadata));
  }
  for (const CLI::App* child : app.get_subcommands({})) {
    if (child->get_description().empty() || child->get_group().empty())
      continue;  // hidden
    info.children.push_back(describe(*child, info.path, metadata));
  }
  return info;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

CommandInfo describe_command_tree(const CLI::App& root, const OptionMetadata& metadata) {
  return describe(root, "", metadata);
}

CLI::App* find_subcommand(CLI::App& parent, const std::string& name) {
  for (CLI::App* child : parent.get_subcommands(std::function<bool(CLI::App*)>{})) {
    if (child->get_name() == name && !child->get_group().empty())
      return child;
  }
  return nullptr;
}

std::string closest_name(const std::string& typed, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, typed.size() / 3) + 1;
  for (const auto& candidate : candidates) {
    size_t distance = edit_distance(typed, candidate);
    if (candidate.rfind(typed, 0) == 0 && typed.size() >= 3)
      distance = 1;
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best;
}

}  // namespace mpaas
