// offline/builder + reader + extract: reproducible builds, signatures, the real mPaaS
// fixture, and refusals.
#include <sys/stat.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "fixtures.hpp"
#include "mpaas/core/atomic_file.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/core/progress.hpp"
#include "mpaas/offline/builder.hpp"
#include "mpaas/offline/extract.hpp"
#include "mpaas/offline/reader.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

using namespace mpaas;
using namespace mpaas::offline;
using mpaas::test::TempDir;
using mpaas::test::write_text;
namespace fs = std::filesystem;

namespace {

Settings demo_settings() {
  Settings settings;
  settings.id = "80000001";
  settings.name = "h5app";
  settings.version = "1.0.0.1";
  settings.vhost = "https://80000001.h5app.com";
  settings.exclude = {"**/*.md"};
  return settings;
}

const std::vector<std::pair<std::string, std::string>> demo_files = {
    {"index.html", "<html><script src=js/app.js></script></html>\n"},
    {"js/app.js", "console.log('hi');\n"},
    {"css/app.css", "body{margin:0}\n"},
    {"img/deep/logo.svg", "<svg/>\n"},
    {"NOTES.md", "not packaged\n"},
};

// Writes the demo project in a shuffled order with random mtimes under `umask_value`.
void write_project(const fs::path& folder, unsigned seed, mode_t umask_value) {
  auto files = demo_files;
  std::mt19937 random(seed);
  std::shuffle(files.begin(), files.end(), random);
  mode_t saved = umask(umask_value);
  for (const auto& [path, content] : files) {
    write_text(folder / "www" / path, content);
    fs::last_write_time(folder / "www" / path,
                        fs::file_time_type::clock::now() - std::chrono::hours(random() % 10000));
  }
  umask(saved);
}

std::string file_bytes(const fs::path& path) {
  return read_file(path);
}

}  // namespace

TEST_CASE("builds are byte-identical whatever the file order, times and umask", "[offline]") {
  TempDir one, two;
  write_project(one.path(), 1, 022);
  write_project(two.path(), 2, 077);
  auto key = crypto::generate_key(crypto::KeyType::rsa2048);
  PackOptions options;
  options.key = key;
  NullProgress progress;
  auto first = build_package(demo_settings(), one.path(), one / "a.amr", options, progress);
  options.threads = 1;  // the block-parallel deflate gives the same bytes on one thread
  build_package(demo_settings(), two.path(), two / "b.amr", options, progress);
  CHECK(first.files == 5);  // four web files and hpmfile.json; NOTES.md excluded
  CHECK(file_bytes(one / "a.amr") == file_bytes(two / "b.amr"));

  options.mtime = 1700000000;
  build_package(demo_settings(), two.path(), two / "c.amr", options, progress);
  CHECK(file_bytes(one / "a.amr") != file_bytes(two / "c.amr"));
}

TEST_CASE("a built package reads back with mPaaS entry order and verifies", "[offline]") {
  TempDir project;
  write_project(project.path(), 3, 022);
  auto key = crypto::generate_key(crypto::KeyType::rsa2048);
  PackOptions options;
  options.key = key;
  NullProgress progress;
  build_package(demo_settings(), project.path(), project / "p.amr", options, progress);
  auto package = read_package(project / "p.amr");
  REQUIRE(package.entries.size() == 3);
  CHECK(package.entries[0].name == "Manifest.xml");
  CHECK(package.entries[1].name == "CERT.json");
  CHECK(package.entries[2].name == "80000001.tar");
  CHECK(package.manifest.version == "1.0.0.1");
  CHECK(package.hpmfile["launchParams"]["url"] == "/index.html");
  std::vector<std::string> paths;
  for (const auto& file : package.files)
    paths.push_back(file.path);
  CHECK(paths == std::vector<std::string>{"css/app.css", "hpmfile.json", "img/deep/logo.svg",
                                          "index.html", "js/app.js"});
  for (const auto& check : check_signatures(package, key)) {
    CHECK(check.state == "valid");
    CHECK(check.digest == "SHA1");
  }
  auto other = crypto::generate_key(crypto::KeyType::rsa2048);
  for (const auto& check : check_signatures(package, other))
    CHECK(check.state == "invalid");

  options.digest = crypto::DigestKind::sha256;
  sign_package(project / "p.amr", options, progress);
  for (const auto& check : check_signatures(read_package(project / "p.amr"), key)) {
    CHECK(check.state == "valid");
    CHECK(check.digest == "SHA256");
  }
}

TEST_CASE("the real mPaaS demo package verifies with its public key", "[offline][fixture]") {
  MPAAS_FIXTURE_OR_SKIP(fixture_dir, "mpaas-demo");
  auto package = read_package(fixture_dir / "70000000_1.0.0.6.amr");
  CHECK(package.manifest.uid == "70000000");
  CHECK(package.files.size() == 8);
  auto key = crypto::load_public_key(read_file(fixture_dir / "mpaas-demo-public.pem"), "fixture");
  auto checks = check_signatures(package, key);
  REQUIRE(checks.size() == 2);
  for (const auto& check : checks)
    CHECK(check.state == "valid");
}

TEST_CASE("builds refuse a missing main URL, bad global paths and escaping links", "[offline]") {
  TempDir project;
  write_project(project.path(), 4, 022);
  NullProgress progress;
  auto settings = demo_settings();
  settings.main_url = "/missing.html";
  CHECK_THROWS_WITH(build_package(settings, project.path(), project / "x.amr", {}, progress),
                    "the main URL is not in the package (offline.main_url: /missing.html)");
  settings = demo_settings();
  settings.type = "global";
  CHECK_THROWS_WITH(build_package(settings, project.path(), project / "x.amr", {}, progress),
                    Catch::StartsWith("a global package path is not domain/appId_workspaceId"));
  settings = demo_settings();
  write_text(project / "secret.txt", "secret");
  fs::create_symlink("../../secret.txt", project / "www/js/leak.txt");
  CHECK_THROWS_WITH(build_package(settings, project.path(), project / "x.amr", {}, progress),
                    "symbolic link points outside the source folder (js/leak.txt)");
  CHECK_FALSE(fs::exists(project / "x.amr"));
  fs::remove(project / "www/js/leak.txt");
  fs::create_symlink("../css/app.css", project / "www/js/same.css");
  build_package(settings, project.path(), project / "x.amr", {}, progress);
  auto package = read_package(project / "x.amr");
  CHECK_FALSE(package.signatures);
  bool linked = false;
  for (const auto& file : package.files)
    linked = linked || file.path == "js/same.css";
  CHECK(linked);
}

TEST_CASE("extraction writes the files and honours the size ceiling", "[offline]") {
  TempDir project;
  write_project(project.path(), 5, 022);
  NullProgress progress;
  build_package(demo_settings(), project.path(), project / "p.amr", {}, progress);
  auto result = extract_package(project / "p.amr", project / "out");
  CHECK(result.files == 5);
  CHECK(mpaas::test::read_text(project / "out/js/app.js") == "console.log('hi');\n");
  archive::ExtractionLimits tight;
  tight.max_total_bytes = 100;
  CHECK_THROWS_WITH(extract_package(project / "p.amr", project / "out2", tight),
                    Catch::StartsWith("refused: expands beyond the size limit"));
  CHECK_FALSE(fs::exists(project / "out2"));
}

TEST_CASE("a multi-block package is identical on 1, 2 and 4 threads and opens elsewhere",
          "[offline]") {
  TempDir project;
  write_project(project.path(), 5, 022);
  // Over three deflate blocks: compressible text, then noise that deflate stores.
  std::string script;
  for (int i = 0; script.size() < (size_t{5} << 19); ++i)
    script += "export function f" + std::to_string(i) + "(a) { return a * " +
              std::to_string(i % 97) + "; }\n";
  std::mt19937 random(9);
  std::string noise(700000, '\0');
  for (auto& c : noise)
    c = static_cast<char>(random());
  write_text(project / "www/js/big.js", script);
  write_text(project / "www/img/noise.bin", noise);
  auto key = crypto::generate_key(crypto::KeyType::rsa2048);
  PackOptions options;
  options.key = key;
  NullProgress progress;
  std::string bytes;
  for (unsigned threads : {1u, 2u, 4u}) {
    options.threads = threads;
    auto name = "p" + std::to_string(threads) + ".amr";
    build_package(demo_settings(), project.path(), project / name, options, progress);
    if (bytes.empty())
      bytes = file_bytes(project / name);
    else
      CHECK(file_bytes(project / name) == bytes);
  }
  auto amr = (project / "p1.amr").string();
  CHECK(mpaas::test::run_program("unzip", {"-tq", amr}).exit_code == 0);
  CHECK(mpaas::test::run_program("bsdtar", {"-tf", amr}).out ==
        "Manifest.xml\nCERT.json\n80000001.tar\n");
  REQUIRE(
      mpaas::test::run_program("unzip", {"-q", amr, "-d", (project / "x").string()}).exit_code ==
      0);
  auto tar = (project / "x/80000001.tar").string();
  REQUIRE(mpaas::test::run_program("tar", {"-xf", tar, "-C", (project / "x").string()}).exit_code ==
          0);
  CHECK(file_bytes(project / "x/js/big.js") == script);
  CHECK(file_bytes(project / "x/img/noise.bin") == noise);
  for (const auto& check : check_signatures(read_package(project / "p1.amr"), key))
    CHECK(check.state == "valid");
}

TEST_CASE("signing an unsigned package gives the bytes of a signed build", "[offline]") {
  TempDir project;
  write_project(project.path(), 6, 022);
  auto key = crypto::generate_key(crypto::KeyType::rsa2048);
  NullProgress progress;
  PackOptions unsigned_options;
  build_package(demo_settings(), project.path(), project / "u.amr", unsigned_options, progress);
  PackOptions options;
  options.key = key;
  build_package(demo_settings(), project.path(), project / "s.amr", options, progress);
  CHECK(file_bytes(project / "u.amr") != file_bytes(project / "s.amr"));
  sign_package(project / "u.amr", options, progress);
  CHECK(file_bytes(project / "u.amr") == file_bytes(project / "s.amr"));
}

TEST_CASE("global package paths follow the mPaaS host/appId_workspaceId/resource rule",
          "[offline]") {
  CHECK(global_path_problem("mcube-prod.mpaascloud.com/53E5279071442_test/common.js") == "");
  CHECK(global_path_problem("cdn.example.com/ABC123_prod-2/lib/v1.2/a_b.css") == "");
  CHECK_THAT(global_path_problem("common.js"), Catch::StartsWith("is not domain/"));
  CHECK_THAT(global_path_problem("host.com/common.js"), Catch::StartsWith("is not domain/"));
  CHECK_THAT(global_path_problem("-bad.com/A1_b/x.js"), Catch::StartsWith("does not start"));
  CHECK_THAT(global_path_problem(std::string(64, 'a') + ".com/A1_b/x.js"),
             Catch::StartsWith("does not start"));
  std::string long_host;
  for (int i = 0; i < 5; ++i)
    long_host += std::string(60, 'a') + ".";
  CHECK_THAT(global_path_problem(long_host + "com/A1_b/x.js"), Catch::StartsWith("does not start"));
  CHECK_THAT(global_path_problem("host.com/nounderscore/x.js"),
             Catch::StartsWith("has no appId_workspaceId"));
  CHECK_THAT(global_path_problem("host.com/A1_b/my file.js"), Catch::StartsWith("has characters"));
  CHECK_THAT(global_path_problem("host.com/A1_b/a~b.js"), Catch::StartsWith("has characters"));
  CHECK_THAT(global_path_problem("host.com/A1_b//x.js"), Catch::StartsWith("has characters"));
}
