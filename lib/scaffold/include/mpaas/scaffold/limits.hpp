// The bounds `mpaas new` puts on what users and templates give it, so that no input can
// make it use unbounded time, memory or stack. Each is far above what a real project needs;
// going over one is a one-line error naming the input (docs/security-scaffold.md).
#pragma once

#include <cstddef>

namespace mpaas::scaffold {

// --author "Name <email>".
inline constexpr size_t max_author_length = 512;
// A variable's name (template.yaml, --set).
inline constexpr size_t max_variable_name_length = 100;
// A variable's value (--set, an answer, or a rendered default).
inline constexpr size_t max_value_length = 4096;
// A template's validate pattern (RE2 syntax).
inline constexpr size_t max_validate_pattern_length = 1024;
// A line of a file holding Mustache tags (files without tags are copied as they are).
inline constexpr size_t max_template_line_length = 64 * 1024;
// A whole file holding Mustache tags: the engine keeps a node per tag, word and blank.
inline constexpr size_t max_template_text_size = 1024 * 1024;
// Sections nested in sections ({{#a}}{{#b}}...): the engine recurses once per level.
inline constexpr size_t max_section_depth = 32;
// What rendering one file may produce (a short template can repeat a long value).
inline constexpr size_t max_rendered_size = 16 * 1024 * 1024;
// The whole rendered project, held in memory until it is written.
inline constexpr size_t max_project_size = 1024 * 1024 * 1024;
// A rendered file name: its length and its number of folders.
inline constexpr size_t max_path_length = 1024;
inline constexpr size_t max_path_depth = 64;
// template.yaml is read by core's parse_yaml: 1 MiB, 64 levels, bounded alias expansion.

}  // namespace mpaas::scaffold
