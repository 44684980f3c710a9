// Round trips through lib/delta for every format and codec over the inputs that break
// diff engines: empty, tiny, identical, random, appended, truncated and shuffled.
#include <catch2/catch.hpp>
#include <random>

#include "mpaas/core/error.hpp"
#include "mpaas/delta/delta.hpp"

using namespace mpaas::delta;
using mpaas::Error;

namespace {

std::string random_bytes(size_t size, uint32_t seed) {
  std::mt19937 generator(seed);
  std::string out(size, '\0');
  for (auto& c : out)
    c = static_cast<char>(generator() & 0xFF);
  return out;
}

// Text-like data with repeats, closer to real files than noise.
std::string structured_bytes(size_t size, uint32_t seed) {
  std::mt19937 generator(seed);
  std::string out;
  const char* words[] = {"call ", "ret ", "mov rax, ", "0x1000 ", "push ", "\x00\x00\xe8", "lib"};
  while (out.size() < size)
    out += words[generator() % 7];
  out.resize(size);
  return out;
}

std::string shuffled_blocks(const std::string& data, size_t block, uint32_t seed) {
  std::vector<std::string> blocks;
  for (size_t i = 0; i < data.size(); i += block)
    blocks.push_back(data.substr(i, block));
  std::mt19937 generator(seed);
  std::shuffle(blocks.begin(), blocks.end(), generator);
  std::string out;
  for (auto& b : blocks)
    out += b;
  return out;
}

std::vector<DiffOptions> every_format() {
  std::vector<DiffOptions> all;
  all.push_back(DiffOptions{});  // automatic: LZMA, or dictionary mode when smaller
  DiffOptions lzma;
  lzma.codec = Codec::lzma;
  lzma.level = 6;
  all.push_back(lzma);
  DiffOptions zstd;
  zstd.codec = Codec::zstd;
  zstd.level = 3;
  zstd.threads = 2;
  all.push_back(zstd);
  DiffOptions bsdiff;
  bsdiff.format = PatchFormat::bsdiff;
  all.push_back(bsdiff);
  DiffOptions runs;  // the diff stream as zero runs and literals (automatic for large diffs)
  runs.codec = Codec::lzma;
  runs.level = 6;
  runs.diff_coding = DiffCoding::runs;
  all.push_back(runs);
  return all;
}

void check_round_trip(const std::string& old_data, const std::string& new_data) {
  for (const auto& options : every_format()) {
    INFO("format " << format_name(options.format) << " codec "
                   << codec_name(options.codec.value_or(Codec::none)) << " runs "
                   << (options.diff_coding == DiffCoding::runs));
    std::string patch = make_patch(old_data, new_data, options);
    CHECK(apply_patch(old_data, patch) == new_data);
  }
}

}  // namespace

TEST_CASE("delta round-trips empty and tiny inputs", "[delta]") {
  check_round_trip("", "");
  check_round_trip("", "x");
  check_round_trip("x", "");
  check_round_trip("a", "b");
  check_round_trip("hello", "hello world");
}

TEST_CASE("delta of identical files is tiny and round-trips", "[delta]") {
  std::string data = random_bytes(200000, 1);
  check_round_trip(data, data);
  CHECK(make_patch(data, data).size() < 400);
}

TEST_CASE("delta round-trips random, appended, truncated and shuffled inputs", "[delta]") {
  std::string base = random_bytes(150000, 2);
  std::string text = structured_bytes(150000, 3);
  check_round_trip(base, random_bytes(120000, 4));
  check_round_trip(base, base + random_bytes(5000, 5));
  check_round_trip(base, base.substr(0, 100000));
  check_round_trip(base, shuffled_blocks(base, 4096, 6));
  check_round_trip(text, shuffled_blocks(text, 1000, 7) + "tail");
  std::string edited = text;
  for (size_t i = 0; i < edited.size(); i += 997)
    edited[i] = static_cast<char>(edited[i] + 1);
  check_round_trip(text, edited);
}

TEST_CASE("delta patches of small edits are small", "[delta]") {
  std::string base = random_bytes(300000, 8);
  std::string edited = base.substr(0, 100000) + "inserted" + base.substr(100000);
  edited[200000] ^= 0x55;
  std::string patch = make_patch(base, edited);
  CHECK(patch.size() < 600);
  CHECK(apply_patch(base, patch) == edited);
}

TEST_CASE("delta slices matching across threads without changing the result", "[delta]") {
  std::string base = structured_bytes(9u << 20, 9);
  std::string edited = shuffled_blocks(base, 65536, 10);
  DiffOptions options;
  options.codec = Codec::zstd;
  options.level = 1;
  options.threads = 3;
  CHECK(apply_patch(base, make_patch(base, edited, options)) == edited);
}

// lib names the domain field at fault in the error's subject, never a command-line flag.
std::string subject_of_refusal(const DiffOptions& options) {
  try {
    make_patch("a", "b", options);
  } catch (const Error& error) {
    CHECK(std::string(error.what()).find("--") == std::string::npos);
    return error.subject();
  }
  return "(accepted)";
}

TEST_CASE("delta refuses bad options", "[delta]") {
  DiffOptions options;
  options.level = 42;
  CHECK(subject_of_refusal(options) == "level");
  options.level = -1;
  options.memory_limit = 1024;
  CHECK(subject_of_refusal(options) == "memory limit");
}

TEST_CASE("run-coded diff streams are marked in the header and stay small", "[delta]") {
  std::string base = structured_bytes(200000, 11);
  std::string edited = base;
  for (size_t i = 0; i < edited.size(); i += 61)
    edited[i] = static_cast<char>(edited[i] ^ 0x20);
  DiffOptions runs;
  runs.diff_coding = DiffCoding::runs;
  runs.container = Container::version2;
  DiffOptions direct;
  direct.diff_coding = DiffCoding::direct;
  direct.container = Container::version2;
  std::string run_patch = make_patch(base, edited, runs);
  std::string direct_patch = make_patch(base, edited, direct);
  MemoryInput run_input(run_patch), direct_input(direct_patch);
  PatchHeader run_header = parse_header(run_input, "runs");
  CHECK(run_header.version == 2);
  CHECK(run_header.diff_runs);
  CHECK(run_header.diff_runs_size > 0);
  CHECK(run_header.diff_runs_size < run_header.diff_size);
  CHECK_FALSE(parse_header(direct_input, "direct").diff_runs);
  CHECK(apply_patch(base, run_patch) == edited);
  CHECK(apply_patch(base, direct_patch) == edited);
  CHECK(run_patch.size() < 4000);  // ~3300 scattered edits
}

TEST_CASE("version 1 patches (no run coding, 120-byte header) still apply", "[delta]") {
  std::string base = structured_bytes(50000, 12);
  std::string edited = base + "appended";
  edited[100] = 'X';
  DiffOptions direct;
  direct.diff_coding = DiffCoding::direct;
  direct.container = Container::version2;
  std::string patch = make_patch(base, edited, direct);
  std::string version1 = patch.substr(0, mpd_v1_header_size) + patch.substr(mpd_header_size);
  version1[8] = 1;
  MemoryInput input(version1);
  CHECK(parse_header(input, "v1").version == 1);
  CHECK(apply_patch(base, version1) == edited);
}

TEST_CASE("large xz streams come out the same on one thread or two", "[delta]") {
  std::string data = structured_bytes(lzma_split_size + 12345, 13);
  auto compress = [&](int threads) {
    auto compressor = make_compressor(Codec::lzma, 6, threads, data.size());
    compressor->write(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    return compressor->finish();
  };
  std::string one = compress(1), two = compress(2);
  CHECK(one == two);
  MemoryInput input(one);
  auto decoder =
      make_decompressor(Codec::lzma, std::make_unique<RegionSource>(input, 0, one.size()), "xz");
  std::string back(data.size(), '\0');
  read_exactly(*decoder, reinterpret_cast<uint8_t*>(back.data()), back.size(), "xz");
  uint8_t extra;
  CHECK(decoder->read(&extra, 1) == 0);
  CHECK(back == data);
}
