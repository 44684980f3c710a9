// Gray-release decisions (see rollout.hpp and docs/rollout.md).
#include "mpaas/platform/rollout.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <optional>
#include <string_view>

#include "mpaas/core/error.hpp"
#include "mpaas/core/sha256.hpp"

namespace mpaas::platform {
namespace {

// Rules and versions come from users and devices: bounded so that matching stays cheap.
constexpr size_t max_rule_length = 1024;
constexpr size_t max_version_parts = 4;
constexpr size_t max_version_part_digits = 9;

const char* const field_names[] = {"app_version", "os_version", "model", "region", "network"};

bool is_version_field(const std::string& field) {
  return field == "app_version" || field == "os_version";
}

const std::string Device::*device_member(const std::string& field) {
  if (field == "app_version")
    return &Device::app_version;
  if (field == "os_version")
    return &Device::os_version;
  if (field == "model")
    return &Device::model;
  if (field == "region")
    return &Device::region;
  return &Device::network;
}

// The numeric parts of a version (unused parts 0), or nothing when `text` is not one. No
// allocation: a check compares versions for every release it considers.
std::optional<VersionNumbers> version_parts(std::string_view text) {
  VersionNumbers parts{};
  size_t count = 0;
  size_t start = 0;
  while (true) {
    size_t end = text.find('.', start);
    if (end == std::string_view::npos)
      end = text.size();
    size_t digits = end - start;
    if (digits == 0 || digits > max_version_part_digits || count == max_version_parts)
      return std::nullopt;
    uint32_t value = 0;
    for (size_t i = start; i < end; ++i) {
      if (text[i] < '0' || text[i] > '9')
        return std::nullopt;
      value = value * 10 + static_cast<uint32_t>(text[i] - '0');
    }
    parts[count++] = value;
    if (end == text.size())
      return parts;
    start = end + 1;
  }
}

// '*' any run, '?' one byte. Greedy with one remembered star: O(pattern x text) at worst,
// and both are bounded (rules to 1 KiB, device fields by the caller).
bool glob_matches(const std::string& pattern, const std::string& text) {
  size_t p = 0, t = 0, star = std::string::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

// A cursor over a rule's text that reports errors by column.
class RuleParser {
 public:
  explicit RuleParser(const std::string& text) : m_text(text) {}

  Rule parse() {
    if (m_text.size() > max_rule_length)
      fail("is longer than " + std::to_string(max_rule_length) + " characters", 0);
    Rule rule;
    skip_spaces();
    rule.field = field();
    skip_spaces();
    rule.op = op();
    skip_spaces();
    if (rule.op == Rule::Op::in)
      rule.values = list();
    else
      rule.values = {value()};
    check_values(rule);
    rule.text = normalised(rule);
    rule.device_field = device_member(rule.field);
    rule.by_version = is_version_field(rule.field) && rule.op != Rule::Op::glob &&
                      rule.op != Rule::Op::not_glob && rule.op != Rule::Op::in;
    if (rule.by_version)
      rule.version = version_numbers(rule.values[0], rule.field);
    return rule;
  }

 private:
  const std::string& m_text;
  size_t m_at = 0;

  [[noreturn]] void fail(const std::string& problem, size_t column) const {
    throw invalid_input(
        "rule '" + m_text + "' " + problem + (column ? " at column " + std::to_string(column) : ""),
        "rule");
  }
  [[noreturn]] void unexpected(const std::string& wanted) const {
    if (m_at >= m_text.size())
      fail("ends early: expected " + wanted, m_at + 1);
    fail("has unexpected '" + std::string(1, m_text[m_at]) + "': expected " + wanted, m_at + 1);
  }

  void skip_spaces() {
    while (m_at < m_text.size() && m_text[m_at] == ' ')
      ++m_at;
  }
  bool at(char c) const { return m_at < m_text.size() && m_text[m_at] == c; }

  std::string field() {
    size_t start = m_at;
    while (m_at < m_text.size() &&
           (std::islower(static_cast<unsigned char>(m_text[m_at])) || m_text[m_at] == '_'))
      ++m_at;
    std::string name = m_text.substr(start, m_at - start);
    if (name.empty())
      unexpected("a field (app_version, os_version, model, region, network)");
    if (std::find(std::begin(field_names), std::end(field_names), name) == std::end(field_names))
      fail("has unknown field '" + name +
               "': expected app_version, os_version, model, region or network",
           start + 1);
    return name;
  }

  Rule::Op op() {
    static const std::pair<const char*, Rule::Op> ops[] = {
        {">=", Rule::Op::greater_equal}, {"<=", Rule::Op::less_equal}, {"!=", Rule::Op::not_equal},
        {"!~", Rule::Op::not_glob},      {"==", Rule::Op::equal},      {"=", Rule::Op::equal},
        {"<", Rule::Op::less},           {">", Rule::Op::greater},     {"~", Rule::Op::glob},
    };
    for (const auto& [spelling, op] : ops) {
      if (m_text.compare(m_at, std::char_traits<char>::length(spelling), spelling) == 0) {
        m_at += std::char_traits<char>::length(spelling);
        return op;
      }
    }
    if (m_text.compare(m_at, 3, "in ") == 0 || m_text.compare(m_at, 3, "in(") == 0) {
      m_at += 2;
      return Rule::Op::in;
    }
    unexpected("an operator (=, !=, <, <=, >, >=, ~, !~ or in)");
  }

  // The rest of the text, trimmed; it must not be empty.
  std::string value() {
    size_t end = m_text.size();
    while (end > m_at && m_text[end - 1] == ' ')
      --end;
    if (end == m_at)
      unexpected("a value");
    std::string text = m_text.substr(m_at, end - m_at);
    m_at = m_text.size();
    return text;
  }

  // "(a, b, c)": one or more values, nothing after the parenthesis.
  std::vector<std::string> list() {
    if (!at('('))
      unexpected("'('");
    ++m_at;
    std::vector<std::string> values;
    while (true) {
      skip_spaces();
      size_t start = m_at;
      while (m_at < m_text.size() && m_text[m_at] != ',' && m_text[m_at] != ')')
        ++m_at;
      size_t end = m_at;
      while (end > start && m_text[end - 1] == ' ')
        --end;
      if (end == start)
        unexpected("a value");
      values.push_back(m_text.substr(start, end - start));
      if (at(')'))
        break;
      if (!at(','))
        unexpected("',' or ')'");
      ++m_at;
    }
    ++m_at;
    skip_spaces();
    if (m_at != m_text.size())
      unexpected("the end of the rule");
    return values;
  }

  void check_values(const Rule& rule) const {
    bool ordering = rule.op == Rule::Op::less || rule.op == Rule::Op::less_equal ||
                    rule.op == Rule::Op::greater || rule.op == Rule::Op::greater_equal;
    if (ordering && !is_version_field(rule.field))
      fail("compares " + rule.field + " by order: only app_version and os_version have one", 0);
    if (!is_version_field(rule.field) || rule.op == Rule::Op::glob || rule.op == Rule::Op::not_glob)
      return;
    for (const auto& value : rule.values) {
      if (!is_version(value))
        fail("has '" + value + "', which is not a version (1 to 4 numbers joined by dots)",
             m_text.find(value) + 1);
    }
  }

  static std::string normalised(const Rule& rule) {
    static const char* spelling[] = {"=", "!=", "<", "<=", ">", ">=", "~", "!~", " in "};
    std::string text = rule.field + spelling[static_cast<int>(rule.op)];
    if (rule.op != Rule::Op::in)
      return text + rule.values[0];
    text += "(";
    for (size_t i = 0; i < rule.values.size(); ++i)
      text += (i ? "," : "") + rule.values[i];
    return text + ")";
  }
};

}  // namespace

std::string state_name(ReleaseState state) {
  switch (state) {
    case ReleaseState::draft:
      return "draft";
    case ReleaseState::gray:
      return "gray";
    case ReleaseState::paused:
      return "paused";
    case ReleaseState::released:
      return "released";
    case ReleaseState::rolled_back:
      return "rolled-back";
  }
  return "draft";
}

ReleaseState parse_state(const std::string& name) {
  for (auto state : {ReleaseState::draft, ReleaseState::gray, ReleaseState::paused,
                     ReleaseState::released, ReleaseState::rolled_back}) {
    if (state_name(state) == name)
      return state;
  }
  throw usage_error(
      "unknown release state '" + name + "': expected draft, gray, paused, released or rolled-back",
      "state");
}

bool is_version(const std::string& text) {
  return version_parts(text).has_value();
}

VersionNumbers version_numbers(const std::string& text, const std::string& field) {
  auto parts = version_parts(text);
  if (!parts)
    throw invalid_input("not a version: '" + text + "' (" + field + ")", field);
  return *parts;
}

int compare_versions(const std::string& a, const std::string& b, const std::string& field) {
  auto left = version_numbers(a, field);
  auto right = version_numbers(b, field);
  return left < right ? -1 : left == right ? 0 : 1;
}

Rule parse_rule(const std::string& text) {
  return RuleParser(text).parse();
}

bool rule_matches(const Rule& rule, const Device& device, std::string& why) {
  const std::string& value = device.*rule.device_field;
  auto failed = [&](const std::string& shown) {
    why = "rule " + rule.text + " failed: " + shown;
    return false;
  };
  if (value.empty())
    return failed("unknown");
  bool matched = false;
  switch (rule.op) {
    case Rule::Op::glob:
    case Rule::Op::not_glob:
      matched = glob_matches(rule.values[0], value) == (rule.op == Rule::Op::glob);
      break;
    case Rule::Op::in:
      matched = std::find(rule.values.begin(), rule.values.end(), value) != rule.values.end();
      break;
    default: {
      int order = 0;
      if (rule.by_version) {
        auto device_version = version_parts(value);
        if (!device_version)
          return failed("'" + value + "' is not a version");
        order = *device_version < rule.version ? -1 : *device_version == rule.version ? 0 : 1;
      } else {
        order = value.compare(rule.values[0]);
      }
      switch (rule.op) {
        case Rule::Op::equal:
          matched = order == 0;
          break;
        case Rule::Op::not_equal:
          matched = order != 0;
          break;
        case Rule::Op::less:
          matched = order < 0;
          break;
        case Rule::Op::less_equal:
          matched = order <= 0;
          break;
        case Rule::Op::greater:
          matched = order > 0;
          break;
        default:
          matched = order >= 0;
          break;
      }
    }
  }
  return matched ? true : failed(value);
}

uint32_t bucket(std::string_view release_id, std::string_view device_id) {
  // SHA-256 of "<release id>:<device id>"; its first 8 bytes as a big-endian number, mod
  // 10000. The bias of the modulo is below 1e-15 per bucket.
  Sha256Digest digest = sha256_of({release_id, ":", device_id});
  uint64_t number = 0;
  for (int i = 0; i < 8; ++i)
    number = (number << 8) | digest[static_cast<size_t>(i)];
  return static_cast<uint32_t>(number % 10000);
}

BasisPoints parse_percent(const std::string& text, const std::string& field) {
  auto refuse = [&]() -> BasisPoints {
    throw usage_error("percent must be a number from 0 to 100 in steps of 0.01, not '" + text +
                          "' (" + field + ")",
                      field);
  };
  size_t dot = text.find('.');
  std::string whole = text.substr(0, dot);
  std::string fraction = dot == std::string::npos ? "" : text.substr(dot + 1);
  if (whole.empty() || whole.size() > 3 || fraction.size() > 2 ||
      (dot != std::string::npos && fraction.empty()))
    return refuse();
  for (char c : whole + fraction) {
    if (c < '0' || c > '9')
      return refuse();
  }
  fraction.resize(2, '0');
  BasisPoints points = static_cast<BasisPoints>(std::stoul(whole) * 100 + std::stoul(fraction));
  return points > 10000 ? refuse() : points;
}

std::string percent_text(BasisPoints points) {
  uint32_t cents = points % 100;
  char text[32];
  int length = cents == 0 ? std::snprintf(text, sizeof text, "%u", points / 100)
                          : std::snprintf(text, sizeof text, "%u.%02u", points / 100, cents);
  if (cents % 10 == 0 && cents != 0)
    --length;  // 12.50 -> 12.5
  return std::string(text, static_cast<size_t>(length));
}

namespace {

// "bucket 812 < 2500" into `out`, built in place without printf, as every release of a
// check gets one.
void write_bucket_reason(std::string& out, uint32_t place, std::string_view relation,
                         BasisPoints percent) {
  char text[48] = "bucket ";
  char* end = text + 7;
  end = std::to_chars(end, text + sizeof text, place).ptr;
  end = std::copy(relation.begin(), relation.end(), end);
  end = std::to_chars(end, text + sizeof text, percent).ptr;
  out.assign(text, end);
}

}  // namespace

Decision decide(const RolloutView& release, const Device& device) {
  Decision decision;
  decide_into(release, device, decision);
  return decision;
}

void decide_into(const RolloutView& release, const Device& device, Decision& out) {
  auto say = [&](bool offered, std::string_view reason) {
    out.offered = offered;
    out.reason.assign(reason);
  };
  switch (release.state) {
    case ReleaseState::draft:
      return say(false, "draft");
    case ReleaseState::paused:
      return say(false, "paused");
    case ReleaseState::rolled_back:
      return say(false, "rolled back");
    default:
      break;
  }
  bool bounded = !release.min_app_version.empty() || !release.max_app_version.empty();
  if (bounded) {
    if (!is_version(device.app_version))
      return say(false, "app_version unknown, release needs a range");
    std::string min(release.min_app_version), max(release.max_app_version);
    if (!min.empty() && compare_versions(device.app_version, min, "app_version") < 0)
      return say(false, "app_version " + device.app_version + " < min " + min);
    if (!max.empty() && compare_versions(device.app_version, max, "app_version") > 0)
      return say(false, "app_version " + device.app_version + " > max " + max);
  }
  if (release.device_whitelisted)
    return say(true, "whitelisted");
  for (const auto& rule : release.rules) {
    if (!rule_matches(rule, device, out.reason)) {
      out.offered = false;
      return;
    }
  }
  // Finished: every device the rules admit, whatever the percentage said.
  if (release.state == ReleaseState::released)
    return say(true, "released");
  uint32_t place = bucket(release.release_id, device.id);
  out.offered = place < release.percent;
  write_bucket_reason(out.reason, place, out.offered ? " < " : " >= ", release.percent);
}

}  // namespace mpaas::platform
