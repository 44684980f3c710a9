// Where templates come from: the built-ins embedded in the binary, a local folder, and
// (git.hpp) a git URL. Each is loaded into memory as a TemplateTree: every file's relative
// path, bytes and permission bits, template.yaml included. Loading never runs anything and
// refuses symlinks, so a template cannot make mpaas read outside its own tree.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "mpaas/scaffold/manifest.hpp"

namespace mpaas::scaffold {

struct TemplateFile {
  std::string path;  // relative, '/' separated
  std::string bytes;
  unsigned mode = 0644;
};

struct TemplateTree {
  std::string source;  // "built-in h5", a folder, or a URL: for messages
  std::vector<TemplateFile> files;
};

struct BuiltinTemplate {
  std::string name;
  std::string description;
  Manifest manifest;
};

std::vector<BuiltinTemplate> builtin_templates();
bool is_builtin_template(const std::string& name);
// Throws not_found naming the built-ins when `name` is not one.
TemplateTree builtin_template(const std::string& name);

// Loads every file under `folder` (its .git excepted); throws not_found or invalid_input.
TemplateTree folder_template(const std::filesystem::path& folder, const std::string& source);

// https://, http://, ssh://, file://, git@host:path.
bool is_git_url(const std::string& text);

// The parsed template.yaml of `tree`; invalid_input when it has none.
Manifest manifest_of(const TemplateTree& tree);

}  // namespace mpaas::scaffold
