// Hot-fix bundles: APK-like archives built here (changed, added, deleted, renamed and
// unchanged entries; a large stored .so and a deflated .dex) rebuild byte for byte; plain
// files carry one patch; signatures, other bases, other keys and damaged bundles are refused
// with their exit codes and leave no output.
#include <zlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <random>

#include "mpaas/core/clock.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/core/progress.hpp"
#include "mpaas/core/sha256.hpp"
#include "mpaas/crypto/keys.hpp"
#include "mpaas/hotfix/hotfix.hpp"
#include "mpaas/platform/local.hpp"
#include "temp_dir.hpp"

using namespace mpaas;
using mpaas::test::read_text;
using mpaas::test::TempDir;
using mpaas::test::write_text;

namespace {

std::string random_bytes(size_t size, uint32_t seed) {
  std::mt19937 generator(seed);
  std::string out(size, '\0');
  for (auto& c : out)
    c = static_cast<char>(generator() % 64);  // compressible, as code is
  return out;
}

std::string deflated(const std::string& content, int level) {
  z_stream stream{};
  REQUIRE(deflateInit2(&stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&stream, content.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(content.data()));
  stream.avail_in = static_cast<uInt>(content.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&stream, Z_FINISH) == Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

void put16(std::string& out, uint32_t value) {
  out.push_back(static_cast<char>(value & 0xff));
  out.push_back(static_cast<char>((value >> 8) & 0xff));
}
void put32(std::string& out, uint32_t value) {
  put16(out, value & 0xffff);
  put16(out, value >> 16);
}

struct ZipItem {
  std::string name, content;
  int level = 6;  // 0: stored; -1: deflated by "another tool" (not zlib's bytes)
};

// A ZIP as an APK build tool writes it: local headers, data, central directory, end record.
std::string make_zip(const std::vector<ZipItem>& items) {
  std::string out, directory;
  for (const auto& item : items) {
    std::string data = item.content;
    uint16_t method = 0;
    if (item.level > 0) {
      data = deflated(item.content, item.level);
      method = 8;
    } else if (item.level < 0) {
      // A valid deflate stream zlib would not write: stored blocks of 1000 bytes.
      data.clear();
      for (size_t at = 0; at < item.content.size() || at == 0; at += 1000) {
        size_t take = std::min<size_t>(1000, item.content.size() - at);
        data.push_back(at + take >= item.content.size() ? 1 : 0);
        put16(data, static_cast<uint32_t>(take));
        put16(data, static_cast<uint32_t>(~take & 0xffff));
        data += item.content.substr(at, take);
        if (take == 0)
          break;
      }
      method = 8;
    }
    uint32_t crc =
        static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(item.content.data()),
                                    static_cast<uInt>(item.content.size())));
    uint32_t offset = static_cast<uint32_t>(out.size());
    std::string header;
    put32(header, 0x04034b50);
    put16(header, 20);
    put16(header, 0);
    put16(header, method);
    put16(header, 0);
    put16(header, 0x21);
    put32(header, crc);
    put32(header, static_cast<uint32_t>(data.size()));
    put32(header, static_cast<uint32_t>(item.content.size()));
    put16(header, static_cast<uint32_t>(item.name.size()));
    put16(header, 0);
    out += header + item.name + data;
    put32(directory, 0x02014b50);
    put16(directory, 20);
    put16(directory, 20);
    put16(directory, 0);
    put16(directory, method);
    put16(directory, 0);
    put16(directory, 0x21);
    put32(directory, crc);
    put32(directory, static_cast<uint32_t>(data.size()));
    put32(directory, static_cast<uint32_t>(item.content.size()));
    put16(directory, static_cast<uint32_t>(item.name.size()));
    put16(directory, 0);
    put16(directory, 0);
    put16(directory, 0);
    put16(directory, 0);
    put32(directory, 0);
    put32(directory, offset);
    directory += item.name;
  }
  uint32_t directory_offset = static_cast<uint32_t>(out.size());
  out += directory;
  put32(out, 0x06054b50);
  put16(out, 0);
  put16(out, 0);
  put16(out, static_cast<uint32_t>(items.size()));
  put16(out, static_cast<uint32_t>(items.size()));
  put32(out, static_cast<uint32_t>(directory.size()));
  put32(out, directory_offset);
  put16(out, 0);
  return out;
}

struct Keys {
  crypto::Key signing = crypto::generate_key(crypto::KeyType::ed25519);
  crypto::Key other = crypto::generate_key(crypto::KeyType::ed25519);
};

ErrorKind kind_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& error) {
    return error.kind();
  }
  return ErrorKind::failure;  // no error
}

}  // namespace

TEST_CASE("an archive bundle rebuilds the target byte for byte, entry by entry", "[hotfix]") {
  TempDir dir;
  Keys keys;
  std::string dex = random_bytes(300000, 1), so = random_bytes(2 << 20, 2);
  std::string new_dex = dex;
  new_dex.replace(150000, 10, "FIXEDCODE!");
  std::string new_so = so;
  new_so[1 << 20] ^= 0x55;
  std::string manifest = "<manifest version=\"1.0\"/>", icon = random_bytes(5000, 3);
  auto base = make_zip({{"AndroidManifest.xml", manifest, 9},
                        {"classes.dex", dex, 6},
                        {"lib/arm64-v8a/libapp.so", so, 0},
                        {"res/icon.png", icon, 0},
                        {"assets/old.txt", "gone in the fix", 6},
                        {"assets/odd.bin", random_bytes(3000, 4), -1}});
  auto target = make_zip({{"AndroidManifest.xml", manifest, 9},
                          {"classes.dex", new_dex, 6},
                          {"lib/arm64-v8a/libapp.so", new_so, 0},
                          {"res/launcher.png", icon, 0},  // renamed
                          {"assets/new.txt", "new in the fix", 1},
                          {"assets/odd.bin", random_bytes(3000, 5), -1}});
  write_text(dir / "base.apk", base);
  write_text(dir / "target.apk", target);

  hotfix::CreateRequest request{dir / "base.apk", dir / "target.apk",
                                dir / "fix.mphf", keys.signing,
                                "1.0.0",          "fixes the crash"};
  NullProgress progress;
  auto report = hotfix::create_bundle(request, progress);
  CHECK(report.kind == "archive");
  CHECK(report.unchanged == 1);
  CHECK(report.changed == 3);  // dex, so, odd.bin
  CHECK(report.added == 1);
  CHECK(report.renamed == 1);
  CHECK(report.deleted == 2);  // old.txt, and icon.png (renamed away)
  // One changed classes.dex and libapp.so cost their deltas, not the archive.
  CHECK(report.bundle_size < 20000);
  CHECK(report.bundle_size < target.size() / 50);

  hotfix::ApplyRequest apply{dir / "base.apk", dir / "fix.mphf", keys.signing, dir / "out.apk", {}};
  auto applied = hotfix::apply_bundle(apply, progress);
  CHECK(applied.kind == "archive");
  CHECK(read_text(dir / "out.apk") == target);

  SECTION("--dir writes the changed and added entries only") {
    apply.output.clear();
    apply.changed_folder = dir / "changed";
    auto written = hotfix::apply_bundle(apply, progress);
    CHECK(written.written_entries == 4);
    CHECK(read_text(dir / "changed" / "classes.dex") == new_dex);
    CHECK(read_text(dir / "changed" / "assets" / "new.txt") == "new in the fix");
    CHECK_FALSE(std::filesystem::exists(dir / "changed" / "AndroidManifest.xml"));
  }
  SECTION("inspect lists entries with their costs and the signer") {
    auto seen = hotfix::inspect_bundle(dir / "fix.mphf", std::nullopt);
    CHECK(seen.signer == crypto::fingerprint(keys.signing));
    CHECK_FALSE(seen.verified);
    CHECK(seen.app_versions == "1.0.0");
    auto json = to_json(seen);
    CHECK(json["entries"].size() == 5);
    CHECK(json["deleted_entries"] == Json::array({"res/icon.png", "assets/old.txt"}));
  }
}

TEST_CASE("a plain file's bundle is one patch, checked by SHA-256", "[hotfix]") {
  TempDir dir;
  Keys keys;
  auto old_data = random_bytes(100000, 7), new_data = old_data;
  new_data.insert(5000, "inserted");
  write_text(dir / "old.so", old_data);
  write_text(dir / "new.so", new_data);
  NullProgress progress;
  auto report = hotfix::create_bundle(
      {dir / "old.so", dir / "new.so", dir / "fix.mphf", keys.signing, "", ""}, progress);
  CHECK(report.kind == "file");
  CHECK(report.bundle_size < 2000);
  hotfix::apply_bundle({dir / "old.so", dir / "fix.mphf", keys.signing, dir / "out.so", {}},
                       progress);
  CHECK(read_text(dir / "out.so") == new_data);
}

TEST_CASE("bundles for another base, by another key, unsigned or damaged are refused", "[hotfix]") {
  TempDir dir;
  Keys keys;
  auto old_data = random_bytes(50000, 8), new_data = random_bytes(50000, 9);
  auto base = make_zip({{"a.txt", old_data, 6}}), target = make_zip({{"a.txt", new_data, 6}});
  write_text(dir / "base.zip", base);
  write_text(dir / "target.zip", target);
  NullProgress progress;
  hotfix::create_bundle(
      {dir / "base.zip", dir / "target.zip", dir / "fix.mphf", keys.signing, "", ""}, progress);
  hotfix::ApplyRequest apply{dir / "base.zip", dir / "fix.mphf", keys.signing, dir / "out.zip", {}};
  auto bundle = read_text(dir / "fix.mphf");

  // Another base: exit 4, naming both hashes.
  write_text(dir / "other.zip", make_zip({{"a.txt", old_data + "!", 6}}));
  apply.base = dir / "other.zip";
  try {
    hotfix::apply_bundle(apply, progress);
    FAIL("applied to another base");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::verification);
    CHECK(std::string(error.what()).find(to_hex(sha256_of(base))) != std::string::npos);
    CHECK(std::string(error.what()).find(to_hex(sha256_of(read_text(dir / "other.zip")))) !=
          std::string::npos);
  }
  apply.base = dir / "base.zip";
  // Another key.
  apply.key = keys.other;
  CHECK(kind_of([&] { hotfix::apply_bundle(apply, progress); }) == ErrorKind::verification);
  apply.key = keys.signing;
  // Unsigned.
  hotfix::create_bundle(
      {dir / "base.zip", dir / "target.zip", dir / "unsigned.mphf", std::nullopt, "", ""},
      progress);
  apply.bundle = dir / "unsigned.mphf";
  CHECK(kind_of([&] { hotfix::apply_bundle(apply, progress); }) == ErrorKind::verification);
  // Tampered: a flipped payload byte breaks the signature; truncations break the container.
  apply.bundle = dir / "bad.mphf";
  for (size_t at : {size_t{20}, bundle.size() / 2, bundle.size() - 10}) {
    auto damaged = bundle;
    damaged[at] ^= 1;
    write_text(dir / "bad.mphf", damaged);
    auto kind = kind_of([&] { hotfix::apply_bundle(apply, progress); });
    CHECK((kind == ErrorKind::verification || kind == ErrorKind::invalid_input));
  }
  for (size_t size : {size_t{0}, size_t{3}, size_t{9}, bundle.size() / 3, bundle.size() - 1}) {
    write_text(dir / "bad.mphf", bundle.substr(0, size));
    CHECK(kind_of([&] { hotfix::apply_bundle(apply, progress); }) == ErrorKind::invalid_input);
  }
  CHECK_FALSE(std::filesystem::exists(dir / "out.zip"));
}

TEST_CASE("a hostile bundle header is refused before anything is used", "[hotfix]") {
  auto header = [](const std::string& json, const std::string& payload = "") {
    std::string out("MPHF\x01", 5);
    for (int i = 0; i < 4; ++i)
      out.push_back(static_cast<char>((json.size() >> (8 * i)) & 0xff));
    out += json;
    for (int i = 0; i < 8; ++i)
      out.push_back(static_cast<char>((payload.size() >> (8 * i)) & 0xff));
    out += payload;
    out += std::string(4, '\0');
    return out;
  };
  std::string id = R"({"sha256":")" + std::string(64, 'a') + R"(","size":1})";
  auto base = R"("format":"mphf","kind":"archive","base":)" + id + R"(,"target":)" + id +
              R"(,"app_versions":"","notes":"","file_patch":null,"deleted":[],)";
  auto message_of = [](const std::string& bytes) -> std::string {
    try {
      hotfix::read_bundle(bytes, "fix.mphf");
    } catch (const Error& error) {
      CHECK(error.kind() == ErrorKind::invalid_input);
      return error.what();
    }
    return "read";
  };
  // A patch block outside the payload.
  CHECK(message_of(header("{" + base + R"("skeleton_patch":{"offset":5,"length":10},"entries":[]})",
                          "12345678"))
            .find("outside the payload") != std::string::npos);
  // An entry without a name, one with an unknown packing, and one deflated at level 0.
  auto entry = [&](const std::string& fields) {
    return header("{" + base + R"("skeleton_patch":{"offset":0,"length":0},"entries":[{)" + fields +
                  "}]}");
  };
  std::string common = R"("content":"same","from":"a","id":)" + id +
                       R"(,"patch":null,"packed_from":"","packed_patch":null,"packed_size":1,)"
                       R"("header_size":30,"trailer_size":0)";
  CHECK(message_of(entry(R"("name":"",)" + common + R"(,"packing":"copy","level":0)"))
            .find("name is empty") != std::string::npos);
  CHECK(message_of(entry(R"("name":"x",)" + common + R"(,"packing":"zip","level":0)"))
            .find("packing") != std::string::npos);
  CHECK(message_of(entry(R"("name":"x",)" + common + R"(,"packing":"deflate","level":0)"))
            .find("level") != std::string::npos);
  CHECK(message_of(header("{" + base +
                          R"("skeleton_patch":{"offset":0,"length":0},"entries":[{"copy":)"
                          R"({"from":0,"count":0}}]})"))
            .find("count is 0") != std::string::npos);
  CHECK(message_of(header("{" + base +
                          R"("skeleton_patch":{"offset":0,"length":0},"entries":[{"copy":)"
                          R"({"from":0,"count":65535}},{"copy":{"from":0,"count":1}}]})"))
            .find("more than 65535") != std::string::npos);
  CHECK(message_of(header("[1,2]")).find("not a JSON object") != std::string::npos);
  CHECK(message_of(std::string("MPHF\x02", 5) + std::string(20, '\0')).find("version 2") !=
        std::string::npos);
}

TEST_CASE("a bundle uploaded as a release is offered to its base's app versions only",
          "[hotfix][platform]") {
  TempDir dir;
  Keys keys;
  write_text(dir / "old.so", random_bytes(20000, 21));
  write_text(dir / "new.so", random_bytes(20000, 22));
  NullProgress progress;
  hotfix::create_bundle(
      {dir / "old.so", dir / "new.so", dir / "fix.mphf", keys.signing, "1.2.0..1.2.9", ""},
      progress);
  FakeClock clock;
  auto platform = platform::open_local_platform(dir / "platform", "tester", clock);
  platform->create_app("com.example.shop", "Shop");
  platform::UploadRequest upload;
  upload.file = dir / "fix.mphf";
  upload.app = "com.example.shop";
  upload.platform = "android";
  upload.version = "1.2.10";
  upload.percent = 10000;
  auto release = platform->upload(upload, progress);
  CHECK(release.kind == "hotfix");
  CHECK(release.min_app_version == "1.2.0");
  CHECK(release.max_app_version == "1.2.9");
  auto check = [&](const std::string& app_version) {
    platform::CheckRequest request{"com.example.shop", "android",
                                   platform::Device{"d-1", app_version, "13", "", "", ""}, false};
    return platform->check(request);
  };
  CHECK(check("1.2.3").offers.size() == 1);
  auto newer = check("1.3.0");
  CHECK(newer.offers.empty());
  REQUIRE(newer.skipped.size() == 1);
  CHECK(newer.skipped[0].reason == "app_version 1.3.0 > max 1.2.9");

  // Flags or a kind that say otherwise are refused, and nothing is made.
  upload.version = "1.2.11";
  upload.kind = "native";
  CHECK(kind_of([&] { platform->upload(upload, progress); }) == ErrorKind::usage);
  upload.kind.clear();
  upload.max_app_version = "1.3.0";
  CHECK(kind_of([&] { platform->upload(upload, progress); }) == ErrorKind::usage);
  CHECK(platform->list_releases({"com.example.shop", std::nullopt, ""}).releases.size() == 1);
}

TEST_CASE("bundles are signed with Ed25519, ECDSA P-256 and RSA keys alike", "[hotfix]") {
  TempDir dir;
  write_text(dir / "old.bin", random_bytes(30000, 31));
  write_text(dir / "new.bin", random_bytes(30000, 32));
  NullProgress progress;
  for (auto type : {crypto::KeyType::ed25519, crypto::KeyType::ec_p256, crypto::KeyType::rsa2048}) {
    auto key = crypto::generate_key(type);
    INFO(key.type_name());
    hotfix::create_bundle({dir / "old.bin", dir / "new.bin", dir / "fix.mphf", key, "", ""},
                          progress);
    auto seen = hotfix::inspect_bundle(dir / "fix.mphf", key);
    CHECK(seen.verified);
    CHECK(seen.signer == crypto::fingerprint(key));
    std::filesystem::remove(dir / "out.bin");
    hotfix::apply_bundle({dir / "old.bin", dir / "fix.mphf", key, dir / "out.bin", {}}, progress);
    CHECK(read_text(dir / "out.bin") == read_text(dir / "new.bin"));
  }
}

TEST_CASE("a signed bundle whose entry names leave the folder writes nothing with --dir",
          "[hotfix]") {
  TempDir dir;
  Keys keys;
  auto base = make_zip({{"a.txt", "old", 6}});
  write_text(dir / "base.zip", base);
  // A bundle made by hand and signed by the trusted key: only the names are hostile.
  hotfix::Bundle bundle;
  bundle.kind = "archive";
  bundle.base = {to_hex(sha256_of(base)), base.size()};
  bundle.target = bundle.base;
  bundle.skeleton_patch = hotfix::Block{0, 0};
  for (std::string name : {"../evil.txt", "/etc/evil", "a/../../evil"}) {
    hotfix::Entry entry;
    entry.name = name;
    entry.content = hotfix::Content::same;
    entry.from = "a.txt";
    entry.id = {to_hex(sha256_of("old")), 3};
    bundle.entries = {entry};
    write_text(dir / "evil.mphf", hotfix::encode_bundle(bundle, "", keys.signing));
    NullProgress progress;
    hotfix::ApplyRequest apply{dir / "base.zip", dir / "evil.mphf", keys.signing, {}, dir / "out"};
    INFO(name);
    CHECK(kind_of([&] { hotfix::apply_bundle(apply, progress); }) == ErrorKind::invalid_input);
    CHECK_FALSE(std::filesystem::exists(dir / "out"));
    CHECK_FALSE(std::filesystem::exists(dir / "evil.txt"));
  }
}
