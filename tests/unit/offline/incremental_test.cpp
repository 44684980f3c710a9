// offline/incremental: diff and apply read the packages' members, keep what they need in a
// scratch folder beside the output (removed after), and never package a tree that
// extraction would refuse.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "hostile_amr.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/core/interrupt.hpp"
#include "mpaas/core/progress.hpp"
#include "mpaas/core/sha256.hpp"
#include "mpaas/offline/incremental.hpp"
#include "mpaas/offline/reader.hpp"
#include "temp_dir.hpp"

using namespace mpaas;
using namespace mpaas::offline;
using mpaas::test::tar_file;
using mpaas::test::tar_hardlink;
using mpaas::test::TempDir;
using mpaas::test::write_amr;
namespace fs = std::filesystem;

namespace {

std::string tree_hash(const std::map<std::string, std::string>& files) {
  std::string text;
  for (const auto& [path, content] : files)
    text += path + std::string(1, '\0') + to_hex(sha256_of(content)) + "\n";
  return to_hex(sha256_of(text));
}

std::vector<std::string> names_in(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("diff and apply round-trip through the members, leaving only the output", "[offline]") {
  TempDir dir;
  auto v1 = write_amr(dir / "in/v1.amr", {tar_file("./index.html", "v1"), tar_file("a/b.js", "b"),
                                          tar_file("gone.css", "x")});
  test::AmrOptions second;
  second.version = "1.0.0.2";
  auto v2 = write_amr(
      dir / "in/v2.amr",
      {tar_file("index.html", "v2"), tar_file("a/b.js", "b"), tar_file("c/b.js", "b")}, second);
  NullProgress progress;
  fs::create_directories(dir / "out");
  auto summary = diff_packages(v1, v2, dir / "out/inc.amr", {}, progress);
  CHECK(summary.added == 1);
  CHECK(summary.changed == 1);
  CHECK(summary.deleted == 1);
  CHECK(summary.copied == 1);
  apply_incremental(v1, dir / "out/inc.amr", dir / "out/v2.amr", {}, progress);
  CHECK(names_in(dir / "out") == std::vector<std::string>{"inc.amr", "v2.amr"});
  std::vector<std::string> paths;
  for (const auto& file : read_package(dir / "out/v2.amr").files)
    paths.push_back(file.path);
  CHECK(paths == std::vector<std::string>{"a/b.js", "c/b.js", "index.html"});
}

TEST_CASE("diff and apply refuse packages holding links", "[offline]") {
  TempDir dir;
  auto plain = write_amr(dir / "plain.amr", {tar_file("index.html", "v1")});
  auto linked = write_amr(dir / "linked.amr",
                          {tar_file("index.html", "v1"), tar_hardlink("copy.html", "index.html")});
  NullProgress progress;
  CHECK_THROWS_WITH(diff_packages(plain, linked, dir / "inc.amr", {}, progress),
                    "refused: link in a package (diff and apply carry regular files only) "
                    "(copy.html)");
  CHECK(names_in(dir.path()) == std::vector<std::string>{"linked.amr", "plain.amr"});
}

TEST_CASE("apply never packages a file below another file", "[offline]") {
  TempDir dir;
  std::map<std::string, std::string> base{{"index.html", "v1"}};
  auto v1 = write_amr(dir / "v1.amr", {tar_file("index.html", "v1")});
  auto target = base;
  target["index.html/x"] = "x";
  nlohmann::json change{{"path", "index.html/x"},
                        {"action", "add"},
                        {"encoding", "whole"},
                        {"sha256", to_hex(sha256_of("x"))}};
  nlohmann::json index{{"format", "mpaas-incremental"},
                       {"base_version", "1.0.0.1"},
                       {"base_tree_sha256", tree_hash(base)},
                       {"target_tree_sha256", tree_hash(target)},
                       {"changes", {change}},
                       {"deleted", nlohmann::json::array()}};
  test::AmrOptions options;
  options.version = "1.0.0.2";
  options.base_version = "1.0.0.1";
  auto inc = write_amr(
      dir / "inc.amr",
      {tar_file("files/index.html/x", "x"), tar_file("incremental.json", index.dump())}, options);
  NullProgress progress;
  CHECK_THROWS_WITH(apply_incremental(v1, inc, dir / "out.amr", {}, progress),
                    "refused: entry below a file (index.html/x)");
  CHECK(names_in(dir.path()) == std::vector<std::string>{"inc.amr", "v1.amr"});
}

TEST_CASE("a stop request ends diff and apply with nothing left behind", "[offline]") {
  TempDir dir;
  auto v1 = write_amr(dir / "v1.amr", {tar_file("index.html", "v1")});
  NullProgress progress;
  request_stop();
  CHECK_THROWS_WITH(diff_packages(v1, v1, dir / "inc.amr", {}, progress), "interrupted");
  CHECK_THROWS_WITH(apply_incremental(v1, v1, dir / "out.amr", {}, progress), "interrupted");
  clear_stop_request();
  CHECK(names_in(dir.path()) == std::vector<std::string>{"v1.amr"});
}
