// `mpaas new`: a new project from a built-in template, a local folder or a git URL, and
// `mpaas new --list`. This file binds the flags, asks for variables on a terminal and
// prints the result; lib/scaffold does the work (load, resolve, render, write, commit).
#include <memory>
#include "new/options.hpp"

#include "command.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/core/output.hpp"
#include "mpaas/scaffold/git.hpp"
#include "mpaas/scaffold/project.hpp"
#include "mpaas/scaffold/reports.hpp"
#include "mpaas/scaffold/variables.hpp"

namespace mpaas {
namespace {

namespace fs = std::filesystem;
using namespace scaffold;

int run_list(Context& context) {
  context.emit(TemplateListing{builtin_templates()});
  return 0;
}

TemplateTree load_template(const NewOptions& options, const Context& context) {
  if (is_git_url(options.template_name))
    return git_template(options.template_name, options.ref, options.subdir);
  if (!options.ref.empty())
    throw usage_error("--ref applies to a git URL template only (--ref)");
  fs::path folder = context.cwd / options.template_name;
  if (fs::is_directory(folder)) {
    fs::path root = options.subdir.empty() ? folder : folder / options.subdir;
    return folder_template(root, root.string());
  }
  if (!options.subdir.empty())
    throw usage_error("--subdir applies to a folder or git URL template (--subdir)");
  return builtin_template(options.template_name);
}

std::string ask(Context& context, const VariableSpec& spec, const std::string& suggestion,
                const std::string& problem) {
  if (!problem.empty())
    context.err << "mpaas: " << problem << "\n";
  context.err << spec.name;
  if (!spec.description.empty())
    context.err << " (" << spec.description << ")";
  if (spec.type == VariableType::choice) {
    std::string choices;
    for (const auto& choice : spec.choices)
      choices += (choices.empty() ? "" : "/") + choice;
    context.err << " {" << choices << "}";
  }
  if (!suggestion.empty())
    context.err << " [" << suggestion << "]";
  context.err << ": " << std::flush;
  std::string answer;
  std::getline(context.in, answer);
  return answer;
}

VariableRequest variable_request(const NewOptions& options, Context& context,
                                 const std::string& name) {
  VariableRequest request;
  request.name = name;
  request.app_id = options.app_id;
  for (const auto& assignment : options.sets)
    request.sets.insert_or_assign(parse_assignment(assignment).first,
                                  parse_assignment(assignment).second);
  if (context.terminal.stdin_is_tty) {
    request.prompt = [&context](const VariableSpec& spec, const std::string& suggestion,
                                const std::string& problem) {
      return ask(context, spec, suggestion, problem);
    };
  }
  return request;
}

int run_new(const NewOptions& options, Context& context) {
  if (options.list)
    return run_list(context);
  if (options.template_name.empty() || options.dir.empty())
    throw usage_error("give a TEMPLATE and a DIR, or --list (TEMPLATE)");
  fs::path dir = fs::weakly_canonical(context.cwd / options.dir);
  std::string name = dir.filename().string();

  // Everything that can be refused is checked before the first byte is written.
  check_target(dir, options.force);
  TemplateTree tree = load_template(options, context);
  Manifest manifest = manifest_of(tree);
  Values values = resolve_variables(manifest, variable_request(options, context, name));
  std::vector<PlannedFile> plan = plan_project(tree, manifest, values);
  Author author;
  if (!options.no_git)
    author = resolve_author(options.author, context.environment);

  // Built in a staging folder and moved into place at the end, so that a failure or a
  // signal (the writer checks the stop request per file) leaves the target as it was.
  ProjectWriter writer(dir, options.force);
  for (const auto& file : plan)
    writer.write(file);
  std::string commit;
  if (!options.no_git && fs::exists(fs::symlink_status(dir / ".git"))) {
    context.warn("not creating a git repository: " + (dir / ".git").string() + " exists");
  } else if (!options.no_git) {
    std::vector<std::string> paths;
    for (const auto& file : plan)
      paths.push_back(file.path);
    commit = commit_new_repository(writer.staging(), paths, author,
                                   "Initial commit from mpaas new " + options.template_name);
  }
  writer.commit();

  NewProjectReport report{dir.string(), options.template_name, tree.source, values, {}, commit};
  for (const auto& file : plan)
    report.files.push_back(file.path);
  context.emit(report);
  return 0;
}

}  // namespace

void register_new_command(Command& root) {
  auto options = std::make_shared<NewOptions>();
  root.subcommand("new", "Create a project from a built-in template, a folder or a git URL")
      .positional("template", options->template_name,
                  "Built-in name (see --list), a local folder, or a git URL (https, ssh, file://)",
                  false)
      .positional("dir", options->dir, "Folder to create; it must not exist or be empty", false)
      .option("--set", options->sets, "Set a template variable: key=value (repeatable)")
      .option("--app-id", options->app_id,
              "App id, reverse-domain (default: com.example.<folder name>)")
      .option("--ref", options->ref, "Branch, tag or commit of a git URL template")
      .option("--subdir", options->subdir,
              "Folder inside the repository or folder holding the template")
      .option("--author", options->author, "Commit author 'Name <email>' (default: git config)")
      .flag("--no-git", options->no_git, "Do not create a git repository")
      .flag("--force", options->force, "Write into a folder that is not empty")
      .flag("--list", options->list, "List the built-in templates (--json for their variables)")
      .examples({
          "mpaas new --list",
          "mpaas new h5 shop --app-id com.example.shop",
          "mpaas new android app --app-id com.example.shop --set min_sdk=26",
          "mpaas new ios app --set bundle_id=com.example.Shop --no-git",
          "mpaas new https://example.com/templates.git app --ref v1.2 --subdir h5",
          "mpaas new ./my-template app --set greeting=hi --json",
          "# Variables not given with --set are asked for on a terminal; elsewhere the default",
          "# is used, and a variable without a default fails with exit code 2 naming it.",
      })
      .run(options, run_new);
}

}  // namespace mpaas
