// Rendering a project in memory and writing it with rollback (see project.hpp).
#include "mpaas/scaffold/project.hpp"

#include <algorithm>
#include <set>

#include "mpaas/core/atomic_file.hpp"
#include "mpaas/core/error.hpp"

namespace mpaas::scaffold {
namespace fs = std::filesystem;
namespace {

std::string trim(const std::string& text) {
  auto begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos)
    return "";
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

const Value& value_named(const std::string& name, const Values& values, const std::string& when) {
  const Value* value = find_value(values, name);
  if (!value)
    throw invalid_input("condition '" + when + "' names an unknown variable '" + name +
                        "' (template.yaml)");
  return *value;
}

// Checks a rendered relative path: no absolute path, no '..', '.' or empty segment, so no
// value can place a file outside the project folder.
void check_relative_path(const std::string& path, const std::string& template_path) {
  bool bad = path.empty() || path.front() == '/';
  size_t start = 0;
  while (!bad) {
    size_t slash = path.find('/', start);
    std::string segment = path.substr(start, slash == std::string::npos ? slash : slash - start);
    bad = segment.empty() || segment == "." || segment == "..";
    if (slash == std::string::npos)
      break;
    start = slash + 1;
  }
  if (bad)
    throw usage_error("file name '" + path + "' is empty or leaves the project folder (from " +
                      template_path + ")");
}

bool included(const TemplateFile& file, const Manifest& manifest, const Values& values) {
  for (const auto& rule : manifest.files) {
    if (glob_matches(rule.pattern, file.path) && !condition_holds(rule.when, values))
      return false;
  }
  return true;
}

}  // namespace

bool is_binary(const std::string& bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    auto c = static_cast<unsigned char>(bytes[i]);
    if (c == 0)
      return true;
    int extra = c < 0x80           ? 0
                : (c >> 5) == 0x6  ? 1
                : (c >> 4) == 0xE  ? 2
                : (c >> 3) == 0x1E ? 3
                                   : -1;
    if (extra < 0 || i + extra >= bytes.size())
      return true;
    for (int k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(bytes[i + k]) >> 6) != 0x2)
        return true;
    }
    i += 1 + extra;
  }
  return false;
}

bool condition_holds(const std::string& when, const Values& values) {
  std::string condition = trim(when);
  for (const char* op : {"==", "!="}) {
    auto at = condition.find(op);
    if (at == std::string::npos)
      continue;
    const Value& value = value_named(trim(condition.substr(0, at)), values, when);
    bool equal = value.text == trim(condition.substr(at + 2));
    return std::string(op) == "==" ? equal : !equal;
  }
  bool negate = !condition.empty() && condition[0] == '!';
  const Value& value = value_named(trim(negate ? condition.substr(1) : condition), values, when);
  bool truthy = value.type == VariableType::boolean ? value.text == "true" : !value.text.empty();
  return negate ? !truthy : truthy;
}

std::vector<PlannedFile> plan_project(const TemplateTree& tree, const Manifest& manifest,
                                      const Values& values) {
  std::vector<PlannedFile> plan;
  std::set<std::string> seen;
  for (const auto& file : tree.files) {
    if (file.path == manifest_file_name || !included(file, manifest, values))
      continue;
    PlannedFile planned;
    planned.path = render_text(file.path, values, "file name " + file.path);
    check_relative_path(planned.path, file.path);
    if (!seen.insert(planned.path).second)
      throw usage_error("two template files render to the same name '" + planned.path + "' (" +
                        file.path + ")");
    planned.binary = is_binary(file.bytes);
    planned.bytes = planned.binary ? file.bytes : render_text(file.bytes, values, file.path);
    planned.mode = file.mode;
    plan.push_back(std::move(planned));
  }
  std::sort(plan.begin(), plan.end(),
            [](const PlannedFile& a, const PlannedFile& b) { return a.path < b.path; });
  return plan;
}

void check_target(const fs::path& dir, bool force) {
  if (fs::exists(dir) && !fs::is_directory(dir))
    throw conflict("the target exists and is not a folder (" + dir.string() + ")");
  if (fs::is_directory(dir) && !fs::is_empty(dir) && !force)
    throw conflict("the target folder exists and is not empty; use --force to write into it (" +
                   dir.string() + ")");
}

ProjectWriter::ProjectWriter(fs::path dir, bool force) : m_dir(std::move(dir)) {
  check_target(m_dir, force);
  create_folders(m_dir);
}

ProjectWriter::~ProjectWriter() {
  if (!m_committed)
    rollback();
}

void ProjectWriter::create_folders(const fs::path& folder) {
  std::vector<fs::path> missing;
  for (fs::path at = folder; !at.empty() && !fs::exists(at); at = at.parent_path()) {
    missing.push_back(at);
    if (at == at.parent_path())
      break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    std::error_code error;
    fs::create_directory(*it, error);
    if (error)
      throw failure("cannot create folder: " + error.message() + " (" + it->string() + ")");
    m_created.push_back(*it);
  }
  if (!fs::is_directory(folder))
    throw conflict("a file stands where a folder is needed (" + folder.string() + ")");
}

void ProjectWriter::write(const PlannedFile& file) {
  fs::path destination = m_dir / file.path;
  create_folders(destination.parent_path());
  if (fs::is_directory(destination))
    throw conflict("a folder stands where the template puts a file (" + destination.string() + ")");
  if (fs::exists(fs::symlink_status(destination))) {
    // Only reachable with --force: keep the old file aside until the project is complete.
    fs::path backup = destination;
    backup += ".mpaas-backup";
    fs::rename(destination, backup);
    m_backups.emplace_back(backup, destination);
  }
  AtomicFile output(destination, file.mode, Durability::rename_only);
  output.write(file.bytes);
  output.commit();
  m_created.push_back(destination);
}

void ProjectWriter::track_created(const fs::path& path) {
  m_created.push_back(path);
}

void ProjectWriter::commit() {
  m_committed = true;
  for (const auto& [backup, original] : m_backups) {
    std::error_code ignored;
    fs::remove(backup, ignored);
  }
}

void ProjectWriter::rollback() noexcept {
  for (auto it = m_created.rbegin(); it != m_created.rend(); ++it) {
    std::error_code ignored;
    fs::remove_all(*it, ignored);
  }
  for (const auto& [backup, original] : m_backups) {
    std::error_code ignored;
    fs::rename(backup, original, ignored);
  }
}

}  // namespace mpaas::scaffold
