// archive/zip_reader: the structure check that makes every reader see the same archive.
// What our own writer makes (plain and ZIP64) and what Info-ZIP makes (with data
// descriptors when it streams) is accepted; every way for local headers and the central
// directory to disagree is refused, and entry data must end exactly where its sizes say.
#include <catch2/catch.hpp>

#include <fcntl.h>

#include <string>

#include "mpaas/archive/zip_reader.hpp"
#include "mpaas/archive/zip_writer.hpp"
#include "mpaas/core/atomic_file.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/core/unique_fd.hpp"
#include "process.hpp"
#include "temp_dir.hpp"
#include "zip_craft.hpp"

using namespace mpaas;
using namespace mpaas::archive;
using mpaas::test::craft_zip;
using mpaas::test::put_le;
using mpaas::test::TempDir;
using mpaas::test::ZipPart;
namespace fs = std::filesystem;

namespace {

std::shared_ptr<ByteSource> memory(const std::string& bytes) {
  return std::make_shared<MemorySource>(bytes);
}

std::string read_entry(const ZipArchive& zip, size_t index) {
  auto stream = zip.open(index);
  std::string out;
  char buffer[4096];
  while (size_t got = stream->read(buffer, sizeof buffer))
    out.append(buffer, got);
  return out;
}

// The message of the invalid_input that `bytes` is refused with.
std::string refusal(const std::string& bytes) {
  try {
    ZipArchive zip(memory(bytes), "t.zip");
    for (size_t i = 0; i < zip.entries().size(); ++i)
      read_entry(zip, i);
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::invalid_input);
    CHECK(error.subject() == "t.zip");
    return error.what();
  }
  return "accepted";
}

const std::vector<ZipPart> three = {
    {"Manifest.xml", "<package/>\n"}, {"CERT.json", "{}\n"}, {"1.tar", std::string(1024, 'x')}};

size_t end_of_data(const std::string& zip) {
  // The central directory offset, from the end record.
  size_t end = zip.size() - 22;
  size_t offset = 0;
  for (int i = 3; i >= 0; --i)
    offset = (offset << 8) | static_cast<uint8_t>(zip[end + 16 + static_cast<size_t>(i)]);
  return offset;
}

}  // namespace

TEST_CASE("zip structure: our writer's output, plain and ZIP64, is accepted", "[archive][zip]") {
  TempDir dir;
  for (bool zip64 : {false, true}) {
    auto path = dir / (zip64 ? "z64.zip" : "z.zip");
    {
      UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644));
      ZipEntryOptions options;
      options.force_zip64 = zip64;
      ZipWriter writer(fd.get(), options);
      writer.add("a.txt", "hello\n");
      writer.add("b.bin", std::string(100000, 'b'));
      writer.finish();
    }
    ZipArchive zip(std::make_shared<FileSource>(path), "z.zip");
    REQUIRE(zip.entries().size() == 2);
    CHECK(zip.entries()[0].name == "a.txt");
    CHECK(read_entry(zip, 0) == "hello\n");
    CHECK(read_entry(zip, 1) == std::string(100000, 'b'));
  }
  auto bytes = craft_zip(three);  // MemorySource borrows: the bytes must outlive it
  ZipArchive crafted(memory(bytes), "t.zip");
  CHECK(read_entry(crafted, 2) == std::string(1024, 'x'));
}

TEST_CASE("zip structure: Info-ZIP's streamed output with data descriptors is accepted",
          "[archive][zip]") {
  if (!mpaas::test::have_program("zip")) {
    WARN("skipped: Info-ZIP's zip is not installed");
    return;
  }
  TempDir dir;
  mpaas::test::write_text(dir / "a.txt", "some text\n");
  mpaas::test::write_text(dir / "b.txt", std::string(5000, 'q'));
  // Writing to a pipe, zip cannot seek back: sizes and CRC go in data descriptors.
  auto zipped = mpaas::test::run_program(
      "sh", {"-c", "cd '" + dir.path().string() + "' && zip -q - a.txt b.txt | cat > s.zip"});
  REQUIRE(zipped.exit_code == 0);
  ZipArchive zip(std::make_shared<FileSource>(dir / "s.zip"), "s.zip");
  REQUIRE(zip.entries().size() == 2);
  CHECK((zip.entries()[0].flags & 8) != 0);
  CHECK(read_entry(zip, 0) == "some text\n");
  CHECK(read_entry(zip, 1) == std::string(5000, 'q'));

  // Stored (-0): the sizes are in the local header too, and accepted.
  auto stored = mpaas::test::run_program(
      "sh", {"-c", "cd '" + dir.path().string() + "' && zip -q -0 - a.txt b.txt | cat > s0.zip"});
  REQUIRE(stored.exit_code == 0);
  ZipArchive zip0(std::make_shared<FileSource>(dir / "s0.zip"), "s0.zip");
  CHECK(read_entry(zip0, 0) == "some text\n");
  // A stored entry whose local header leaves the compressed size to the descriptor would
  // make a streaming reader search the data for a descriptor signature: refused.
  std::string bytes = mpaas::test::read_text(dir / "s0.zip");
  REQUIRE((static_cast<uint8_t>(bytes[6]) & 8) != 0);
  bytes.replace(18, 4, std::string(4, '\0'));
  CHECK(refusal(bytes) ==
        "malformed zip: a stored entry whose size only a data descriptor gives (a.txt) (t.zip)");
}

TEST_CASE("zip structure: an entry only a local header names is refused", "[archive][zip]") {
  auto hidden = three;
  hidden.push_back({"1.tar", "the tar a streaming reader would extract", true, false});
  CHECK(refusal(craft_zip(hidden)) ==
        "malformed zip: data between the last entry and the central directory (t.zip)");
  // Between two listed entries, too.
  auto between = three;
  between.insert(between.begin() + 1, ZipPart{"evil", "x", true, false});
  CHECK(refusal(craft_zip(between)) == "malformed zip: data before an entry (CERT.json) (t.zip)");
}

TEST_CASE("zip structure: data outside the entries is refused", "[archive][zip]") {
  CHECK(refusal(craft_zip(three, "junk")) ==
        "malformed zip: data between the last entry and the central directory (t.zip)");
  auto before = three;
  before.insert(before.begin(), ZipPart{"junk", "x", true, false});
  CHECK(refusal(craft_zip(before)) == "malformed zip: data before an entry (Manifest.xml) (t.zip)");
  // Prepended without fixing the offsets, the directory is no longer where the end says.
  CHECK(refusal("junk" + craft_zip(three)) ==
        "malformed zip: the central directory does not end where the end record starts (t.zip)");
  CHECK(refusal(craft_zip(three, "", "a comment")) ==
        "malformed zip: the end of central directory record is not at the end of the file "
        "(t.zip)");
  CHECK(refusal(craft_zip(three) + "tail") ==
        "malformed zip: the end of central directory record is not at the end of the file "
        "(t.zip)");
  CHECK(refusal("plain text, no zip at all") == "not a zip archive (t.zip)");
  CHECK(refusal("") == "not a zip archive (t.zip)");
}

TEST_CASE("zip structure: directory records that disagree with the local headers are refused",
          "[archive][zip]") {
  std::string zip = craft_zip(three);
  size_t directory = end_of_data(zip);
  // The second record's offset (at +42) pointed at the first entry: two records, one header.
  std::string overlap = zip;
  size_t second = directory + 46 + std::string("Manifest.xml").size();
  overlap.replace(second + 42, 4, std::string(4, '\0'));
  CHECK_THAT(refusal(overlap), Catch::StartsWith("malformed zip: "));
  // A directory name that the local header does not repeat.
  std::string renamed = zip;
  renamed[directory + 46] = 'X';
  CHECK(refusal(renamed) ==
        "malformed zip: a local header names another entry than the central directory "
        "(Xanifest.xml) (t.zip)");
  // Sizes that disagree.
  std::string resized = zip;
  resized[directory + 24] ^= 1;  // the first record's uncompressed size
  CHECK(refusal(resized) ==
        "malformed zip: the local header and the central directory disagree (Manifest.xml) "
        "(t.zip)");
  // A directory that claims fewer entries than it holds.
  std::string miscounted = zip;
  miscounted[zip.size() - 22 + 8] = 2;
  miscounted[zip.size() - 22 + 10] = 2;
  CHECK(refusal(miscounted) ==
        "malformed zip: data in the central directory after its last entry (t.zip)");
  // Two entries with one name.
  CHECK(refusal(craft_zip({{"a", "1"}, {"a", "2"}})) ==
        "malformed zip: two entries named a (t.zip)");
}

TEST_CASE("zip structure: entry data must end exactly at its sizes, with its CRC",
          "[archive][zip]") {
  // A deflate stream that ends before the entry's compressed size: bytes a stream-following
  // reader and a size-trusting reader would treat differently.
  std::string stream_then_slack = archive::deflate_raw("payload") + "SLACK";
  std::string local;
  put_le(local, 0x04034b50, 4);
  put_le(local, 20, 2);
  put_le(local, 0, 2);
  put_le(local, 8, 2);
  put_le(local, 0, 4);
  uint32_t crc = static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>("payload"), 7));
  put_le(local, crc, 4);
  put_le(local, stream_then_slack.size(), 4);
  put_le(local, 7, 4);
  put_le(local, 1, 2);
  put_le(local, 0, 2);
  local += "a" + stream_then_slack;
  std::string central;
  put_le(central, 0x02014b50, 4);
  put_le(central, 0x031e, 2);
  central += local.substr(4, 26);
  put_le(central, 0, 2);  // comment length
  put_le(central, 0, 2);  // disk
  put_le(central, 0, 2);  // internal attributes
  put_le(central, 0, 4);  // external attributes
  put_le(central, 0, 4);  // local header offset
  central += "a";
  std::string end;
  put_le(end, 0x06054b50, 4);
  put_le(end, 0, 4);
  put_le(end, 1, 2);
  put_le(end, 1, 2);
  put_le(end, central.size(), 4);
  put_le(end, local.size(), 4);
  put_le(end, 0, 2);
  CHECK(refusal(local + central + end) ==
        "malformed zip: data after the end of the deflate stream (a) (t.zip)");

  std::string bad_crc = craft_zip({{"a", "payload", false}});
  bad_crc[14] ^= 1;                         // local CRC
  bad_crc[end_of_data(bad_crc) + 16] ^= 1;  // and the directory's, so both agree
  CHECK(refusal(bad_crc) == "malformed zip: CRC-32 mismatch (a) (t.zip)");
}

TEST_CASE("zip structure: a file source names the path for each way it cannot be read",
          "[archive][zip]") {
  TempDir dir;
  auto expect = [](const fs::path& path, ErrorKind kind, const std::string& message) {
    try {
      FileSource source(path);
      FAIL("opened " << path);
    } catch (const Error& error) {
      CHECK(error.kind() == kind);
      CHECK(error.what() == message);
      CHECK(error.subject() == path.string());
    }
  };
  expect(dir / "missing.amr", ErrorKind::not_found,
         "no such file (" + (dir / "missing.amr").string() + ")");
  fs::create_directories(dir / "folder.amr");
  expect(dir / "folder.amr", ErrorKind::usage,
         "a folder, not a file (" + (dir / "folder.amr").string() + ")");
}
