// Template trees from the embedded built-ins and from folders (see tree.hpp).
#include "mpaas/scaffold/tree.hpp"

#include <sys/stat.h>
#include <algorithm>
#include <map>

#include "mpaas/core/atomic_file.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/scaffold/embedded.hpp"

namespace mpaas::scaffold {
namespace fs = std::filesystem;
namespace {

// The built-in trees, keyed by their top folder under templates/.
std::map<std::string, TemplateTree> embedded_trees() {
  std::map<std::string, TemplateTree> trees;
  for (const auto& file : embedded_files()) {
    std::string path = file.path;
    auto slash = path.find('/');
    if (slash == std::string::npos)
      continue;
    auto& tree = trees[path.substr(0, slash)];
    tree.source = "built-in " + path.substr(0, slash);
    tree.files.push_back({path.substr(slash + 1),
                          std::string(reinterpret_cast<const char*>(file.data), file.size),
                          file.mode & 0777});
  }
  return trees;
}

std::string builtin_list() {
  std::string names;
  for (const auto& builtin : builtin_templates())
    names += (names.empty() ? "" : ", ") + builtin.name;
  return names;
}

}  // namespace

std::vector<BuiltinTemplate> builtin_templates() {
  std::vector<BuiltinTemplate> list;
  for (const auto& [name, tree] : embedded_trees()) {
    Manifest manifest = manifest_of(tree);
    list.push_back({name, manifest.description, manifest});
  }
  return list;
}

bool is_builtin_template(const std::string& name) {
  return embedded_trees().count(name) > 0;
}

TemplateTree builtin_template(const std::string& name) {
  auto trees = embedded_trees();
  auto found = trees.find(name);
  if (found == trees.end())
    throw not_found("no template '" + name + "': not a folder, a git URL or a built-in (" +
                    builtin_list() + ") (TEMPLATE)");
  return found->second;
}

TemplateTree folder_template(const fs::path& folder, const std::string& source) {
  if (!fs::is_directory(folder))
    throw not_found("no such template folder (" + source + ")");
  TemplateTree tree{source, {}};
  for (auto it = fs::recursive_directory_iterator(folder); it != fs::recursive_directory_iterator();
       ++it) {
    if (it->path().filename() == ".git") {
      it.disable_recursion_pending();
      continue;
    }
    std::string relative = fs::relative(it->path(), folder).generic_string();
    if (it->is_symlink())
      throw invalid_input("templates may not hold symlinks (" + relative + " in " + source + ")");
    if (it->is_directory())
      continue;
    if (!it->is_regular_file())
      throw invalid_input("not a regular file (" + relative + " in " + source + ")");
    struct stat info {};
    ::stat(it->path().c_str(), &info);
    tree.files.push_back({relative, read_file(it->path()), info.st_mode & 0777});
  }
  std::sort(tree.files.begin(), tree.files.end(),
            [](const TemplateFile& a, const TemplateFile& b) { return a.path < b.path; });
  return tree;
}

bool is_git_url(const std::string& text) {
  for (const char* scheme : {"https://", "http://", "ssh://", "file://", "git://"}) {
    if (text.rfind(scheme, 0) == 0)
      return true;
  }
  auto at = text.find('@');
  auto colon = text.find(':');
  return at != std::string::npos && colon != std::string::npos && at < colon &&
         text.find('/') > colon;
}

Manifest manifest_of(const TemplateTree& tree) {
  for (const auto& file : tree.files) {
    if (file.path == manifest_file_name)
      return parse_manifest(file.bytes, tree.source + "/" + manifest_file_name);
  }
  throw invalid_input("not a template: it has no " + std::string(manifest_file_name) + " (" +
                      tree.source + ")");
}

}  // namespace mpaas::scaffold
