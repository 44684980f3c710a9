// `mpaas offline` and the offline: settings: a wrongly typed setting stops the build (it
// used to build an unsigned package over the signed one), an unknown one is a warning, and
// signing in place keeps the package's mode and symlink.
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

const char* settings_head = R"(offline:
  id: "80000001"
  name: h5app
  version: 1.0.0.1
)";

RunOptions in_app(const TempDir& home) {
  RunOptions options;
  options.cwd = home / "app";
  return options;
}

void make_project(const TempDir& home, const std::string& sign_line) {
  write_text(home / "app/mpaas.yaml", settings_head + sign_line);
  write_text(home / "app/www/index.html", "<html><body>hi</body></html>\n");
  REQUIRE(run_mpaas({"keys", "generate", "-o", "keys"}, home.path(), in_app(home)).exit_code == 0);
}

fs::perms mode_of(const fs::path& path) {
  return fs::status(path).permissions() & fs::perms::all;
}

}  // namespace

TEST_CASE("a signing key written as a plain value stops the build", "[cli][offline]") {
  TempDir home;
  make_project(home, "  sign: {key: keys/private.pem}\n");
  auto signed_build = run_mpaas({"offline", "build", "--json"}, home.path(), in_app(home));
  REQUIRE(signed_build.exit_code == 0);
  auto package = home / "app/80000001_1.0.0.1.amr";
  std::string signed_bytes = read_text(package);

  write_text(home / "app/mpaas.yaml", std::string(settings_head) + "  sign: keys/private.pem\n");
  auto build = run_mpaas({"offline", "build"}, home.path(), in_app(home));
  CHECK(build.exit_code == 3);
  CHECK(build.err ==
        "mpaas: error: expected a mapping such as {key: keys/private.pem} "
        "(offline.sign in " +
            (home / "app/mpaas.yaml").string() + ")\n");
  CHECK(read_text(package) == signed_bytes);  // the signed package is not overwritten
}

TEST_CASE("an unknown setting is a warning naming it", "[cli][offline]") {
  TempDir home;
  make_project(home, "  signing: {key: keys/private.pem}\n");
  auto build = run_mpaas({"offline", "build", "--unsigned"}, home.path(), in_app(home));
  CHECK(build.exit_code == 0);
  CHECK_THAT(build.err, Catch::Contains("warning: unknown setting offline.signing is ignored "
                                        "(did you mean offline.sign?)"));
}

TEST_CASE("offline sign keeps the package's mode and symlink", "[cli][offline]") {
  TempDir home;
  make_project(home, "");
  REQUIRE(run_mpaas({"offline", "build", "-o", "out/"}, home.path(), in_app(home)).exit_code == 0);
  auto package = home / "app/out/80000001_1.0.0.1.amr";
  fs::permissions(package, fs::perms(0600));
  fs::create_symlink("out/80000001_1.0.0.1.amr", home / "app/link.amr");
  auto sign = run_mpaas({"offline", "sign", "link.amr", "--key", "keys/private.pem"}, home.path(),
                        in_app(home));
  REQUIRE(sign.exit_code == 0);
  CHECK(fs::is_symlink(home / "app/link.amr"));
  CHECK(mode_of(package) == fs::perms(0600));
  auto verify = run_mpaas({"offline", "verify", "link.amr", "--pubkey", "keys/public.pem"},
                          home.path(), in_app(home));
  CHECK(verify.exit_code == 0);
}
