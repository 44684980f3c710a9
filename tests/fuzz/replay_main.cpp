// Replays fuzz inputs without libFuzzer, in the dev build (g++, ASan and UBSan): every input
// kept in tests/fuzz/corpus/<target>/ goes through its target's entry point once, so a
// finding kept there stays fixed. `make test` runs this; mutation fuzzing is `make fuzz`
// (scripts/fuzz.sh, clang and libFuzzer).
//
//   fuzz_replay TARGET FILE_OR_FOLDER...
//
// Each target's source is compiled with LLVMFuzzerTestOneInput renamed to
// fuzz_entry_<target> (tests/CMakeLists.txt), so that one program holds them all.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#define FUZZ_ENTRY(name) extern "C" int fuzz_entry_##name(const uint8_t* data, size_t size);
#include "fuzz_entries.inc"
#undef FUZZ_ENTRY

namespace {

using Entry = int (*)(const uint8_t*, size_t);

struct Target {
  std::string_view name;
  Entry entry;
};

constexpr Target targets[] = {
#define FUZZ_ENTRY(name) {#name, fuzz_entry_##name},
#include "fuzz_entries.inc"
#undef FUZZ_ENTRY
};

Entry entry_named(std::string_view name) {
  for (const auto& target : targets) {
    if (target.name == name)
      return target.entry;
  }
  return nullptr;
}

// The files named, and those in the folders named, in a stable order.
std::vector<std::filesystem::path> inputs_of(int argc, char** argv) {
  std::vector<std::filesystem::path> inputs;
  for (int i = 2; i < argc; ++i) {
    std::filesystem::path given = argv[i];
    if (!std::filesystem::is_directory(given)) {
      inputs.push_back(given);
      continue;
    }
    std::vector<std::filesystem::path> found;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(given)) {
      if (entry.is_regular_file())
        found.push_back(entry.path());
    }
    std::sort(found.begin(), found.end());
    inputs.insert(inputs.end(), found.begin(), found.end());
  }
  return inputs;
}

}  // namespace

int main(int argc, char** argv) {
  Entry entry = argc >= 3 ? entry_named(argv[1]) : nullptr;
  if (!entry) {
    std::fprintf(stderr, "usage: fuzz_replay TARGET FILE_OR_FOLDER...\n");
    return 2;
  }
  auto inputs = inputs_of(argc, argv);
  if (inputs.empty()) {
    std::fprintf(stderr, "fuzz_replay: no inputs for %s\n", argv[1]);
    return 2;
  }
  for (const auto& input : inputs) {
    std::ifstream in(input, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "fuzz_replay: cannot read %s\n", input.c_str());
      return 2;
    }
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    // Named first: a sanitizer report that ends the program follows its input's name.
    std::fprintf(stderr, "%s\n", input.c_str());
    entry(bytes.data(), bytes.size());
  }
  std::printf("fuzz_replay: %s ran %zu inputs\n", argv[1], inputs.size());
  return 0;
}
