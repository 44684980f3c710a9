// What a hostile template or hostile values cannot do: write a .git folder (in any case or
// disguise), crash mpaas with long inputs, stall it with backtracking patterns.
#include <catch2/catch.hpp>

#include "mpaas/core/error.hpp"
#include "mpaas/scaffold/git.hpp"
#include "mpaas/scaffold/limits.hpp"
#include "mpaas/scaffold/project.hpp"
#include "mpaas/scaffold/variables.hpp"

using namespace mpaas;
using namespace mpaas::scaffold;

namespace {

struct Refusal {
  ErrorKind kind = ErrorKind::failure;
  std::string message;
  std::string subject;
};

template <class Body>
Refusal refusal_of(Body body) {
  try {
    body();
  } catch (const Error& error) {
    return {error.kind(), error.what(), error.subject()};
  }
  FAIL("not refused");
  return {};
}

std::vector<PlannedFile> plan(const TemplateTree& tree,
                              const std::map<std::string, std::string>& sets = {}) {
  auto manifest = manifest_of(tree);
  VariableRequest request;
  request.name = "demo";
  request.sets = sets;
  return plan_project(tree, manifest, resolve_variables(manifest, request));
}

const std::string git_config = "[core]\n\tfsmonitor = touch /tmp/pwned\n";

}  // namespace

TEST_CASE("a variable whose default is .git cannot place files in .git", "[scaffold][security]") {
  TemplateTree tree{"evil",
                    {{"template.yaml", "variables:\n  dir: {default: .git}\n", 0644},
                     {"{{dir}}/config", git_config, 0644},
                     {"README.md", "hi", 0644}}};
  auto refused = refusal_of([&] { plan(tree); });
  CHECK(refused.kind == ErrorKind::invalid_input);
  CHECK_THAT(refused.message, Catch::Contains("'.git/config'") &&
                                  Catch::Contains("may not write there") &&
                                  Catch::EndsWith("(from {{dir}}/config)"));
  CHECK(refused.subject == "{{dir}}/config");
}

TEST_CASE(".git in mixed case, by value, by lambda or behind a false condition is refused",
          "[scaffold][security]") {
  auto refused_kind = [](const TemplateTree& tree,
                         const std::map<std::string, std::string>& sets = {}) {
    return refusal_of([&] { plan(tree, sets); }).kind;
  };
  TemplateTree literal{"evil",
                       {{"template.yaml", "", 0644}, {"sub/.Git/hooks/post-checkout", "x", 0755}}};
  CHECK(refused_kind(literal) == ErrorKind::invalid_input);

  TemplateTree by_value{"evil",
                        {{"template.yaml", "variables:\n  dir: {default: src}\n", 0644},
                         {"{{dir}}/config", git_config, 0644}}};
  CHECK_NOTHROW(plan(by_value));
  for (std::string name : {".GIT", ".Git", "a/.gIt", ".git.", ".git ", "GIT~1", "a\\.git",
                           ".g\xe2\x80\x8cit", "\xef\xbb\xbf.git", ".git::$INDEX_ALLOCATION"}) {
    INFO(name);
    CHECK(refused_kind(by_value, {{"dir", name}}) == ErrorKind::invalid_input);
  }

  TemplateTree by_lambda{
      "evil", {{"template.yaml", "", 0644}, {"{{#lower}}.GIT{{/lower}}/config", git_config, 0644}}};
  CHECK(refused_kind(by_lambda) == ErrorKind::invalid_input);

  TemplateTree conditional{"evil",
                           {{"template.yaml",
                             "variables:\n  on: {type: bool, default: false}\nfiles:\n"
                             "  - {path: \".GIT/**\", when: on}\n",
                             0644},
                            {".GIT/config", git_config, 0644}}};
  CHECK(refused_kind(conditional) == ErrorKind::invalid_input);

  TemplateTree nul{"evil",
                   {{"template.yaml", "variables:\n  dir: {default: \".git\\0x\"}\n", 0644},
                    {"{{dir}}/config", git_config, 0644}}};
  CHECK(refused_kind(nul) == ErrorKind::invalid_input);
}

TEST_CASE("a template cannot lay out a bare git repository either", "[scaffold][security]") {
  // git takes a folder with HEAD, objects/ and refs/ for a repository and runs its config.
  for (std::string folder : {"", "sub/", "a/b/"}) {
    INFO(folder);
    TemplateTree tree{"evil",
                      {{"template.yaml", "", 0644},
                       {folder + "HEAD", "ref: refs/heads/main\n", 0644},
                       {folder + "config", git_config, 0644},
                       {folder + "objects/info/packs", "", 0644},
                       {folder + "Refs/heads/main", "", 0644}}};
    auto refused = refusal_of([&] { plan(tree); });
    CHECK(refused.kind == ErrorKind::invalid_input);
    CHECK_THAT(refused.message, Catch::Contains("lays out a git repository"));
    CHECK(refused.subject == folder + "HEAD");
  }
  // Any two of the three are ordinary project files.
  TemplateTree fine{"ok",
                    {{"template.yaml", "", 0644},
                     {"HEAD", "x", 0644},
                     {"objects/a.json", "{}", 0644},
                     {"src/refs/b.txt", "", 0644}}};
  CHECK(plan(fine).size() == 3);
}

TEST_CASE("names that only look like .git are allowed", "[scaffold][security]") {
  for (std::string name : {".gitignore", ".github", ".gitkeep", "git", ".git2", "my.git", "x.git"})
    CHECK_FALSE(is_git_folder_name(name));
  TemplateTree tree{"ok",
                    {{"template.yaml", "", 0644},
                     {".gitignore", "build/\n", 0644},
                     {".github/workflows/ci.yml", "on: push\n", 0644}}};
  CHECK(plan(tree).size() == 2);
}

TEST_CASE("a long author is refused in one line and a newline cannot forge the commit",
          "[scaffold][security]") {
  auto refused = refusal_of([] { parse_author(std::string(100000, 'a') + " <a@example.com>"); });
  CHECK(refused.kind == ErrorKind::usage);
  CHECK(refused.message == "the author is longer than 512 characters");
  CHECK(refused.subject == "author");
  std::string long_name(400, 'n');
  auto author = parse_author("  " + long_name + "  <jane@example.com> ");
  CHECK(author.name == long_name);
  CHECK(author.email == "jane@example.com");
  CHECK(parse_author("Jane Doe <j@x>").name == "Jane Doe");
  for (std::string bad :
       {"Jane\n<j@x.com>", "<j@x.com>", "  <j@x.com>", "Jane <j@>", "Jane <@x>", "Jane <j x@y>",
        "Jane <j@x> trailing", "Jane <j@x", "Jane j@x>", "Ja>ne <j@x>", "Jane <<j@x>>"}) {
    INFO(bad);
    CHECK(refusal_of([&] { parse_author(bad); }).kind == ErrorKind::usage);
  }
}

TEST_CASE("long values are refused before any pattern sees them", "[scaffold][security]") {
  auto manifest = parse_manifest("variables:\n  word: {validate: \"^[a-z]+$\"}\n", "template.yaml");
  VariableRequest request;
  request.name = "demo";
  request.sets = {{"word", std::string(40000, 'a')}};
  auto refused = refusal_of([&] { resolve_variables(manifest, request); });
  CHECK(refused.kind == ErrorKind::usage);
  CHECK(refused.message == "the value of word is longer than 4096 characters (--set word)");
  request.sets = {{"word", std::string(max_value_length, 'a')}};
  CHECK(find_value(resolve_variables(manifest, request), "word")->text.size() == max_value_length);

  auto long_default =
      parse_manifest("variables:\n  a: {}\n  b: {default: \"{{a}}{{a}}\"}\n", "template.yaml");
  request.sets = {{"a", std::string(3000, 'x')}};
  auto from_default = refusal_of([&] { resolve_variables(long_default, request); });
  CHECK(from_default.kind == ErrorKind::invalid_input);
  CHECK_THAT(from_default.message, Catch::StartsWith("the default of b renders longer than"));

  CHECK(refusal_of([] { parse_assignment("word=" + std::string(40000, 'a')); }).kind ==
        ErrorKind::usage);
  CHECK(refusal_of([] { parse_assignment(std::string(40000, 'k') + "=v"); }).kind ==
        ErrorKind::usage);
}

TEST_CASE("validate patterns run in linear time: (a+)+$ on a long value", "[scaffold][security]") {
  // std::regex backtracked exponentially here (or overflowed the stack); RE2 reads the
  // value once. The result is what the pattern says.
  auto manifest = parse_manifest("variables:\n  word: {validate: \"(a+)+$\"}\n", "template.yaml");
  VariableRequest request;
  request.name = "demo";
  request.sets = {{"word", std::string(4000, 'a') + "!"}};
  auto refused = refusal_of([&] { resolve_variables(manifest, request); });
  CHECK(refused.kind == ErrorKind::usage);
  CHECK_THAT(refused.message, Catch::Contains("does not match (a+)+$"));
  request.sets = {{"word", std::string(4000, 'a')}};
  CHECK(find_value(resolve_variables(manifest, request), "word")->text.size() == 4000);
}

TEST_CASE("validate patterns are RE2: invalid or oversized ones are refused by the template",
          "[scaffold][security]") {
  for (std::string pattern : {std::string("(unclosed"), std::string("(?=lookahead)"),
                              std::string("(a)\\\\1"), std::string(2000, 'a')}) {
    INFO(pattern);
    auto refused = refusal_of([&] {
      parse_manifest("variables:\n  v: {validate: \"" + pattern + "\"}\n", "t/template.yaml");
    });
    CHECK(refused.kind == ErrorKind::invalid_input);
    CHECK_THAT(refused.message, Catch::Contains("variables.v of t/template.yaml.validate"));
  }
  // The built-in templates' patterns, in the syntax both engines share.
  for (std::string pattern : {"^[0-9]{2}$", "^[A-Za-z0-9_.-]+$", "^[^\\\"'\\\\\\\\]+$"})
    CHECK_NOTHROW(parse_manifest("variables:\n  v: {validate: \"" + pattern + "\"}\n", "t"));
}

TEST_CASE("long template lines and deep sections are refused, not crashed on",
          "[scaffold][security]") {
  Values values{{"name", "demo"}, {"on", "true", VariableType::boolean}};
  // Under the limit: rendered as before (std::regex overflowed the stack on such a line).
  std::string spaces(60000, ' ');
  CHECK(render_text(spaces + "{{#on}}\nx\n{{/on}}\n", values, "f") == "x\n");
  CHECK(render_text("a" + spaces + "{{name}}\n", values, "f") == "a" + spaces + "demo\n");
  // Over it: one line naming the file.
  auto refused = refusal_of(
      [&] { render_text(std::string(100000, ' ') + "{{#on}}\nx\n{{/on}}\n", values, "www/a.js"); });
  CHECK(refused.kind == ErrorKind::invalid_input);
  CHECK(refused.message == "a line is longer than 65536 characters (www/a.js)");
  CHECK(refused.subject == "www/a.js");

  std::string nested;  // one tag a line: the nesting, not a long line, is refused
  for (int i = 0; i < 100000; ++i)
    nested += "{{#on}}\n";
  auto deep = refusal_of([&] { render_text(nested + "\n", values, "deep.txt"); });
  CHECK(deep.kind == ErrorKind::invalid_input);
  CHECK_THAT(deep.message, Catch::StartsWith("sections are nested more than 32 deep"));
  // Nesting hidden behind changed delimiters is counted too.
  std::string hidden = "{{=<% %>=}}";
  for (int i = 0; i < 100; ++i)
    hidden += "<%#on%>";
  CHECK(refusal_of([&] { render_text(hidden, values, "d"); }).kind == ErrorKind::invalid_input);
  std::string fine = "{{=<% %>=}}";
  for (int i = 0; i < 10; ++i)
    fine += "<%#on%>";
  for (int i = 0; i < 10; ++i)
    fine += "<%/on%>";
  CHECK(render_text(fine + "<%name%>", values, "d") == "demo");

  // Many tags repeating a long value could render gigabytes: refused up front.
  Values big{{"v", std::string(4096, 'v')}};
  std::string tags;
  for (int i = 0; i < 10000; ++i)
    tags += "{{v}}";
  CHECK(refusal_of([&] { render_text(tags, big, "big"); }).kind == ErrorKind::invalid_input);
}

TEST_CASE("a rendered name too deep or too long is refused", "[scaffold][security]") {
  std::string deep;
  for (size_t i = 0; i <= max_path_depth; ++i)
    deep += "d/";
  TemplateTree tree{"t", {{"template.yaml", "", 0644}, {deep + "f", "x", 0644}}};
  CHECK(refusal_of([&] { plan(tree); }).kind == ErrorKind::invalid_input);
  TemplateTree wide{"t", {{"template.yaml", "", 0644}, {std::string(2000, 'w'), "x", 0644}}};
  CHECK(refusal_of([&] { plan(wide); }).kind == ErrorKind::invalid_input);
}

TEST_CASE("template.yaml is read by the hardened YAML reader", "[scaffold][security]") {
  // Deep nesting overflowed yaml-cpp's recursive parser; an alias inside its own anchor
  // made every walk of the tree loop. Both are refused before the tree is built.
  for (std::string text :
       {"variables: " + std::string(100000, '['), std::string("description: &x {a: *x}\n")}) {
    auto refused = refusal_of([&] { parse_manifest(text, "evil/template.yaml"); });
    CHECK(refused.kind == ErrorKind::invalid_input);
    CHECK_THAT(refused.message, Catch::EndsWith("(evil/template.yaml)"));
  }
}
