// offline/builder: a build never packs secrets by accident. With the project itself as the
// source folder (--root .), the signing key in use, other private keys and version control
// folders are left out and reported, unless an include glob names them.
#include <catch2/catch.hpp>

#include <algorithm>

#include "mpaas/core/progress.hpp"
#include "mpaas/offline/builder.hpp"
#include "mpaas/offline/reader.hpp"
#include "temp_dir.hpp"

using namespace mpaas;
using namespace mpaas::offline;
using mpaas::test::TempDir;
using mpaas::test::write_text;
namespace fs = std::filesystem;

namespace {

Settings root_settings() {
  Settings settings;
  settings.id = "80000001";
  settings.name = "h5app";
  settings.version = "1.0.0.1";
  settings.root = ".";
  settings.vhost = "https://80000001.h5app.com";
  return settings;
}

// A project whose source folder is the project itself: web files next to its keys and
// repository.
void write_project(const TempDir& dir, const crypto::Key& key) {
  write_text(dir / "index.html", "<html></html>\n");
  write_text(dir / "js/app.js", "console.log(1);\n");
  write_text(dir / "keys/private.pem", crypto::private_key_pem(key));
  write_text(dir / "keys/public.pem", crypto::public_key_pem(key));
  write_text(dir / "notes/old-key.txt",
             "kept from the old server:\n-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n"
             "-----END RSA PRIVATE KEY-----\n");
  write_text(dir / "deploy/id_ed25519", "not PEM, but an SSH key by name\n");
  write_text(dir / "signing.der", "DER bytes of the key in use");
  write_text(dir / ".git/config", "[core]\n");
  write_text(dir / ".git/objects/ab/cdef", "object");
  write_text(dir / "vendor/lib/.svn/entries", "12\n");
}

std::vector<std::string> packed_paths(const fs::path& package) {
  std::vector<std::string> paths;
  for (const auto& file : read_package(package).files)
    paths.push_back(file.path);
  return paths;
}

}  // namespace

TEST_CASE("offline build leaves out the signing key, private keys and VCS folders",
          "[offline][build]") {
  TempDir dir;
  auto key = crypto::generate_key(crypto::KeyType::rsa2048);
  write_project(dir, key);
  PackOptions options;
  options.key = key;
  options.key_file = dir / "keys/private.pem";
  NullProgress progress;
  auto result = build_package(root_settings(), dir.path(), dir / "out.amr", options, progress);
  CHECK(packed_paths(dir / "out.amr") == std::vector<std::string>{"hpmfile.json", "index.html",
                                                                  "js/app.js", "keys/public.pem",
                                                                  "signing.der"});
  std::vector<std::pair<std::string, std::string>> left_out;
  for (const auto& item : result.left_out)
    left_out.emplace_back(item.path, item.reason);
  CHECK(left_out == std::vector<std::pair<std::string, std::string>>{
                        {".git/", "version control data"},
                        {"deploy/id_ed25519", "a private key"},
                        {"keys/private.pem", "the signing key"},
                        {"notes/old-key.txt", "a private key"},
                        {"vendor/lib/.svn/", "version control data"},
                    });

  // A key in use that does not look like one is still known by its file.
  options.key_file = dir / "signing.der";
  result = build_package(root_settings(), dir.path(), dir / "out2.amr", options, progress);
  CHECK(std::any_of(result.left_out.begin(), result.left_out.end(), [](const LeftOut& item) {
    return item.path == "signing.der" && item.reason == "the signing key";
  }));
}

TEST_CASE("offline build packs a secret that an include glob names explicitly",
          "[offline][build]") {
  TempDir dir;
  auto key = crypto::generate_key(crypto::KeyType::rsa2048);
  write_project(dir, key);
  auto settings = root_settings();
  settings.include = {"**", "keys/private.pem", ".git/**"};
  PackOptions options;
  options.key_file = dir / "keys/private.pem";
  NullProgress progress;
  auto result = build_package(settings, dir.path(), dir / "out.amr", options, progress);
  auto paths = packed_paths(dir / "out.amr");
  for (const char* named : {"keys/private.pem", ".git/config", ".git/objects/ab/cdef"})
    CHECK(std::find(paths.begin(), paths.end(), named) != paths.end());
  // "**" alone names nothing.
  for (const char* unnamed : {"notes/old-key.txt", "deploy/id_ed25519"})
    CHECK(std::find(paths.begin(), paths.end(), unnamed) == paths.end());
  CHECK(names_explicitly(settings, "keys/private.pem", "private.pem"));
  CHECK_FALSE(names_explicitly(settings, "notes/old-key.txt", "old-key.txt"));
}
