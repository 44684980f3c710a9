// mpd versions 3 and 4 (issue 16): the compact container that small patches are written in,
// and its dictionary mode (the new file as one zstd frame over the old file, as zstd
// --patch-from does; version 4 when it leaves the new size to the frame). Both round-trip,
// cost a few bytes beyond the two digests, refuse hostile input like the other readers, and
// version 2 and 3 patches still apply.
#include <catch2/catch.hpp>
#include <optional>
#include <random>
#include <sstream>

#include "mpaas/core/error.hpp"
#include "mpaas/core/sha256.hpp"
#include "mpaas/delta/delta.hpp"

using namespace mpaas::delta;
using mpaas::Error;
using mpaas::ErrorKind;

namespace {

// Lines of program-like text, so that edits leave most of it matchable.
std::string text(size_t lines, uint32_t seed) {
  std::mt19937 generator(seed);
  static const char* const words[] = {"const", "value", "return", "function", "render", "props",
                                      "state", "=>",    "if",     "else",     "{",      "}"};
  std::string out;
  for (size_t line = 0; line < lines; ++line) {
    for (int word = 0; word < 8; ++word)
      out += std::string(words[generator() % 12]) + " ";
    out += std::to_string(generator() % 1000) + ";\n";
  }
  return out;
}

// `count` small replacements at pseudo-random places.
std::string edited(std::string data, int count, uint32_t seed) {
  std::mt19937 generator(seed);
  for (int i = 0; i < count; ++i)
    data.replace(generator() % (data.size() - 8), 3, "xyz" + std::to_string(i));
  return data;
}

PatchHeader header_of(const std::string& patch) {
  MemoryInput input(patch);
  return parse_header(input, "patch");
}

ErrorKind kind_of_apply(const std::string& old_data, const std::string& patch,
                        std::string* result = nullptr) {
  try {
    std::string out = apply_patch(old_data, patch, ApplyLimits{1u << 24});
    if (result)
      *result = out;
  } catch (const Error& error) {
    return error.kind();
  }
  return ErrorKind::failure;  // "applied"
}

DiffOptions version2() {
  DiffOptions options;
  options.container = Container::version2;
  return options;
}

constexpr size_t digests = 64;

std::string varint(uint64_t value) {
  std::string out;
  for (; value >= 0x80; value >>= 7)
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
  out.push_back(static_cast<char>(value));
  return out;
}

// A version 4 dictionary patch as version 3 wrote it: the same, with the new file's size
// after the old one's.
std::string as_version3(const std::string& patch) {
  PatchHeader header = header_of(patch);
  REQUIRE(header.version == 4);
  REQUIRE(header.dictionary);
  return "MPD3" + patch.substr(4, header.extra_offset - 4) + varint(header.new_size) +
         patch.substr(header.extra_offset);
}

// A pair whose new file is above dictionary_new_limit, so that zstd patches of it are made
// of instructions too (dictionary mode is tried on smaller files only), in version 3.
const std::pair<std::string, std::string>& instructions_pair() {
  static const std::pair<std::string, std::string> pair = [] {
    std::string old_data = text(24000, 15);
    return std::pair{old_data, old_data.substr(0, 5000) + old_data};
  }();
  REQUIRE(pair.second.size() > dictionary_new_limit);
  return pair;
}

// Text with 40 scattered edits: dictionary mode makes its smallest patch.
const std::pair<std::string, std::string>& scattered_edits_pair() {
  static const std::pair<std::string, std::string> pair = [] {
    std::string old_data = text(2000, 2);
    return std::pair{old_data, edited(old_data, 40, 3)};
  }();
  return pair;
}

}  // namespace

TEST_CASE("a tiny change to a large file costs a few bytes beyond the digests",
          "[delta][compact]") {
  std::string old_data = text(3000, 1);
  std::string new_data = old_data;
  new_data[new_data.size() / 2] = '#';
  // The default (dictionary mode here) and zstd cost a few bytes. LZMA asked for by name
  // has no dictionary mode: its instructions pay about 100 bytes for the 135 KiB of zeros
  // in the diff stream, still far below version 2.
  for (std::optional<Codec> codec :
       {std::optional<Codec>{}, std::optional{Codec::zstd}, std::optional{Codec::lzma}}) {
    DiffOptions options;
    options.codec = codec;
    std::string patch = make_patch(old_data, new_data, options);
    INFO(codec_name(codec.value_or(Codec::none)) << " patch of " << patch.size() << " bytes");
    bool dictionary = header_of(patch).dictionary;
    CHECK(header_of(patch).version == (dictionary ? 4 : 3));
    CHECK(patch.substr(0, 4) == (dictionary ? "MPD4" : "MPD3"));
    if (codec != Codec::lzma)
      CHECK(patch.size() - digests <= 60);
    CHECK(apply_patch(old_data, patch) == new_data);
    DiffOptions full = version2();
    full.codec = codec.value_or(Codec::lzma);
    CHECK(make_patch(old_data, new_data, full).size() > patch.size() + 60);
  }
}

TEST_CASE("dictionary mode is chosen for scattered text edits and round-trips",
          "[delta][compact]") {
  const auto& [old_data, new_data] = scattered_edits_pair();
  std::string patch = make_patch(old_data, new_data);
  PatchHeader header = header_of(patch);
  CHECK(header.dictionary);
  CHECK(header.codec == Codec::zstd);
  CHECK(header.control_size == 0);
  CHECK(apply_patch(old_data, patch) == new_data);
  CHECK(patch.size() < make_patch(old_data, new_data, version2()).size());
}

// zstd --patch-from's frame carries a magic number and a checksum that mpd leaves out; the
// header then costs magic, flags and the old size beyond the digests. The new file's size
// is the frame's own (version 3 wrote it a second time, which on a 60-byte patch was what
// kept it above zstd's).
TEST_CASE("a dictionary patch's header is the magic, flags, digests and old size",
          "[delta][compact]") {
  const auto& [old_data, new_data] = scattered_edits_pair();
  std::string patch = make_patch(old_data, new_data);
  PatchHeader header = header_of(patch);
  REQUIRE(header.dictionary);
  CHECK(header.version == 4);
  CHECK(header.new_size == new_data.size());
  CHECK(header.extra_offset == 4 + 1 + digests + varint(old_data.size()).size());
}

TEST_CASE("version 3 dictionary patches, with the new size in the header, still apply",
          "[delta][compact]") {
  const auto& [old_data, new_data] = scattered_edits_pair();
  std::string patch = as_version3(make_patch(old_data, new_data));
  PatchHeader header = header_of(patch);
  CHECK(header.version == 3);
  CHECK(header.dictionary);
  CHECK(header.new_size == new_data.size());
  CHECK(apply_patch(old_data, patch) == new_data);
}

TEST_CASE("version 2 patches, as earlier releases wrote them, still apply", "[delta][compact]") {
  std::string old_data = text(1000, 4);
  std::string new_data = edited(old_data, 10, 5);
  for (Codec codec : {Codec::lzma, Codec::zstd}) {
    DiffOptions options = version2();
    options.codec = codec;
    std::string patch = make_patch(old_data, new_data, options);
    CHECK(header_of(patch).version == 2);
    CHECK(apply_patch(old_data, patch) == new_data);
  }
}

TEST_CASE("every truncation and corrupted byte of a compact patch is refused",
          "[delta][compact][refusal]") {
  std::string old_data = text(300, 6);
  std::vector<std::pair<std::string, std::string>> pairs = {
      {old_data, edited(old_data, 6, 7)},                // dictionary mode
      {old_data, old_data.substr(0, 5000) + old_data}};  // instructions
  for (const auto& [old_file, new_file] : pairs) {
    for (Codec codec : {Codec::lzma, Codec::zstd}) {
      DiffOptions options;
      options.codec = codec;
      std::string patch = make_patch(old_file, new_file, options);
      REQUIRE(is_compact_version(header_of(patch).version));
      for (size_t size = 0; size < patch.size(); ++size) {
        INFO(codec_name(codec) << " prefix " << size);
        REQUIRE(kind_of_apply(old_file, patch.substr(0, size)) == ErrorKind::invalid_input);
      }
      for (size_t at = 0; at < patch.size(); ++at) {
        std::string bad = patch;
        bad[at] = static_cast<char>(bad[at] ^ 0x21);
        std::string result;
        ErrorKind kind = kind_of_apply(old_file, bad, &result);
        INFO(codec_name(codec) << " byte " << at);
        if (kind == ErrorKind::failure)
          CHECK(result == new_file);  // a bit that changes nothing; the digest vouches
        else
          CHECK((kind == ErrorKind::invalid_input || kind == ErrorKind::verification));
      }
    }
  }
}

// The last stream runs to the end of the file, so the header cannot say where the patch
// ends: the reader must see the frame's end itself. Without that, bytes after a zstd frame
// were decoded as the next frame's header ("Unsupported frame parameter"), and bytes after
// an LZMA2 end marker were ignored.
TEST_CASE("bytes after a compact patch's last stream are refused as trailing data",
          "[delta][compact][refusal]") {
  std::string old_data = text(300, 12);
  std::vector<std::pair<std::string, std::string>> pairs = {
      {old_data, edited(old_data, 6, 13)},  // dictionary mode with zstd
      instructions_pair()};
  for (const auto& [old_file, new_file] : pairs) {
    for (Codec codec : {Codec::lzma, Codec::zstd}) {
      DiffOptions options;
      options.codec = codec;
      std::string patch = make_patch(old_file, new_file, options);
      PatchHeader header = header_of(patch);
      REQUIRE(is_compact_version(header.version));
      std::string last_stream = patch.substr(header.extra_offset);
      for (const std::string& tail :
           {std::string(1, 'x'), std::string(1000, 'x'), std::string(3, '\0'), last_stream}) {
        INFO(codec_name(codec) << (header.dictionary ? " dictionary" : " instructions") << ", "
                               << tail.size() << " bytes after the streams");
        CHECK_THROWS_WITH(apply_patch(old_file, patch + tail),
                          "patch is corrupted: trailing bytes after the streams (patch)");
      }
    }
  }
}

TEST_CASE("bytes between a compact stream's frame and the next stream are refused",
          "[delta][compact][refusal]") {
  const auto& [old_data, new_data] = instructions_pair();
  for (Codec codec : {Codec::lzma, Codec::zstd}) {
    DiffOptions options;
    options.codec = codec;
    std::string patch = make_patch(old_data, new_data, options);
    PatchHeader fields = header_of(patch);
    REQUIRE(!fields.dictionary);
    std::string control = patch.substr(fields.control_offset, fields.control_size);
    std::string rest = patch.substr(fields.diff_offset);
    fields.control_size += 1;
    std::string bad = encode_mpd_compact_header(fields) + control + "x" + rest;
    INFO(codec_name(codec));
    CHECK_THROWS_WITH(apply_patch(old_data, bad),
                      "patch is corrupted: bytes after the end of a stream (patch)");
  }
}

TEST_CASE("hostile compact headers are refused", "[delta][compact][refusal]") {
  std::string old_data = text(200, 8);
  std::string new_data = old_data + "tail";
  std::string patch = make_patch(old_data, new_data);
  REQUIRE(is_compact_version(header_of(patch).version));
  auto with_byte = [&](size_t at, char value) {
    std::string bad = patch;
    bad[at] = value;
    return bad;
  };
  CHECK_THROWS_WITH(apply_patch(old_data, with_byte(4, '\x40')), Catch::Contains("unknown flags"));
  CHECK_THROWS_WITH(apply_patch(old_data, with_byte(4, '\x03')), Catch::Contains("unknown codec"));
  CHECK_THROWS_WITH(apply_patch(old_data, with_byte(4, '\x0d')), Catch::Contains("unknown filter"));
  // Dictionary mode only with zstd, no filter and no runs.
  CHECK_THROWS_WITH(apply_patch(old_data, with_byte(4, '\x22')), Catch::Contains("dictionary"));
  CHECK_THROWS_WITH(apply_patch(old_data, with_byte(4, '\x31')), Catch::Contains("dictionary"));

  // An LZMA dictionary past 8 MiB, and varints past 2^62 or longer than 10 bytes.
  PatchHeader fields;
  fields.codec = Codec::lzma;
  fields.lzma_dictionary_log = 30;
  CHECK_THROWS_WITH(apply_patch("", encode_mpd_compact_header(fields) + "xx"),
                    Catch::Contains("dictionary size out of range"));
  fields.lzma_dictionary_log = 16;
  std::string prefix = encode_mpd_compact_header(fields).substr(0, 4 + 2 + 64);
  CHECK_THROWS_WITH(apply_patch("", prefix + std::string(11, '\xff') + "xx"),
                    Catch::Contains("out of range"));
  CHECK_THROWS_WITH(
      apply_patch("", prefix + std::string("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x7f")),
      Catch::Contains("out of range"));
  // Control and diff streams that claim more than the patch holds.
  fields.control_size = 1000;
  CHECK(kind_of_apply("", encode_mpd_compact_header(fields)) == ErrorKind::invalid_input);

  // Dictionary mode for a new file above the limit a reader's memory allows: in version 4
  // the frame declares it (a magicless frame header: 8-byte content size, 2 MiB window), in
  // version 3 the header.
  PatchHeader huge;
  huge.codec = Codec::zstd;
  huge.dictionary = true;
  std::string frame_header = "\xc0\x58" + std::string(8, '\0');
  uint64_t huge_size = 64 * dictionary_new_limit;
  for (int i = 0; i < 8; ++i)
    frame_header[2 + i] = static_cast<char>(huge_size >> (8 * i));
  std::string version4 = encode_mpd_compact_header(huge) + frame_header + "xxxx";
  CHECK_THROWS_WITH(apply_patch("", version4), Catch::Contains("larger than it allows"));
  std::string version3 =
      "MPD3" + encode_mpd_compact_header(huge).substr(4) + varint(huge_size) + "xxxx";
  CHECK_THROWS_WITH(apply_patch("", version3), Catch::Contains("larger than it allows"));
  // A frame header that is not one.
  CHECK_THROWS_WITH(apply_patch("", encode_mpd_compact_header(huge) + std::string(16, '\xff')),
                    Catch::Contains("bad dictionary frame header"));
}

TEST_CASE("a dictionary frame that hides its content size is refused",
          "[delta][compact][refusal]") {
  std::string old_data = text(200, 9);
  std::string new_data = edited(old_data, 3, 10);
  Framing framing;
  framing.compact = true;
  framing.prefix = reinterpret_cast<const uint8_t*>(old_data.data());
  framing.prefix_size = old_data.size();
  // A size hint of 0 leaves the content size out of the frame (a streaming writer).
  auto compressor = make_compressor(Codec::zstd, 3, 1, 0, {}, framing);
  compressor->write(reinterpret_cast<const uint8_t*>(new_data.data()), new_data.size());
  std::string frame = compressor->finish();
  PatchHeader fields;
  fields.codec = Codec::zstd;
  fields.dictionary = true;
  fields.old_size = old_data.size();
  fields.new_size = new_data.size();
  fields.old_sha256 = mpaas::sha256_of(old_data);
  fields.new_sha256 = mpaas::sha256_of(new_data);
  CHECK_THROWS_WITH(apply_patch(old_data, encode_mpd_compact_header(fields) + frame),
                    Catch::Contains("without a content size"));
}

TEST_CASE("a compact patch shorter than a version 2 header spools from a stream",
          "[delta][compact]") {
  std::string old_data = text(500, 11);
  std::string new_data = old_data;
  new_data[10] = '!';
  std::string patch = make_patch(old_data, new_data);
  REQUIRE(patch.size() < mpd_header_size);
  std::istringstream stream(patch);
  auto spooled = spool_patch(stream, "stdin", "/tmp");
  CHECK(spooled->size() == patch.size());
  CHECK(parse_header(*spooled, "stdin").version == header_of(patch).version);
  std::istringstream longer(patch + "trailing");
  CHECK(spool_patch(longer, "stdin", "/tmp")->size() == patch.size() + 8);
}
