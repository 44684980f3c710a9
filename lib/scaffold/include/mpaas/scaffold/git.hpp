// git through libgit2: the new project's repository with its single first commit, and
// templates fetched from a git URL (https, ssh, file://) at a branch, tag or commit. A
// clone goes into a temporary folder that is removed afterwards; only the files of the
// checkout are loaded (never its .git), and nothing from the clone is run: libgit2 runs no
// hooks and no filter programs.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "mpaas/scaffold/tree.hpp"

namespace mpaas::scaffold {

struct Author {
  std::string name;
  std::string email;
};

// "Jane Doe <jane@example.com>"; throws usage_error naming --author otherwise.
Author parse_author(const std::string& text);

// The commit author: `given` (--author) when not empty, else GIT_AUTHOR_NAME and
// GIT_AUTHOR_EMAIL from `environment`, else user.name and user.email from git config;
// throws usage_error explaining how to set one when none is found.
Author resolve_author(const std::string& given,
                      const std::map<std::string, std::string>& environment);

// Initialises a repository in `dir` and commits exactly `files` (relative paths) as its
// first commit; returns the commit id (hex).
std::string commit_new_repository(const std::filesystem::path& dir,
                                  const std::vector<std::string>& files, const Author& author,
                                  const std::string& message);

// Clones `url` into a temp folder, checks out `ref` (branch, tag or commit; empty: the
// default branch), loads `subdir` (empty: the root) and removes the clone.
TemplateTree git_template(const std::string& url, const std::string& ref,
                          const std::string& subdir);

}  // namespace mpaas::scaffold
