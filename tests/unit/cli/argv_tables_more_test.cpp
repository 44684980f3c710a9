// argv -> options tables for the config, keys, new and delta groups, and behaviour tests that
// run those commands in process with fakes (streams, environment, cwd).
#include <catch2/catch.hpp>

#include "config/options.hpp"
#include "delta/options.hpp"
#include "in_process.hpp"
#include "keys/options.hpp"
#include "new/options.hpp"

using namespace mpaas;
using test::InProcess;
using test::parsed;
using test::refused;

TEST_CASE("argv table: config", "[cli][argv]") {
  using namespace config_commands;
  auto get = parsed<GetOptions>({"config", "get", "endpoint", "--reveal"});
  CHECK(get.key == "endpoint");
  CHECK(get.reveal);
  CHECK_FALSE(parsed<ListOptions>({"config", "list"}).reveal);
  auto set = parsed<SetOptions>({"config", "set", "--project", "offline.id", "8000"});
  CHECK(set.key == "offline.id");
  CHECK(set.value == "8000");
  CHECK(set.project);
  auto unset = parsed<UnsetOptions>({"config", "unset", "endpoint"});
  CHECK(unset.key == "endpoint");
  CHECK_FALSE(unset.project);
  CHECK_NOTHROW(parsed<PathOptions>({"config", "path"}));
  CHECK(refused({"config", "get"}) == 2);
  CHECK(refused({"config", "set", "endpoint"}) == 2);
}

TEST_CASE("argv table: keys", "[cli][argv]") {
  using namespace keys_commands;
  auto defaults = parsed<GenerateOptions>({"keys", "generate"});
  CHECK(defaults.folder == ".");
  CHECK(defaults.type == "rsa2048");
  CHECK_FALSE(defaults.force);
  auto given =
      parsed<GenerateOptions>({"keys", "generate", "-o", "k", "--type", "ed25519", "--force"});
  CHECK(given.folder == "k");
  CHECK(given.type == "ed25519");
  CHECK(given.force);
  CHECK(parsed<GenerateOptions>({"keys", "generate", "--output", "x"}).folder == "x");
  CHECK(parsed<ShowOptions>({"keys", "show", "k/public.pem"}).key == "k/public.pem");
  CHECK(refused({"keys", "generate", "--type", "dsa"}) == 2);
  CHECK(refused({"keys", "show"}) == 2);
}

TEST_CASE("argv table: new", "[cli][argv]") {
  auto options = parsed<NewOptions>({"new", "android", "shop", "--set", "a=1", "--set", "b=2",
                                     "--app-id", "com.x.shop", "--no-git", "--force"});
  CHECK(options.template_name == "android");
  CHECK(options.dir == "shop");
  CHECK(options.sets == std::vector<std::string>{"a=1", "b=2"});
  CHECK(options.app_id == "com.x.shop");
  CHECK(options.no_git);
  CHECK(options.force);
  auto git = parsed<NewOptions>({"new", "https://example.com/t.git", "app", "--ref", "v1",
                                 "--subdir", "tpl", "--author", "A <a@b.c>"});
  CHECK(git.ref == "v1");
  CHECK(git.subdir == "tpl");
  CHECK(git.author == "A <a@b.c>");
  CHECK(parsed<NewOptions>({"new", "--list"}).list);
}

TEST_CASE("argv table: diff and patch", "[cli][argv]") {
  using namespace delta_commands;
  auto diff = parsed<DiffCommandOptions>({"diff", "a", "b", "-o", "p.mpd", "--format", "bsdiff",
                                          "--codec", "zstd", "--level", "3", "--threads", "2",
                                          "--memory-limit", "2G", "--filter", "arm64"});
  CHECK(diff.old_path == "a");
  CHECK(diff.new_path == "b");
  CHECK(diff.output == "p.mpd");
  CHECK(diff.format == "bsdiff");
  CHECK(diff.codec == "zstd");
  CHECK(diff.level == 3);
  CHECK(diff.threads == 2);
  CHECK(diff.memory_limit == "2G");
  CHECK(diff.filter == "arm64");
  auto defaults = parsed<DiffCommandOptions>({"diff", "a", "b", "-o", "-"});
  CHECK(defaults.format == "mpd");
  CHECK(defaults.codec == "auto");
  CHECK(defaults.filter == "auto");
  auto patch = parsed<PatchCommandOptions>({"patch", "old", "p.mpd", "-o", "new"});
  CHECK(patch.inputs == std::vector<std::string>{"old", "p.mpd"});
  CHECK(patch.output == "new");
  CHECK(parsed<PatchCommandOptions>({"patch", "--info", "p.mpd"}).info);
  CHECK(refused({"diff", "a", "b", "-o", "p", "--codec", "gzip"}) == 2);
  CHECK(refused({"diff", "a", "b", "-o", "p", "--filter", "mips"}) == 2);
}

TEST_CASE("keys generate then show, in process: the typed result in text and JSON", "[cli][keys]") {
  InProcess app;
  REQUIRE(app.run({"keys", "generate", "-o", "k", "--type", "ec-p256", "--json"}) == 0);
  auto generated = Json::parse(app.out.str());
  CHECK(generated["type"] == "EC-P256");
  CHECK(generated["private_key"] == "k/private.pem");
  CHECK(generated["public_key"] == "k/public.pem");
  CHECK_FALSE(generated.contains("public_pem"));

  InProcess text;
  text.context.cwd = app.home.path();
  REQUIRE(text.run({"keys", "show", "k/private.pem"}) == 0);
  std::string shown = text.out.str();
  CHECK(shown.rfind("-----BEGIN PUBLIC KEY-----\n", 0) == 0);
  CHECK(shown.find("PRIVATE") == std::string::npos);
  CHECK(shown.find("type:        EC-P256\nfingerprint: " +
                   generated["fingerprint"].get<std::string>() + "\n") != std::string::npos);

  InProcess again;
  again.context.cwd = app.home.path();
  CHECK(again.run({"keys", "generate", "-o", "k"}) == 6);
  CHECK(again.err.str().find("k/private.pem") != std::string::npos);
}

TEST_CASE("config get, list and path print their typed results; secrets stay masked",
          "[cli][config]") {
  InProcess app;
  app.context.environment["MPAAS_API_TOKEN"] = "s3cr3t-token-value";
  app.context.environment["MPAAS_ENDPOINT"] = "http://x";
  REQUIRE(app.run({"config", "get", "endpoint"}) == 0);
  CHECK(app.out.str() == "http://x\n");

  InProcess list;
  list.context.environment = app.context.environment;
  REQUIRE(list.run({"config", "list", "--json"}) == 0);
  auto rows = Json::parse(list.out.str());
  REQUIRE(rows.is_array());
  bool saw_token = false;
  for (const auto& row : rows) {
    CHECK(row.contains("source"));
    if (row["key"] == "api_token") {
      saw_token = true;
      CHECK(row["value"] != "s3cr3t-token-value");
    }
  }
  CHECK(saw_token);
  CHECK(list.out.str().find("s3cr3t") == std::string::npos);

  InProcess path;
  REQUIRE(path.run({"config", "path", "--json"}) == 0);
  auto paths = Json::parse(path.out.str());
  CHECK(paths["project_file"].is_null());
  CHECK(paths["user_config"].get<std::string>().find(".config/mpaas/config.yaml") !=
        std::string::npos);
}

TEST_CASE("new --list is a table in text and an array with variables in JSON", "[cli][new]") {
  InProcess text;
  REQUIRE(text.run({"new", "--list"}) == 0);
  CHECK(text.out.str().rfind("NAME", 0) == 0);
  CHECK(text.out.str().find("android") != std::string::npos);
  InProcess json;
  REQUIRE(json.run({"new", "--list", "--json"}) == 0);
  auto rows = Json::parse(json.out.str());
  REQUIRE(rows.is_array());
  REQUIRE_FALSE(rows.empty());
  CHECK(rows[0].contains("variables"));
}

#include "mpaas/core/atomic_file.hpp"
#include "offline/options.hpp"

TEST_CASE("argv table: offline", "[cli][argv]") {
  using namespace offline_commands;
  auto build = parsed<BuildOptions>({"offline", "build", "app", "-o", "out/", "--key", "k.pem",
                                     "--digest", "sha256", "--id", "80000001", "--version",
                                     "1.0.0.2", "--include", "www/**", "--include", "x"});
  CHECK(build.folder == "app");
  CHECK(build.output == "out/");
  CHECK(build.key == "k.pem");
  CHECK(build.digest == "sha256");
  CHECK(build.settings.id == "80000001");
  CHECK(build.settings.version == "1.0.0.2");
  CHECK(build.settings.include == std::vector<std::string>{"www/**", "x"});
  CHECK(parsed<BuildOptions>({"offline", "build", "--unsigned"}).unsigned_package);
  auto verify = parsed<VerifyOptions>({"offline", "verify", "p.amr", "--pubkey", "k.pem"});
  CHECK(verify.package == "p.amr");
  CHECK(verify.pubkey == "k.pem");
  CHECK(parsed<InspectOptions>({"offline", "inspect", "p.amr"}).pubkey.empty());
  auto extract = parsed<ExtractOptions>(
      {"offline", "extract", "p.amr", "out", "--max-size", "8", "--max-ratio", "10"});
  CHECK(extract.folder == "out");
  CHECK(extract.max_size_mib == 8);
  CHECK(extract.max_ratio == 10);
  auto diff = parsed<DiffOptions>({"offline", "diff", "a.amr", "b.amr", "-o", "inc.amr"});
  CHECK(diff.old_package == "a.amr");
  CHECK(diff.new_package == "b.amr");
  CHECK(diff.output == "inc.amr");
  auto apply = parsed<ApplyOptions>({"offline", "apply", "a.amr", "inc.amr", "-o", "b.amr"});
  CHECK(apply.incremental_package == "inc.amr");
  auto config = parsed<ConfigOptions>({"offline", "config", "a.amr", "b.amr", "--base-url", "u"});
  CHECK(config.packages == std::vector<std::string>{"a.amr", "b.amr"});
  CHECK(config.output == "h5_json.json");
  CHECK(config.base_url == "u");
  auto sign = parsed<SignOptions>({"offline", "sign", "p.amr", "--key", "k.pem"});
  CHECK(sign.digest == "sha1");
  CHECK(refused({"offline", "build", "--digest", "md5"}) == 2);
  CHECK(refused({"offline", "verify"}) == 2);
}

TEST_CASE("diff then patch in process: the typed results in JSON, quiet patch in text",
          "[cli][delta]") {
  InProcess app;
  std::string old_bytes(100000, 'a'), new_bytes(100000, 'a');
  new_bytes.replace(5000, 5, "hello");
  write_file_atomically(app.home / "old.bin", old_bytes);
  write_file_atomically(app.home / "new.bin", new_bytes);
  REQUIRE(app.run({"diff", "old.bin", "new.bin", "-o", "p.mpd", "--json"}) == 0);
  auto summary = Json::parse(app.out.str());
  CHECK(summary["patch"] == "p.mpd");
  CHECK(summary["new_size"] == 100000);
  CHECK(summary["patch_size"].get<uint64_t>() < 1000);

  InProcess patch;
  patch.context.cwd = app.home.path();
  REQUIRE(patch.run({"patch", "old.bin", "p.mpd", "-o", "out.bin"}) == 0);
  CHECK(patch.out.str().empty());  // as cp: nothing on stdout in text mode
  CHECK(read_file(app.home / "out.bin") == new_bytes);

  InProcess info;
  info.context.cwd = app.home.path();
  REQUIRE(info.run({"patch", "--info", "p.mpd"}) == 0);
  CHECK(info.out.str().find("format:") != std::string::npos);
  CHECK(info.out.str().find("streams.control:") != std::string::npos);
}

TEST_CASE("offline build and inspect in process: the sentence and the sections", "[cli][offline]") {
  InProcess app;
  REQUIRE(app.run({"new", "h5", "shop", "--app-id", "com.example.shop", "--no-git"}) == 0);
  InProcess build;
  build.context.cwd = app.home / "shop";
  REQUIRE(build.run({"offline", "build", "--unsigned"}) == 0);
  CHECK(build.out.str().rfind("built 80000001_1.0.0.1.amr (", 0) == 0);
  CHECK(build.out.str().find(", unsigned)\n") != std::string::npos);
  InProcess inspect;
  inspect.context.cwd = app.home / "shop";
  REQUIRE(inspect.run({"offline", "inspect", "80000001_1.0.0.1.amr"}) == 0);
  std::string text = inspect.out.str();
  CHECK(text.find("signature:        unsigned\n") != std::string::npos);
  CHECK(text.find("\nENTRY         SIZE") != std::string::npos);
  CHECK(text.find("\nFILE") != std::string::npos);
  CHECK(text.find("STATE") == std::string::npos);  // no signature table without a key
}
