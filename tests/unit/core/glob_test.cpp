// The one glob matcher behind offline include/exclude and template files rules: its
// semantics (the union of the two matchers it replaced), and hostile patterns that made
// the old backtracking matchers run for minutes finish like any other.
#include <catch2/catch.hpp>

#include "mpaas/core/glob.hpp"
#include "mpaas/offline/settings.hpp"
#include "mpaas/scaffold/manifest.hpp"

using mpaas::glob_match;

TEST_CASE("glob: '?' and '*' stay inside a segment, '**' crosses them", "[core][glob]") {
  CHECK(glob_match("*.html", "index.html"));
  CHECK_FALSE(glob_match("*.html", "sub/index.html"));
  CHECK(glob_match("img/?.png", "img/a.png"));
  CHECK_FALSE(glob_match("img/?.png", "img/ab.png"));
  CHECK_FALSE(glob_match("a?b", "a/b"));
  CHECK(glob_match("pages/*/index.?s", "pages/home/index.js"));
  CHECK_FALSE(glob_match("pages/*/index.js", "pages/a/b/index.js"));
  CHECK(glob_match("*", "file"));
  CHECK_FALSE(glob_match("*", "dir/file"));
  CHECK(glob_match("index*", "index"));  // '*' may be empty, at the end too
  CHECK(glob_match("a*b*c", "abc"));
  CHECK_FALSE(glob_match("a*b*c", "acb"));
  CHECK(glob_match("", ""));
  CHECK_FALSE(glob_match("", "a"));
  CHECK_FALSE(glob_match("a", ""));
}

TEST_CASE("glob: '**/' is zero or more whole segments, '**' elsewhere anything", "[core][glob]") {
  CHECK(glob_match("**", "a/b/c.js"));
  CHECK(glob_match("**", ""));
  CHECK(glob_match("**/*.md", "README.md"));
  CHECK(glob_match("**/*.md", "docs/deep/x.md"));
  CHECK_FALSE(glob_match("**/*.md", "docs/x.mdx"));
  CHECK(glob_match("a/**/b", "a/b"));
  CHECK(glob_match("a/**/b", "a/x/y/b"));
  CHECK_FALSE(glob_match("a/**/b", "a/xb"));
  CHECK(glob_match("tests/**", "tests/a.js"));
  CHECK(glob_match("tests/**", "tests/deep/er/a.js"));
  CHECK_FALSE(glob_match("tests/**", "www/tests/a.js"));
  CHECK_FALSE(glob_match("tests/**", "tests.js"));
  CHECK(glob_match("js/**", "js/a/b.js"));
  CHECK_FALSE(glob_match("js/**", "css/a.css"));
  CHECK(glob_match("**.md", "a/b.md"));
  CHECK(glob_match("a/**/z/**/*.js", "a/z/q.js"));
  CHECK(glob_match("a/**/z/**/*.js", "a/b/z/c/d/q.js"));
}

TEST_CASE("glob: a leading ./ is ignored, other characters are literal", "[core][glob]") {
  CHECK(glob_match("./img/?.png", "img/a.png"));
  CHECK(glob_match("./www/**", "www/index.html"));
  CHECK(glob_match("a[b].js", "a[b].js"));
  CHECK_FALSE(glob_match("a[b].js", "ab.js"));
}

TEST_CASE("glob: hostile patterns on long names are matched without backtracking", "[core][glob]") {
  // The old matchers tried every split of the name between the stars: C(n, 5) attempts
  // for "*a*a*a*a*a*b", beyond hours for this name. Here each character is read once.
  const std::string name(20000, 'a');
  const std::string hostile = "*a*a*a*a*a*b";
  CHECK_FALSE(glob_match(hostile, name));
  CHECK(glob_match(hostile, name + "b"));
  CHECK_FALSE(glob_match("**/" + hostile, "x/" + name));
  CHECK_FALSE(glob_match("**a**a**a**a**a**b", name));
  // Through both places that use it: offline exclude lists and template files rules.
  CHECK_FALSE(mpaas::offline::glob_match(hostile, name));
  CHECK(mpaas::offline::glob_match(hostile, name + "b"));
  CHECK_FALSE(mpaas::scaffold::glob_matches(hostile, name));
  CHECK(mpaas::scaffold::glob_matches(hostile, name + "b"));
  // A long pattern against a long path is still one pass over the path.
  std::string long_pattern;
  for (int i = 0; i < 500; ++i)
    long_pattern += "*a";
  CHECK(glob_match(long_pattern, name));
  CHECK_FALSE(glob_match(long_pattern + "b", name));
}
