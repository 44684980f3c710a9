// offline/reader + verdict: what a package must be before anything trusts it. Signed
// pieces of two packages (two versions, two ids) are each validly signed, so only the
// verdict's "belong together" rule catches them; the envelope rules refuse hidden or
// misplaced entries, manifests whose fields hide in comments, and data after the tar.
#include <catch2/catch.hpp>

#include <map>

#include "mpaas/core/atomic_file.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/core/progress.hpp"
#include "mpaas/offline/builder.hpp"
#include "mpaas/offline/reader.hpp"
#include "mpaas/offline/verdict.hpp"
#include "temp_dir.hpp"
#include "zip_craft.hpp"

using namespace mpaas;
using namespace mpaas::offline;
using mpaas::test::craft_zip;
using mpaas::test::TempDir;
using mpaas::test::write_text;
using mpaas::test::ZipPart;
namespace fs = std::filesystem;

namespace {

// The uncompressed entries of a package, by name, in order.
using Entries = std::vector<std::pair<std::string, std::string>>;

Entries entries_of(const fs::path& package) {
  Entries entries;
  ReadOptions options;
  options.list_files = false;
  options.on_entry_bytes = [&](const archive::ZipEntry& entry, const char* data, size_t size) {
    if (entries.empty() || entries.back().first != entry.name)
      entries.emplace_back(entry.name, "");
    entries.back().second.append(data, size);
  };
  read_package(package, options);
  return entries;
}

std::string entry(const Entries& entries, const std::string& name) {
  for (const auto& [entry_name, bytes] : entries)
    if (entry_name == name)
      return bytes;
  FAIL("no entry " << name);
  return "";
}

// Builds a signed demo package of `id` and `version` and returns its entries.
Entries signed_package(const TempDir& dir, const crypto::Key& key, const std::string& id,
                       const std::string& version) {
  write_text(dir / "www/index.html", "<html>" + version + "</html>\n");
  Settings settings;
  settings.id = id;
  settings.name = "h5app";
  settings.version = version;
  settings.vhost = "https://" + id + ".h5app.com";
  PackOptions options;
  options.key = key;
  NullProgress progress;
  auto output = dir / (id + "_" + version + ".amr");
  build_package(settings, dir.path(), output, options, progress);
  return entries_of(output);
}

// A package of `manifest_from`'s Manifest.xml and `tar_from`'s tar (named `tar_name`),
// each with its own valid signature.
std::string mixed(const Entries& manifest_from, const Entries& tar_from,
                  const std::string& tar_entry, const std::string& tar_entry_as) {
  auto manifest_cert = parse_cert_json(entry(manifest_from, cert_name));
  auto tar_cert = parse_cert_json(entry(tar_from, cert_name));
  std::map<std::string, std::string> cert{{manifest_name, manifest_cert.at(manifest_name)},
                                          {tar_entry_as, tar_cert.at(tar_entry)}};
  return craft_zip({{manifest_name, entry(manifest_from, manifest_name)},
                    {cert_name, cert_json(cert)},
                    {tar_entry_as, entry(tar_from, tar_entry)}});
}

Package read_bytes(const std::string& bytes) {
  return read_package(std::make_shared<archive::MemorySource>(bytes), "p.amr");
}

std::string refusal(const std::string& bytes) {
  try {
    read_bytes(bytes);
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::invalid_input);
    return error.what();
  }
  return "accepted";
}

std::string verification_failure(const Package& package, const crypto::Key& key) {
  try {
    require_verified(judge_package(package, key));
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::verification);
    return error.what();
  }
  return "verified";
}

}  // namespace

TEST_CASE("verify: the signed manifest of one version with the signed tar of another fails",
          "[offline][verify]") {
  TempDir one, two;
  auto key = crypto::generate_key(crypto::KeyType::rsa2048);
  auto v1 = signed_package(one, key, "80000001", "1.0.0.1");
  auto v2 = signed_package(two, key, "80000001", "1.0.0.2");
  auto package = read_bytes(mixed(v2, v1, "80000001.tar", "80000001.tar"));
  // Every signature is valid: each piece did come from the key holder.
  for (const auto& check : check_signatures(package, key))
    CHECK(check.state == "valid");
  auto verdict = judge_package(package, key);
  CHECK_FALSE(verdict.verified());
  CHECK(verification_failure(package, key) ==
        "hpmfile.json says version 1.0.0.1 but Manifest.xml says version 1.0.0.2 "
        "(hpmfile.json)");
  // The genuine packages verify.
  CHECK(verification_failure(read_bytes(mixed(v1, v1, "80000001.tar", "80000001.tar")), key) ==
        "verified");
}

TEST_CASE("verify: the manifest of one id with the tar of another fails, renamed or not",
          "[offline][verify]") {
  TempDir one, two;
  auto key = crypto::generate_key(crypto::KeyType::rsa2048);
  auto first = signed_package(one, key, "80000001", "1.0.0.1");
  auto second = signed_package(two, key, "80000002", "1.0.0.1");
  auto as_is = read_bytes(mixed(first, second, "80000002.tar", "80000002.tar"));
  CHECK(verification_failure(as_is, key) ==
        "the tar is named 80000002.tar but Manifest.xml says uid 80000001 (80000002.tar)");
  // CERT.json signs bytes, not names: the other tar renamed still has a valid signature.
  auto renamed = read_bytes(mixed(first, second, "80000002.tar", "80000001.tar"));
  for (const auto& check : check_signatures(renamed, key))
    CHECK(check.state == "valid");
  CHECK(verification_failure(renamed, key) ==
        "hpmfile.json says appid 80000002 but Manifest.xml says uid 80000001 (hpmfile.json)");
  auto mismatches = find_mismatches(renamed);
  REQUIRE(mismatches.size() == 1);
  CHECK(mismatches[0].subject == "hpmfile.json");
}

TEST_CASE("verify: a tar without hpmfile.json, or with two, does not verify", "[offline][verify]") {
  TempDir dir;
  auto key = crypto::generate_key(crypto::KeyType::rsa2048);
  auto genuine = signed_package(dir, key, "80000001", "1.0.0.1");
  auto package = read_bytes(mixed(genuine, genuine, "80000001.tar", "80000001.tar"));
  package.hpmfile_members = 0;
  CHECK(find_mismatches(package).at(0).message ==
        "no hpmfile.json in the tar to match Manifest.xml against (80000001.tar)");
  package.hpmfile_members = 2;
  CHECK(find_mismatches(package).at(0).message ==
        "2 members named hpmfile.json in the tar (80000001.tar)");
}

TEST_CASE("package readers refuse a second tar that only a local header names",
          "[offline][verify]") {
  TempDir dir;
  auto key = crypto::generate_key(crypto::KeyType::rsa2048);
  auto genuine = signed_package(dir, key, "80000001", "1.0.0.1");
  std::vector<ZipPart> parts;
  for (const auto& [name, bytes] : genuine)
    parts.push_back({name, bytes});
  // Unsigned and invisible to the central directory; `bsdtar -xf - < pkg` extracts it.
  parts.push_back({"80000001.tar", "evil tar", true, false});
  CHECK(refusal(craft_zip(parts)) ==
        "malformed zip: data between the last entry and the central directory (p.amr)");
}

TEST_CASE("package readers refuse what is not an mPaaS envelope", "[offline][verify]") {
  std::string manifest = manifest_xml(Manifest{"80000001", "h5app", "1.0.0.1", ""});
  std::string tar(10240, '\0');
  CHECK(refusal("<html>not a zip</html>") == "not a zip archive (p.amr)");
  CHECK(refusal(craft_zip({{manifest_name, manifest}})) ==
        "not an mPaaS package: no tar entry (p.amr)");
  CHECK(refusal(craft_zip({{"80000001.tar", tar}})) ==
        "not an mPaaS package: no Manifest.xml (p.amr)");
  CHECK(refusal(craft_zip({{"80000001.tar", tar}, {manifest_name, manifest}})) ==
        "not an mPaaS package: the entries must be Manifest.xml, CERT.json and one .tar in that "
        "order, not 80000001.tar, Manifest.xml (p.amr)");
  CHECK(refusal(craft_zip({{manifest_name, manifest}, {"80000001.tar", tar}, {cert_name, "{}"}})) ==
        "not an mPaaS package: the entries must be Manifest.xml, CERT.json and one .tar in that "
        "order, not Manifest.xml, 80000001.tar, CERT.json (p.amr)");
  CHECK(refusal(craft_zip({{manifest_name, manifest}, {"a.tar", tar}, {"b.tar", tar}})) ==
        "not an mPaaS package: the entries must be Manifest.xml, CERT.json and one .tar in that "
        "order, not Manifest.xml, a.tar, b.tar (p.amr)");
}

TEST_CASE("the manifest is parsed as XML: fields inside comments do not count",
          "[offline][verify]") {
  std::string tar(10240, '\0');
  std::string in_comment =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<package>\n"
      "  <!-- <uid>80000001</uid> -->\n  <name>h5app</name>\n  <version>1.0.0.1</version>\n"
      "</package>\n";
  CHECK(refusal(craft_zip({{manifest_name, in_comment}, {"80000001.tar", tar}})) ==
        "no <uid> or <version> in the manifest (Manifest.xml)");
  // A string search took the commented uid; an XML parser (a client's) takes the real one.
  auto manifest = parse_manifest(
      "<package><!-- <uid>80000009</uid> --><uid>80000001</uid>"
      "<version><!-- <version>9</version> -->1.0.0.1</version></package>");
  CHECK(manifest.uid == "80000001");
  CHECK(manifest.version == "1.0.0.1");
  CHECK(parse_manifest("<package><uid><![CDATA[8000]]>0001</uid><version>1&#46;0</version>"
                       "<meta><uid>x</uid></meta></package>")
            .uid == "80000001");
  auto refused = [](const std::string& xml) {
    try {
      parse_manifest(xml);
    } catch (const Error& error) {
      CHECK(error.kind() == ErrorKind::invalid_input);
      return std::string(error.what());
    }
    return std::string("accepted");
  };
  CHECK(refused("<package><uid>1</uid><uid>2</uid><version>1</version></package>") ==
        "malformed manifest: two <uid> elements (Manifest.xml)");
  CHECK(refused("<!DOCTYPE package [<!ENTITY a \"b\">]><package/>") ==
        "malformed manifest: a DOCTYPE or other declaration (Manifest.xml)");
  CHECK(refused("<package><uid>1</uid><version>1</version>") ==
        "malformed manifest: an unclosed <package> (Manifest.xml)");
  CHECK(refused("<package><uid>1<!-- </uid><version>1</version></package>") ==
        "malformed manifest: an unclosed comment (Manifest.xml)");
  CHECK(refused(std::string(100, '<') + "package>") ==
        "malformed manifest: a tag without a name (Manifest.xml)");
  std::string deep = "<package>";
  for (int i = 0; i < 40; ++i)
    deep += "<a>";
  CHECK(refused(deep) == "malformed manifest: elements nested too deeply (Manifest.xml)");
  CHECK(manifest_xml(parse_manifest(manifest_xml(Manifest{"1", "a<b&c", "2", "1"}))) ==
        manifest_xml(Manifest{"1", "a<b&c", "2", "1"}));
}

TEST_CASE("data after the tar's end marker is refused, a lot of it before it is inflated",
          "[offline][verify]") {
  TempDir dir;
  auto key = crypto::generate_key(crypto::KeyType::rsa2048);
  auto genuine = signed_package(dir, key, "80000001", "1.0.0.1");
  std::string manifest = entry(genuine, manifest_name);
  std::string tar = entry(genuine, "80000001.tar");
  CHECK(tar.size() % 10240 == 0);
  // Zero padding of a larger record is fine; 16 MiB of zeros (16 KiB deflated) is not,
  // and is refused from the declared size, before any of it is inflated.
  CHECK(refusal(craft_zip({{manifest_name, manifest},
                           {"80000001.tar", tar + std::string(10240, '\0')}})) == "accepted");
  auto huge = refusal(
      craft_zip({{manifest_name, manifest}, {"80000001.tar", tar + std::string(16 << 20, '\0')}}));
  CHECK_THAT(huge, Catch::StartsWith("data after the end of the tar: 167") &&
                       Catch::EndsWith(" bytes (80000001.tar)"));
  // Anything but zeros after the end marker (a member a lenient `tar -i` would extract).
  CHECK(refusal(craft_zip({{manifest_name, manifest}, {"80000001.tar", tar + "hidden"}})) ==
        "data after the end of the tar (80000001.tar)");
}
