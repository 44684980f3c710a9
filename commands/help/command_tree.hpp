// A plain snapshot of the live CLI11 command tree, so that the completion scripts, the
// man pages and the "did you mean" suggestions are all generated from one description of
// the commands and can never drift from what the parser accepts.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace CLI {
class App;
}

namespace mpaas {

// What the command builder records about each option as it declares it (commands/command.cpp),
// so help, completions and man pages read facts, not CLI11's type strings.
struct OptionInfo {
  std::vector<std::string> flags;  // "-o", "--output"; empty for positionals
  std::string positional_name;     // set for positionals
  std::string description;
  bool takes_value = false;
  bool required = false;
  bool repeatable = false;
  std::vector<std::string> choices;                  // fixed values, for completion
  std::string default_value;                         // shown in help and man pages; empty when none
  std::optional<std::pair<int64_t, int64_t>> range;  // inclusive bounds of a number
};

// The builder's records, keyed by the CLI11 option they describe (held by the Context).
using OptionMetadata = std::map<const void*, OptionInfo>;

struct CommandInfo {
  std::string name;
  std::string path;  // "mpaas config set"
  std::string description;
  std::string footer;
  std::vector<OptionInfo> options;
  std::vector<CommandInfo> children;
};

// Walks the tree, skipping hidden commands (an empty description) and the help flags. Options
// the builder recorded are described from `metadata`; the others (CLI11's own) by name only.
CommandInfo describe_command_tree(const CLI::App& root, const OptionMetadata& metadata);

// The visible child command called `name`, or nullptr.
CLI::App* find_subcommand(CLI::App& parent, const std::string& name);

// The closest candidate by edit distance, or empty when none is close enough.
std::string closest_name(const std::string& typed, const std::vector<std::string>& candidates);

}  // namespace mpaas
