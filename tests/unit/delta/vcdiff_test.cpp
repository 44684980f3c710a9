// VCDIFF (RFC 3284): patches we write apply with xdelta3 and with ourselves, window by
// window; patches written by hand exercise every instruction and address mode; hostile
// patches (truncated, bit-flipped, over-long, pointing outside their window, using what we
// do not read) fail with invalid_input, and a wrong old file with verification_failed.
#include <catch2/catch.hpp>
#include <fstream>
#include <random>

#include "mpaas/core/error.hpp"
#include "mpaas/core/progress.hpp"
#include "mpaas/delta/delta.hpp"
#include "mpaas/delta/matcher.hpp"
#include "mpaas/delta/vcdiff.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

using namespace mpaas::delta;
using mpaas::Error;
using mpaas::ErrorKind;

namespace {

std::string random_bytes(size_t size, uint32_t seed) {
  std::mt19937 generator(seed);
  std::string out(size, '\0');
  for (auto& c : out)
    c = static_cast<char>(generator());
  return out;
}

// The new file: the old one with an insertion, a changed stretch, a run and a deletion.
std::string edited(const std::string& old_data, uint32_t seed) {
  std::string out = old_data.substr(0, old_data.size() / 3);
  out += random_bytes(700, seed);
  out += old_data.substr(old_data.size() / 3, old_data.size() / 3);
  out += std::string(300, '\0');
  std::string tail = old_data.substr(2 * old_data.size() / 3 + 5000);
  for (size_t i = 0; i < tail.size(); i += 997)
    tail[i] = static_cast<char>(tail[i] + 1);  // small edits inside a moved block
  return out + tail;
}

// A patch written with `window`-byte windows.
std::string vcdiff_of(const std::string& old_data, const std::string& new_data, uint64_t window) {
  mpaas::NullProgress progress;
  auto* old_bytes = reinterpret_cast<const uint8_t*>(old_data.data());
  auto* new_bytes = reinterpret_cast<const uint8_t*>(new_data.data());
  auto list = find_matches(old_bytes, old_data.size(), new_bytes, new_data.size(), {}, progress);
  std::string patch;
  write_vcdiff(
      old_bytes, old_data.size(), new_bytes, new_data.size(), list,
      [&](const uint8_t* data, size_t size) {
        patch.append(reinterpret_cast<const char*>(data), size);
      },
      progress, window);
  return patch;
}

ErrorKind kind_of_apply(const std::string& old_data, const std::string& patch) {
  try {
    apply_patch(old_data, patch, ApplyLimits{1u << 26});
  } catch (const Error& error) {
    return error.kind();
  }
  return ErrorKind::failure;  // applied
}

std::string message_of_apply(const std::string& old_data, const std::string& patch) {
  try {
    apply_patch(old_data, patch);
  } catch (const Error& error) {
    return error.what();
  }
  return "applied";
}

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int value : values)
    out.push_back(static_cast<char>(value));
  return out;
}

// A file header and one window without a source segment, Adler-32 included.
std::string target_only_patch(const std::string& target, const std::string& data,
                              const std::string& instructions, const std::string& addresses) {
  std::string body =
      bytes({static_cast<int>(target.size()), 0, static_cast<int>(data.size()),
             static_cast<int>(instructions.size()), static_cast<int>(addresses.size())});
  uint32_t adler = adler32(1, reinterpret_cast<const uint8_t*>(target.data()), target.size());
  for (int shift = 24; shift >= 0; shift -= 8)
    body.push_back(static_cast<char>((adler >> shift) & 0xff));
  body += data + instructions + addresses;
  std::string patch = bytes({0xD6, 0xC3, 0xC4, 0x00, 0x00, 0x04});
  patch.push_back(static_cast<char>(body.size()));
  return patch + body;
}

}  // namespace

TEST_CASE("Adler-32 matches its published values", "[delta][vcdiff]") {
  std::string text = "Wikipedia";
  CHECK(adler32(1, reinterpret_cast<const uint8_t*>(text.data()), text.size()) == 0x11E60398);
  std::string large(100000, '\xff');  // sums past the 5552-byte overflow point
  uint32_t whole = adler32(1, reinterpret_cast<const uint8_t*>(large.data()), large.size());
  uint32_t halves = adler32(adler32(1, reinterpret_cast<const uint8_t*>(large.data()), 33333),
                            reinterpret_cast<const uint8_t*>(large.data()) + 33333, 66667);
  CHECK(whole == halves);
  CHECK(whole == 0x149A302C);  // zlib.adler32(b"\xff" * 100000)
}

TEST_CASE("VCDIFF round trips through windows, source segments and runs", "[delta][vcdiff]") {
  auto old_data = random_bytes(200000, 7);
  auto new_data = edited(old_data, 8);
  for (uint64_t window : {uint64_t{4096}, uint64_t{65536}, vcdiff_window}) {
    INFO(window);
    auto patch = vcdiff_of(old_data, new_data, window);
    CHECK(patch.size() < new_data.size() / 10);
    CHECK(apply_patch(old_data, patch) == new_data);
    // `mpaas patch --info`: the new size from the window headers alone.
    auto header = parse_header(MemoryInput(patch), "patch");
    CHECK(header.format == PatchFormat::vcdiff);
    CHECK(header.new_size == new_data.size());
  }
  // Empty files, either side.
  CHECK(apply_patch(old_data, vcdiff_of(old_data, "", vcdiff_window)).empty());
  CHECK(apply_patch("", vcdiff_of("", new_data, 4096)) == new_data);
  // Through the engine's options, as `mpaas diff --format vcdiff` asks.
  DiffOptions options;
  options.format = PatchFormat::vcdiff;
  auto patch = make_patch(old_data, new_data, options);
  CHECK(patch.compare(0, 4, "\xD6\xC3\xC4\x00", 4) == 0);
  CHECK(apply_patch(old_data, patch) == new_data);
  options.codec = Codec::lzma;
  CHECK_THROWS_AS(make_patch(old_data, new_data, options), Error);
}

TEST_CASE("VCDIFF instructions and address modes written by hand", "[delta][vcdiff]") {
  // Opcodes of the default table: 5 = ADD size 4; 0 = RUN, size next; 19 + 16 * mode + 1 =
  // COPY size 4 and + 3 = COPY size 6 in that address mode.
  std::string instructions = bytes({5,                  // ADD "abcd"
                                    0, 3,               // RUN 3 x 'z'
                                    20,                 // COPY 4, VCD_SELF address 0: "abcd"
                                    19 + 16 + 3,        // COPY 6, VCD_HERE 2 back, overlapping
                                    19 + 2 * 16 + 1,    // COPY 4, near[0] (0) + 1: "bcdz"
                                    19 + 6 * 16 + 1});  // COPY 4, same[9] (the HERE copy's): "cdcd"
  std::string addresses = bytes({0, 2, 1, 9});
  std::string expected = "abcd" + std::string("zzz") + "abcd" + "cdcdcd" + "bcdz" + "cdcd";
  auto patch = target_only_patch(expected, "abcdz", instructions, addresses);
  CHECK(apply_patch("", patch) == expected);
  // One address byte off: another output, caught by the Adler-32 of the expected one.
  auto wrong = target_only_patch(expected, "abcdz", instructions, bytes({0, 2, 1, 1}));
  CHECK(kind_of_apply("", wrong) == ErrorKind::verification);
}

TEST_CASE("VCDIFF interop with xdelta3 on real executable bytes", "[delta][vcdiff][interop]") {
  REQUIRE(mpaas::test::have_program("xdelta3"));
  mpaas::test::TempDir dir;
  // This test program is a real executable: its first 1.5 MiB are the old file.
  std::string self = mpaas::test::read_text("/proc/self/exe");
  REQUIRE(self.size() > (3u << 20));
  auto old_data = self.substr(0, 3u << 19);
  auto new_data = edited(old_data, 9) + self.substr(2u << 20, 1u << 20);
  mpaas::test::write_text(dir / "old", old_data);
  mpaas::test::write_text(dir / "new", new_data);

  // Ours, in 256 KiB windows, each against its own source segment -> xdelta3 -d.
  mpaas::test::write_text(dir / "ours.vcdiff", vcdiff_of(old_data, new_data, 256 << 10));
  auto decoded = mpaas::test::run_program(
      "xdelta3", {"-d", "-f", "-s", (dir / "old").string(), (dir / "ours.vcdiff").string(),
                  (dir / "by-xdelta3").string()});
  INFO(decoded.err);
  REQUIRE(decoded.exit_code == 0);
  CHECK(mpaas::test::read_text(dir / "by-xdelta3") == new_data);

  // xdelta3 -e -S none, in small windows too -> ours.
  auto encoded = mpaas::test::run_program(
      "xdelta3", {"-e", "-f", "-S", "none", "-W", "65536", "-s", (dir / "old").string(),
                  (dir / "new").string(), (dir / "theirs.vcdiff").string()});
  REQUIRE(encoded.exit_code == 0);
  auto theirs = mpaas::test::read_text(dir / "theirs.vcdiff");
  CHECK(apply_patch(old_data, theirs) == new_data);

  // Its default, secondary compression, is refused by name.
  REQUIRE(mpaas::test::run_program(
              "xdelta3", {"-e", "-f", "-s", (dir / "old").string(), (dir / "new").string(),
                          (dir / "compressed.vcdiff").string()})
              .exit_code == 0);
  auto refusal = message_of_apply(old_data, mpaas::test::read_text(dir / "compressed.vcdiff"));
  CHECK(refusal.find("secondary compression") != std::string::npos);
  CHECK(refusal.find("-S none") != std::string::npos);

  // Another old file: the window checksum catches it (exit 4).
  auto other_old = old_data;
  other_old[1000] ^= 1;
  CHECK(kind_of_apply(other_old, theirs) == ErrorKind::verification);
}

TEST_CASE("hostile VCDIFF patches are refused, never trusted", "[delta][vcdiff]") {
  auto old_data = random_bytes(20000, 11);
  auto new_data = edited(old_data, 12);
  auto patch = vcdiff_of(old_data, new_data, 8192);

  SECTION("every truncation") {
    for (size_t size = 0; size < patch.size(); size += (size < 64 ? 1 : 37)) {
      INFO(size);
      auto kind = kind_of_apply(old_data, patch.substr(0, size));
      CHECK((kind == ErrorKind::invalid_input || (size == 5 && kind == ErrorKind::failure)));
    }
  }
  SECTION("bit flips give an error or a checked output, never a crash") {
    std::mt19937 generator(5);
    for (int round = 0; round < 300; ++round) {
      auto damaged = patch;
      damaged[generator() % damaged.size()] ^= static_cast<char>(1 << (generator() % 8));
      auto kind = kind_of_apply(old_data, damaged);
      CHECK((kind == ErrorKind::invalid_input || kind == ErrorKind::verification ||
             kind == ErrorKind::failure));
      if (kind == ErrorKind::failure)  // applied: then it made the right bytes
        CHECK(apply_patch(old_data, damaged) == new_data);
    }
  }
  SECTION("unsupported features and impossible values, by name") {
    auto header = bytes({0xD6, 0xC3, 0xC4, 0x00});
    CHECK(message_of_apply("", header + bytes({0x02})).find("custom code table") !=
          std::string::npos);
    CHECK(message_of_apply("", bytes({0xD6, 0xC3, 0xC4, 0x01, 0x00})).find("version 1") !=
          std::string::npos);
    CHECK(message_of_apply("", header + bytes({0x00, 0x02, 0, 0, 4, 0, 0, 0, 0, 0}))
              .find("VCD_TARGET") != std::string::npos);
    // A window of 2^30 bytes.
    CHECK(message_of_apply(
              "", header + bytes({0x00, 0x00, 10, 0x84, 0x80, 0x80, 0x80, 0x00, 0, 0, 0, 0}))
              .find("window of 1073741824 bytes") != std::string::npos);
    // A source segment past the old file's end.
    CHECK(message_of_apply("abc", header + bytes({0x00, 0x01, 2, 2, 5, 0, 0, 0, 0, 0}))
              .find("outside the old file") != std::string::npos);
    // A COPY of bytes not yet written (address 0 in an empty window).
    auto ahead = target_only_patch("abcd", "", bytes({20}), bytes({0}));
    CHECK(message_of_apply("", ahead).find("not yet written") != std::string::npos);
    // Instructions that write past the window, and ones that leave it short.
    CHECK(message_of_apply("", target_only_patch("ab", "abc", bytes({4}), ""))
              .find("past its window") != std::string::npos);
    CHECK(message_of_apply("", target_only_patch("abcd", "abc", bytes({4}), "")).find("not 4") !=
          std::string::npos);
    // Unused data.
    CHECK(message_of_apply("", target_only_patch("abc", "abcd", bytes({4}), "")).find("unused") !=
          std::string::npos);
  }
}
