// A patch is untrusted input: truncated, corrupted and hostile patches fail with
// invalid_input (exit 3), a patch for another old file with verification_failed (exit 4)
// naming both hashes, and offsets past 4 GiB work (a sparse file, no 4 GiB fixture).
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <random>

#include "mpaas/core/error.hpp"
#include "mpaas/core/sha256.hpp"
#include "mpaas/delta/delta.hpp"
#include "temp_dir.hpp"

using namespace mpaas::delta;
using mpaas::Error;
using mpaas::ErrorKind;

namespace {

std::string sample(size_t size, uint32_t seed) {
  std::mt19937 generator(seed);
  std::string out(size, '\0');
  for (auto& c : out)
    c = static_cast<char>("abcdefgh"[generator() % 8]);
  return out;
}

ErrorKind kind_of_apply(const std::string& old_data, const std::string& patch) {
  try {
    apply_patch(old_data, patch, ApplyLimits{1u << 24});
  } catch (const Error& error) {
    return error.kind();
  }
  return ErrorKind::failure;  // "applied": the caller decides whether that is wrong
}

std::vector<DiffOptions> formats() {
  DiffOptions automatic, lzma, zstd, bsdiff;
  lzma.codec = Codec::lzma;
  zstd.codec = Codec::zstd;
  bsdiff.format = PatchFormat::bsdiff;
  return {automatic, lzma, zstd, bsdiff};
}

}  // namespace

TEST_CASE("every truncation of a patch is refused as invalid input", "[delta][refusal]") {
  std::string old_data = sample(4000, 1);
  std::string new_data = old_data.substr(0, 1500) + sample(300, 2) + old_data.substr(1500);
  for (const auto& options : formats()) {
    std::string patch = make_patch(old_data, new_data, options);
    for (size_t size = 0; size < patch.size(); ++size) {
      INFO(format_name(options.format)
           << " " << codec_name(options.codec.value_or(Codec::none)) << " prefix " << size);
      REQUIRE(kind_of_apply(old_data, patch.substr(0, size)) == ErrorKind::invalid_input);
    }
  }
}

TEST_CASE("every corrupted byte of an mpd patch is refused", "[delta][refusal]") {
  std::string old_data = sample(3000, 3);
  std::string new_data = sample(200, 4) + old_data;
  for (Codec codec : {Codec::lzma, Codec::zstd}) {
    DiffOptions options;
    options.codec = codec;
    std::string patch = make_patch(old_data, new_data, options);
    for (size_t at = 0; at < patch.size(); ++at) {
      std::string bad = patch;
      bad[at] = static_cast<char>(bad[at] ^ 0x21);
      INFO(codec_name(codec) << " byte " << at);
      // Some bits change nothing (e.g. a codec's header hint): then the output must still
      // be the exact new file, which the SHA-256 check guarantees.
      std::string result;
      ErrorKind kind = ErrorKind::failure;
      try {
        result = apply_patch(old_data, bad);
      } catch (const Error& error) {
        kind = error.kind();
      }
      if (kind == ErrorKind::failure) {
        CHECK(result == new_data);
      } else {
        CHECK((kind == ErrorKind::invalid_input || kind == ErrorKind::verification));
      }
    }
  }
}

TEST_CASE("corrupted BSDIFF40 patches never crash", "[delta][refusal]") {
  std::string old_data = sample(3000, 5);
  std::string new_data = old_data + sample(100, 6);
  DiffOptions options;
  options.format = PatchFormat::bsdiff;
  std::string patch = make_patch(old_data, new_data, options);
  size_t refused = 0;
  for (size_t at = 0; at < patch.size(); ++at) {
    std::string bad = patch;
    bad[at] = static_cast<char>(bad[at] ^ 0x40);
    if (kind_of_apply(old_data, bad) == ErrorKind::invalid_input)
      ++refused;
  }
  CHECK(refused > patch.size() / 2);
}

TEST_CASE("a patch made for another old file names both hashes", "[delta][refusal]") {
  std::string old_data = sample(2000, 7);
  std::string patch = make_patch(old_data, old_data + "more");
  std::string other = sample(2000, 8);
  std::string expected = mpaas::to_hex(mpaas::sha256_of(old_data));
  std::string actual = mpaas::to_hex(mpaas::sha256_of(other));
  try {
    apply_patch(other, patch);
    FAIL("applied to the wrong old file");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::verification);
    CHECK_THAT(error.what(), Catch::Contains(expected) && Catch::Contains(actual));
  }
}

TEST_CASE("hostile headers are refused before any allocation", "[delta][refusal]") {
  DiffOptions version2;
  version2.container = Container::version2;
  std::string patch = make_patch("abc", "abcd", version2);
  std::string huge = patch;
  for (int i = 0; i < 8; ++i)
    huge[24 + i] = '\x7f';  // new size near 2^63
  CHECK(kind_of_apply("abc", huge) == ErrorKind::invalid_input);
  std::string bad_version = patch;
  bad_version[8] = 9;
  CHECK_THROWS_WITH(apply_patch("abc", bad_version),
                    Catch::Contains("unsupported patch version 9"));
  CHECK_THROWS_WITH(apply_patch("abc", "garbage!garbage!"), Catch::Contains("not a patch"));

  std::string bsdiff = std::string("BSDIFF40") + std::string(24, '\0');
  bsdiff[8] = 100;  // control stream longer than the patch
  CHECK(kind_of_apply("abc", bsdiff) == ErrorKind::invalid_input);
  std::string negative = std::string("BSDIFF40") + std::string(24, '\0');
  negative[31] = '\x81';  // new size -1
  CHECK(kind_of_apply("abc", negative) == ErrorKind::invalid_input);
}

TEST_CASE("BSDIFF40 control lengths past the new file are refused", "[delta][refusal]") {
  // One instruction: add 10 bytes, but the header says the new file has 4.
  std::string control;
  put_bsdiff_int(control, 10);
  put_bsdiff_int(control, 0);
  put_bsdiff_int(control, 0);
  auto bzip = [](const std::string& data) {
    auto compressor = make_compressor(Codec::bzip2, 9, 1, 0);
    compressor->write(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    return compressor->finish();
  };
  std::string control_stream = bzip(control), diff_stream = bzip(std::string(10, '\0'));
  std::string patch = encode_bsdiff_header(control_stream.size(), diff_stream.size(), 4) +
                      control_stream + diff_stream + bzip("");
  CHECK_THROWS_WITH(apply_patch("abcdefghij", patch),
                    Catch::Contains("past the end of the new file"));
}

namespace {

// Where the known bytes of the sparse old file start: just past 4 GiB.
constexpr uint64_t tail_at = (uint64_t{1} << 32) + 16;

// A sparse file of tail_at + 64 bytes: zeros, then "0123456789abcdef", then 48 zeros.
void make_sparse_old_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(::pwrite(fd, "0123456789abcdef", 16, static_cast<off_t>(tail_at)) == 16);
  REQUIRE(::ftruncate(fd, static_cast<off_t>(tail_at + 64)) == 0);
  ::close(fd);
}

}  // namespace

TEST_CASE("patches address old files past 4 GiB", "[delta][large]") {
  // A sparse old file of 4 GiB + 64 bytes whose last bytes are known; a hand-made BSDIFF40
  // patch seeks past the 4 GiB boundary and adds from there.
  mpaas::test::TempDir dir;
  auto old_path = dir / "old.bin";
  make_sparse_old_file(old_path);
  std::string control;
  put_bsdiff_int(control, 0);
  put_bsdiff_int(control, 2);
  put_bsdiff_int(control, static_cast<int64_t>(tail_at));
  put_bsdiff_int(control, 16);
  put_bsdiff_int(control, 0);
  put_bsdiff_int(control, 0);
  auto bzip = [](const std::string& data) {
    auto compressor = make_compressor(Codec::bzip2, 9, 1, 0);
    compressor->write(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    return compressor->finish();
  };
  std::string diff(16, '\0');
  diff[0] = 1;  // '0' + 1 = '1'
  std::string control_stream = bzip(control), diff_stream = bzip(diff);
  std::string patch = encode_bsdiff_header(control_stream.size(), diff_stream.size(), 18) +
                      control_stream + diff_stream + bzip("<>");
  MemoryInput input(patch);
  mpaas::NullProgress progress;
  apply_patch_file(old_path, input, "patch", dir / "new.bin", nullptr, progress);
  CHECK(mpaas::test::read_text(dir / "new.bin") == "<>1123456789abcdef");
}

TEST_CASE("mpd patches address old files past 4 GiB and check their hash", "[delta][large]") {
  // The same sparse old file, with a hand-made mpd patch: 64-bit seeks in the control
  // stream, the old file's SHA-256 over all 4 GiB, and the new file's at the end.
  mpaas::test::TempDir dir;
  auto old_path = dir / "old.bin";
  make_sparse_old_file(old_path);
  // The old file's hash from its known content, without reading 4 GiB through the file.
  mpaas::Sha256 old_hash;
  const std::string zeros(1u << 20, '\0');
  for (uint64_t done = 0; done < tail_at; done += zeros.size())
    old_hash.update(zeros.data(), std::min<uint64_t>(zeros.size(), tail_at - done));
  old_hash.update("0123456789abcdef");
  old_hash.update(std::string(48, '\0'));
  auto varints = [](std::initializer_list<uint64_t> values) {
    std::string out;
    for (uint64_t value : values) {
      for (; value >= 0x80; value >>= 7)
        out.push_back(static_cast<char>((value & 0x7F) | 0x80));
      out.push_back(static_cast<char>(value));
    }
    return out;
  };
  // copy "<>", seek to the tail (zigzag: 2 * tail_at), add 16 bytes with one changed.
  std::string control = varints({0, 2, 2 * tail_at, 16, 0, 0});
  std::string diff(16, '\0');
  diff[0] = 1;
  auto zstd = [](const std::string& data) {
    auto compressor = make_compressor(Codec::zstd, 3, 1, 0);
    compressor->write(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    return compressor->finish();
  };
  const std::string expected = "<>1123456789abcdef";
  PatchHeader header;
  header.codec = Codec::zstd;
  header.old_size = tail_at + 64;
  header.new_size = expected.size();
  header.old_sha256 = old_hash.finish();
  header.new_sha256 = mpaas::sha256_of(expected);
  std::string control_stream = zstd(control), diff_stream = zstd(diff), extra = zstd("<>");
  header.control_size = control_stream.size();
  header.diff_size = diff_stream.size();
  header.extra_size = extra.size();
  std::string patch = encode_mpd_header(header) + control_stream + diff_stream + extra;
  MemoryInput input(patch);
  mpaas::NullProgress progress;
  CHECK(parse_header(input, "patch").old_size == tail_at + 64);
  apply_patch_file(old_path, input, "patch", dir / "new.bin", nullptr, progress);
  CHECK(mpaas::test::read_text(dir / "new.bin") == expected);

  // One byte past the end of the old file is refused, and nothing is written.
  std::string beyond = varints({0, 2, 2 * (tail_at + 64 - 15), 16, 0, 0});
  std::string beyond_stream = zstd(beyond);
  header.control_size = beyond_stream.size();
  std::string bad = encode_mpd_header(header) + beyond_stream + diff_stream + extra;
  MemoryInput bad_input(bad);
  CHECK_THROWS_WITH(
      apply_patch_file(old_path, bad_input, "bad.mpd", dir / "bad.bin", nullptr, progress),
      Catch::Contains("past the end of the old file"));
  CHECK_FALSE(std::filesystem::exists(dir / "bad.bin"));
}

namespace {

// An mpd patch over old "abcdefgh" whose one instruction adds 8 bytes through a run-coded
// diff stream made of `runs` and `literals` (zstd, uncompressed content given here).
std::string run_coded_patch(const std::string& runs, const std::string& literals,
                            const std::string& new_data) {
  auto zstd = [](const std::string& data) {
    auto compressor = make_compressor(Codec::zstd, 3, 1, 0);
    compressor->write(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    return compressor->finish();
  };
  std::string control = std::string("\x08\x00\x00", 3);
  std::string control_stream = zstd(control), run_stream = zstd(runs);
  std::string literal_stream = zstd(literals), extra = zstd("");
  PatchHeader header;
  header.codec = Codec::zstd;
  header.old_size = 8;
  header.new_size = new_data.size();
  header.old_sha256 = mpaas::sha256_of("abcdefgh");
  header.new_sha256 = mpaas::sha256_of(new_data);
  header.control_size = control_stream.size();
  header.diff_runs = true;
  header.diff_runs_size = run_stream.size();
  header.diff_size = run_stream.size() + literal_stream.size();
  header.extra_size = extra.size();
  return encode_mpd_header(header) + control_stream + run_stream + literal_stream + extra;
}

}  // namespace

TEST_CASE("hostile run-coded diff streams are refused", "[delta][refusal]") {
  // 7 zeros then 1 literal (+1: 'h' becomes 'i'): the well-formed case applies.
  CHECK(apply_patch("abcdefgh", run_coded_patch("\x07\x01", "\x01", "abcdefgi")) == "abcdefgi");
  CHECK_THROWS_WITH(
      apply_patch("abcdefgh", run_coded_patch(std::string("\x00\x00\x08\x00", 4), "", "abcdefgh")),
      Catch::Contains("empty run"));
  CHECK_THROWS_WITH(
      apply_patch("abcdefgh", run_coded_patch(std::string("\x08\x00", 2), "\x05", "abcdefgh")),
      Catch::Contains("literal bytes left"));
  CHECK_THROWS_WITH(apply_patch("abcdefgh", run_coded_patch("\x07\x01", "", "abcdefgi")),
                    Catch::Contains("truncated"));
  CHECK_THROWS_WITH(
      apply_patch("abcdefgh", run_coded_patch(std::string("\x02\x00", 2), "", "abcdefgh")),
      Catch::Contains("truncated"));
  std::string oversized = run_coded_patch("\x07\x01", "\x01", "abcdefgi");
  oversized[127] = '\x7f';  // run stream larger than the whole diff region
  CHECK(kind_of_apply("abcdefgh", oversized) == ErrorKind::invalid_input);
}

// apply_patch_file hashes the old file on a second thread while the patch applies; a wrong
// old file must still be reported as the mismatch (exit 4) whatever the apply ran into with
// it, and leave nothing behind.
TEST_CASE("a wrong old file is a mismatch even when the apply fails on it first",
          "[delta][refusal]") {
  mpaas::test::TempDir dir;
  std::mt19937_64 generator(21);
  std::string old_data(1u << 21, '\0');
  for (auto& c : old_data)
    c = static_cast<char>(generator() % 5 == 0 ? 0xE8 : generator());
  std::string new_data = old_data.substr(0, 1000) + "inserted" + old_data.substr(1000);
  DiffOptions options;
  options.filter = Filter::x86_64;
  std::string patch = make_patch(old_data, new_data, options);
  MemoryInput input(patch);
  mpaas::NullProgress progress;
  // The right file applies; one a byte shorter makes the instructions read past its end,
  // one with a byte changed makes a file with the wrong digest.
  mpaas::test::write_text(dir / "old.bin", old_data);
  apply_patch_file(dir / "old.bin", input, "p.mpd", dir / "new.bin", nullptr, progress);
  CHECK(mpaas::test::read_text(dir / "new.bin") == new_data);
  std::string changed = old_data;
  changed[500000] = static_cast<char>(changed[500000] ^ 1);
  for (const std::string& wrong : {old_data.substr(0, old_data.size() - 1), changed}) {
    mpaas::test::write_text(dir / "wrong.bin", wrong);
    try {
      apply_patch_file(dir / "wrong.bin", input, "p.mpd", dir / "out.bin", nullptr, progress);
      FAIL("applied to the wrong old file");
    } catch (const mpaas::Error& error) {
      CHECK(error.kind() == mpaas::ErrorKind::verification);
      CHECK_THAT(error.what(), Catch::Contains("the old file does not match the patch"));
    }
    CHECK_FALSE(std::filesystem::exists(dir / "out.bin"));
    size_t files = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path()))
      ++files;
    CHECK(files == 3);  // old.bin, new.bin, wrong.bin: no temporary file left
  }
}
