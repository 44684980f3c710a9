// Rendering a project in memory and writing it through a staging folder (see project.hpp).
#include "mpaas/scaffold/project.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <random>
#include <set>

#include "mpaas/core/error.hpp"
#include "mpaas/core/unique_fd.hpp"
#include "mpaas/scaffold/limits.hpp"

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

std::vector<std::string> segments_of(const std::string& path) {
  std::vector<std::string> segments;
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    segments.push_back(path.substr(start, slash == std::string::npos ? slash : slash - start));
    if (slash == std::string::npos)
      return segments;
    start = slash + 1;
  }
}

// Refuses a path that would let the template reach git's own folder, or that no file
// system would take (control characters: a NUL would also cut the name short). Applied to
// the template's own file names and to every rendered one.
void check_safe_path(const std::string& path, const std::string& template_path) {
  if (path.size() > max_path_length)
    throw invalid_input("file name longer than " + std::to_string(max_path_length) +
                            " characters (from " + template_path + ")",
                        template_path);
  if (std::any_of(path.begin(), path.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    throw invalid_input("file name holds a control character (from " + template_path + ")",
                        template_path);
  auto segments = segments_of(path);
  if (segments.size() > max_path_depth)
    throw invalid_input("file name more than " + std::to_string(max_path_depth) +
                            " folders deep (from " + template_path + ")",
                        template_path);
  // A backslash separates folders for git on Windows, where the project may be checked out.
  std::string forward = path;
  std::replace(forward.begin(), forward.end(), '\\', '/');
  for (const auto& segment : segments_of(forward)) {
    if (is_git_folder_name(segment))
      throw invalid_input("file name '" + path +
                              "' is in a .git folder, where git would take settings and commands "
                              "from the template; templates may not write there (from " +
                              template_path + ")",
                          template_path);
  }
}

// Checks a rendered relative path: no absolute path, no '..', '.' or empty segment, so no
// value can place a file outside the project folder.
void check_relative_path(const std::string& path, const std::string& template_path) {
  bool bad = path.empty() || path.front() == '/';
  for (const auto& segment : segments_of(path))
    bad = bad || segment.empty() || segment == "." || segment == "..";
  if (bad)
    throw usage_error("file name '" + path + "' is empty or leaves the project folder (from " +
                      template_path + ")");
}

std::string lowercase(std::string text) {
  for (char& c : text)
    c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return text;
}

// git also takes a folder holding HEAD, objects/ and refs/ for a bare repository, and runs
// its config (core.fsmonitor...) when a command is run in it: a template may not lay one
// out anywhere in the project, its root included (--no-git leaves no .git in front of it).
// Compared without case, as macOS and Windows file systems do.
void refuse_embedded_repositories(const std::vector<std::pair<std::string, std::string>>& paths) {
  struct Layout {
    bool objects = false;
    bool refs = false;
    std::string head;  // the template file that renders to HEAD
  };
  std::map<std::string, Layout> folders;
  for (const auto& [path, template_path] : paths) {
    auto segments = segments_of(lowercase(path));
    std::string folder;
    for (size_t i = 0; i < segments.size(); ++i) {
      bool last = i + 1 == segments.size();
      if (last && segments[i] == "head")
        folders[folder].head = template_path;
      if (!last && segments[i] == "objects")
        folders[folder].objects = true;
      if (!last && segments[i] == "refs")
        folders[folder].refs = true;
      folder += segments[i] + "/";
    }
  }
  for (const auto& [folder, layout] : folders) {
    if (layout.objects && layout.refs && !layout.head.empty())
      throw invalid_input("the template lays out a git repository (HEAD, objects/, refs/) in '" +
                              (folder.empty() ? std::string("./") : folder) +
                              "', whose settings and commands git would run; templates may "
                              "not (from " +
                              layout.head + ")",
                          layout.head);
  }
}

bool included(const TemplateFile& file, const Manifest& manifest, const Values& values) {
  for (const auto& rule : manifest.files) {
    if (glob_matches(rule.pattern, file.path) && !condition_holds(rule.when, values))
      return false;
  }
  return true;
}

std::string errno_text() {
  return std::strerror(errno);
}

std::string joined(const std::string& relative, const std::string& name) {
  return relative.empty() ? name : relative + "/" + name;
}

// Opens the folder `relative` under `root` without following a symlink at any step; -1
// when one of them is missing, not a folder or a symlink.
int open_folder_at(int root, const std::string& relative) {
  int fd = ::fcntl(root, F_DUPFD_CLOEXEC, 0);
  if (relative.empty() || fd < 0)
    return fd;
  for (const auto& segment : segments_of(relative)) {
    int next = ::openat(fd, segment.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    ::close(fd);
    if (next < 0)
      return -1;
    fd = next;
  }
  return fd;
}

// Like open_folder_at, creating the missing folders.
int make_folder_at(int root, const std::string& relative) {
  int fd = ::fcntl(root, F_DUPFD_CLOEXEC, 0);
  if (relative.empty() || fd < 0)
    return fd;
  for (const auto& segment : segments_of(relative)) {
    if (::mkdirat(fd, segment.c_str(), 0777) != 0 && errno != EEXIST) {
      ::close(fd);
      return -1;
    }
    int next = ::openat(fd, segment.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    ::close(fd);
    if (next < 0)
      return -1;
    fd = next;
  }
  return fd;
}

// Moves `relative` from under `from` to the same place under `into`; false when it cannot.
bool move_back(int from, int into, const std::string& relative) noexcept {
  size_t slash = relative.rfind('/');
  std::string parent = slash == std::string::npos ? "" : relative.substr(0, slash);
  std::string name = slash == std::string::npos ? relative : relative.substr(slash + 1);
  UniqueFd source(open_folder_at(from, parent));
  UniqueFd target(make_folder_at(into, parent));
  return source.get() >= 0 && target.get() >= 0 &&
         ::renameat(source.get(), name.c_str(), target.get(), name.c_str()) == 0;
}

std::vector<std::string> entries_of(int folder) {
  int fd = ::fcntl(folder, F_DUPFD_CLOEXEC, 0);
  DIR* listing = fd < 0 ? nullptr : ::fdopendir(fd);
  if (!listing) {
    if (fd >= 0)
      ::close(fd);
    throw failure("cannot list the staging folder: " + errno_text());
  }
  std::vector<std::string> names;
  while (dirent* entry = ::readdir(listing)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..")
      names.push_back(name);
  }
  ::closedir(listing);
  std::sort(names.begin(), names.end());
  return names;
}

// Without following symlinks: refuses, before anything is written, a planned file whose
// place in the target holds a folder, or whose folders are files or symlinks there.
void check_destination(const fs::path& dir, const std::string& relative) {
  fs::path at = dir;
  auto segments = segments_of(relative);
  for (size_t i = 0; i < segments.size(); ++i) {
    at /= segments[i];
    std::error_code error;
    auto status = fs::symlink_status(at, error);
    if (error || !fs::exists(status))
      return;
    bool last = i + 1 == segments.size();
    if (last && fs::is_directory(status))
      throw conflict("a folder stands where the template puts a file (" + at.string() + ")",
                     at.string());
    if (!last && fs::is_symlink(status))
      throw conflict(
          "a symlink stands where the template puts a folder; mpaas does not write "
          "through symlinks (" +
              at.string() + ")",
          at.string());
    if (!last && !fs::is_directory(status))
      throw conflict("a file stands where the template puts a folder (" + at.string() + ")",
                     at.string());
  }
}

std::string random_suffix() {
  static thread_local std::mt19937_64 random(std::random_device{}());
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string suffix;
  for (int i = 0; i < 10; ++i)
    suffix += alphabet[random() % (sizeof(alphabet) - 1)];
  return suffix;
}

// A new folder `parent/prefix<random>`, registered with `cleanup` (InterruptCleanup) before
// it exists. Unlike core's TempFolder (0700), it is made with the usual mode (0777 less the
// umask): the staging folder of a new target becomes the project folder itself.
fs::path create_registered_folder(const fs::path& parent, const std::string& prefix,
                                  std::unique_ptr<InterruptCleanup>& cleanup) {
  if (!fs::is_directory(parent))
    throw conflict("a file stands where a folder is needed (" + parent.string() + ")",
                   parent.string());
  for (int attempt = 0; attempt < 100; ++attempt) {
    fs::path candidate = parent / (prefix + random_suffix());
    auto guard = std::make_unique<InterruptCleanup>(candidate);
    if (::mkdir(candidate.c_str(), 0777) == 0) {
      cleanup = std::move(guard);
      return candidate;
    }
    if (errno != EEXIST)
      throw failure(
          "cannot create a working folder: " + errno_text() + " (" + candidate.string() + ")",
          candidate.string());
  }
  throw failure("cannot create a working folder (" + parent.string() + ")", parent.string());
}

}  // namespace

bool is_git_folder_name(const std::string& segment) {
  std::string folded;
  size_t size = segment.size();
  for (size_t i = 0; i < size; ++i) {
    auto byte = [&](size_t at) { return static_cast<unsigned char>(segment[at]); };
    // HFS+ ignores these code points in names: U+200C-U+200F, U+202A-U+202E, U+206A-U+206F
    // and U+FEFF, so ".g\u200Cit" is ".git" on macOS.
    if (i + 2 < size && byte(i) == 0xE2 &&
        ((byte(i + 1) == 0x80 && ((byte(i + 2) >= 0x8C && byte(i + 2) <= 0x8F) ||
                                  (byte(i + 2) >= 0xAA && byte(i + 2) <= 0xAE))) ||
         (byte(i + 1) == 0x81 && byte(i + 2) >= 0xAA && byte(i + 2) <= 0xAF))) {
      i += 2;
      continue;
    }
    if (i + 2 < size && byte(i) == 0xEF && byte(i + 1) == 0xBB && byte(i + 2) == 0xBF) {
      i += 2;
      continue;
    }
    // NTFS: a stream suffix (".git::$INDEX_ALLOCATION") names the folder itself.
    if (segment[i] == ':')
      break;
    char c = segment[i];
    folded += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  // NTFS drops trailing dots and spaces; "git~1" is the short (8.3) name of ".git".
  while (!folded.empty() && (folded.back() == '.' || folded.back() == ' '))
    folded.pop_back();
  return folded == ".git" || folded == "git~1";
}

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
  // Every file of the template, whether or not its condition holds now, so that no choice
  // of values can bring a .git name in.
  for (const auto& file : tree.files)
    check_safe_path(file.path, file.path);
  std::vector<PlannedFile> plan;
  std::set<std::string> seen;
  std::vector<std::pair<std::string, std::string>> rendered_from;  // rendered, template path
  size_t total = 0;
  for (const auto& file : tree.files) {
    throw_if_stop_requested();
    if (file.path == manifest_file_name || !included(file, manifest, values))
      continue;
    PlannedFile planned;
    planned.path = render_text(file.path, values, "file name " + file.path);
    check_relative_path(planned.path, file.path);
    check_safe_path(planned.path, file.path);
    if (!seen.insert(planned.path).second)
      throw usage_error("two template files render to the same name '" + planned.path + "' (" +
                        file.path + ")");
    planned.binary = is_binary(file.bytes);
    planned.bytes = planned.binary ? file.bytes : render_text(file.bytes, values, file.path);
    planned.mode = file.mode;
    total += planned.bytes.size();
    if (total > max_project_size)
      throw invalid_input("the rendered project is larger than " +
                              std::to_string(max_project_size >> 20) + " MiB (at " + file.path +
                              ")",
                          file.path);
    rendered_from.emplace_back(planned.path, file.path);
    plan.push_back(std::move(planned));
  }
  refuse_embedded_repositories(rendered_from);
  std::sort(plan.begin(), plan.end(),
            [](const PlannedFile& a, const PlannedFile& b) { return a.path < b.path; });
  return plan;
}

void check_target(const fs::path& dir, bool force) {
  if (fs::exists(dir) && !fs::is_directory(dir))
    throw conflict("the target exists and is not a folder (" + dir.string() + ")", dir.string());
  if (fs::is_directory(dir) && !fs::is_empty(dir) && !force)
    throw conflict("the target folder exists and is not empty; use --force to write into it (" +
                       dir.string() + ")",
                   dir.string());
}

ProjectWriter::ProjectWriter(fs::path dir, bool force) : m_dir(std::move(dir)), m_force(force) {
  if (!m_dir.has_filename())  // "p/"
    m_dir = m_dir.parent_path();
  check_target(m_dir, force);
  m_into_existing = fs::is_directory(m_dir);
  try {
    if (m_into_existing) {
      m_staging = create_registered_folder(m_dir, ".mpaas-new-", m_staging_cleanup);
    } else {
      create_missing_parents();
      // Short enough for any file system's name limit, recognisable by the user.
      std::string name = m_dir.filename().string().substr(0, 100);
      m_staging =
          create_registered_folder(m_dir.has_parent_path() ? m_dir.parent_path() : fs::path("."),
                                   "." + name + ".mpaas-new-", m_staging_cleanup);
    }
  } catch (...) {
    remove_staging();
    throw;
  }
}

ProjectWriter::~ProjectWriter() {
  if (!m_committed)
    remove_staging();
}

void ProjectWriter::create_missing_parents() {
  std::vector<fs::path> missing;
  for (fs::path at = m_dir.parent_path(); !at.empty() && !fs::exists(fs::symlink_status(at));
       at = at.parent_path()) {
    missing.push_back(at);
    if (at == at.parent_path())
      break;
  }
  if (missing.empty())
    return;
  // Registered before it exists, so that a forced stop at any point removes it.
  m_created_parent = missing.back();
  m_parent_cleanup = std::make_unique<InterruptCleanup>(m_created_parent);
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    std::error_code error;
    fs::create_directory(*it, error);
    if (error)
      throw failure("cannot create folder: " + error.message() + " (" + it->string() + ")",
                    it->string());
  }
}

void ProjectWriter::write(const PlannedFile& file) {
  throw_if_stop_requested();
  if (m_into_existing) {
    if (segments_of(file.path).front() == m_staging.filename().string())
      throw conflict("the template puts a file in mpaas's staging folder (" + file.path + ")");
    check_destination(m_dir, file.path);
  }
  fs::path destination = m_staging / file.path;
  std::error_code error;
  fs::create_directories(destination.parent_path(), error);
  if (error)
    throw failure("cannot create folder: " + error.message() + " (" +
                      destination.parent_path().string() + ")",
                  file.path);
  UniqueFd output(
      ::open(destination.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (output.get() < 0)
    throw failure("cannot create file: " + errno_text() + " (" + destination.string() + ")",
                  file.path);
  write_all(output.get(), file.bytes.data(), file.bytes.size(), destination.string());
  if (::fchmod(output.get(), file.mode & 0777) != 0)
    throw failure("cannot set the mode: " + errno_text() + " (" + destination.string() + ")",
                  file.path);
}

void ProjectWriter::commit() {
  throw_if_stop_requested();
  if (m_into_existing) {
    move_into_existing();
  } else {
    // One rename puts the whole project in place; RENAME_NOREPLACE keeps a folder that
    // appeared meanwhile (the plain rename would replace it if empty).
    int renamed =
        ::renameat2(AT_FDCWD, m_staging.c_str(), AT_FDCWD, m_dir.c_str(), RENAME_NOREPLACE);
    if (renamed != 0 && errno == EINVAL)
      renamed = ::rename(m_staging.c_str(), m_dir.c_str());
    if (renamed != 0)
      throw errno == EEXIST || errno == ENOTEMPTY
          ? conflict("the target appeared while the project was built (" + m_dir.string() + ")",
                     m_dir.string())
          : failure(
                "cannot move the project into place: " + errno_text() + " (" + m_dir.string() + ")",
                m_dir.string());
  }
  m_committed = true;
  m_staging_cleanup.reset();
  m_parent_cleanup.reset();
  if (m_into_existing) {
    std::error_code ignored;
    fs::remove_all(m_staging, ignored);
  }
}

void ProjectWriter::move_into_existing() {
  UniqueFd target(::open(m_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  UniqueFd staging(::open(m_staging.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (target.get() < 0 || staging.get() < 0)
    throw failure("cannot open the target folder: " + errno_text() + " (" + m_dir.string() + ")",
                  m_dir.string());
  std::string backup = (m_dir / ".mpaas-backup-XXXXXX").string();
  if (!::mkdtemp(backup.data()))
    throw failure("cannot create a backup folder: " + errno_text() + " (" + m_dir.string() + ")",
                  m_dir.string());
  m_backup = backup;
  try {
    merge(staging.get(), target.get(), "");
  } catch (...) {
    undo_moves();
    throw;
  }
  // The project is in place: what it replaced goes (that is what --force asks for).
  std::error_code ignored;
  fs::remove_all(m_backup, ignored);
}

// Moves every entry of `from` into `into`: whole when its name is free there, entry by
// entry into a folder both have, after setting aside a file (or symlink) it replaces. Never
// follows a symlink. Recursion is bounded by max_path_depth.
void ProjectWriter::merge(int from, int into, const std::string& relative) {
  for (const auto& name : entries_of(from)) {
    std::string path = joined(relative, name);
    fs::path shown = m_dir / path;
    if (relative.empty() && (name == m_staging.filename() || name == m_backup.filename()))
      throw conflict("the template puts a file in mpaas's own folders (" + path + ")");
    struct stat source {};
    struct stat existing {};
    if (::fstatat(from, name.c_str(), &source, AT_SYMLINK_NOFOLLOW) != 0)
      throw failure("cannot read the staged project: " + errno_text() + " (" + path + ")", path);
    if (::fstatat(into, name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT)
        throw failure("cannot read the target: " + errno_text() + " (" + shown.string() + ")",
                      shown.string());
      if (::renameat(from, name.c_str(), into, name.c_str()) != 0)
        throw failure("cannot move into place: " + errno_text() + " (" + shown.string() + ")",
                      shown.string());
      m_moved.push_back(path);
      continue;
    }
    if (relative.empty() && name == ".git")
      throw conflict("a .git folder appeared in the target while the project was built (" +
                         shown.string() + ")",
                     shown.string());
    bool folder = S_ISDIR(source.st_mode);
    if (folder && S_ISDIR(existing.st_mode)) {
      UniqueFd inner_from(
          ::openat(from, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      UniqueFd inner_into(
          ::openat(into, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (inner_from.get() < 0 || inner_into.get() < 0)
        throw conflict("the target changed while the project was built (" + shown.string() + ")",
                       shown.string());
      merge(inner_from.get(), inner_into.get(), path);
      continue;
    }
    if (folder && S_ISLNK(existing.st_mode))
      throw conflict(
          "a symlink stands where the template puts a folder; mpaas does not write "
          "through symlinks (" +
              shown.string() + ")",
          shown.string());
    if (folder || S_ISDIR(existing.st_mode) || !m_force)
      throw conflict(
          std::string(folder                      ? "a file stands where the template puts a folder"
                      : S_ISDIR(existing.st_mode) ? "a folder stands where the template puts a file"
                                                  : "a file appeared where the template puts one") +
              " (" + shown.string() + ")",
          shown.string());
    set_aside(into, name, path);
    if (::renameat(from, name.c_str(), into, name.c_str()) != 0)
      throw failure("cannot move into place: " + errno_text() + " (" + shown.string() + ")",
                    shown.string());
    m_moved.push_back(path);
  }
}

// Moves the target's `name` (a file or a symlink, not followed) to the same relative place
// in the backup folder, which mpaas created empty: no name there can be a user's.
void ProjectWriter::set_aside(int folder, const std::string& name, const std::string& relative) {
  size_t slash = relative.rfind('/');
  UniqueFd backup_root(::open(m_backup.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  UniqueFd backup(backup_root.get() < 0
                      ? -1
                      : make_folder_at(backup_root.get(), slash == std::string::npos
                                                              ? ""
                                                              : relative.substr(0, slash)));
  if (backup.get() < 0 || ::renameat(folder, name.c_str(), backup.get(), name.c_str()) != 0)
    throw failure("cannot set the replaced file aside: " + errno_text() + " (" +
                      (m_dir / relative).string() + ")",
                  (m_dir / relative).string());
  m_set_aside.push_back(relative);
}

// Puts the target back as it was: new entries back into the staging folder, then the
// replaced files back from the backup folder.
void ProjectWriter::undo_moves() noexcept {
  UniqueFd target(::open(m_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  UniqueFd staging(::open(m_staging.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  UniqueFd backup(::open(m_backup.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  bool restored = target.get() >= 0 && staging.get() >= 0;
  for (auto it = m_moved.rbegin(); restored && it != m_moved.rend(); ++it)
    move_back(target.get(), staging.get(), *it);
  for (auto it = m_set_aside.rbegin(); restored && backup.get() >= 0 && it != m_set_aside.rend();
       ++it)
    restored = move_back(backup.get(), target.get(), *it) && restored;
  m_moved.clear();
  m_set_aside.clear();
  // Keep the backup folder if anything could not be put back: it holds the user's files.
  if (restored) {
    std::error_code ignored;
    fs::remove_all(m_backup, ignored);
  }
}

void ProjectWriter::remove_staging() noexcept {
  std::error_code ignored;
  if (!m_staging.empty())
    fs::remove_all(m_staging, ignored);
  if (!m_created_parent.empty())
    fs::remove_all(m_created_parent, ignored);
  m_staging_cleanup.reset();
  m_parent_cleanup.reset();
}

}  // namespace mpaas::scaffold
