// `mpaas offline verify/inspect/build/sign` on hostile packages and projects, through the
// binary: pieces of two signed packages, a hidden second tar, envelopes that are not
// mPaaS's, data after the tar, secrets under the source folder, and the exit code and
// message for each way a package or key file cannot be read.
#include <unistd.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <map>

#include "mpaas/offline/format.hpp"
#include "mpaas/offline/reader.hpp"
#include "process.hpp"
#include "temp_dir.hpp"
#include "zip_craft.hpp"

using mpaas::test::craft_zip;
using mpaas::test::read_text;
using mpaas::test::run_mpaas;
using mpaas::test::run_program;
using mpaas::test::RunOptions;
using mpaas::test::TempDir;
using mpaas::test::write_text;
using mpaas::test::ZipPart;
namespace fs = std::filesystem;
namespace offline = mpaas::offline;

namespace {

RunOptions in_dir(const fs::path& folder) {
  RunOptions options;
  options.cwd = folder;
  return options;
}

// A project in `home`/app with a key pair in keys/, the web files in www/.
void make_project(const TempDir& home, const std::string& root = "www") {
  write_text(home / "app/mpaas.yaml",
             "offline:\n  id: \"80000001\"\n  name: h5app\n"
             "  version: 1.0.0.1\n  root: " +
                 root + "\n  sign: {key: keys/private.pem}\n");
  write_text(home / "app" / root / "index.html", "<html></html>\n");
  REQUIRE(
      run_mpaas({"keys", "generate", "-o", "keys"}, home.path(), in_dir(home / "app")).exit_code ==
      0);
}

// Builds the project as `id` `version` and returns the package's entries by name.
std::map<std::string, std::string> build(const TempDir& home, const std::string& id,
                                         const std::string& version) {
  auto out = home / ("app/" + id + "_" + version + ".amr");
  auto result =
      run_mpaas({"offline", "build", "--id", id, "--version", version, "-o", out.string()},
                home.path(), in_dir(home / "app"));
  REQUIRE(result.exit_code == 0);
  std::map<std::string, std::string> entries;
  offline::ReadOptions options;
  options.list_files = false;
  options.on_entry_bytes = [&](const mpaas::archive::ZipEntry& entry, const char* data,
                               size_t size) { entries[entry.name].append(data, size); };
  offline::read_package(out, options);
  return entries;
}

// Manifest.xml of `manifest_from` and the tar of `tar_from` (entry `tar`, stored under
// `tar_as`), each with its valid signature.
std::string mixed(std::map<std::string, std::string> manifest_from,
                  std::map<std::string, std::string> tar_from, const std::string& tar,
                  const std::string& tar_as) {
  auto manifest_cert = offline::parse_cert_json(manifest_from["CERT.json"]);
  auto tar_cert = offline::parse_cert_json(tar_from["CERT.json"]);
  std::map<std::string, std::string> cert{{"Manifest.xml", manifest_cert["Manifest.xml"]},
                                          {tar_as, tar_cert[tar]}};
  return craft_zip({{"Manifest.xml", manifest_from["Manifest.xml"]},
                    {"CERT.json", offline::cert_json(cert)},
                    {tar_as, tar_from[tar]}});
}

mpaas::test::RunResult verify(const TempDir& home, const fs::path& package) {
  return run_mpaas({"offline", "verify", package.string(), "--pubkey", "keys/public.pem"},
                   home.path(), in_dir(home / "app"));
}

}  // namespace

TEST_CASE("offline verify fails with exit 4 on signed pieces of two versions or two ids",
          "[cli][offline][verify]") {
  TempDir home;
  make_project(home);
  auto v1 = build(home, "80000001", "1.0.0.1");
  auto v2 = build(home, "80000001", "1.0.0.2");
  auto other = build(home, "80000002", "1.0.0.1");
  write_text(home / "downgrade.amr", mixed(v2, v1, "80000001.tar", "80000001.tar"));
  write_text(home / "other-id.amr", mixed(v1, other, "80000002.tar", "80000002.tar"));
  write_text(home / "renamed.amr", mixed(v1, other, "80000002.tar", "80000001.tar"));

  auto downgrade = verify(home, home / "downgrade.amr");
  CHECK(downgrade.exit_code == 4);
  CHECK(downgrade.err ==
        "mpaas: error: hpmfile.json says version 1.0.0.1 but Manifest.xml says "
        "version 1.0.0.2 (hpmfile.json)\n");
  auto other_id = verify(home, home / "other-id.amr");
  CHECK(other_id.exit_code == 4);
  CHECK(other_id.err ==
        "mpaas: error: the tar is named 80000002.tar but Manifest.xml says uid "
        "80000001 (80000002.tar)\n");
  auto renamed = verify(home, home / "renamed.amr");
  CHECK(renamed.exit_code == 4);
  CHECK(renamed.err ==
        "mpaas: error: hpmfile.json says appid 80000002 but Manifest.xml says uid "
        "80000001 (hpmfile.json)\n");

  auto inspect = run_mpaas({"offline", "inspect", (home / "downgrade.amr").string(), "--pubkey",
                            "keys/public.pem", "-o", "json"},
                           home.path(), in_dir(home / "app"));
  REQUIRE(inspect.exit_code == 0);
  auto report = nlohmann::json::parse(inspect.out);
  CHECK(report["signature"] == "invalid");
  CHECK(report["mismatches"][0] ==
        "hpmfile.json says version 1.0.0.1 but Manifest.xml says "
        "version 1.0.0.2 (hpmfile.json)");
  for (const auto& check : report["signatures"])
    CHECK(check["state"] == "valid");  // each piece is genuine; together they are not
  auto text = run_mpaas(
      {"offline", "inspect", (home / "downgrade.amr").string(), "--pubkey", "keys/public.pem"},
      home.path(), in_dir(home / "app"));
  CHECK_THAT(text.out, Catch::Contains("signature:") && Catch::Contains("invalid"));

  // Re-signing does not launder them.
  auto sign =
      run_mpaas({"offline", "sign", (home / "downgrade.amr").string(), "--key", "keys/private.pem"},
                home.path(), in_dir(home / "app"));
  CHECK(sign.exit_code == 3);
  CHECK_THAT(sign.err, Catch::Contains("cannot sign: hpmfile.json says version 1.0.0.1"));
}

TEST_CASE("offline verify refuses a second tar hidden behind the signed entries",
          "[cli][offline][verify][interop]") {
  TempDir home;
  make_project(home);
  auto genuine = build(home, "80000001", "1.0.0.1");
  write_text(home / "evil/hpmfile.json", "{}\n");
  write_text(home / "evil/index.html", "<script>evil()</script>\n");
  REQUIRE(run_program("tar", {"-cf", (home / "evil.tar").string(), "-C", (home / "evil").string(),
                              "index.html"})
              .exit_code == 0);
  std::string hidden = craft_zip({{"Manifest.xml", genuine["Manifest.xml"]},
                                  {"CERT.json", genuine["CERT.json"]},
                                  {"80000001.tar", genuine["80000001.tar"]},
                                  {"80000001.tar", read_text(home / "evil.tar"), true, false}});
  write_text(home / "hidden.amr", hidden);
  // What a streaming client sees: two tars, the unsigned one last (it wins on extraction).
  RunOptions stream;
  stream.stdin_data = hidden;
  CHECK(run_program("bsdtar", {"-tf", "-"}, stream).out ==
        "Manifest.xml\nCERT.json\n80000001.tar\n80000001.tar\n");
  auto result = verify(home, home / "hidden.amr");
  CHECK(result.exit_code == 4);
  CHECK_THAT(result.err, Catch::Contains("data between the last entry and the central directory"));
  for (const char* command : {"inspect", "extract"}) {
    std::vector<std::string> arguments{"offline", command, (home / "hidden.amr").string()};
    if (std::string(command) == "extract")
      arguments.push_back((home / "out").string());
    auto refused = run_mpaas(arguments, home.path());
    CHECK(refused.exit_code == 3);
    CHECK_FALSE(fs::exists(home / "out"));
  }
}

TEST_CASE(
    "offline readers refuse non-zips, missing tars, wrong order, a uid in a comment and "
    "data after the tar",
    "[cli][offline][verify]") {
  TempDir home;
  make_project(home);
  auto genuine = build(home, "80000001", "1.0.0.1");
  std::string manifest = genuine["Manifest.xml"], cert = genuine["CERT.json"];
  std::string tar = genuine["80000001.tar"];
  std::string commented = manifest;
  commented.replace(commented.find("<uid>"), 0, "<!-- ");
  commented.replace(commented.find("</uid>") + 6, 0, " -->");
  REQUIRE(commented.find("<!-- <uid>80000001</uid> -->") != std::string::npos);
  struct Case {
    std::string name, bytes, message;
  };
  std::vector<Case> cases = {
      {"text.amr", "<html>not a zip</html>", "not a zip archive"},
      {"no-tar.amr", craft_zip({{"Manifest.xml", manifest}, {"CERT.json", cert}}),
       "not an mPaaS package: no tar entry"},
      {"order.amr",
       craft_zip({{"80000001.tar", tar}, {"Manifest.xml", manifest}, {"CERT.json", cert}}),
       "not an mPaaS package: the entries must be Manifest.xml, CERT.json and one .tar in that "
       "order"},
      {"comment.amr",
       craft_zip({{"Manifest.xml", commented}, {"CERT.json", cert}, {"80000001.tar", tar}}),
       "no <uid> or <version> in the manifest"},
      {"trailing.amr",
       craft_zip({{"Manifest.xml", manifest},
                  {"CERT.json", cert},
                  {"80000001.tar", tar + std::string(8 << 20, '\0')}}),
       "data after the end of the tar: 83"},
  };
  for (const auto& test : cases) {
    INFO(test.name);
    write_text(home / test.name, test.bytes);
    auto verified = verify(home, home / test.name);
    CHECK(verified.exit_code == 4);
    CHECK_THAT(verified.err, Catch::Contains(test.message));
    auto inspected = run_mpaas({"offline", "inspect", (home / test.name).string()}, home.path());
    CHECK(inspected.exit_code == 3);
    CHECK_THAT(inspected.err, Catch::Contains(test.message));
  }
}

TEST_CASE("offline build --root . leaves out the signing key and .git and says so",
          "[cli][offline][build]") {
  TempDir home;
  make_project(home, ".");
  write_text(home / "app/.git/config", "[core]\n");
  auto build_result =
      run_mpaas({"offline", "build", "-o", "p.amr", "--json"}, home.path(), in_dir(home / "app"));
  REQUIRE(build_result.exit_code == 0);
  CHECK_THAT(build_result.err,
             Catch::Contains("warning: left out keys/private.pem (the signing key)") &&
                 Catch::Contains("warning: left out .git/ (version control data)"));
  auto summary = nlohmann::json::parse(build_result.out);
  CHECK(summary["left_out"].size() == 2);
  auto inspect =
      run_mpaas({"offline", "inspect", "p.amr", "-o", "json"}, home.path(), in_dir(home / "app"));
  REQUIRE(inspect.exit_code == 0);
  auto listing = nlohmann::json::parse(inspect.out);  // kept: the loop walks a part of it
  for (const auto& file : listing["files"]) {
    auto path = file["path"].get<std::string>();
    CHECK(path != "keys/private.pem");
    CHECK(path.rfind(".git", 0) != 0);
  }
  // Named explicitly, it is packed (and not reported).
  auto named = run_mpaas(
      {"offline", "build", "-o", "q.amr", "--include", "**", "--include", "keys/private.pem"},
      home.path(), in_dir(home / "app"));
  REQUIRE(named.exit_code == 0);
  CHECK_THAT(named.err, !Catch::Contains("keys/private.pem"));
}

TEST_CASE("unreadable packages, folders and missing key files get their exit codes",
          "[cli][offline][verify]") {
  TempDir home;
  make_project(home);
  build(home, "80000001", "1.0.0.1");
  auto app = in_dir(home / "app");
  auto package = (home / "app/80000001_1.0.0.1.amr").string();

  fs::create_directories(home / "app/folder.amr");
  for (const char* command : {"verify", "inspect", "sign"}) {
    INFO(command);
    std::vector<std::string> arguments{"offline", command, "folder.amr"};
    if (std::string(command) == "verify")
      arguments.insert(arguments.end(), {"--pubkey", "keys/public.pem"});
    if (std::string(command) == "sign")
      arguments.insert(arguments.end(), {"--key", "keys/private.pem"});
    auto result = run_mpaas(arguments, home.path(), app);
    CHECK(result.exit_code == 2);
    CHECK(result.err ==
          "mpaas: error: a folder, not a file (" + (home / "app/folder.amr").string() + ")\n");
  }

  // The commands that read two packages or extract one say the same (before: "no such
  // file", exit 5, for a folder that exists).
  for (const auto& arguments : std::vector<std::vector<std::string>>{
           {"offline", "extract", "folder.amr", "out"},
           {"offline", "diff", "folder.amr", package, "-o", "inc.amr"},
           {"offline", "apply", package, "folder.amr", "-o", "new.amr"}}) {
    INFO(arguments[1]);
    auto result = run_mpaas(arguments, home.path(), app);
    CHECK(result.exit_code == 2);
    CHECK(result.err == "mpaas: error: a folder, not a file (folder.amr)\n");
    CHECK_FALSE(fs::exists(home / "app/out"));
  }

  auto missing_key =
      run_mpaas({"offline", "verify", package, "--pubkey", "missing.pem"}, home.path(), app);
  CHECK(missing_key.exit_code == 5);
  CHECK(missing_key.err == "mpaas: error: no such key file (missing.pem)\n");
  auto key_folder = run_mpaas({"offline", "verify", package, "--pubkey", "keys"}, home.path(), app);
  CHECK(key_folder.exit_code == 2);
  CHECK(key_folder.err == "mpaas: error: a folder, not a key file (keys)\n");

  // Signing keys: a missing file names it and the flag; a key that is not RSA is refused.
  auto missing_signing_key =
      run_mpaas({"offline", "sign", package, "--key", "nope.pem"}, home.path(), app);
  CHECK(missing_signing_key.exit_code == 5);
  CHECK(missing_signing_key.err == "mpaas: error: no such key file (nope.pem) (--key)\n");
  REQUIRE(run_mpaas({"keys", "generate", "-o", "ec", "--type", "ec-p256"}, home.path(), app)
              .exit_code == 0);
  auto ec_key =
      run_mpaas({"offline", "sign", package, "--key", "ec/private.pem"}, home.path(), app);
  CHECK(ec_key.exit_code == 3);
  CHECK(ec_key.err ==
        "mpaas: error: mPaaS packages are signed with RSA, not EC-P256 (ec/private.pem)\n");

  // Unreadable: mode 000, and as root the capability to ignore modes dropped.
  fs::permissions(package, fs::perms::none);
  std::vector<std::string> arguments{"offline", "verify", package, "--pubkey",
                                     (home / "app/keys/public.pem").string()};
  mpaas::test::RunResult unreadable;
  if (::geteuid() == 0) {
    RunOptions dropped;
    dropped.env = {{"HOME", home.path().string()},
                   {"XDG_CONFIG_HOME", (home / ".config").string()}};
    std::vector<std::string> wrapped{"--bounding-set=-dac_override,-dac_read_search",
                                     mpaas::test::mpaas_binary()};
    wrapped.insert(wrapped.end(), arguments.begin(), arguments.end());
    unreadable = run_program("setpriv", wrapped, dropped);
  } else {
    unreadable = run_mpaas(arguments, home.path());
  }
  CHECK(unreadable.exit_code == 1);
  CHECK(unreadable.err == "mpaas: error: cannot open: Permission denied (" + package + ")\n");
  fs::permissions(package, fs::perms::owner_read | fs::perms::owner_write);
}
