// Comment-preserving edits of YAML config text (see yaml_edit.hpp).
#include "mpaas/core/yaml_edit.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>

#include "mpaas/core/config.hpp"
#include "mpaas/core/error.hpp"

namespace mpaas {
namespace {

constexpr size_t indent_step = 2;
// The verification's flattened copy of a document: bounded like Config's own (each entry
// is charged its bytes plus a fixed overhead), so that an alias-heavy file cannot make it
// large.
constexpr size_t max_check_bytes = 16 << 20;
constexpr size_t check_entry_overhead = 64;

std::string dotted(const std::vector<std::string>& path, size_t count) {
  std::string text;
  for (size_t i = 0; i < count && i < path.size(); ++i)
    text += (i == 0 ? "" : ".") + path[i];
  return text;
}

Error cannot_edit(const std::vector<std::string>& path, const std::string& reason,
                  const std::string& source) {
  return conflict("cannot change '" + dotted(path, path.size()) + "' in place: " + reason +
                      "; edit the file by hand (" + source + ")",
                  source);
}

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

// Line starts of the text, and offsets of yaml-cpp marks (columns are bytes). A UTF-8 byte
// order mark is not part of line 0, as for yaml-cpp, so edits keep it.
class TextLines {
 public:
  explicit TextLines(const std::string& text) : m_text(text) {
    m_starts.push_back(text.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0);
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n')
        m_starts.push_back(i + 1);
    }
  }

  size_t count() const { return m_starts.size(); }
  size_t start(size_t line) const { return m_starts[line]; }
  // The end of the line's content, before "\n" or "\r\n".
  size_t end(size_t line) const {
    size_t end = line + 1 < count() ? m_starts[line + 1] - 1 : m_text.size();
    if (end > m_starts[line] && m_text[end - 1] == '\r')
      --end;
    return end;
  }
  // The start of the following line (the text's end for the last line).
  size_t next(size_t line) const { return line + 1 < count() ? m_starts[line + 1] : m_text.size(); }

  bool valid(const YAML::Mark& mark) const {
    return mark.line >= 0 && mark.column >= 0 && static_cast<size_t>(mark.line) < count() &&
           start(static_cast<size_t>(mark.line)) + static_cast<size_t>(mark.column) <=
               end(static_cast<size_t>(mark.line));
  }
  size_t offset(const YAML::Mark& mark) const {
    return start(static_cast<size_t>(mark.line)) + static_cast<size_t>(mark.column);
  }

  size_t indent(size_t line) const {
    size_t i = start(line);
    while (i < end(line) && m_text[i] == ' ')
      ++i;
    return i - start(line);
  }
  // A line with something other than blanks and a comment.
  bool is_content(size_t line) const {
    for (size_t i = start(line); i < end(line); ++i) {
      if (!is_blank(m_text[i]))
        return m_text[i] != '#';
    }
    return false;
  }
  // "- item" or a lone "-": a block sequence entry.
  bool is_sequence_item(size_t line) const {
    size_t i = start(line) + indent(line);
    return i < end(line) && m_text[i] == '-' && (i + 1 == end(line) || is_blank(m_text[i + 1]));
  }

 private:
  const std::string& m_text;
  std::vector<size_t> m_starts;
};

size_t skip_quoted(const std::string& text, size_t i) {
  char quote = text[i++];
  while (i < text.size()) {
    if (quote == '"' && text[i] == '\\') {
      i += 2;
      continue;
    }
    if (text[i] == quote) {
      if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        i += 2;
        continue;
      }
      return i + 1;
    }
    ++i;
  }
  return text.size();
}

// Where a value written from `from` ends, over quoted strings and nested flow collections,
// without trailing blanks. In block context (`in_flow` false) it ends at a comment or at
// `limit` (the end of its line); inside a flow mapping, at the ',' or closing bracket that
// ends the entry (comments run to their line's end and are skipped). One linear pass.
size_t value_end(const std::string& text, size_t from, size_t limit, bool in_flow) {
  int depth = 0;
  bool token_start = true;
  bool after_blank = true;
  size_t end = from;
  size_t i = from;
  while (i < limit) {
    char c = text[i];
    if (is_blank(c) || c == '\n') {
      token_start = after_blank = true;
      ++i;
      continue;
    }
    if (c == '#' && after_blank) {
      if (!in_flow)
        break;
      while (i < limit && text[i] != '\n')
        ++i;
      continue;
    }
    if ((c == '"' || c == '\'') && token_start) {
      i = std::min(skip_quoted(text, i), limit);
      end = i;
      token_start = after_blank = false;
      continue;
    }
    if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      if (depth == 0 && in_flow)
        break;
      if (depth > 0)
        --depth;
    } else if (c == ',' && depth == 0 && in_flow) {
      break;
    }
    token_start = c == '[' || c == '{' || c == ',' || c == ':';
    after_blank = false;
    end = ++i;
  }
  return end;
}

// The position of the bracket closing the flow collection opened at `open`.
std::optional<size_t> matching_close(const std::string& text, size_t open) {
  int depth = 0;
  bool token_start = true;
  bool after_blank = true;
  for (size_t i = open; i < text.size();) {
    char c = text[i];
    if (is_blank(c) || c == '\n') {
      token_start = after_blank = true;
      ++i;
      continue;
    }
    if (c == '#' && after_blank) {
      while (i < text.size() && text[i] != '\n')
        ++i;
      continue;
    }
    if ((c == '"' || c == '\'') && token_start) {
      i = skip_quoted(text, i);
      token_start = after_blank = false;
      continue;
    }
    if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      if (--depth == 0)
        return i;
    }
    token_start = c == '[' || c == '{' || c == ',' || c == ':';
    after_blank = false;
    ++i;
  }
  return std::nullopt;
}

enum class Quote { plain, single, double_quoted };

Quote quote_at(const std::string& text, size_t from, size_t end) {
  while (from < end && is_blank(text[from]))
    ++from;
  if (from < end && text[from] == '"')
    return Quote::double_quoted;
  if (from < end && text[from] == '\'')
    return Quote::single;
  return Quote::plain;
}

bool printable(const std::string& value) {
  return std::none_of(value.begin(), value.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
  });
}

// One scalar as YAML text on one line that reads back as exactly `value`: plain when
// yaml-cpp's emitter finds that safe (and, in a flow collection, free of flow indicators),
// else double-quoted with escapes; `preferred` keeps the style the old value was written in.
std::string render_scalar(const std::string& value, bool in_flow, Quote preferred) {
  if (preferred == Quote::single && printable(value)) {
    std::string quoted = "'";
    for (char c : value)
      quoted += c == '\'' ? std::string("''") : std::string(1, c);
    return quoted + "'";
  }
  YAML::Emitter plain;
  plain << value;
  std::string text = plain.good() ? plain.c_str() : "";
  bool plain_ok = plain.good() && text == value && !value.empty() &&
                  text.find('\n') == std::string::npos &&
                  (!in_flow || text.find_first_of(",[]{}#") == std::string::npos);
  if (plain_ok && preferred == Quote::plain)
    return text;
  YAML::Emitter quoted;
  quoted << YAML::DoubleQuoted << value;
  if (!quoted.good())
    throw usage_error("the value cannot be written as YAML text (value)", "value");
  return quoted.c_str();
}

std::string render_key(const std::string& name, bool in_flow) {
  return render_scalar(name, in_flow, Quote::plain);
}

// "a:\n  b: value\n" for path[from..], starting at `indent`.
std::string nested_block(const std::vector<std::string>& path, size_t from,
                         const std::string& value, size_t indent, const std::string& newline) {
  std::string block;
  for (size_t i = from; i < path.size(); ++i) {
    block += std::string(indent + (i - from) * indent_step, ' ') + render_key(path[i], false) + ":";
    if (i + 1 == path.size()) {
      block += ' ';
      block += render_scalar(value, false, Quote::plain);
    }
    block += newline;
  }
  return block;
}

// "a: {b: value}" for path[from..].
std::string nested_flow(const std::vector<std::string>& path, size_t from,
                        const std::string& value) {
  std::string entry = render_scalar(value, true, Quote::plain);
  for (size_t i = path.size(); i-- > from;) {
    entry = render_key(path[i], true) + ": " + entry;
    if (i > from)
      entry = "{" + entry + "}";
  }
  return entry;
}

// A found entry: its key and value nodes, and whether its mapping is in flow style.
struct Entry {
  YAML::Node key;
  YAML::Node value;
  bool in_flow = false;
};

std::optional<Entry> find_entry(const YAML::Node& map, const std::string& name) {
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == name)
      return Entry{it->first, it->second, map.Style() == YAML::EmitterStyle::Flow};
  }
  return std::nullopt;
}

// The walk down `path`: the entries found, in order, and the node where it stopped.
struct Walk {
  std::vector<Entry> entries;
  YAML::Node stop;  // the value of the last entry found (the root when none was)
};

Walk walk(const YAML::Node& root, const std::vector<std::string>& path) {
  Walk result{{}, root};
  for (const auto& name : path) {
    if (!result.stop.IsMap())
      break;
    auto entry = find_entry(result.stop, name);
    if (!entry)
      break;
    result.stop.reset(entry->value);  // rebind: operator= would write into the tree
    result.entries.push_back(*entry);
  }
  return result;
}

// The editor of one document's text.
class Editor {
 public:
  Editor(const std::string& text, const std::vector<std::string>& path, const std::string& source)
      : m_text(text),
        m_lines(text),
        m_path(path),
        m_source(source),
        m_newline(text.find("\r\n") != std::string::npos ? "\r\n" : "\n") {}

  // The ':' after an entry's key.
  size_t colon_of(const Entry& entry) const {
    const auto& mark = entry.key.Mark();
    if (!m_lines.valid(mark))
      throw fail("the key's position is unknown");
    size_t i = m_lines.offset(mark);
    if (i < m_text.size() && (m_text[i] == '"' || m_text[i] == '\'')) {
      i = skip_quoted(m_text, i);
    } else {
      while (
          i < m_text.size() && m_text[i] != '\n' &&
          !(m_text[i] == ':' &&
            (i + 1 == m_text.size() || is_blank(m_text[i + 1]) || m_text[i + 1] == '\n' ||
             (entry.in_flow && std::string(",[]{}").find(m_text[i + 1]) != std::string::npos)))) {
        ++i;
      }
    }
    while (i < m_text.size() && is_blank(m_text[i]))
      ++i;
    if (i >= m_text.size() || m_text[i] != ':')
      throw fail("its key is not written as 'key: value'");
    return i;
  }

  // The line of a block entry's key, checked to start that line.
  size_t key_line_of(const Entry& entry) const {
    const auto& mark = entry.key.Mark();
    if (!m_lines.valid(mark))
      throw fail("the key's position is unknown");
    auto line = static_cast<size_t>(mark.line);
    if (m_lines.indent(line) != static_cast<size_t>(mark.column))
      throw fail("its key does not start a line");
    return line;
  }

  // The last line of a block entry: the lines after the key's that are indented deeper (or
  // are sequence items at the key's indentation), up to the last such content line, so that
  // comments and blank lines after the entry stay where they are.
  size_t last_line_of(size_t key_line, size_t column) const {
    size_t last = key_line;
    for (size_t line = key_line + 1; line < m_lines.count(); ++line) {
      if (!m_lines.is_content(line))
        continue;
      size_t indent = m_lines.indent(line);
      if (indent < column || (indent == column && !m_lines.is_sequence_item(line)))
        break;
      last = line;
    }
    return last;
  }

  // Replaces the value of an existing entry with `rendered` (one line).
  std::string replace_value(const Entry& entry, const std::string& rendered) const {
    size_t from = colon_of(entry) + 1;
    if (entry.in_flow) {
      size_t end = value_end(m_text, from, m_text.size(), true);
      return m_text.substr(0, from) + " " + rendered + m_text.substr(end);
    }
    size_t key_line = key_line_of(entry);
    size_t line_end = m_lines.end(key_line);
    size_t inline_end = value_end(m_text, from, line_end, false);
    size_t last_line = last_line_of(key_line, static_cast<size_t>(entry.key.Mark().column));
    std::string tail = m_text.substr(inline_end, line_end - inline_end);  // "  # comment"
    return m_text.substr(0, from) + " " + rendered + tail + m_text.substr(m_lines.end(last_line));
  }

  std::string set_existing(const Entry& entry, const std::string& value) const {
    Quote quote = Quote::plain;
    if (entry.value.IsScalar()) {
      size_t from = colon_of(entry) + 1;
      size_t limit = entry.in_flow ? m_text.size() : m_lines.end(key_line_of(entry));
      quote = quote_at(m_text, from, value_end(m_text, from, limit, entry.in_flow));
    }
    return replace_value(entry, render_scalar(value, entry.in_flow, quote));
  }

  // Adds path[from..] to the non-empty mapping `map`.
  std::string insert_into(const YAML::Node& map, size_t from, const std::string& value,
                          bool is_root) const {
    if (map.Style() == YAML::EmitterStyle::Flow)
      return insert_into_flow(map, from, value);
    if (map.size() == 0) {
      if (!is_root)
        throw fail("an empty mapping is in the way");
      std::string separator = m_text.empty() || m_text.back() == '\n' ? "" : m_newline;
      return m_text + separator + nested_block(m_path, from, value, 0, m_newline);
    }
    std::optional<Entry> last;
    for (auto it = map.begin(); it != map.end(); ++it)
      last.emplace(Entry{it->first, it->second, false});  // not operator=: see walk()
    size_t key_line = key_line_of(*last);
    size_t column = static_cast<size_t>(last->key.Mark().column);
    size_t after = m_lines.next(last_line_of(key_line, column));
    std::string separator =
        after == m_text.size() && !m_text.empty() && m_text.back() != '\n' ? m_newline : "";
    return m_text.substr(0, after) + separator +
           nested_block(m_path, from, value, column, m_newline) + m_text.substr(after);
  }

  std::string insert_into_flow(const YAML::Node& map, size_t from, const std::string& value) const {
    if (!m_lines.valid(map.Mark()))
      throw fail("the mapping's position is unknown");
    size_t open = m_lines.offset(map.Mark());
    while (open < m_text.size() && m_text[open] != '{' && m_text[open] != '\n')
      ++open;
    auto close =
        open < m_text.size() && m_text[open] == '{' ? matching_close(m_text, open) : std::nullopt;
    if (!close)
      throw fail("its flow mapping could not be located");
    size_t before = *close;
    while (before > open + 1 && (is_blank(m_text[before - 1]) || m_text[before - 1] == '\n'))
      --before;
    std::string entry = nested_flow(m_path, from, value);
    if (before > open + 1)
      entry = (m_text[before - 1] == ',' ? " " : ", ") + entry;
    return m_text.substr(0, before) + entry + m_text.substr(before);
  }

  // Turns the null value of `entry` into a mapping holding path[from..].
  std::string fill_null(const Entry& entry, size_t from, const std::string& value) const {
    if (entry.in_flow) {
      std::string flow = "{";
      flow += nested_flow(m_path, from, value);
      flow += '}';
      return replace_value(entry, flow);
    }
    size_t key_line = key_line_of(entry);
    size_t line_from = colon_of(entry) + 1;
    size_t line_end = m_lines.end(key_line);
    size_t inline_end = value_end(m_text, line_from, line_end, false);
    std::string tail = m_text.substr(inline_end, line_end - inline_end);
    size_t next = m_lines.next(key_line);
    std::string line_break = m_text.substr(line_end, next - line_end);
    if (line_break.empty())
      line_break = m_newline;
    size_t column = static_cast<size_t>(entry.key.Mark().column);
    return m_text.substr(0, line_from) + tail + line_break +
           nested_block(m_path, from, value, column + indent_step, m_newline) + m_text.substr(next);
  }

  std::string remove(const Entry& entry) const {
    if (!entry.in_flow) {
      size_t key_line = key_line_of(entry);
      size_t last = last_line_of(key_line, static_cast<size_t>(entry.key.Mark().column));
      return m_text.substr(0, m_lines.start(key_line)) + m_text.substr(m_lines.next(last));
    }
    size_t begin = m_lines.offset(entry.key.Mark());
    size_t end = value_end(m_text, colon_of(entry) + 1, m_text.size(), true);
    size_t after = end;
    while (after < m_text.size() && (is_blank(m_text[after]) || m_text[after] == '\n'))
      ++after;
    if (after < m_text.size() && m_text[after] == ',') {
      ++after;
      while (after < m_text.size() && is_blank(m_text[after]))
        ++after;
      return m_text.substr(0, begin) + m_text.substr(after);
    }
    size_t before = begin;
    while (before > 0 && (is_blank(m_text[before - 1]) || m_text[before - 1] == '\n'))
      --before;
    if (before > 0 && m_text[before - 1] == ',')
      begin = before - 1;
    return m_text.substr(0, begin) + m_text.substr(end);
  }

  Error fail(const std::string& reason) const { return cannot_edit(m_path, reason, m_source); }

 private:
  const std::string& m_text;
  TextLines m_lines;
  const std::vector<std::string>& m_path;
  const std::string& m_source;
  std::string m_newline;
};

// Every leaf under nested mappings, keyed by its path of keys: the check that an edit
// changed nothing but its own entry.
using Leaves = std::map<std::vector<std::string>, std::string>;

std::string flow_text(const YAML::Node& node) {
  YAML::Emitter emitter;
  emitter << YAML::Flow << node;
  return emitter.c_str();
}

// `mark` then `text`, appended rather than "literal" + temporary, where GCC 12 at -O3 warns
// falsely inside libstdc++.
std::string marked(char mark, const std::string& text) {
  std::string out(1, mark);
  out += text;
  return out;
}

void collect_leaves(const YAML::Node& node, std::vector<std::string>& path, Leaves& leaves,
                    size_t& budget, const std::string& source) {
  if (node.IsMap() && node.size() > 0) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      path.push_back(it->first.IsScalar() ? marked('=', it->first.Scalar())
                                          : marked('?', flow_text(it->first)));
      collect_leaves(it->second, path, leaves, budget, source);
      path.pop_back();
    }
    return;
  }
  std::string leaf = node.IsMap()      ? "{}"
                     : node.IsNull()   ? "~"
                     : node.IsScalar() ? marked('=', node.Scalar())
                                       : marked('[', flow_text(node));
  size_t cost = leaf.size() + check_entry_overhead;
  for (const auto& key : path)
    cost += key.size();
  if (cost > budget)
    throw invalid_input("the YAML expands beyond " + std::to_string(max_check_bytes >> 20) +
                            " MiB of settings through its aliases (" + source + ")",
                        source);
  budget -= cost;
  leaves[path] = std::move(leaf);
}

Leaves leaves_of(const YAML::Node& root, const std::string& source) {
  Leaves leaves;
  std::vector<std::string> path;
  size_t budget = max_check_bytes;
  collect_leaves(root, path, leaves, budget, source);
  return leaves;
}

// Parses the edited text and checks it holds the old settings with only `path` changed: set
// to `value`, or gone when `value` is nullopt. A parent of `path` may turn from null into a
// mapping (set) or from a mapping into null (unset).
void verify(const YAML::Node& old_root, const std::string& edited,
            const std::vector<std::string>& path, const std::optional<std::string>& value,
            const std::string& source) {
  YAML::Node new_root;
  try {
    new_root = parse_yaml(edited, source);
  } catch (const Error&) {
    throw cannot_edit(path, "the edited text would not parse", source);
  }
  std::vector<std::string> target;
  for (const auto& name : path)
    target.push_back("=" + name);
  auto starts_with = [](const std::vector<std::string>& longer,
                        const std::vector<std::string>& prefix) {
    return longer.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), longer.begin());
  };
  auto unrelated = [&](Leaves leaves) {
    std::erase_if(leaves, [&](const auto& leaf) {
      bool inside = starts_with(leaf.first, target);
      bool empty_parent =
          starts_with(target, leaf.first) && (leaf.second == "~" || leaf.second == "{}");
      return inside || empty_parent;
    });
    return leaves;
  };
  if (unrelated(leaves_of(old_root, source)) != unrelated(leaves_of(new_root, source))) {
    throw cannot_edit(path,
                      "the edit would change other settings too (is the value shared through a "
                      "YAML alias?)",
                      source);
  }
  Walk found = walk(new_root, path);
  bool present = found.entries.size() == path.size();
  bool as_expected =
      value ? present && found.stop.IsScalar() && found.stop.Scalar() == *value : !present;
  if (!as_expected)
    throw cannot_edit(path, "the edited text would not read back as intended", source);
}

}  // namespace

std::string yaml_set(const std::string& text, const std::vector<std::string>& path,
                     const std::string& value, const std::string& source_name) {
  YAML::Node root = parse_yaml(text, source_name);
  Editor editor(text, path, source_name);
  Walk found = walk(root, path);
  size_t depth = found.entries.size();
  std::string edited;
  if (depth == path.size()) {
    edited = editor.set_existing(found.entries.back(), value);
  } else if (found.stop.IsMap()) {
    edited = editor.insert_into(found.stop, depth, value, depth == 0);
  } else if (found.stop.IsNull() && depth > 0) {
    edited = editor.fill_null(found.entries.back(), depth, value);
  } else {
    throw conflict("cannot set '" + dotted(path, path.size()) + "': '" + dotted(path, depth) +
                       "' is not a mapping (" + source_name + ")",
                   source_name);
  }
  verify(root, edited, path, value, source_name);
  return edited;
}

std::optional<std::string> yaml_unset(const std::string& text, const std::vector<std::string>& path,
                                      const std::string& source_name) {
  YAML::Node root = parse_yaml(text, source_name);
  Walk found = walk(root, path);
  if (path.empty() || found.entries.size() != path.size())
    return std::nullopt;
  Editor editor(text, path, source_name);
  std::string edited = editor.remove(found.entries.back());
  verify(root, edited, path, std::nullopt, source_name);
  return edited;
}

}  // namespace mpaas
