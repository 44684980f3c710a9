// `mpaas offline` through the binary: build, verify, inspect, extract and sign, interop
// with unzip, bsdtar, GNU tar and openssl, the real mPaaS fixture, and every refusal with
// its exit code and nothing written.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>

#include "fixtures.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

using mpaas::test::read_text;
using mpaas::test::run_mpaas;
using mpaas::test::run_program;
using mpaas::test::RunOptions;
using mpaas::test::TempDir;
using mpaas::test::write_text;
namespace fs = std::filesystem;

namespace {

const char* project_yaml = R"(offline:
  id: "80000001"
  name: h5app
  version: 1.0.0.1
  root: www
  main_url: /index.html
  vhost: https://80000001.h5app.com
  type: normal
  include: ["**"]
  exclude: ["**/*.md"]
  client_version: {android: {min: 1.0.0}, ios: {min: 1.0.0, max: 3.0.0}}
  sign: {key: keys/private.pem}
)";

// A project as `mpaas new h5` makes it, with a key pair in keys/.
void make_project(const TempDir& home) {
  write_text(home / "app/mpaas.yaml", project_yaml);
  write_text(home / "app/www/index.html", "<html><body>hi</body></html>\n");
  write_text(home / "app/www/js/app.js", "console.log(1);\n");
  write_text(home / "app/www/css/app.css", "body{}\n");
  write_text(home / "app/www/README.md", "excluded\n");
  RunOptions in_app;
  in_app.cwd = home / "app";
  REQUIRE(run_mpaas({"keys", "generate", "-o", "keys"}, home.path(), in_app).exit_code == 0);
}

RunOptions in_dir(const fs::path& folder) {
  RunOptions options;
  options.cwd = folder;
  return options;
}

void flip_byte(const fs::path& file, size_t offset) {
  std::fstream stream(file, std::ios::in | std::ios::out | std::ios::binary);
  stream.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  stream.get(c);
  stream.seekp(static_cast<std::streamoff>(offset));
  stream.put(static_cast<char>(c ^ 0x20));
}

}  // namespace

TEST_CASE("offline build signs with the configured key and verify accepts it", "[cli][offline]") {
  TempDir home;
  make_project(home);
  auto app = in_dir(home / "app");
  auto build = run_mpaas({"offline", "build", "--json"}, home.path(), app);
  REQUIRE(build.exit_code == 0);
  auto summary = nlohmann::json::parse(build.out);
  CHECK(summary["signed"] == true);
  CHECK(summary["files"] == 4);
  CHECK(summary["signature"] == "SHA1withRSA");
  REQUIRE(fs::exists(home / "app/80000001_1.0.0.1.amr"));

  auto verify =
      run_mpaas({"offline", "verify", "80000001_1.0.0.1.amr", "--pubkey", "keys/public.pem"},
                home.path(), app);
  CHECK(verify.exit_code == 0);
  CHECK_THAT(verify.out, Catch::Contains("80000001.tar") && Catch::Contains("valid"));

  // The one-line base64 form that Android apps embed works too.
  auto base64 = run_mpaas({"keys", "show", "keys/public.pem", "-o", "json"}, home.path(), app);
  auto one_line = nlohmann::json::parse(base64.out)["public_base64"].get<std::string>();
  CHECK(run_mpaas({"offline", "verify", "80000001_1.0.0.1.amr", "--pubkey", one_line}, home.path(),
                  app)
            .exit_code == 0);

  auto inspect = run_mpaas(
      {"offline", "inspect", "80000001_1.0.0.1.amr", "-o", "json", "--pubkey", "keys/public.pem"},
      home.path(), app);
  REQUIRE(inspect.exit_code == 0);
  auto report = nlohmann::json::parse(inspect.out);
  CHECK(report["manifest"]["uid"] == "80000001");
  CHECK(report["hpmfile"]["launchParams"]["url"] == "/index.html");
  CHECK(report["signature"] == "valid");
  CHECK(report["entries"].size() == 3);
  CHECK(report["files"].size() == 4);
  CHECK(report["files"][0]["path"] == "css/app.css");
  CHECK(report["files"][0]["sha256"].get<std::string>().size() == 64);
}

TEST_CASE("built packages open with unzip, bsdtar and GNU tar and verify with openssl",
          "[cli][offline][interop]") {
  TempDir home;
  make_project(home);
  auto app = in_dir(home / "app");
  REQUIRE(run_mpaas({"offline", "build", "-o", "p.amr"}, home.path(), app).exit_code == 0);
  auto listing = run_program("unzip", {"-Z1", (home / "app/p.amr").string()});
  CHECK(listing.out == "Manifest.xml\nCERT.json\n80000001.tar\n");
  REQUIRE(run_program("unzip", {"-tq", (home / "app/p.amr").string()}).exit_code == 0);
  REQUIRE(run_program("unzip", {"-q", (home / "app/p.amr").string(), "-d", (home / "x").string()})
              .exit_code == 0);
  auto tar = run_program("tar", {"-tvf", (home / "x/80000001.tar").string()});
  CHECK(tar.exit_code == 0);
  CHECK_THAT(tar.out, Catch::Contains("-rw-rw-r-- admin/admin") && Catch::Contains("hpmfile.json"));
  auto bsdtar = run_program("bsdtar", {"-tf", (home / "app/p.amr").string()});
  CHECK(bsdtar.out == "Manifest.xml\nCERT.json\n80000001.tar\n");
  CHECK(run_program("bsdtar", {"-tf", (home / "x/80000001.tar").string()}).out ==
        "css/app.css\nhpmfile.json\nindex.html\njs/app.js\n");

  auto cert = nlohmann::json::parse(read_text(home / "x/CERT.json"));
  for (const std::string entry : {"Manifest.xml", "80000001.tar"}) {
    auto signature = home / ("x/" + entry + ".sig");
    write_text(home / "x/sig.b64", cert[entry].get<std::string>() + "\n");
    REQUIRE(run_program("openssl", {"base64", "-d", "-A", "-in", (home / "x/sig.b64").string(),
                                    "-out", signature.string()})
                .exit_code == 0);
    auto dgst = run_program("openssl",
                            {"dgst", "-sha1", "-verify", (home / "app/keys/public.pem").string(),
                             "-signature", signature.string(), (home / ("x/" + entry)).string()});
    CHECK(dgst.out == "Verified OK\n");
  }
}

TEST_CASE("a package whose tar or manifest changed by one byte fails verify with exit 4",
          "[cli][offline]") {
  TempDir home;
  make_project(home);
  auto app = in_dir(home / "app");
  REQUIRE(run_mpaas({"offline", "build", "-o", "p.amr"}, home.path(), app).exit_code == 0);
  for (const std::string entry : {"Manifest.xml", "80000001.tar"}) {
    fs::remove_all(home / "x");
    run_program("unzip", {"-q", (home / "app/p.amr").string(), "-d", (home / "x").string()});
    flip_byte(home / ("x/" + entry), entry == "Manifest.xml" ? 60 : 600);
    fs::remove(home / "bad.amr");
    REQUIRE(run_program("zip",
                        {"-q", "-X", (home / "bad.amr").string(), "Manifest.xml", "CERT.json",
                         "80000001.tar"},
                        in_dir(home / "x"))
                .exit_code == 0);
    auto verify =
        run_mpaas({"offline", "verify", (home / "bad.amr").string(), "--pubkey", "keys/public.pem"},
                  home.path(), app);
    CHECK(verify.exit_code == 4);
    CHECK(verify.err == "mpaas: error: signature invalid (" + entry + ")\n");
  }
}

TEST_CASE("the real mPaaS demo package verifies, inspects and extracts",
          "[cli][offline][fixture]") {
  MPAAS_FIXTURE_OR_SKIP(fixture_dir, "mpaas-demo");
  TempDir home;
  auto amr = (fixture_dir / "70000000_1.0.0.6.amr").string();
  auto verify = run_mpaas(
      {"offline", "verify", amr, "--pubkey", (fixture_dir / "mpaas-demo-public.pem").string()},
      home.path());
  CHECK(verify.exit_code == 0);
  auto inspect = run_mpaas({"offline", "inspect", amr, "-o", "json"}, home.path());
  REQUIRE(inspect.exit_code == 0);
  auto report = nlohmann::json::parse(inspect.out);
  CHECK(report["manifest"]["version"] == "1.0.0.6");
  CHECK(report["hpmfile"]["appid"] == "70000000");
  CHECK(report["files"].size() == 8);
  auto extract = run_mpaas({"offline", "extract", amr, (home / "out").string()}, home.path());
  CHECK(extract.exit_code == 0);
  CHECK(fs::file_size(home / "out/index.html") == 3076);
}

TEST_CASE("offline sign re-signs in place and sha256 is offered as an extension",
          "[cli][offline]") {
  TempDir home;
  make_project(home);
  auto app = in_dir(home / "app");
  REQUIRE(
      run_mpaas({"offline", "build", "-o", "p.amr", "--unsigned"}, home.path(), app).exit_code ==
      0);
  CHECK(run_mpaas({"offline", "verify", "p.amr", "--pubkey", "keys/public.pem"}, home.path(), app)
            .err == "mpaas: error: the package is not signed (CERT.json)\n");
  REQUIRE(run_mpaas({"keys", "generate", "-o", "other"}, home.path(), app).exit_code == 0);
  auto sign =
      run_mpaas({"offline", "sign", "p.amr", "--key", "other/private.pem", "--digest", "sha256"},
                home.path(), app);
  CHECK(sign.exit_code == 0);
  CHECK(sign.out == "signed p.amr (SHA256withRSA)\n");
  auto verify =
      run_mpaas({"offline", "verify", "p.amr", "--pubkey", "other/public.pem", "-o", "json"},
                home.path(), app);
  CHECK(verify.exit_code == 0);
  CHECK(nlohmann::json::parse(verify.out)[0]["digest"] == "SHA256");
  CHECK(run_mpaas({"offline", "verify", "p.amr", "--pubkey", "keys/public.pem"}, home.path(), app)
            .exit_code == 4);
  auto help = run_mpaas({"offline", "sign", "--help"}, home.path(), app);
  CHECK_THAT(help.out, Catch::Contains("sha256 is an mpaas extension"));
}

TEST_CASE("builds are reproducible through the binary and honour SOURCE_DATE_EPOCH",
          "[cli][offline]") {
  TempDir home;
  make_project(home);
  auto app = in_dir(home / "app");
  REQUIRE(run_mpaas({"offline", "build", "-o", "a.amr"}, home.path(), app).exit_code == 0);
  fs::last_write_time(home / "app/www/index.html",
                      fs::file_time_type::clock::now() - std::chrono::hours(50));
  REQUIRE(run_mpaas({"offline", "build", "-o", "b.amr"}, home.path(), app).exit_code == 0);
  CHECK(read_text(home / "app/a.amr") == read_text(home / "app/b.amr"));
  app.env["SOURCE_DATE_EPOCH"] = "1700000000";
  REQUIRE(run_mpaas({"offline", "build", "-o", "c.amr"}, home.path(), app).exit_code == 0);
  CHECK(read_text(home / "app/a.amr") != read_text(home / "app/c.amr"));
  auto zipinfo = run_program("unzip", {"-Z", "-T", (home / "app/c.amr").string()});
  CHECK_THAT(zipinfo.out, Catch::Contains("20231114.221320"));
}

TEST_CASE("offline build refusals exit with their code and write nothing", "[cli][offline]") {
  TempDir home;
  make_project(home);
  auto app = in_dir(home / "app");
  struct Case {
    std::vector<std::string> arguments;
    int exit_code;
    std::string error;
  };
  std::vector<Case> cases = {
      {{"--main-url", "/nope.html"},
       3,
       "the main URL is not in the package (offline.main_url: /nope.html)"},
      {{"--id", "66666612"}, 3, "the package id 66666612 is reserved by mPaaS (offline.id)"},
      {{"--id", "123"}, 3, "the package id must be 8 digits, not '123' (offline.id)"},
      {{"--version", "v1"},
       3,
       "the version must be four-part (1.0.0.1) or semver, not 'v1' (offline.version)"},
      {{"--type", "global"}, 3, ""},
      {{"--key", "missing.pem"}, 5, ""},
  };
  for (const auto& test : cases) {
    std::vector<std::string> arguments{"offline", "build", "-o", "out.amr"};
    arguments.insert(arguments.end(), test.arguments.begin(), test.arguments.end());
    auto result = run_mpaas(arguments, home.path(), app);
    INFO(test.arguments[0] << " " << test.arguments[1] << ": " << result.err);
    CHECK(result.exit_code == test.exit_code);
    if (!test.error.empty())
      CHECK(result.err == "mpaas: error: " + test.error + "\n");
    CHECK_FALSE(fs::exists(home / "app/out.amr"));
  }
  fs::create_symlink("/etc/passwd", home / "app/www/passwd");
  auto link = run_mpaas({"offline", "build", "-o", "out.amr"}, home.path(), app);
  CHECK(link.exit_code == 3);
  CHECK(link.err == "mpaas: error: symbolic link points outside the source folder (passwd)\n");
  CHECK_FALSE(fs::exists(home / "app/out.amr"));
  CHECK(fs::directory_iterator(home / "app") != fs::directory_iterator());
  for (const auto& entry : fs::directory_iterator(home / "app")) {
    CHECK(entry.path().filename().string().find(".tmp") == std::string::npos);
  }
}

TEST_CASE("encrypted keys take their passphrase from the environment", "[cli][offline]") {
  TempDir home;
  make_project(home);
  auto app = in_dir(home / "app");
  REQUIRE(
      run_program("openssl", {"pkey", "-in", (home / "app/keys/private.pem").string(), "-aes256",
                              "-passout", "pass:s3cret", "-out", (home / "app/enc.pem").string()})
          .exit_code == 0);
  auto no_pass =
      run_mpaas({"offline", "build", "-o", "e.amr", "--key", "enc.pem"}, home.path(), app);
  CHECK(no_pass.exit_code == 7);
  CHECK(no_pass.err ==
        "mpaas: error: the key is encrypted and no passphrase was given (enc.pem)\n");
  app.env["MPAAS_SIGNING_KEY_PASSPHRASE"] = "wrong";
  CHECK(run_mpaas({"offline", "build", "-o", "e.amr", "--key", "enc.pem"}, home.path(), app)
            .exit_code == 7);
  app.env["MPAAS_SIGNING_KEY_PASSPHRASE"] = "s3cret";
  app.env["MPAAS_SIGNING_KEY"] = read_text(home / "app/enc.pem");
  CHECK(run_mpaas({"offline", "build", "-o", "e.amr"}, home.path(), app).exit_code == 0);
  CHECK(run_mpaas({"offline", "verify", "e.amr", "--pubkey", "keys/public.pem"}, home.path(), app)
            .exit_code == 0);
}

TEST_CASE("a configured key that does not exist yet builds unsigned with a warning",
          "[cli][offline]") {
  TempDir home;
  write_text(home / "app/mpaas.yaml", project_yaml);
  write_text(home / "app/www/index.html", "<html></html>\n");
  auto build = run_mpaas({"offline", "build"}, home.path(), in_dir(home / "app"));
  REQUIRE(build.exit_code == 0);
  CHECK_THAT(build.err, Catch::Contains("warning: signing key") &&
                            Catch::Contains("mpaas keys generate -o keys"));
  auto inspect = run_mpaas({"offline", "inspect", "80000001_1.0.0.1.amr", "-o", "json"},
                           home.path(), in_dir(home / "app"));
  REQUIRE(inspect.exit_code == 0);
  CHECK_THAT(inspect.out, Catch::Contains("unsigned"));
  auto explicit_key = run_mpaas({"offline", "build", "--key", "missing.pem", "-o", "x.amr"},
                                home.path(), in_dir(home / "app"));
  CHECK(explicit_key.exit_code == 5);
  CHECK_FALSE(fs::exists(home / "app/x.amr"));
}
