// Every phase of a diff reports real progress (issue 16): indexing counts the old file's
// bytes, matching the new file's, encoding the bytes handed to the codecs, each up to its
// total, instead of "indexing 0 B" for seconds and "matching 0%" then 100% at once. Drawn
// on a fake terminal with a fake clock, so nothing here depends on time.
#include <catch2/catch.hpp>
#include <cstring>
#include <random>
#include <sstream>

#include "mpaas/core/clock.hpp"
#include "mpaas/core/progress.hpp"
#include "mpaas/delta/delta.hpp"
#include "random_bytes.hpp"

using namespace mpaas::delta;
using mpaas::test::random_bytes;

namespace {

// Records each phase: its label, its total and the sum of its advances.
struct PhaseRecorder : mpaas::ProgressSink {
  struct Phase {
    std::string label;
    uint64_t total = 0;
    uint64_t done = 0;
  };
  void start(const std::string& label, uint64_t total) override {
    phases.push_back({label, total, 0});
  }
  void advance(uint64_t amount) override { phases.back().done += amount; }
  void finish() override {}
  const Phase* find(const std::string& label) const {
    for (const auto& phase : phases)
      if (phase.label == label)
        return &phase;
    return nullptr;
  }
  std::vector<Phase> phases;
};

// Four bytes changed in every 4 KiB: more than a thousandth of the new file differs, so
// the suffix array is built (block_cover.hpp).
std::string with_scattered_edits(std::string data) {
  for (size_t at = 100; at + 4 < data.size(); at += 4096)
    data.replace(at, 4, "edit");
  return data;
}

// A pair large enough for two index parts and two scan slices.
struct Pair {
  std::string old_data = random_bytes(6u << 20, 1);
  std::string new_data = with_scattered_edits(old_data.substr(1000)) + random_bytes(5000, 2);
};

// A new file with a few small edits: matched from hashed blocks, without an index.
struct NearPair {
  std::string old_data = random_bytes(6u << 20, 3);
  std::string new_data =
      old_data.substr(0, 5000) + "inserted" + old_data.substr(5000) + random_bytes(3000, 4);
};

template <class Files>
void diff(const Files& pair, mpaas::ProgressSink& progress) {
  auto old_copy = std::make_shared<std::string>(pair.old_data);
  std::string new_copy = pair.new_data;
  DiffOptions options;
  options.threads = 2;
  make_patch_into(
      reinterpret_cast<uint8_t*>(old_copy->data()), old_copy->size(),
      reinterpret_cast<uint8_t*>(new_copy.data()), new_copy.size(), options,
      [](const uint8_t*, size_t) {}, progress, {}, old_copy);
}

}  // namespace

TEST_CASE("every phase of a diff counts its real bytes up to its total", "[delta][progress]") {
  Pair pair;
  PhaseRecorder recorder;
  diff(pair, recorder);
  const auto* indexing = recorder.find("indexing");
  const auto* matching = recorder.find("matching");
  const auto* encoding = recorder.find("encoding");
  REQUIRE(indexing);
  REQUIRE(matching);
  REQUIRE(encoding);
  CHECK(indexing->total == pair.old_data.size());
  CHECK(indexing->done == indexing->total);
  CHECK(matching->total == pair.new_data.size());
  CHECK(matching->done == matching->total);
  // Encoding codes every byte of the new file once, as diff or as extra bytes.
  CHECK(encoding->total == pair.new_data.size());
  CHECK(encoding->done == encoding->total);
}

TEST_CASE("a near-identical pair is matched in one phase that counts the new file",
          "[delta][progress]") {
  NearPair pair;
  PhaseRecorder recorder;
  diff(pair, recorder);
  CHECK_FALSE(recorder.find("indexing"));
  const auto* matching = recorder.find("matching");
  REQUIRE(matching);
  CHECK(matching->total == pair.new_data.size());
  CHECK(matching->done == matching->total);
  REQUIRE(recorder.find("encoding"));
}

TEST_CASE("a diff drawn on a fake terminal shows bars that end at 100%", "[delta][progress]") {
  Pair pair;
  std::ostringstream terminal;
  mpaas::FakeClock clock;
  mpaas::ProgressBar bar(terminal, clock, 10);
  diff(pair, bar);
  std::string drawn = terminal.str();
  for (const char* phase : {"indexing", "matching", "encoding"}) {
    INFO(phase);
    CHECK_THAT(drawn, Catch::Contains(std::string(phase) + " [==========] 100%"));
  }
  CHECK_THAT(drawn, !Catch::Contains(" 0 B"));
}

TEST_CASE("a phase that counts nothing yet shows a spinner and the time spent",
          "[core][progress]") {
  std::ostringstream terminal;
  mpaas::FakeClock clock;
  mpaas::ProgressBar bar(terminal, clock, 10);
  bar.start("dictionary", 0);
  CHECK(bar.render_line() == "dictionary | 0s");
  clock.advance(std::chrono::milliseconds(3250));
  bar.advance(0);
  CHECK(bar.render_line() == "dictionary / 3s");
  CHECK_THAT(terminal.str(), Catch::Contains("dictionary / 3s"));
  bar.start("indexing", 1000);
  clock.advance(std::chrono::seconds(2));
  CHECK(bar.render_line() == "indexing [>         ]   0% 2s");
  bar.advance(500);
  CHECK(bar.render_line() == "indexing [=====>    ]  50% 250 B/s ETA 2s");
}
