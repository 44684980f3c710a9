// libgit2 glue (see git.hpp). Every libgit2 object is held by a unique_ptr with its free
// function so that an error path leaks nothing.
#include "mpaas/scaffold/git.hpp"

#include <git2.h>
#include <stdlib.h>
#include <algorithm>
#include <memory>

#include "mpaas/core/error.hpp"
#include "mpaas/core/interrupt.hpp"
#include "mpaas/core/temp_folder.hpp"
#include "mpaas/scaffold/limits.hpp"

namespace mpaas::scaffold {
namespace fs = std::filesystem;
namespace {

template <class T, void (*Free)(T*)>
struct Freer {
  void operator()(T* pointer) const { Free(pointer); }
};
template <class T, void (*Free)(T*)>
using Owned = std::unique_ptr<T, Freer<T, Free>>;

using Repository = Owned<git_repository, git_repository_free>;
using Index = Owned<git_index, git_index_free>;
using Tree = Owned<git_tree, git_tree_free>;
using Signature = Owned<git_signature, git_signature_free>;
using Object = Owned<git_object, git_object_free>;
using Config = Owned<git_config, git_config_free>;

void ensure_libgit2() {
  static const int initialised = git_libgit2_init();
  (void)initialised;
}

std::string last_git_error() {
  const git_error* error = git_error_last();
  return error && error->message ? error->message : "unknown libgit2 error";
}

void check(int result, const std::string& what) {
  if (result < 0)
    throw failure(what + ": " + last_git_error());
}

std::string config_string(git_config* config, const char* key) {
  git_buf buffer = GIT_BUF_INIT;
  std::string value;
  if (git_config_get_string_buf(&buffer, config, key) == 0)
    value.assign(buffer.ptr, buffer.size);
  git_buf_dispose(&buffer);
  return value;
}

// libgit2 calls this while fetching: a non-zero return cancels the transfer, so Ctrl-C stops
// a slow clone at once instead of waiting for the watcher.
int cancel_on_stop_request(const git_indexer_progress*, void*) {
  return stop_requested() ? -1 : 0;
}

int credentials_from_agent(git_credential** out, const char*, const char* username_from_url,
                           unsigned int allowed, void* payload) {
  int& attempts = *static_cast<int*>(payload);
  if (!(allowed & GIT_CREDENTIAL_SSH_KEY) || attempts++ > 0)
    return GIT_PASSTHROUGH;
  return git_credential_ssh_key_from_agent(out, username_from_url ? username_from_url : "git");
}

Object resolve_ref(git_repository* repository, const std::string& ref) {
  for (const std::string& spec : {ref, "origin/" + ref, "refs/tags/" + ref}) {
    git_object* object = nullptr;
    if (git_revparse_single(&object, repository, spec.c_str()) == 0) {
      git_object* commit = nullptr;
      int peeled = git_object_peel(&commit, object, GIT_OBJECT_COMMIT);
      git_object_free(object);
      if (peeled == 0)
        return Object(commit);
    }
  }
  throw not_found("no branch, tag or commit '" + ref + "' in the template repository", "ref");
}

void check_subdir(const std::string& subdir) {
  fs::path path(subdir);
  bool escapes = path.is_absolute();
  for (const auto& part : path)
    escapes = escapes || part == "..";
  if (escapes)
    throw usage_error("the subfolder must stay inside the repository", "subdir");
}

}  // namespace

// "Name <email>", read in one pass rather than with std::regex, which recursed once per
// character and overflowed the stack on a long --author. The name is what precedes the
// first '<', trimmed; the email holds no '<', '>' or space and has a character on each side
// of an '@'; only blanks may follow the '>'. Control characters (a newline would forge
// lines of the commit header) are refused anywhere.
Author parse_author(const std::string& text) {
  if (text.size() > max_author_length)
    throw usage_error(
        "the author is longer than " + std::to_string(max_author_length) + " characters", "author");
  auto refuse = [&text]() {
    return usage_error("expected 'Name <email>', got '" + text + "'", "author");
  };
  auto space = [](char c) { return c == ' ' || c == '\t'; };
  auto control = [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; };
  if (std::any_of(text.begin(), text.end(), [&](char c) { return control(c) && c != '\t'; }))
    throw refuse();
  size_t open = text.find('<');
  size_t close = text.find('>');
  if (open == std::string::npos || close == std::string::npos || close < open)
    throw refuse();
  size_t name_start = 0;
  size_t name_end = open;
  while (name_start < name_end && space(text[name_start]))
    ++name_start;
  while (name_end > name_start && space(text[name_end - 1]))
    --name_end;
  std::string name = text.substr(name_start, name_end - name_start);
  std::string email = text.substr(open + 1, close - open - 1);
  bool email_ok = email.find_first_of("<> \t") == std::string::npos &&
                  email.find('@', 1) != std::string::npos && email.find('@', 1) + 1 < email.size();
  bool only_blanks_after = std::all_of(text.begin() + close + 1, text.end(), space);
  if (name.empty() || !email_ok || !only_blanks_after)
    throw refuse();
  return {name, email};
}

Author resolve_author(const std::string& given,
                      const std::map<std::string, std::string>& environment) {
  if (!given.empty())
    return parse_author(given);
  auto name = environment.find("GIT_AUTHOR_NAME");
  auto email = environment.find("GIT_AUTHOR_EMAIL");
  if (name != environment.end() && email != environment.end() && !name->second.empty() &&
      !email->second.empty())
    return {name->second, email->second};
  ensure_libgit2();
  git_config* raw = nullptr;
  if (git_config_open_default(&raw) == 0) {
    Config config(raw);
    Author author{config_string(raw, "user.name"), config_string(raw, "user.email")};
    if (!author.name.empty() && !author.email.empty())
      return author;
  }
  throw usage_error(
      "no commit author: set git config user.name and user.email, pass --author 'Name <email>', "
      "or use --no-git (--author)");
}

std::string commit_new_repository(const fs::path& dir, const std::vector<std::string>& files,
                                  const Author& author, const std::string& message) {
  ensure_libgit2();
  git_repository* raw_repository = nullptr;
  check(git_repository_init(&raw_repository, dir.c_str(), 0), "cannot create the git repository");
  Repository repository(raw_repository);
  git_index* raw_index = nullptr;
  check(git_repository_index(&raw_index, raw_repository), "cannot open the git index");
  Index index(raw_index);
  for (const auto& file : files)
    check(git_index_add_bypath(raw_index, file.c_str()), "cannot add " + file);
  check(git_index_write(raw_index), "cannot write the git index");
  git_oid tree_id;
  check(git_index_write_tree(&tree_id, raw_index), "cannot write the git tree");
  git_tree* raw_tree = nullptr;
  check(git_tree_lookup(&raw_tree, raw_repository, &tree_id), "cannot read the git tree");
  Tree tree(raw_tree);
  git_signature* raw_signature = nullptr;
  check(git_signature_now(&raw_signature, author.name.c_str(), author.email.c_str()),
        "invalid commit author");
  Signature signature(raw_signature);
  git_oid commit_id;
  check(git_commit_create_v(&commit_id, raw_repository, "HEAD", raw_signature, raw_signature,
                            nullptr, message.c_str(), raw_tree, 0),
        "cannot create the first commit");
  return git_oid_tostr_s(&commit_id);
}

// Fetches through an anonymous remote rather than git_clone, without url.*.insteadOf
// rewriting: libgit2 1.5 leaks pcre2 match data in the config regex lookups both of those
// make (git_remote_create), and the leak fails every run under the sanitizers.
TemplateTree git_template(const std::string& url, const std::string& ref,
                          const std::string& subdir) {
  ensure_libgit2();
  check_subdir(subdir);
  TempFolder clone("mpaas-template-");
  fs::path checkout = clone / "repo";
  git_repository* raw_repository = nullptr;
  check(git_repository_init(&raw_repository, checkout.c_str(), 0), "cannot create a clone");
  Repository repository(raw_repository);
  git_remote* raw_remote = nullptr;
  git_remote_create_options remote_options = GIT_REMOTE_CREATE_OPTIONS_INIT;
  remote_options.repository = raw_repository;
  remote_options.flags =
      GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
  check(git_remote_create_with_opts(&raw_remote, url.c_str(), &remote_options), "invalid git URL");
  Owned<git_remote, git_remote_free> remote(raw_remote);

  git_fetch_options options = GIT_FETCH_OPTIONS_INIT;
  options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
  int agent_attempts = 0;
  options.callbacks.credentials = credentials_from_agent;
  options.callbacks.payload = &agent_attempts;
  options.callbacks.transfer_progress = cancel_on_stop_request;
  char heads[] = "+refs/heads/*:refs/remotes/origin/*";
  char tags[] = "+refs/tags/*:refs/tags/*";
  char* specs[] = {heads, tags};
  git_strarray refspecs = {specs, 2};
  // Connected first so that the remote's HEAD (its default branch) can be read.
  int fetched =
      git_remote_connect(raw_remote, GIT_DIRECTION_FETCH, &options.callbacks, nullptr, nullptr);
  std::string wanted = ref;
  if (fetched == 0 && wanted.empty()) {
    git_buf head = GIT_BUF_INIT;
    if (git_remote_default_branch(&head, raw_remote) == 0) {
      wanted = std::string(head.ptr, head.size);
      if (wanted.rfind("refs/heads/", 0) == 0)
        wanted = wanted.substr(11);
    }
    git_buf_dispose(&head);
  }
  if (fetched == 0)
    fetched = git_remote_fetch(raw_remote, &refspecs, &options, nullptr);
  throw_if_stop_requested();
  if (fetched < 0) {
    std::string message = last_git_error();
    if (fetched == GIT_ENOTFOUND || message.find("not found") != std::string::npos ||
        message.find("not exist") != std::string::npos ||
        message.find("No such file") != std::string::npos)
      throw not_found("no git repository at " + url + ": " + message + " (TEMPLATE)");
    throw unavailable("cannot fetch " + url + ": " + message + " (TEMPLATE)");
  }
  if (wanted.empty())
    throw not_found(
        "the template repository has no default branch; name one with --ref (TEMPLATE)");
  Object commit = resolve_ref(raw_repository, wanted);
  git_checkout_options checkout_options = GIT_CHECKOUT_OPTIONS_INIT;
  checkout_options.checkout_strategy = GIT_CHECKOUT_FORCE;
  check(git_checkout_tree(raw_repository, commit.get(), &checkout_options),
        "cannot check out " + wanted);

  fs::path root = subdir.empty() ? checkout : checkout / subdir;
  if (!fs::is_directory(root))
    throw not_found("no folder '" + subdir + "' in the template repository", "subdir");
  std::string source = url + (ref.empty() ? "" : "@" + ref) + (subdir.empty() ? "" : "/" + subdir);
  return folder_template(root, source);
}

}  // namespace mpaas::scaffold
