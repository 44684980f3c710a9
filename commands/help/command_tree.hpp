// A plain snapshot of the live CLI11 command tree, so that the completion scripts, the
// man pages and the "did you mean" suggestions are all generated from one description of
// the commands and can never drift from what the parser accepts.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace mpaas {

struct OptionInfo {
  std::vector<std::string> flags;  // "-o", "--output"; empty for positionals
  std::string positional_name;     // set for positionals
  std::string description;
  bool takes_value = false;
  std::vector<std::string> choices;  // fixed values, for completion
};

struct CommandInfo {
  std::string name;
  std::string path;  // "mpaas config set"
  std::string description;
  std::string footer;
  std::vector<OptionInfo> options;
  std::vector<CommandInfo> children;
};

// Walks the tree, skipping hidden commands (an empty description) and the help flags.
CommandInfo describe_command_tree(const CLI::App& root);

// The visible child command called `name`, or nullptr.
CLI::App* find_subcommand(CLI::App& parent, const std::string& name);

// The closest candidate by edit distance, or empty when none is close enough.
std::string closest_name(const std::string& typed, const std::vector<std::string>& candidates);

}  // namespace mpaas
