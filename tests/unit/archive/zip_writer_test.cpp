// archive/zip_writer: entries streamed through the parallel deflater, copied pre-deflated
// or added whole read back with unzip, bsdtar and our libarchive reader; the ZIP64 layout
// (forced on by the test-only option, so no 4 GiB fixture) has the records APPNOTE 4.5
// asks for and the same tools read it.
#include <fcntl.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "mpaas/archive/parallel_deflate.hpp"
#include "mpaas/archive/reader.hpp"
#include "mpaas/archive/zip_writer.hpp"
#include "mpaas/core/atomic_file.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

using namespace mpaas;
using namespace mpaas::archive;
using mpaas::test::run_program;
using mpaas::test::TempDir;
using mpaas::test::write_text;
namespace fs = std::filesystem;

namespace {

uint32_t get16(const std::string& bytes, size_t at) {
  return static_cast<uint8_t>(bytes.at(at)) |
         static_cast<uint32_t>(static_cast<uint8_t>(bytes.at(at + 1))) << 8;
}
uint32_t get32(const std::string& bytes, size_t at) {
  return get16(bytes, at) | get16(bytes, at + 2) << 16;
}
uint64_t get64(const std::string& bytes, size_t at) {
  return get32(bytes, at) | uint64_t{get32(bytes, at + 4)} << 32;
}

std::string big_content() {
  std::mt19937 random(3);
  std::string data;
  while (data.size() < (size_t{5} << 19))
    data += "line " + std::to_string(random() % 1000) + " of the streamed entry\n";
  return data;
}

struct Written {
  std::string small = "<?xml version=\"1.0\"?>\n<package/>\n";
  std::string streamed = big_content();
  std::string copied = "already deflated by the caller\n";
};

// Writes a.xml (add), big.txt (add_fd) and c.txt (add_deflated) into `archive`.
void write_archive(const fs::path& archive, const Written& content, bool force_zip64,
                   unsigned threads = 2) {
  TempDir scratch;
  write_text(scratch / "big.txt", content.streamed);
  std::string deflated;
  ParallelDeflater deflater(
      [&](const void* data, size_t size) { deflated.append(static_cast<const char*>(data), size); },
      threads);
  deflater.write(content.copied.data(), content.copied.size());
  auto totals = deflater.finish();
  write_text(scratch / "c.deflate", deflated);

  AtomicFile file(archive, 0644);
  ZipEntryOptions options;
  options.mtime = 1577836800;
  options.force_zip64 = force_zip64;
  ZipWriter zip(file.fd(), options, threads);
  zip.add("a.xml", content.small);
  zip.add_file("big.txt", scratch / "big.txt");
  int fd = ::open((scratch / "c.deflate").c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  zip.add_deflated("c.txt", totals, fd);
  ::close(fd);
  zip.finish();
  file.commit();
}

void check_tools_read(const fs::path& archive, const Written& content) {
  TempDir out;
  CHECK(run_program("unzip", {"-tq", archive.string()}).exit_code == 0);
  CHECK(run_program("bsdtar", {"-tf", archive.string()}).out == "a.xml\nbig.txt\nc.txt\n");
  REQUIRE(run_program("bsdtar", {"-xf", archive.string(), "-C", out.path().string()}).exit_code ==
          0);
  CHECK(read_file(out / "a.xml") == content.small);
  CHECK(read_file(out / "big.txt") == content.streamed);
  CHECK(read_file(out / "c.txt") == content.copied);
  CHECK(run_program("unzip", {"-p", archive.string(), "big.txt"}).out == content.streamed);

  auto reader = Reader::open_file(archive);  // streaming, from the local headers
  EntryInfo entry;
  std::vector<std::string> names;
  while (reader->next(entry)) {
    names.push_back(entry.path);
    std::string data;
    reader->read_all([&](const char* bytes, size_t size) { data.append(bytes, size); });
    if (entry.path == "big.txt")
      CHECK(data == content.streamed);
  }
  CHECK(names == std::vector<std::string>{"a.xml", "big.txt", "c.txt"});
}

}  // namespace

TEST_CASE("zip entries added whole, streamed and pre-deflated read back everywhere", "[archive]") {
  TempDir dir;
  Written content;
  write_archive(dir / "plain.zip", content, false);
  check_tools_read(dir / "plain.zip", content);
  std::string bytes = read_file(dir / "plain.zip");
  CHECK(get16(bytes, 4) == 20);  // version needed 2.0: no ZIP64 under 4 GiB
  CHECK(bytes.find(std::string("PK\x06\x06", 4)) == std::string::npos);
  write_archive(dir / "one-thread.zip", content, false, 1);
  CHECK(read_file(dir / "one-thread.zip") == bytes);
}

TEST_CASE("zip64 records are laid out as APPNOTE 4.5 asks and tools read them", "[archive]") {
  TempDir dir;
  Written content;
  write_archive(dir / "z64.zip", content, true);
  check_tools_read(dir / "z64.zip", content);
  std::string bytes = read_file(dir / "z64.zip");

  // The first local header: version 4.5, sizes in the ZIP64 extra field (id 1, 16 bytes).
  REQUIRE(get32(bytes, 0) == 0x04034b50);
  CHECK(get16(bytes, 4) == 45);
  CHECK(get32(bytes, 18) == 0xFFFFFFFFu);
  CHECK(get32(bytes, 22) == 0xFFFFFFFFu);
  size_t name_length = get16(bytes, 26);
  size_t extra = 30 + name_length;
  CHECK(get16(bytes, extra) == 0x0001);
  CHECK(get16(bytes, extra + 2) == 16);
  CHECK(get64(bytes, extra + 4) == content.small.size());

  // The end: classic record full of markers, the locator before it, the ZIP64 record it
  // points at with the true counts and offsets.
  size_t end = bytes.size() - 22;
  REQUIRE(get32(bytes, end) == 0x06054b50);
  CHECK(get16(bytes, end + 10) == 0xFFFF);
  CHECK(get32(bytes, end + 16) == 0xFFFFFFFFu);
  size_t locator = end - 20;
  REQUIRE(get32(bytes, locator) == 0x07064b50);
  size_t record = static_cast<size_t>(get64(bytes, locator + 8));
  REQUIRE(get32(bytes, record) == 0x06064b50);
  CHECK(get64(bytes, record + 4) == 44);
  CHECK(get64(bytes, record + 32) == 3);  // entries
  uint64_t directory = get64(bytes, record + 48);
  REQUIRE(get32(bytes, static_cast<size_t>(directory)) == 0x02014b50);
  CHECK(get64(bytes, record + 40) == record - directory);  // directory size

  // Each central record: version 4.5, markers, and sizes then offset in its ZIP64 field.
  size_t at = static_cast<size_t>(directory);
  for (int i = 0; i < 3; ++i) {
    REQUIRE(get32(bytes, at) == 0x02014b50);
    CHECK(get16(bytes, at + 6) == 45);
    CHECK(get32(bytes, at + 42) == 0xFFFFFFFFu);
    size_t name = get16(bytes, at + 28);
    size_t field = at + 46 + name;
    CHECK(get16(bytes, field) == 0x0001);
    CHECK(get16(bytes, field + 2) == 24);
    uint64_t offset = get64(bytes, field + 20);
    CHECK(get32(bytes, static_cast<size_t>(offset)) == 0x04034b50);
    at = field + 4 + 24 + 9 + 15;  // then UT (5 bytes + 4) and ux (11 + 4)
  }
  CHECK(at == record);
}
