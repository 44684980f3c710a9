// `mpaas offline diff` / `apply` and `config` through the binary.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "process.hpp"
#include "temp_dir.hpp"

using mpaas::test::read_text;
using mpaas::test::run_mpaas;
using mpaas::test::RunOptions;
using mpaas::test::TempDir;
using mpaas::test::write_text;
namespace fs = std::filesystem;

namespace {

void write_version(const fs::path& folder, const std::string& version,
                   const std::map<std::string, std::string>& files) {
  write_text(folder / "mpaas.yaml", "offline:\n  id: \"80000001\"\n  name: h5app\n  version: " +
                                        version + "\n  root: www\n  main_url: /index.html\n");
  for (const auto& [path, content] : files)
    write_text(folder / "www" / path, content);
}

}  // namespace

TEST_CASE("offline diff then apply rebuilds NEW for added, changed, deleted and renamed files",
          "[cli][offline]") {
  TempDir home;
  std::string big(20000, 'x');
  write_version(home / "v1", "1.0.0.1",
                {{"index.html", "v1 page"},
                 {"js/app.js", "one"},
                 {"old.css", "gone"},
                 {"img/logo.svg", big}});
  write_version(home / "v2", "1.0.0.2",
                {{"index.html", "v2 page"},
                 {"js/app.js", "one"},
                 {"new.js", "added"},
                 {"images/logo.svg", big}});
  RunOptions at_home;
  at_home.cwd = home.path();
  REQUIRE(run_mpaas({"keys", "generate", "-o", "k"}, home.path(), at_home).exit_code == 0);
  REQUIRE(run_mpaas({"offline", "build", "v1", "-o", "v1.amr", "--key", "k/private.pem"},
                    home.path(), at_home)
              .exit_code == 0);
  REQUIRE(run_mpaas({"offline", "build", "v2", "-o", "v2.amr", "--key", "k/private.pem"},
                    home.path(), at_home)
              .exit_code == 0);

  auto diff = run_mpaas(
      {"offline", "diff", "v1.amr", "v2.amr", "-o", "inc.amr", "--key", "k/private.pem", "--json"},
      home.path(), at_home);
  REQUIRE(diff.exit_code == 0);
  auto summary = nlohmann::json::parse(diff.out);
  CHECK(summary["added"] == 2);    // new.js, images/logo.svg (a rename: copied from the base)
  CHECK(summary["changed"] == 2);  // index.html, hpmfile.json
  CHECK(summary["deleted"] == 2);  // old.css, img/logo.svg
  CHECK(summary["copied"] == 1);
  CHECK(fs::file_size(home / "inc.amr") < fs::file_size(home / "v2.amr") + 2000);
  CHECK(
      run_mpaas({"offline", "verify", "inc.amr", "--pubkey", "k/public.pem"}, home.path(), at_home)
          .exit_code == 0);

  auto apply = run_mpaas(
      {"offline", "apply", "v1.amr", "inc.amr", "-o", "v2-rebuilt.amr", "--key", "k/private.pem"},
      home.path(), at_home);
  REQUIRE(apply.exit_code == 0);
  // Same files, same build pipeline, same key: the very same bytes.
  CHECK(read_text(home / "v2-rebuilt.amr") == read_text(home / "v2.amr"));

  auto wrong_base =
      run_mpaas({"offline", "apply", "v2.amr", "inc.amr", "-o", "x.amr"}, home.path(), at_home);
  CHECK(wrong_base.exit_code == 6);
  CHECK_FALSE(fs::exists(home / "x.amr"));
}

TEST_CASE("offline config merges packages into one h5_json.json", "[cli][offline]") {
  TempDir home;
  write_version(home / "a", "1.0.0.1", {{"index.html", "a"}});
  write_text(
      home / "b/mpaas.yaml",
      "offline:\n  id: \"80000002\"\n  name: other\n  version: 2.0.0\n  main_url: /main.html\n"
      "  vhost: https://b.example.com\n");
  write_text(home / "b/www/main.html", "b");
  RunOptions at_home;
  at_home.cwd = home.path();
  REQUIRE(run_mpaas({"offline", "build", "a", "-o", "a.amr"}, home.path(), at_home).exit_code == 0);
  REQUIRE(run_mpaas({"offline", "build", "b", "-o", "b.amr"}, home.path(), at_home).exit_code == 0);
  auto config = run_mpaas(
      {"offline", "config", "a.amr", "b.amr", "--base-url", "https://cdn.example.com/h5/"},
      home.path(), at_home);
  REQUIRE(config.exit_code == 0);
  auto json = nlohmann::json::parse(read_text(home / "h5_json.json"));
  REQUIRE(json["data"].size() == 2);
  CHECK(json.contains("config"));
  auto first = json["data"][0];
  CHECK(first["app_id"] == "80000001");
  CHECK(first["package_url"] == "https://cdn.example.com/h5/80000001/1.0.0.1/a.amr");
  CHECK(first["vhost"] == "https://80000001.h5app.com");
  CHECK(first["auto_install"] == 1);
  CHECK(first["install_type"] == 1);
  CHECK(json["data"][1]["main_url"] == "/main.html");
  CHECK(json["data"][1]["vhost"] == "https://b.example.com");
  auto twice = run_mpaas({"offline", "config", "a.amr", "a.amr", "-o", "-"}, home.path(), at_home);
  CHECK(twice.exit_code == 6);
}

TEST_CASE("offline diff carries a changed file as an mpd patch when that is smaller",
          "[cli][offline]") {
  TempDir home;
  std::string bundle;
  uint32_t state = 12345;
  for (int i = 0; i < 200000; ++i) {  // incompressible, so only a delta can make it small
    state = state * 1103515245u + 12345u;
    bundle += static_cast<char>(state >> 24);
  }
  std::string edited = bundle;
  edited.replace(100000, 5, "EDIT!");
  write_version(home / "v1", "1.0.0.1", {{"index.html", "page"}, {"js/bundle.bin", bundle}});
  write_version(home / "v2", "1.0.0.2", {{"index.html", "page"}, {"js/bundle.bin", edited}});
  RunOptions at_home;
  at_home.cwd = home.path();
  for (const char* version : {"v1", "v2"}) {
    REQUIRE(run_mpaas({"offline", "build", version, "-o", std::string(version) + ".amr"},
                      home.path(), at_home)
                .exit_code == 0);
  }
  REQUIRE(run_mpaas({"offline", "diff", "v1.amr", "v2.amr", "-o", "inc.amr"}, home.path(), at_home)
              .exit_code == 0);
  CHECK(fs::file_size(home / "inc.amr") < 20000);
  CHECK(fs::file_size(home / "v2.amr") > 200000);
  REQUIRE(run_mpaas({"offline", "apply", "v1.amr", "inc.amr", "-o", "v2-rebuilt.amr"}, home.path(),
                    at_home)
              .exit_code == 0);
  CHECK(read_text(home / "v2-rebuilt.amr") == read_text(home / "v2.amr"));
}
