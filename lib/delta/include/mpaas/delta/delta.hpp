// The delta engine's public API: make a patch from two files or two byte strings, apply one,
// or read its header. Formats: mpd (ours, see docs/formats.md) and BSDIFF40. Apply streams:
// it holds the old file and a few MiB of buffers, checks the old file's SHA-256 before any
// output, and the new file's size and SHA-256 at the end (an output file is committed only
// then). A patch is untrusted input: malformed ones fail with invalid_input (exit 3), one
// made for another old file with verification_failed (exit 4). This layer never prints.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mpaas/core/progress.hpp"
#include "mpaas/delta/byte_io.hpp"
#include "mpaas/delta/codec.hpp"
#include "mpaas/delta/exec_filter.hpp"
#include "mpaas/delta/patch_format.hpp"

namespace mpaas::delta {

// How mpd codes the diff stream: bytes as they are, or zero runs plus literal bytes.
enum class DiffCoding { automatic, direct, runs };
// automatic: direct up to this many diff bytes, runs above (see use_diff_runs).
inline constexpr uint64_t direct_diff_limit = uint64_t{1} << 20;

// Which mpd container to write: automatic (version 3, the compact one, with dictionary mode
// when that is smaller, for small streams; version 2 for large ones), or always version 2
// (what earlier releases wrote; for readers that know no other).
enum class Container { automatic, version2 };

struct DiffOptions {
  PatchFormat format = PatchFormat::mpd;
  // mpd's codec. Empty: LZMA for the instruction streams, or dictionary mode (zstd) when
  // that is smaller. A codec asked for is the codec of the patch: LZMA rules out dictionary
  // mode, which is zstd's (zstd allows it).
  std::optional<Codec> codec;
  int level = -1;  // -1: the codec's default
  int threads = 1;
  std::optional<Filter> filter;  // empty: detected from the new file (mpd only)
  uint64_t memory_limit = 0;     // 0: none; else refuse inputs that need more
  DiffCoding diff_coding = DiffCoding::automatic;
  Container container = Container::automatic;
  // Up to this new-file size, an auto-detected filter is tried against no filter (two full
  // diffs); above it a sample decides (filter_promising_on_sample) and one diff is made.
  uint64_t thorough_limit = uint64_t{1} << 20;
};

struct DiffSummary {
  PatchFormat format = PatchFormat::mpd;
  Codec codec = Codec::lzma;
  int level = 0;
  Filter filter = Filter::none;
  bool diff_runs = false;
  bool dictionary = false;  // dictionary mode (one zstd frame over the old file) was smaller
  uint64_t old_size = 0, new_size = 0, patch_size = 0;
  uint64_t control_size = 0, diff_size = 0, extra_size = 0;
  uint64_t instructions = 0;
  Sha256Digest old_sha256{}, new_sha256{};
};

// Bytes diffing needs beyond its inputs, as an estimate.
uint64_t diff_memory_estimate(uint64_t old_size, uint64_t new_size);

// Makes a patch; `old_data` and `new_data` are rewritten in place by the filter, so they
// must be private copies. The patch is handed to `out` in pieces.
// How make_patch_into may keep the new file out of memory when it is a file mapping.
struct NewFileMemory {
  // Gives back pages of new_data in [begin, end) (they hold the file's original bytes).
  std::function<void(uint64_t begin, uint64_t end)> release;
  // Moves the filtered new file out of memory: copies it to a temporary file, gives back
  // new_data's pages and returns the copy, mapped, for the rest of the call.
  std::function<const uint8_t*(const uint8_t* filtered, uint64_t size)> spill;
  // Gives back pages of that copy.
  std::function<void(uint64_t begin, uint64_t end)> release_spilled;
};

// `old_owner`, when given, keeps old_data alive: a stop request during the suffix sort
// then returns at once (see MatchOptions::old_data_owner).
DiffSummary make_patch_into(uint8_t* old_data, uint64_t old_size, uint8_t* new_data,
                            uint64_t new_size, const DiffOptions& options, const ByteSink& out,
                            ProgressSink& progress, const NewFileMemory& new_memory = {},
                            std::shared_ptr<const void> old_owner = {});

// In-memory convenience for other modules (offline packages, tests).
std::string make_patch(std::string_view old_data, std::string_view new_data,
                       const DiffOptions& options = {});

// Diffs two files (mapped copy-on-write, never modified).
DiffSummary diff_files(const std::filesystem::path& old_path, const std::filesystem::path& new_path,
                       const DiffOptions& options, const ByteSink& out, ProgressSink& progress);

struct ApplyLimits {
  uint64_t max_new_size = UINT64_MAX;  // refuse patches that claim a larger output
};

// Applies `patch` (either format, detected from the header) to `old_data`, streaming the new
// file to `out`. `name` names the patch in errors. Returns the header. Throws before calling
// `out` when the old file does not match.
PatchHeader apply_patch_into(const uint8_t* old_data, uint64_t old_size, const RandomInput& patch,
                             const std::string& name, const ByteSink& out,
                             const ApplyLimits& limits, ProgressSink& progress);

// In-memory convenience: the new file's bytes.
std::string apply_patch(std::string_view old_data, std::string_view patch,
                        const ApplyLimits& limits = {});

// A patch arriving on a stream (stdin), made readable at random offsets. Its header is read
// and checked first, so that anything else is refused after a few bytes ("not a patch",
// exit 3); the rest is copied to an unnamed file in `temp_folder` (bounded memory, nothing
// left behind) up to the size the header declares. `name` names the stream in errors.
std::unique_ptr<RandomInput> spool_patch(std::istream& in, const std::string& name,
                                         const std::filesystem::path& temp_folder);

// Applies a patch file to an old file, writing `new_path` atomically ("-": stdout).
PatchHeader apply_patch_file(const std::filesystem::path& old_path, const RandomInput& patch,
                             const std::string& patch_name, const std::filesystem::path& new_path,
                             std::ostream* stdout_stream, ProgressSink& progress);

}  // namespace mpaas::delta
