// A new file of 1 MiB or more that is the old one with a few small edits is matched from
// hashed 64-byte blocks instead of a suffix array (lib/delta/block_cover.cpp, issue 16: a
// version bump in the 8.7 MiB typescript.js took 0.31 s, HDiffPatch 0.04 s). Its patches must
// round-trip in every shape of edit, stay as small as the suffix array's, and the path must
// give up (no "matching" bar left behind) on files that are not near-identical.
#include <catch2/catch.hpp>
#include <cstring>
#include <random>

#include "mpaas/delta/delta.hpp"
#include "random_bytes.hpp"

using namespace mpaas::delta;
using mpaas::test::random_bytes;

namespace {

// Program-like lines whose words recur all over the file.
std::string program_text(size_t size, uint32_t seed) {
  std::mt19937 generator(seed);
  static const char* const words[] = {"const ",
                                      "baseConstraint",
                                      " = ",
                                      "getTypeOfSymbol(",
                                      "isGenericMappedType",
                                      "(type)",
                                      ";\n",
                                      "  return ",
                                      "modifiersType",
                                      " && ",
                                      "if (",
                                      ") {\n",
                                      "}\n"};
  std::string out;
  while (out.size() < size)
    out += words[generator() % 13];
  out.resize(size);
  return out;
}

struct Phases : mpaas::ProgressSink {
  std::vector<std::string> started;
  void start(const std::string& label, uint64_t) override { started.push_back(label); }
  void advance(uint64_t) override {}
  void finish() override {}
  bool has(const std::string& label) const {
    return std::find(started.begin(), started.end(), label) != started.end();
  }
};

// The patch, after checking that it applies; `indexed` says whether a suffix array was built.
std::string patch_of(const std::string& old_data, const std::string& new_data, bool& indexed) {
  auto old_copy = std::make_shared<std::string>(old_data);
  std::string new_copy = new_data, patch;
  Phases phases;
  make_patch_into(
      reinterpret_cast<uint8_t*>(old_copy->data()), old_copy->size(),
      reinterpret_cast<uint8_t*>(new_copy.data()), new_copy.size(), DiffOptions{},
      [&](const uint8_t* data, size_t size) {
        patch.append(reinterpret_cast<const char*>(data), size);
      },
      phases, {}, old_copy);
  indexed = phases.has("indexing");
  REQUIRE(apply_patch(old_data, patch) == new_data);
  return patch;
}

}  // namespace

TEST_CASE("a version bump in a large text file is matched without an index, in a small patch",
          "[delta][cover]") {
  std::string old_data = program_text(3u << 20, 1);
  std::string new_data = old_data;
  new_data.replace(1000, 5, "5.4.5");  // the same length: a substitution
  new_data.insert(2000000, "const modifiersType = isGenericMappedType(type);\n");
  new_data.erase(2500000, 40);
  bool indexed = true;
  std::string patch = patch_of(old_data, new_data, indexed);
  CHECK_FALSE(indexed);
  // The inserted line is found in pieces elsewhere in the old file, not sent as it is.
  CHECK(patch.size() < 64 + 100);
}

TEST_CASE("block-matched patches round-trip every shape of small edit", "[delta][cover]") {
  std::string old_data = random_bytes(2u << 20, 2);
  std::string zeros(300000, '\0');
  std::string padded = old_data.substr(0, 1u << 20) + zeros + old_data.substr(1u << 20);
  struct Case {
    const char* name;
    std::string old_file, new_file;
  };
  std::vector<Case> cases = {
      {"identical", old_data, old_data},
      {"first bytes changed", old_data, "X" + old_data.substr(1)},
      {"first kilobyte removed", old_data, old_data.substr(1000)},
      {"bytes put in front", old_data, "prefix" + old_data},
      {"last bytes changed", old_data, old_data.substr(0, old_data.size() - 1) + "Y"},
      {"tail cut", old_data, old_data.substr(0, old_data.size() - 777)},
      {"tail added", old_data, old_data + random_bytes(1500, 3)},
      {"two halves swapped", old_data, old_data.substr(1u << 20) + old_data.substr(0, 1u << 20)},
      {"zero padding in both", padded, padded.substr(0, 1500000) + "Z" + padded.substr(1500001)},
  };
  for (const Case& edit : cases) {
    INFO(edit.name);
    bool indexed = true;
    std::string patch = patch_of(edit.old_file, edit.new_file, indexed);
    CHECK_FALSE(indexed);
    CHECK(patch.size() < 64 + 2000);
  }
}

TEST_CASE("files that are not near-identical are indexed", "[delta][cover]") {
  std::string old_data = random_bytes(2u << 20, 4);
  std::string new_data = old_data;
  // A changed byte every 512: 4 KiB of the 2 MiB differ, twice the thousandth allowed.
  for (size_t at = 0; at < new_data.size(); at += 512)
    new_data[at] = static_cast<char>(new_data[at] ^ 0x5A);
  bool indexed = false;
  patch_of(old_data, new_data, indexed);
  CHECK(indexed);
  // Unrelated files give up at once, and small files never try.
  patch_of(old_data, random_bytes(2u << 20, 5), indexed);
  CHECK(indexed);
  patch_of(old_data.substr(0, 100000), old_data.substr(0, 100000) + "x", indexed);
  CHECK(indexed);
}
