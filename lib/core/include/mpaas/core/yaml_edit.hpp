// Comment-preserving edits of YAML config text: `config set` and `config unset` change the
// text of one entry and leave every other byte of the file as written (comments, quoting,
// key order, blank lines), instead of re-emitting the whole document.
//
// The edit is located with yaml-cpp's node marks, then made on the text:
//   - an existing entry gets its value replaced after the key's ':' (its quote style and a
//     trailing comment are kept); a value spread over several lines (a nested mapping, a
//     block scalar) becomes one line;
//   - a missing entry is added after the last entry of the deepest existing mapping, at its
//     indentation (block style), or before the '}' of a flow mapping; missing parents are
//     created on the way, and a null parent (`default:` or `default: ~`) becomes a mapping;
//   - unset removes the entry's lines (block) or its text and one comma (flow).
// The result is parsed again and must hold exactly the old settings with only the edited key
// changed; otherwise (a value shared through an alias, a layout these rules do not cover)
// the edit is refused with conflict and the file is left for a hand edit.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace mpaas {

// Returns `text` with the value at `path` (mapping keys from the root) set to the string
// `value`. Throws invalid_input when `text` is not a valid config document (parse_yaml),
// conflict when a node on the path is neither a mapping nor null or when the edit cannot be
// made without touching other settings. `source_name` names the file in messages.
std::string yaml_set(const std::string& text, const std::vector<std::string>& path,
                     const std::string& value, const std::string& source_name);

// Returns `text` without the entry at `path`, or nullopt when there is no such entry.
std::optional<std::string> yaml_unset(const std::string& text, const std::vector<std::string>& path,
                                      const std::string& source_name);

}  // namespace mpaas
