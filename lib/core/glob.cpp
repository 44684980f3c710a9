// Glob matching without backtracking (see glob.hpp).
//
// The pattern is compiled into a list of tokens; a position in that list is a state of a
// nondeterministic automaton. The matcher keeps the set of states reachable after each
// character of the path and advances all of them together, Thompson-style, so every
// character is looked at once per state: no recursion, no retry of earlier choices.
#include "mpaas/core/glob.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace mpaas {
namespace {

enum class Token : uint8_t {
  literal,   // one given character
  one,       // '?': one character other than '/'
  run,       // '*': any run without '/'
  anything,  // '**' not followed by '/': any run, '/' included
  segments,  // '**/': zero or more whole segments, each with its '/'
};

struct Step {
  Token token;
  char literal;
};

std::vector<Step> compile(std::string_view pattern) {
  if (pattern.substr(0, 2) == "./")
    pattern.remove_prefix(2);
  std::vector<Step> steps;
  steps.reserve(pattern.size());
  size_t i = 0;
  while (i < pattern.size()) {
    char c = pattern[i];
    if (c == '*' && i + 1 < pattern.size() && pattern[i + 1] == '*') {
      bool slash = i + 2 < pattern.size() && pattern[i + 2] == '/';
      steps.push_back({slash ? Token::segments : Token::anything, 0});
      i += slash ? 3 : 2;
    } else if (c == '*') {
      steps.push_back({Token::run, 0});
      ++i;
    } else if (c == '?') {
      steps.push_back({Token::one, 0});
      ++i;
    } else {
      steps.push_back({Token::literal, c});
      ++i;
    }
  }
  return steps;
}

// The active states. at[t]: about to match step t (at[size] is the accepting state).
// inside[t]: within a segment consumed by the '**/' of step t, which may only end after
// the segment's '/'.
struct States {
  std::vector<uint8_t> at;
  std::vector<uint8_t> inside;

  explicit States(size_t steps) : at(steps + 1, 0), inside(steps, 0) {}

  void clear() {
    std::fill(at.begin(), at.end(), 0);
    std::fill(inside.begin(), inside.end(), 0);
  }
};

// Follows the moves that consume nothing: '*', '**' and '**/' may all match the empty run.
// Such moves only go forward, so one pass in order reaches every state.
void close_over_empty_runs(const std::vector<Step>& steps, States& states) {
  for (size_t t = 0; t < steps.size(); ++t) {
    if (states.at[t] && steps[t].token != Token::literal && steps[t].token != Token::one)
      states.at[t + 1] = 1;
  }
}

// Advances every active state over `c` into `next`; returns whether any state survives.
bool advance(const std::vector<Step>& steps, const States& current, char c, States& next) {
  next.clear();
  bool alive = false;
  auto set = [&alive](uint8_t& state) {
    state = 1;
    alive = true;
  };
  bool slash = c == '/';
  for (size_t t = 0; t < steps.size(); ++t) {
    if (current.at[t]) {
      switch (steps[t].token) {
        case Token::literal:
          if (c == steps[t].literal)
            set(next.at[t + 1]);
          break;
        case Token::one:
          if (!slash)
            set(next.at[t + 1]);
          break;
        case Token::run:
          if (!slash)
            set(next.at[t]);
          break;
        case Token::anything:
          set(next.at[t]);
          break;
        case Token::segments:
          set(slash ? next.at[t] : next.inside[t]);
          break;
      }
    }
    if (current.inside[t])
      set(slash ? next.at[t] : next.inside[t]);
  }
  return alive;
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view path) {
  std::vector<Step> steps = compile(pattern);
  States current(steps.size());
  States next(steps.size());
  current.at[0] = 1;
  close_over_empty_runs(steps, current);
  for (char c : path) {
    if (!advance(steps, current, c, next))
      return false;
    close_over_empty_runs(steps, next);
    std::swap(current, next);
  }
  return current.at[steps.size()] != 0;
}

}  // namespace mpaas
