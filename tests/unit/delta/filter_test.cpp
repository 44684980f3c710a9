// The x86-64 and ARM64 branch-target filters: exact inverses on any bytes, in any chunking,
// and a real gain on code whose calls moved.
#include <catch2/catch.hpp>
#include <random>

#include "mpaas/delta/delta.hpp"
#include "temp_dir.hpp"

using namespace mpaas::delta;

namespace {

std::string decode_in_chunks(Filter filter, std::string encoded, uint32_t seed) {
  std::string out;
  FilterDecoder decoder(filter, [&](const uint8_t* data, size_t size) {
    out.append(reinterpret_cast<const char*>(data), size);
  });
  std::mt19937 generator(seed);
  for (size_t at = 0; at < encoded.size();) {
    size_t piece = std::min<size_t>(generator() % 13, encoded.size() - at);
    decoder.write(reinterpret_cast<const uint8_t*>(encoded.data() + at), piece);
    at += piece;
  }
  decoder.finish();
  return out;
}

// Calls (E8 rel32) to a few fixed targets from many places.
std::string x86_code(size_t functions, size_t inserted_at, size_t inserted) {
  std::string code;
  std::mt19937 generator(11);
  for (size_t f = 0; f < functions; ++f) {
    if (f == inserted_at)
      code += std::string(inserted, '\x90');
    for (int i = 0; i < 6; ++i) {
      code += "\x48\x89\xc7";  // mov rdi, rax
      uint32_t target = 4096u * (generator() % 8);
      int32_t relative = static_cast<int32_t>(target) - static_cast<int32_t>(code.size() + 5);
      code += '\xe8';
      for (int b = 0; b < 4; ++b)
        code += static_cast<char>((relative >> (8 * b)) & 0xFF);
    }
    code += '\xc3';
  }
  return code;
}

}  // namespace

TEST_CASE("branch filters are exact inverses on arbitrary bytes", "[delta][filter]") {
  std::mt19937 generator(5);
  for (Filter filter : {Filter::x86_64, Filter::arm64}) {
    for (size_t size : {0u, 1u, 4u, 5u, 7u, 1000u, 65537u}) {
      std::string data(size, '\0');
      for (auto& c : data)
        c = static_cast<char>(generator() % 4 == 0 ? 0xE8 : generator());
      for (size_t i = 3; i + 4 <= size; i += 16)
        data[i] = '\x94';  // BL-looking words
      std::string encoded = data;
      filter_encode(filter, reinterpret_cast<uint8_t*>(encoded.data()), encoded.size());
      if (size >= 1000)
        CHECK(encoded != data);
      CHECK(decode_in_chunks(filter, encoded, static_cast<uint32_t>(size)) == data);
    }
  }
}

// Apply reads the old file through FilteredView instead of rewriting it: every range must
// read as filter_encode makes it, including ranges that cut a rewritten displacement or an
// ARM64 word, and the first and last bytes of the file.
TEST_CASE("a filtered view reads any range as filter_encode rewrites it", "[delta][filter]") {
  std::mt19937 generator(9);
  for (Filter filter : {Filter::x86_64, Filter::arm64}) {
    for (size_t size : {0u, 3u, 5u, 9u, 70001u}) {
      std::string data(size, '\0');
      for (auto& c : data)
        c = static_cast<char>(generator() % 6 == 0 ? 0xE8 + generator() % 2 : generator() % 3);
      for (size_t i = 3; i + 4 <= size; i += 12)
        data[i] = '\x94';  // BL-looking words
      std::string encoded = data;
      filter_encode(filter, reinterpret_cast<uint8_t*>(encoded.data()), encoded.size());
      FilteredView view(filter, reinterpret_cast<const uint8_t*>(data.data()), data.size());
      for (int trial = 0; trial < 300 && size > 0; ++trial) {
        size_t offset = generator() % size;
        size_t length = std::min<size_t>(1 + generator() % 40, size - offset);
        if (trial == 0)
          offset = 0, length = size;
        std::string read(length, '\0');
        view.read(offset, reinterpret_cast<uint8_t*>(read.data()), length);
        INFO(filter_name(filter) << " size " << size << " range " << offset << "+" << length);
        REQUIRE(read == encoded.substr(offset, length));
      }
    }
  }
}

TEST_CASE("the x86-64 filter shrinks patches of code whose calls moved", "[delta][filter]") {
  std::string old_code = x86_code(3000, 999999, 0);
  std::string new_code = x86_code(3000, 100, 37);
  DiffOptions plain;
  plain.filter = Filter::none;
  DiffOptions filtered;
  filtered.filter = Filter::x86_64;
  std::string plain_patch = make_patch(old_code, new_code, plain);
  std::string filtered_patch = make_patch(old_code, new_code, filtered);
  CHECK(apply_patch(old_code, filtered_patch) == new_code);
  CHECK(filtered_patch.size() < plain_patch.size());
}

TEST_CASE("filters are detected from ELF and Mach-O headers", "[delta][filter]") {
  std::string elf(64, '\0');
  elf.replace(0, 4,
              "\x7f"
              "ELF");
  elf[18] = 0x3E;
  CHECK(detect_filter(elf) == Filter::x86_64);
  elf[18] = static_cast<char>(0xB7);
  CHECK(detect_filter(elf) == Filter::arm64);
  elf[18] = 0x28;
  CHECK(detect_filter(elf) == Filter::none);
  CHECK(detect_filter("plain text") == Filter::none);
}

namespace {

// An x86-64 ELF header in front of `code`, so that the filter is detected automatically.
std::string as_elf(const std::string& code) {
  std::string elf(64, '\0');
  elf.replace(0, 4,
              "\x7f"
              "ELF");
  elf[18] = 0x3E;
  return elf + code;
}

// Calls whose source and target both move by the same amount: only shifted, not recompiled.
std::string shifted_code(size_t inserted) {
  std::string code;
  std::mt19937 generator(3);
  for (size_t i = 0; i < 20000; ++i) {
    if (i == 10000)
      code += std::string(inserted, '\x90');
    code += '\xe8';
    int32_t relative = static_cast<int32_t>(generator() % 20000) - 10000;
    for (int b = 0; b < 4; ++b)
      code += static_cast<char>((relative >> (8 * b)) & 0xFF);
  }
  return code;
}

}  // namespace

TEST_CASE("an auto-detected filter is kept only when it makes the patch smaller",
          "[delta][filter]") {
  DiffOptions automatic;  // no filter given: detected from the ELF header
  DiffOptions plain;
  plain.filter = Filter::none;

  std::string shifted_old = as_elf(shifted_code(0));
  std::string shifted_new = as_elf(shifted_code(7));
  std::string shifted_patch = make_patch(shifted_old, shifted_new, automatic);
  CHECK(shifted_patch.size() <= make_patch(shifted_old, shifted_new, plain).size());
  CHECK(apply_patch(shifted_old, shifted_patch) == shifted_new);

  std::string moved_old = as_elf(x86_code(3000, 999999, 0));
  std::string moved_new = as_elf(x86_code(3000, 100, 37));
  std::string moved_patch = make_patch(moved_old, moved_new, automatic);
  CHECK(moved_patch.size() < make_patch(moved_old, moved_new, plain).size());
  CHECK(apply_patch(moved_old, moved_patch) == moved_new);
}

namespace {

bool filter_looks_promising(Filter filter, const std::string& old_code,
                            const std::string& new_code) {
  mpaas::NullProgress progress;
  auto old_bytes = reinterpret_cast<const uint8_t*>(old_code.data());
  auto new_bytes = reinterpret_cast<const uint8_t*>(new_code.data());
  auto matches = find_matches(old_bytes, old_code.size(), new_bytes, new_code.size(), {}, progress);
  return branch_filter_promising(filter, old_bytes, old_code.size(), new_bytes, matches);
}

// ARM64 code: BL to a few fixed targets (absolute, in words) after `inserted` NOP words at
// `inserted_at`; with `fixed_displacement` the BLs keep their displacement instead.
std::string arm64_code(size_t inserted_at, size_t inserted, bool fixed_displacement) {
  std::string code;
  std::mt19937 generator(5);
  auto word = [&](uint32_t value) {
    for (int b = 0; b < 4; ++b)
      code += static_cast<char>((value >> (8 * b)) & 0xFF);
  };
  for (size_t i = 0; i < 20000; ++i) {
    if (i == inserted_at)
      for (size_t n = 0; n < inserted; ++n)
        word(0xD503201F);  // NOP
    uint32_t target_word = 1024u * (generator() % 8);
    uint32_t here = static_cast<uint32_t>(code.size() / 4);
    uint32_t displacement =
        fixed_displacement ? static_cast<uint32_t>(generator() % 4096) : target_word - here;
    word(0x94000000 | (displacement & 0x03FFFFFF));
    word(0xAA0003E1);  // mov x1, x0
    word(0x91000400);  // add x0, x0, #1
    word(0xF9400002);  // ldr x2, [x0]
  }
  return code;
}

}  // namespace

TEST_CASE("branch statistics of an unfiltered diff predict when a filter helps",
          "[delta][filter]") {
  // Calls to fixed targets from code that moved: absolute targets line up, so the filter.
  CHECK(filter_looks_promising(Filter::x86_64, x86_code(3000, 999999, 0), x86_code(3000, 100, 37)));
  CHECK(filter_looks_promising(Filter::arm64, arm64_code(999999, 0, false),
                               arm64_code(5000, 9, false)));
  // Code only shifted: displacements line up, so no filter.
  CHECK_FALSE(filter_looks_promising(Filter::x86_64, shifted_code(0), shifted_code(7)));
  CHECK_FALSE(filter_looks_promising(Filter::arm64, arm64_code(999999, 0, true),
                                     arm64_code(5000, 9, true)));
}

TEST_CASE("above the thorough limit the filter is tried only when branches favour it",
          "[delta][filter]") {
  DiffOptions quick;  // every input counts as large
  quick.thorough_limit = 0;
  DiffOptions plain;
  plain.filter = Filter::none;
  std::string moved_old = as_elf(x86_code(3000, 999999, 0));
  std::string moved_new = as_elf(x86_code(3000, 100, 37));
  std::string moved_patch = make_patch(moved_old, moved_new, quick);
  MemoryInput moved_input(moved_patch);
  CHECK(parse_header(moved_input, "moved").filter == Filter::x86_64);
  CHECK(moved_patch.size() < make_patch(moved_old, moved_new, plain).size());
  CHECK(apply_patch(moved_old, moved_patch) == moved_new);

  std::string shifted_old = as_elf(shifted_code(0));
  std::string shifted_new = as_elf(shifted_code(7));
  std::string shifted_patch = make_patch(shifted_old, shifted_new, quick);
  MemoryInput shifted_input(shifted_patch);
  CHECK(parse_header(shifted_input, "shifted").filter == Filter::none);
  CHECK(apply_patch(shifted_old, shifted_patch) == shifted_new);
}

TEST_CASE("diffing files spills the filtered new file and makes the same patch",
          "[delta][filter]") {
  // diff_files moves the filtered new file to a temporary file and scans that mapping,
  // giving pages back as it goes; the bytes must be those of the in-memory path.
  mpaas::test::TempDir dir;
  std::string old_code = as_elf(x86_code(3000, 999999, 0));
  std::string new_code = as_elf(x86_code(3000, 100, 37));
  mpaas::test::write_text(dir / "old.bin", old_code);
  mpaas::test::write_text(dir / "new.bin", new_code);
  for (auto filter : {std::optional<Filter>{Filter::x86_64}, std::optional<Filter>{}}) {
    DiffOptions options;
    options.filter = filter;
    options.thorough_limit = 0;  // automatic: the branch vote decides, as for large files
    std::string from_files;
    mpaas::NullProgress progress;
    DiffSummary summary = diff_files(
        dir / "old.bin", dir / "new.bin", options,
        [&](const uint8_t* data, size_t size) {
          from_files.append(reinterpret_cast<const char*>(data), size);
        },
        progress);
    CHECK(summary.filter == Filter::x86_64);
    CHECK(from_files == make_patch(old_code, new_code, options));
    CHECK(apply_patch(old_code, from_files) == new_code);
  }
  CHECK(mpaas::test::read_text(dir / "new.bin") == new_code);  // never modified
}
