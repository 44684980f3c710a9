// `mpaas hotfix` end to end: keys from `mpaas keys`, create (signed or with a warning),
// verify, inspect as text and JSON, apply to a file or --dir, and the refusals' exit codes
// with no output left behind; a zip from Info-ZIP's `zip` rebuilds byte for byte.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "process.hpp"
#include "temp_dir.hpp"

using mpaas::test::read_text;
using mpaas::test::run_mpaas;
using mpaas::test::run_program;
using mpaas::test::TempDir;
using mpaas::test::write_text;
using nlohmann::json;

TEST_CASE("mpaas hotfix create, verify, inspect and apply", "[cli][hotfix]") {
  TempDir dir;
  auto run = [&](std::vector<std::string> arguments) { return run_mpaas(arguments, dir.path()); };
  auto at = [&](const std::string& name) { return (dir / name).string(); };
  REQUIRE(run({"keys", "generate", "-o", at("keys"), "--type", "ed25519"}).exit_code == 0);
  REQUIRE(run({"keys", "generate", "-o", at("other"), "--type", "ec-p256"}).exit_code == 0);
  std::string old_data(200000, 'x');
  for (size_t i = 0; i < old_data.size(); i += 7)
    old_data[i] = static_cast<char>('a' + i % 26);
  std::string new_data = old_data;
  new_data.replace(100000, 5, "FIXED");
  write_text(dir / "old.so", old_data);
  write_text(dir / "new.so", new_data);

  auto created =
      run({"--json", "hotfix", "create", "--base", at("old.so"), "--target", at("new.so"), "-o",
           at("fix.mphf"), "--key", at("keys/private.pem"), "--app-version", "1.2.0"});
  INFO(created.err);
  REQUIRE(created.exit_code == 0);
  auto report = json::parse(created.out);
  CHECK(report["kind"] == "file");
  CHECK(report["app_versions"] == "1.2.0");
  CHECK(report["size"].get<uint64_t>() < 2000);

  CHECK(run({"hotfix", "verify", at("fix.mphf"), "--pubkey", at("keys/public.pem")}).exit_code ==
        0);
  auto wrong_key = run({"hotfix", "verify", at("fix.mphf"), "--pubkey", at("other/public.pem")});
  CHECK(wrong_key.exit_code == 4);
  CHECK(wrong_key.err.find("signed by SHA256:") != std::string::npos);
  auto inspected = run({"hotfix", "inspect", at("fix.mphf")});
  CHECK(inspected.out.find("kind:") != std::string::npos);

  auto applied = run({"hotfix", "apply", "--base", at("old.so"), at("fix.mphf"), "-o", at("out.so"),
                      "--pubkey", at("keys/public.pem")});
  REQUIRE(applied.exit_code == 0);
  CHECK(read_text(dir / "out.so") == new_data);

  // The wrong base: exit 4, nothing written.
  auto wrong_base = run({"hotfix", "apply", "--base", at("new.so"), at("fix.mphf"), "-o",
                         at("none.so"), "--pubkey", at("keys/public.pem")});
  CHECK(wrong_base.exit_code == 4);
  CHECK(wrong_base.err.find("expected sha256") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "none.so"));
  // Neither -o nor --dir: exit 2. Unsigned: a warning, then apply refuses it (exit 4).
  CHECK(run({"hotfix", "apply", "--base", at("old.so"), at("fix.mphf"), "--pubkey",
             at("keys/public.pem")})
            .exit_code == 2);
  auto unsigned_fix = run({"hotfix", "create", "--base", at("old.so"), "--target", at("new.so"),
                           "-o", at("unsigned.mphf")});
  CHECK(unsigned_fix.exit_code == 0);
  CHECK(unsigned_fix.err.find("unsigned") != std::string::npos);
  CHECK(run({"hotfix", "apply", "--base", at("old.so"), at("unsigned.mphf"), "-o", at("u.so"),
             "--pubkey", at("keys/public.pem")})
            .exit_code == 4);
  // Not a bundle: exit 3.
  CHECK(run({"hotfix", "inspect", at("old.so")}).exit_code == 3);
}

TEST_CASE("a zip written by Info-ZIP rebuilds byte for byte, and --dir takes the changes",
          "[cli][hotfix]") {
  REQUIRE(mpaas::test::have_program("zip"));
  TempDir dir;
  auto at = [&](const std::string& name) { return (dir / name).string(); };
  auto run = [&](std::vector<std::string> arguments) { return run_mpaas(arguments, dir.path()); };
  REQUIRE(run({"keys", "generate", "-o", at("keys"), "--type", "ed25519"}).exit_code == 0);
  std::filesystem::create_directories(dir / "v1" / "assets");
  std::string script(50000, ' ');
  for (size_t i = 0; i < script.size(); i += 11)
    script[i] = static_cast<char>('a' + i % 23);
  write_text(dir / "v1" / "classes.dex", script);
  write_text(dir / "v1" / "assets" / "same.txt", "unchanged");
  std::filesystem::copy(dir / "v1", dir / "v2", std::filesystem::copy_options::recursive);
  write_text(dir / "v2" / "classes.dex", script + "fixed();");
  write_text(dir / "v2" / "assets" / "new.txt", "added");
  for (std::string v : {"v1", "v2"}) {
    auto zipped = run_program(
        "sh", {"-c", "cd '" + at(v) + "' && zip -q -X -r ../" + v + ".zip classes.dex assets"});
    REQUIRE(zipped.exit_code == 0);
  }
  REQUIRE(run({"hotfix", "create", "--base", at("v1.zip"), "--target", at("v2.zip"), "-o",
               at("fix.mphf"), "--key", at("keys/private.pem")})
              .exit_code == 0);
  REQUIRE(run({"hotfix", "apply", "--base", at("v1.zip"), at("fix.mphf"), "-o", at("out.zip"),
               "--pubkey", at("keys/public.pem")})
              .exit_code == 0);
  CHECK(read_text(dir / "out.zip") == read_text(dir / "v2.zip"));
  auto unzipped = run_program("unzip", {"-t", at("out.zip")});
  CHECK(unzipped.exit_code == 0);

  auto written = run({"--json", "hotfix", "apply", "--base", at("v1.zip"), at("fix.mphf"), "--dir",
                      at("changed"), "--pubkey", at("keys/public.pem")});
  REQUIRE(written.exit_code == 0);
  CHECK(json::parse(written.out)["written_entries"] == 2);
  CHECK(read_text(dir / "changed" / "classes.dex") == script + "fixed();");
  CHECK(read_text(dir / "changed" / "assets" / "new.txt") == "added");
  CHECK_FALSE(std::filesystem::exists(dir / "changed" / "assets" / "same.txt"));
  // The folder exists now: exit 6.
  CHECK(run({"hotfix", "apply", "--base", at("v1.zip"), at("fix.mphf"), "--dir", at("changed"),
             "--pubkey", at("keys/public.pem")})
            .exit_code == 6);
}
