// `mpaas offline diff` / `apply` work on the packages' tar members, never on an extracted
// tree: a base package whose links would reach outside (a chain "l0 -> l1/..", ...,
// "l3 -> .", harmless one by one) is refused, so no file from outside is signed into the
// result, and no change or delete path of an incremental package can go through them.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "hostile_amr.hpp"
#include "mpaas/core/sha256.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

using mpaas::test::read_text;
using mpaas::test::run_mpaas;
using mpaas::test::RunOptions;
using mpaas::test::tar_file;
using mpaas::test::tar_symlink;
using mpaas::test::TarMember;
using mpaas::test::TempDir;
using mpaas::test::write_amr;
using mpaas::test::write_text;
namespace fs = std::filesystem;

namespace {

const std::vector<TarMember> base_files = {tar_file("index.html", "v1"),
                                           tar_file("js/app.js", "one")};

// Links that, once extracted to TMPDIR/<scratch>/<tree>, make l0 the home folder; "x",
// first in the tar so that no link is known when it is judged, reads home/secret.txt.
std::vector<TarMember> with_escaping_links(std::vector<TarMember> members) {
  members.push_back(tar_symlink("x", "l0/secret.txt"));
  members.push_back(tar_symlink("l0", "l1/.."));
  members.push_back(tar_symlink("l1", "l2/.."));
  members.push_back(tar_symlink("l2", "l3/.."));
  members.push_back(tar_symlink("l3", "."));
  return members;
}

// SHA-256 over "path\0sha256\n" in path order, as incremental.json's tree hashes.
std::string tree_hash(const std::map<std::string, std::string>& files) {
  std::string text;
  for (const auto& [path, content] : files)
    text += path + std::string(1, '\0') + mpaas::to_hex(mpaas::sha256_of(content)) + "\n";
  return mpaas::to_hex(mpaas::sha256_of(text));
}

std::string sha(const std::string& content) {
  return mpaas::to_hex(mpaas::sha256_of(content));
}

RunOptions with_tmpdir(const TempDir& home) {
  fs::create_directories(home / "tmp");
  RunOptions options;
  options.env["TMPDIR"] = (home / "tmp").string();
  return options;
}

}  // namespace

TEST_CASE("offline apply never signs a file from outside through the base's links",
          "[cli][offline]") {
  TempDir home;
  write_text(home / "secret.txt", "TOP SECRET");
  auto options = with_tmpdir(home);
  write_amr(home / "base.amr", base_files);
  mpaas::test::AmrOptions v2;
  v2.version = "1.0.0.2";
  write_amr(home / "new.amr", {tar_file("index.html", "v2"), base_files[1]}, v2);
  REQUIRE(
      run_mpaas({"offline", "diff", "base.amr", "new.amr", "-o", "inc.amr"}, home.path(), options)
          .exit_code == 0);
  write_amr(home / "hostile.amr", with_escaping_links(base_files));

  auto apply = run_mpaas({"offline", "apply", "hostile.amr", "inc.amr", "-o", "out.amr"},
                         home.path(), options);
  CHECK(apply.exit_code == 3);
  CHECK(apply.err ==
        "mpaas: error: refused: link in a package (diff and apply carry regular files only) "
        "(x)\n");
  CHECK_FALSE(fs::exists(home / "out.amr"));
  auto diff = run_mpaas({"offline", "diff", "hostile.amr", "new.amr", "-o", "inc2.amr"},
                        home.path(), options);
  CHECK(diff.exit_code == 3);
  CHECK_FALSE(fs::exists(home / "inc2.amr"));
  CHECK(fs::is_empty(home / "tmp"));
}

TEST_CASE("offline apply refuses change and delete paths through links or with '..'",
          "[cli][offline]") {
  TempDir home;
  write_text(home / "victim.txt", "keep me");
  auto options = with_tmpdir(home);
  std::map<std::string, std::string> base_tree{{"index.html", "v1"}, {"js/app.js", "one"}};
  auto incremental = [&](const nlohmann::json& deleted, const nlohmann::json& changes,
                         const std::vector<TarMember>& payload) {
    nlohmann::json index{{"format", "mpaas-incremental"},
                         {"format_version", 1},
                         {"app_id", "70000000"},
                         {"base_version", "1.0.0.1"},
                         {"target_version", "1.0.0.2"},
                         {"target_name", "x"},
                         {"base_tree_sha256", tree_hash(base_tree)},
                         {"target_tree_sha256", "0"},
                         {"changes", changes},
                         {"deleted", deleted}};
    std::vector<TarMember> members = payload;
    members.push_back(tar_file("incremental.json", index.dump()));
    mpaas::test::AmrOptions inc;
    inc.version = "1.0.0.2";
    inc.base_version = "1.0.0.1";
    return write_amr(home / "inc.amr", members, inc);
  };
  nlohmann::json planted{{"path", "l0/planted.txt"},
                         {"action", "add"},
                         {"encoding", "whole"},
                         {"sha256", sha("planted")},
                         {"size", 7}};
  incremental({"l0/victim.txt"}, {planted}, {tar_file("files/l0/planted.txt", "planted")});
  write_amr(home / "hostile.amr", with_escaping_links(base_files));
  auto apply = run_mpaas({"offline", "apply", "hostile.amr", "inc.amr", "-o", "out.amr"},
                         home.path(), options);
  CHECK(apply.exit_code == 3);
  CHECK(read_text(home / "victim.txt") == "keep me");
  CHECK_FALSE(fs::exists(home / "planted.txt"));
  CHECK_FALSE(fs::exists(home / "out.amr"));

  // With a plain base, paths that climb or are not in normal form are refused as such.
  write_amr(home / "base.amr", base_files);
  struct Case {
    nlohmann::json deleted;
    nlohmann::json changes;
    std::string error;
  };
  std::vector<Case> cases = {
      {{"js/../../victim.txt"},
       nlohmann::json::array(),
       "refused: path with '..' in the deleted path (incremental.json: js/../../victim.txt)"},
      {{"./index.html"},
       nlohmann::json::array(),
       "refused: path not in normal form in the deleted path (incremental.json: ./index.html)"},
      {nlohmann::json::array(),
       {{{"path", "js/app.js"}, {"encoding", "copy"}, {"from", "../victim.txt"}, {"sha256", "0"}}},
       "refused: path with '..' in the copy source (incremental.json: ../victim.txt)"},
  };
  for (const auto& test : cases) {
    incremental(test.deleted, test.changes, {});
    auto result = run_mpaas({"offline", "apply", "base.amr", "inc.amr", "-o", "out.amr"},
                            home.path(), options);
    INFO(test.error);
    CHECK(result.exit_code == 3);
    CHECK(result.err == "mpaas: error: " + test.error + "\n");
    CHECK(read_text(home / "victim.txt") == "keep me");
    CHECK_FALSE(fs::exists(home / "out.amr"));
  }
  CHECK(fs::is_empty(home / "tmp"));
}
