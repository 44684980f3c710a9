// A stop request (what SIGINT, SIGTERM and SIGHUP set) ends diffing, applying and reading a
// patch from a stream with the interrupted error, on every matcher thread, instead of
// running to the end. tests/cli/delta_cli_test.cpp sends the real signals.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <random>
#include <sstream>
#include <thread>

#include "mpaas/core/error.hpp"
#include "mpaas/core/interrupt.hpp"
#include "mpaas/delta/delta.hpp"
#include "mpaas/delta/matcher.hpp"
#include "random_bytes.hpp"

using namespace mpaas::delta;
using mpaas::test::random_bytes;

namespace {

// Requests a stop for its lifetime, so that a failed check cannot leave it set.
struct StopRequested {
  StopRequested() { mpaas::request_stop(); }
  ~StopRequested() { mpaas::clear_stop_request(); }
};

template <class Work>
bool ends_interrupted(Work work) {
  try {
    work();
  } catch (const mpaas::Error& error) {
    return error.kind() == mpaas::ErrorKind::interrupted;
  }
  return false;
}

}  // namespace

TEST_CASE("a stop request interrupts diffing, matching on every thread and applying",
          "[delta][interrupt]") {
  std::string old_data = random_bytes(2u << 20, 1);
  std::string new_data = random_bytes(16u << 20, 2) + old_data;
  std::string patch = make_patch(old_data, new_data);
  StopRequested stop;
  CHECK(ends_interrupted([&] { make_patch(old_data, new_data); }));
  DiffOptions zstd;
  zstd.codec = Codec::zstd;
  zstd.threads = 4;
  CHECK(ends_interrupted([&] { make_patch(old_data, new_data, zstd); }));
  CHECK(ends_interrupted([&] { apply_patch(old_data, patch); }));
  std::istringstream stream(patch);
  CHECK(ends_interrupted([&] { spool_patch(stream, "stdin", "/tmp"); }));

  // The scan itself: the stop comes from another thread shortly after matching started
  // (had it come sooner, the matcher would still end with interrupted).
  mpaas::clear_stop_request();
  struct StopSoonAfterMatching : mpaas::ProgressSink {
    void start(const std::string& label, uint64_t) override {
      if (label == "matching")
        stopper = std::thread([] {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          mpaas::request_stop();
        });
    }
    void advance(uint64_t) override {}
    void finish() override {}
    std::thread stopper;
  } progress;
  MatchOptions four;
  four.threads = 4;
  CHECK(ends_interrupted([&] {
    find_matches(reinterpret_cast<const uint8_t*>(old_data.data()), old_data.size(),
                 reinterpret_cast<const uint8_t*>(new_data.data()), new_data.size(), four,
                 progress);
  }));
  if (progress.stopper.joinable())
    progress.stopper.join();
  CHECK(mpaas::stop_requested());
}

TEST_CASE("compressors stop between pieces of a large write", "[delta][interrupt]") {
  std::string data = random_bytes(4u << 20, 3);
  for (Codec codec : {Codec::zstd, Codec::lzma, Codec::bzip2}) {
    INFO(codec_name(codec));
    auto compressor = make_compressor(codec, default_level(codec), 2, data.size());
    StopRequested stop;
    CHECK(ends_interrupted(
        [&] { compressor->write(reinterpret_cast<const uint8_t*>(data.data()), data.size()); }));
  }
}
