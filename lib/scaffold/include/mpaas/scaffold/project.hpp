// Turns a template tree and resolved values into a new project: plan_project renders every
// file in memory first (conditions, names, contents), so every error a template or a value
// can cause happens before the disk is touched. ProjectWriter then builds the project in a
// staging folder of its own and moves it into place only when it is complete, so a failure
// or a stop request (Ctrl-C, SIGTERM, SIGHUP) leaves the target as it was:
//   - a target that does not exist yet is built beside it (".NAME.mpaas-new-XXXXXXXXXX") and
//     renamed into place in one step;
//   - an existing folder (empty, or with --force) is built in ".mpaas-new-XXXXXXXXXX" inside
//     it, then each new entry is renamed into place; a file it replaces is first moved into
//     a fresh ".mpaas-backup-XXXXXXXXXX" folder, so a backup never takes a user's file name,
//     and put back if anything fails.
// The staging folder (and any parent folder created for the target) is registered with
// InterruptCleanup, so even a forced stop removes it. Nothing is ever written through a
// symlink: a symlink in the target where the template needs a folder is refused, and one
// where it puts a file is replaced, not followed.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "mpaas/core/interrupt.hpp"
#include "mpaas/scaffold/render.hpp"
#include "mpaas/scaffold/tree.hpp"

namespace mpaas::scaffold {

struct PlannedFile {
  std::string path;  // relative, '/' separated, rendered
  std::string bytes;
  unsigned mode = 0644;
  bool binary = false;  // copied byte for byte, not rendered
};

// True for bytes that are not text: a NUL byte or invalid UTF-8.
bool is_binary(const std::string& bytes);

// Evaluates a files[].when condition; throws invalid_input for an unknown variable.
bool condition_holds(const std::string& when, const Values& values);

// Renders every included file. Refuses (invalid_input, exit 3, naming the template file) a
// template file or rendered name with a .git segment (is_git_folder_name), a control
// character, or more than max_path_length characters or max_path_depth folders; a rendered
// name that is empty or leaves the folder ('..', '/...') is a usage error (exit 2). Checks
// the stop request once per file.
std::vector<PlannedFile> plan_project(const TemplateTree& tree, const Manifest& manifest,
                                      const Values& values);

// Refuses (conflict, exit 6) a target that is a file, or a non-empty folder without force.
void check_target(const std::filesystem::path& dir, bool force);

// True for a path segment git would read as its own folder: ".git" in any case, and the
// names macOS and Windows file systems treat as ".git" (git's own verify_path rules).
bool is_git_folder_name(const std::string& segment);

class ProjectWriter {
 public:
  // Checks the target (check_target) and creates the staging folder, and the target's
  // missing parent folders when it does not exist yet.
  ProjectWriter(std::filesystem::path dir, bool force);
  // Without commit(): removes the staging folder and the parent folders it created.
  ~ProjectWriter();
  ProjectWriter(const ProjectWriter&) = delete;
  ProjectWriter& operator=(const ProjectWriter&) = delete;

  // Writes one file into the staging folder. Throws interrupted() on a stop request and
  // conflict when the target has a folder where the file goes, or a file or symlink where
  // one of its folders goes.
  void write(const PlannedFile& file);
  // Moves the staged project into place (see above); throws, with the target restored, if
  // it cannot.
  void commit();

  // The folder being built, which becomes the project (its git repository is made there).
  const std::filesystem::path& staging() const { return m_staging; }
  const std::filesystem::path& dir() const { return m_dir; }

 private:
  void create_missing_parents();
  void move_into_existing();
  void merge(int from, int into, const std::string& relative);
  void set_aside(int folder, const std::string& name, const std::string& relative);
  void undo_moves() noexcept;
  void remove_staging() noexcept;

  std::filesystem::path m_dir;
  bool m_force;
  bool m_into_existing = false;  // the target existed: staging inside it, entries moved one by one
  bool m_committed = false;
  std::filesystem::path m_staging;
  std::unique_ptr<InterruptCleanup> m_staging_cleanup;
  std::filesystem::path m_created_parent;  // the topmost folder created above the target
  std::unique_ptr<InterruptCleanup> m_parent_cleanup;
  std::filesystem::path m_backup;        // replaced files, until the project is in place
  std::vector<std::string> m_moved;      // entries moved into the target, relative
  std::vector<std::string> m_set_aside;  // entries moved into m_backup, relative
};

}  // namespace mpaas::scaffold
