// `mpaas new` through the binary: the built-in templates with git, --list, templates from
// a folder and from a bare git repository through file:// at a tag, and every refusal
// with its exit code and an untouched disk.
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "process.hpp"
#include "temp_dir.hpp"

using mpaas::test::read_text;
using mpaas::test::run_mpaas;
using mpaas::test::run_program;
using mpaas::test::RunOptions;
using mpaas::test::RunResult;
using mpaas::test::source_dir;
using mpaas::test::TempDir;
using mpaas::test::write_text;
namespace fs = std::filesystem;

namespace {

const std::string author = "Test Author <test@example.com>";

RunResult mpaas_in(const TempDir& temp, std::vector<std::string> arguments) {
  RunOptions options;
  options.cwd = temp.path();
  options.env = {{"GIT_AUTHOR_NAME", "\x01"},
                 {"GIT_AUTHOR_EMAIL", "\x01"},
                 {"TMPDIR", (temp / "tmp").string()}};
  fs::create_directories(temp / "tmp");
  return run_mpaas(arguments, temp / "home", options);
}

std::string git(const fs::path& repository, std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), {"-C", repository.string()});
  auto result = run_program("git", arguments);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  return result.out;
}

std::vector<std::string> files_under(const fs::path& root) {
  std::vector<std::string> files;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    if (it->path().filename() == ".git") {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file())
      files.push_back(fs::relative(it->path(), root).string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);)
    lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  return lines;
}

// The project is a git repository with one commit holding exactly the files on disk.
void check_one_commit_with_all_files(const fs::path& project) {
  CHECK(git(project, {"rev-list", "--count", "HEAD"}) == "1\n");
  CHECK(lines_of(git(project, {"ls-tree", "-r", "--name-only", "HEAD"})) == files_under(project));
  CHECK(git(project, {"status", "--porcelain"}) == "");
  CHECK(git(project, {"log", "-1", "--format=%an <%ae>"}) == author + "\n");
}

}  // namespace

TEST_CASE("new --list shows the built-in templates as text and JSON", "[cli][new]") {
  TempDir temp;
  auto text = mpaas_in(temp, {"new", "--list"});
  CHECK(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::StartsWith("NAME ") && Catch::Contains("h5 ") &&
                           Catch::Contains("H5 offline package") && Catch::Contains("miniprogram"));
  auto json = mpaas_in(temp, {"new", "--list", "-o", "json"});
  REQUIRE(json.exit_code == 0);
  auto rows = nlohmann::json::parse(json.out);
  REQUIRE(rows.size() == 4);
  CHECK(rows[1]["name"] == "h5");
  CHECK(rows[1]["variables"][0]["name"] == "offline_id");
  CHECK(rows[1]["variables"][0]["default"] == "80000001");
}

TEST_CASE("every built-in template makes a git project with one commit", "[cli][new]") {
  TempDir temp;
  for (const std::string name : {"android", "h5", "ios", "miniprogram"}) {
    INFO(name);
    auto result = mpaas_in(temp, {"new", name, name + "-app", "--author", author, "-o", "json"});
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    auto summary = nlohmann::json::parse(result.out);
    CHECK(summary["app_id"] == "com.example." + name + "app");
    CHECK(summary["commit"].get<std::string>().size() == 40);
    fs::path project = temp / (name + "-app");
    CHECK(summary["files"].size() == files_under(project).size());
    CHECK_FALSE(fs::exists(project / "template.yaml"));
    CHECK(YAML::LoadFile((project / "mpaas.yaml").string())["app_id"].as<std::string>() ==
          summary["app_id"]);
    check_one_commit_with_all_files(project);
  }
  CHECK(fs::is_empty(temp / "tmp"));
}

TEST_CASE("h5 keeps binary bytes, file modes and values as given", "[cli][new]") {
  TempDir temp;
  auto result = mpaas_in(temp, {"new", "h5", "shop", "--app-id", "com.acme.shop", "--no-git",
                                "--set", "title=A & B <Shop>", "--set", "offline_id=20000001"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("app_id") && Catch::Contains("com.acme.shop"));
  CHECK(read_text(temp / "shop/www/img/logo.png") ==
        read_text(source_dir() / "templates/h5/www/img/logo.png"));
  CHECK_THAT(read_text(temp / "shop/www/index.html"),
             Catch::Contains("<title>A & B <Shop></title>"));
  struct stat info {};
  REQUIRE(::stat((temp / "shop/build.sh").c_str(), &info) == 0);
  CHECK((info.st_mode & 0111) != 0);
  CHECK(YAML::LoadFile((temp / "shop/mpaas.yaml").string())["offline"]["id"].as<std::string>() ==
        "20000001");
  CHECK_FALSE(fs::exists(temp / "shop/.git"));
}

TEST_CASE("a template from a bare git repository through file:// at a tag", "[cli][new]") {
  TempDir temp;
  fs::path bare = temp / "templates.git";
  fs::path work = temp / "work";
  run_program("git", {"init", "-q", "--bare", bare.string()});
  run_program("git", {"init", "-q", work.string()});
  git(work, {"config", "user.name", "T"});
  git(work, {"config", "user.email", "t@example.com"});
  write_text(work / "greeter/template.yaml",
             "description: greeter\nvariables:\n  greeting: {default: hello, validate: "
             "\"^[a-z]+$\"}\n  with_tests: {type: bool, default: true}\nfiles:\n"
             "  - {path: \"tests/**\", when: with_tests}\n");
  write_text(work / "greeter/{{name}}.txt", "{{greeting}}, {{name}} ({{app_id}})\n");
  write_text(work / "greeter/tests/check.txt", "check {{greeting}}\n");
  write_text(work / "README.md", "not part of the template\n");
  git(work, {"add", "-A"});
  git(work, {"commit", "-q", "-m", "v1"});
  git(work, {"tag", "v1"});
  write_text(work / "greeter/{{name}}.txt", "changed after v1\n");
  git(work, {"commit", "-q", "-am", "v2"});
  git(work, {"push", "-q", bare.string(), "HEAD:refs/heads/main", "v1"});

  std::string url = "file://" + bare.string();
  auto result = mpaas_in(temp, {"new", url, "hi", "--ref", "v1", "--subdir", "greeter", "--set",
                                "greeting=hey", "--set", "with_tests=false", "--author", author});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(files_under(temp / "hi") == std::vector<std::string>{"hi.txt"});
  CHECK(read_text(temp / "hi/hi.txt") == "hey, hi (com.example.hi)\n");
  check_one_commit_with_all_files(temp / "hi");
  CHECK(fs::is_empty(temp / "tmp"));

  git(bare, {"symbolic-ref", "HEAD", "refs/heads/main"});
  auto latest = mpaas_in(temp, {"new", url, "latest", "--subdir", "greeter", "--no-git"});
  REQUIRE(latest.exit_code == 0);
  CHECK(read_text(temp / "latest/latest.txt") == "changed after v1\n");
  CHECK(fs::exists(temp / "latest/tests/check.txt"));

  std::string v1_commit = git(work, {"rev-parse", "v1"});
  v1_commit.pop_back();
  auto by_commit = mpaas_in(
      temp, {"new", url, "by-commit", "--ref", v1_commit, "--subdir", "greeter", "--no-git"});
  REQUIRE(by_commit.exit_code == 0);
  CHECK(read_text(temp / "by-commit/by-commit.txt") == "hello, by-commit (com.example.bycommit)\n");

  auto missing_ref = mpaas_in(temp, {"new", url, "x", "--ref", "v9", "--subdir", "greeter"});
  CHECK(missing_ref.exit_code == 5);
  CHECK_THAT(missing_ref.err, Catch::Contains("'v9'") && Catch::EndsWith("(--ref)\n"));
  auto missing_repository = mpaas_in(temp, {"new", url + "-not-there", "x", "--no-git"});
  CHECK(missing_repository.exit_code == 5);
  auto missing_subdir = mpaas_in(temp, {"new", url, "x", "--subdir", "nope", "--no-git"});
  CHECK(missing_subdir.exit_code == 5);
  auto escaping_subdir = mpaas_in(temp, {"new", url, "x", "--subdir", "../..", "--no-git"});
  CHECK(escaping_subdir.exit_code == 2);
  auto not_a_template = mpaas_in(temp, {"new", url, "x", "--no-git"});
  CHECK(not_a_template.exit_code == 3);
  CHECK_THAT(not_a_template.err, Catch::Contains("no template.yaml"));
  CHECK_FALSE(fs::exists(temp / "x"));
  CHECK(fs::is_empty(temp / "tmp"));
}

TEST_CASE("a template from a local folder", "[cli][new]") {
  TempDir temp;
  write_text(temp / "tpl/template.yaml", "variables:\n  who: {}\n");
  write_text(temp / "tpl/hello.txt", "hello {{who}}\n");
  auto result = mpaas_in(temp, {"new", "./tpl", "out", "--set", "who=you", "--no-git"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(files_under(temp / "out") == std::vector<std::string>{"hello.txt"});
  CHECK(read_text(temp / "out/hello.txt") == "hello you\n");
  fs::create_symlink("/etc/passwd", temp / "tpl/leak.txt");
  auto symlink = mpaas_in(temp, {"new", "./tpl", "out2", "--set", "who=you", "--no-git"});
  CHECK(symlink.exit_code == 3);
  CHECK_THAT(symlink.err, Catch::Contains("symlinks"));
  CHECK_FALSE(fs::exists(temp / "out2"));
}

TEST_CASE("refusals exit with their code and leave the disk untouched", "[cli][new]") {
  TempDir temp;
  write_text(temp / "taken/keep.txt", "mine");
  auto snapshot = [&] { return files_under(temp.path()); };
  auto before = snapshot();
  struct Case {
    std::vector<std::string> arguments;
    int exit_code;
    std::string message;
  };
  std::vector<Case> cases = {
      {{"new", "h5", "taken"}, 6, "not empty; use --force"},
      {{"new", "h5", "p", "--app-id", "shop"}, 2, "not a valid app id"},
      {{"new", "android", "p", "--app-id", "com.example.new"}, 2, "is a Java keyword"},
      {{"new", "ios", "p", "--app-id", "com.example.my_app"}, 2, "not a valid iOS bundle id"},
      {{"new", "h5", "p", "--set", "offline_id=123"}, 2, "exactly 8 digits"},
      {{"new", "h5", "p", "--set", "colour=red"}, 2, "unknown variable 'colour'"},
      {{"new", "h5", "p", "--set", "with_tests=maybe"}, 2, "not true or false"},
      {{"new", "miniprogram", "p", "--set", "ui=grid"}, 2, "not one of single, tabs"},
      {{"new", "h5", "p"}, 2, "no commit author"},
      {{"new", "nope", "p"}, 5, "no template 'nope'"},
      {{"new", "h5"}, 2, "give a TEMPLATE and a DIR"},
      {{"new", "h5", "p", "--ref", "v1"}, 2, "git URL template only"},
      {{"new", "./tpl", "p", "--no-git"}, 2, "missing variables a, c"},
      {{"new", "h5", "p", "--author", "nobody"}, 2, "expected 'Name <email>'"},
  };
  write_text(temp / "tpl/template.yaml", "variables:\n  a: {}\n  b: {default: x}\n  c: {}\n");
  before = snapshot();
  for (const auto& test : cases) {
    std::string command;
    for (const auto& argument : test.arguments)
      command += argument + " ";
    INFO(command);
    auto result = mpaas_in(temp, test.arguments);
    CHECK(result.exit_code == test.exit_code);
    CHECK_THAT(result.err, Catch::StartsWith("mpaas: error: ") && Catch::Contains(test.message));
    CHECK(result.out == "");
    CHECK(snapshot() == before);
  }
  CHECK(read_text(temp / "taken/keep.txt") == "mine");
}

TEST_CASE("with --force new writes into a folder and a failure halfway restores it", "[cli][new]") {
  TempDir temp;
  write_text(temp / "p/keep.txt", "mine");
  write_text(temp / "p/.gitignore", "old ignore\n");
  fs::create_directories(temp / "p/build.sh");  // a folder where h5 puts a file
  auto failed = mpaas_in(temp, {"new", "h5", "p", "--force", "--author", author});
  CHECK(failed.exit_code == 6);
  CHECK(files_under(temp / "p") == std::vector<std::string>{".gitignore", "keep.txt"});
  CHECK(read_text(temp / "p/.gitignore") == "old ignore\n");
  CHECK(fs::is_directory(temp / "p/build.sh"));
  CHECK_FALSE(fs::exists(temp / "p/.git"));

  fs::remove(temp / "p/build.sh");
  auto forced = mpaas_in(temp, {"new", "h5", "p", "--force", "--author", author});
  INFO(forced.err);
  REQUIRE(forced.exit_code == 0);
  CHECK(read_text(temp / "p/keep.txt") == "mine");
  CHECK_THAT(read_text(temp / "p/.gitignore"), Catch::Contains("keys/private.pem"));
  CHECK(git(temp / "p", {"rev-list", "--count", "HEAD"}) == "1\n");
  CHECK(git(temp / "p", {"status", "--porcelain"}) == "?? keep.txt\n");
}

TEST_CASE("the commit author comes from git config when --author is not given", "[cli][new]") {
  TempDir temp;
  write_text(temp / "home/.gitconfig", "[user]\n\tname = Config Author\n\temail = c@example.com\n");
  auto result = mpaas_in(temp, {"new", "ios", "app"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(git(temp / "app", {"log", "-1", "--format=%an <%ae>"}) ==
        "Config Author <c@example.com>\n");
  CHECK(git(temp / "app", {"rev-list", "--count", "HEAD"}) == "1\n");
}
