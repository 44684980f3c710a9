// Turns a template tree and resolved values into a new project: plan_project renders every
// file in memory first (conditions, names, contents), so every error a template or a value
// can cause happens before the disk is touched; ProjectWriter then writes the plan into the
// target folder and, unless committed, removes on destruction everything it created and
// puts back any file it replaced (--force), so a failure halfway leaves the disk as it was.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

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

std::vector<PlannedFile> plan_project(const TemplateTree& tree, const Manifest& manifest,
                                      const Values& values);

// Refuses (conflict, exit 6) a target that is a file, or a non-empty folder without force.
void check_target(const std::filesystem::path& dir, bool force);

class ProjectWriter {
 public:
  // Checks the target (check_target) and creates it.
  ProjectWriter(std::filesystem::path dir, bool force);
  ~ProjectWriter();
  ProjectWriter(const ProjectWriter&) = delete;
  ProjectWriter& operator=(const ProjectWriter&) = delete;

  void write(const PlannedFile& file);
  // Marks `path` (inside the project, e.g. its .git) as created here, for the rollback.
  void track_created(const std::filesystem::path& path);
  // Keeps what was written; backups of replaced files are deleted.
  void commit();

  const std::filesystem::path& dir() const { return m_dir; }

 private:
  void create_folders(const std::filesystem::path& folder);
  void rollback() noexcept;

  std::filesystem::path m_dir;
  bool m_committed = false;
  std::vector<std::filesystem::path> m_created;  // files and folders, in creation order
  std::vector<std::pair<std::filesystem::path, std::filesystem::path>>
      m_backups;  // backup, original
};

}  // namespace mpaas::scaffold
