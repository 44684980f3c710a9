// Encoding instructions into mpd and BSDIFF40 patches. mpd's control stream holds LEB128
// varints (add length, copy length, zigzag seek), far smaller than bsdiff's 24 bytes per
// instruction before compression; diff bytes (new - old) and extra bytes go to their own
// streams so that each codec sees homogeneous data.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <optional>

#include "mpaas/core/error.hpp"
#include "mpaas/core/interrupt.hpp"
#include "mpaas/core/unique_fd.hpp"
#include "mpaas/delta/delta.hpp"
#include "mpaas/delta/matcher.hpp"
#include "mpaas/delta/vcdiff.hpp"

namespace mpaas::delta {
namespace {

void put_varint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

uint64_t zigzag(int64_t value) {
  return (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
}

int64_t seek_after(const std::vector<Instruction>& list, size_t i) {
  if (i + 1 >= list.size())
    return 0;
  uint64_t here = list[i].old_start + list[i].add_length;
  return static_cast<int64_t>(list[i + 1].old_start) - static_cast<int64_t>(here);
}

// Feeds the diff bytes (new - old) of one instruction to `out` in 64 KiB pieces.
template <class Sink>
void write_diff_bytes(Sink& out, const uint8_t* old_data, const uint8_t* new_data,
                      const Instruction& instruction) {
  uint8_t buffer[1 << 16];
  for (uint64_t done = 0; done < instruction.add_length;) {
    throw_if_stop_requested();
    size_t piece =
        static_cast<size_t>(std::min<uint64_t>(sizeof buffer, instruction.add_length - done));
    const uint8_t* from_old = old_data + instruction.old_start + done;
    const uint8_t* from_new = new_data + instruction.new_start + done;
    for (size_t i = 0; i < piece; ++i)
      buffer[i] = static_cast<uint8_t>(from_new[i] - from_old[i]);
    out.write(buffer, piece);
    done += piece;
  }
}

struct Streams {
  std::string control, diff, extra;
  bool diff_runs = false;
  uint64_t diff_runs_size = 0;  // the diff string holds the runs, then the literals
  Framing framing;              // compact: mpd version 3
  bool dictionary = false;      // dictionary mode: `extra` is the one zstd frame
};

// Dictionary mode: the new file as one zstd frame that refers back into the old file, which
// wins on text with scattered small edits (no instruction or diff stream to pay for).
Streams dictionary_streams(const uint8_t* old_data, uint64_t old_size, const uint8_t* new_data,
                           uint64_t new_size, const DiffOptions& options) {
  Framing framing;
  framing.compact = true;
  framing.prefix = old_data;
  framing.prefix_size = old_size;
  bool zstd_level = options.codec == Codec::zstd && options.level > 0;
  int level = zstd_level ? options.level : default_level(Codec::zstd);
  auto compressor = make_compressor(Codec::zstd, level, 1, new_size, {}, framing);
  compressor->write(new_data, static_cast<size_t>(new_size));
  Streams streams;
  streams.extra = compressor->finish();
  streams.framing.compact = true;
  streams.dictionary = true;
  return streams;
}

// The codec of the instruction streams: bzip2 for BSDIFF40; for mpd the one asked for,
// else LZMA, which is the smaller on diff and extra bytes.
Codec instruction_codec(const DiffOptions& options) {
  if (options.format == PatchFormat::bsdiff)
    return Codec::bzip2;
  return options.codec.value_or(Codec::lzma);
}

// Dictionary mode is tried on small pairs only: zstd's best levels take about a second per
// few MiB of old and new file, and the decoder's window must reach the old file's start.
// It is zstd's, so a patch asked to be LZMA never uses it.
bool dictionary_worth_trying(const DiffOptions& options, uint64_t old_size, uint64_t new_size) {
  bool filter_asked = options.filter && *options.filter != Filter::none;
  bool codec_allows = options.codec.value_or(Codec::zstd) == Codec::zstd;
  return options.format == PatchFormat::mpd && options.container == Container::automatic &&
         codec_allows && !filter_asked && new_size > 0 && new_size <= dictionary_new_limit &&
         old_size <= dictionary_old_limit;
}

uint64_t streams_size(const Streams& streams) {
  return streams.control.size() + streams.diff.size() + streams.extra.size();
}

// Splits diff bytes into zero runs and literal runs: (zeros, literals) varint pairs in
// `runs`, the non-zero bytes in `literals`. Fed piece by piece; a run may span pieces.
class RunCoder {
 public:
  void write(const uint8_t* data, size_t size) {
    for (size_t i = 0; i < size; ++i) {
      if (data[i] == 0) {
        if (m_literal_count > 0)
          flush();
        ++m_zero_count;
      } else {
        literals.push_back(static_cast<char>(data[i]));
        ++m_literal_count;
      }
    }
  }
  void finish() {
    if (m_zero_count > 0 || m_literal_count > 0)
      flush();
  }
  std::string runs, literals;

 private:
  void flush() {
    put_varint(runs, m_zero_count);
    put_varint(runs, m_literal_count);
    m_zero_count = m_literal_count = 0;
  }
  uint64_t m_zero_count = 0, m_literal_count = 0;
};

// Runs `tasks` on up to `threads` worker threads while this one passes `coded` (bytes
// handed to the coders so far, counted by the tasks) on to `progress` every 100 ms: the
// codecs report nothing themselves, and a sink is called from one thread only.
void run_tasks(const std::vector<std::function<void()>>& tasks, int threads,
               const std::atomic<uint64_t>& coded, ProgressSink& progress) {
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < tasks.size(); i = next++)
      tasks[i]();
  };
  std::vector<std::future<void>> workers;
  size_t count = std::min<size_t>(tasks.size(), static_cast<size_t>(std::max(threads, 1)));
  for (size_t i = 0; i < count; ++i)
    workers.push_back(std::async(std::launch::async, work));
  uint64_t reported = 0;
  for (auto& worker : workers) {
    while (worker.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
      uint64_t done = coded;
      progress.advance(done - reported);
      reported = done;
    }
  }
  progress.advance(coded - reported);
  for (auto& worker : workers)
    worker.get();  // rethrows a task's exception
}

// Measured on the diff streams of recompiled executables: run lengths compress best with
// four bits of the previous byte as context and no position bits (about 1.5% smaller), the
// literal diff bytes with no context at all (about 1% smaller; they barely depend on it).
constexpr LzmaContext run_context{4, 0, 0};
constexpr LzmaContext literal_context{0, 0, 0};

std::string compress(Codec codec, int level, const std::string& data, LzmaContext context = {},
                     Framing framing = {}) {
  auto compressor = make_compressor(codec, level, 1, data.size(), context, framing);
  compressor->write(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  return compressor->finish();
}

// Whether to run-code the diff stream. LZMA's optimal parser is slow on long, mostly-zero
// diff streams (about 0.5 s per MiB on a 45 MiB pair); run coding is ten times faster and
// was smaller on such pairs, but a few percent larger on small ones, so small diffs stay
// direct.
bool use_diff_runs(const DiffOptions& options, uint64_t diff_total) {
  if (options.format != PatchFormat::mpd)
    return false;
  switch (options.diff_coding) {
    case DiffCoding::direct:
      return false;
    case DiffCoding::runs:
      return true;
    case DiffCoding::automatic:
      break;
  }
  return diff_total > direct_diff_limit;
}

// Feeds the extra bytes of every instruction to `out`, in pieces of at most 1 MiB.
void write_extra_bytes(Compressor& out, const uint8_t* new_data,
                       const std::vector<Instruction>& list, std::atomic<uint64_t>& coded) {
  constexpr uint64_t piece = uint64_t{1} << 20;
  for (const auto& instruction : list) {
    const uint8_t* extra = new_data + instruction.new_start + instruction.add_length;
    for (uint64_t done = 0; done < instruction.copy_length; done += piece) {
      throw_if_stop_requested();
      size_t length = static_cast<size_t>(std::min(piece, instruction.copy_length - done));
      out.write(extra + done, length);
      coded += length;
    }
  }
}

// The bytes encode_streams hands to its coders: what its "encoding" phase counts to.
uint64_t bytes_to_code(const std::vector<Instruction>& list) {
  uint64_t total = 0;
  for (const auto& instruction : list)
    total += instruction.add_length + instruction.copy_length;
  return total;
}

Streams encode_streams(const uint8_t* old_data, const uint8_t* new_data,
                       const std::vector<Instruction>& list, const DiffOptions& options, int level,
                       ProgressSink& progress) {
  std::atomic<uint64_t> coded{0};
  Codec codec = instruction_codec(options);
  std::string control;
  for (size_t i = 0; i < list.size(); ++i) {
    if (i % 65536 == 0)
      throw_if_stop_requested();
    if (options.format == PatchFormat::bsdiff) {
      put_bsdiff_int(control, static_cast<int64_t>(list[i].add_length));
      put_bsdiff_int(control, static_cast<int64_t>(list[i].copy_length));
      put_bsdiff_int(control, seek_after(list, i));
    } else {
      put_varint(control, list[i].add_length);
      put_varint(control, list[i].copy_length);
      put_varint(control, zigzag(seek_after(list, i)));
    }
  }
  uint64_t diff_total = 0, extra_total = 0;
  for (const auto& instruction : list) {
    diff_total += instruction.add_length;
    extra_total += instruction.copy_length;
  }
  Streams streams;
  streams.diff_runs = use_diff_runs(options, diff_total);
  RunCoder run_coder;
  if (streams.diff_runs) {
    for (const auto& instruction : list) {
      write_diff_bytes(run_coder, old_data, new_data, instruction);
      progress.advance(instruction.add_length);
    }
    run_coder.finish();
  }
  uint64_t diff_largest =
      streams.diff_runs ? std::max(run_coder.runs.size(), run_coder.literals.size()) : diff_total;
  uint64_t largest = std::max<uint64_t>({control.size(), diff_largest, extra_total});
  // Small streams go in the compact container: their xz or zstd framing would cost more
  // than a small patch's data. Large ones keep version 2 (xz blocks on two threads).
  Framing framing;
  framing.compact = options.format == PatchFormat::mpd &&
                    options.container == Container::automatic && largest < mpd_compact_limit;
  if (framing.compact && codec == Codec::lzma)
    framing.lzma_dictionary_log = lzma_dictionary_log(level, largest);
  streams.framing = framing;
  // Independent streams compress on separate threads when allowed.
  std::vector<std::function<void()>> tasks;
  tasks.push_back([&] { streams.control = compress(codec, level, control, {}, framing); });
  std::string literals;
  if (streams.diff_runs) {
    tasks.push_back(
        [&] { streams.diff = compress(codec, level, run_coder.runs, run_context, framing); });
    tasks.push_back(
        [&] { literals = compress(codec, level, run_coder.literals, literal_context, framing); });
  } else {
    tasks.push_back([&] {
      auto diff = make_compressor(codec, level, options.threads, diff_total, {}, framing);
      for (const auto& instruction : list) {
        write_diff_bytes(*diff, old_data, new_data, instruction);
        coded += instruction.add_length;
      }
      streams.diff = diff->finish();
    });
  }
  tasks.push_back([&] {
    auto extra = make_compressor(codec, level, 1, extra_total, {}, framing);
    write_extra_bytes(*extra, new_data, list, coded);
    streams.extra = extra->finish();
  });
  run_tasks(tasks, options.threads, coded, progress);
  if (streams.diff_runs) {
    streams.diff_runs_size = streams.diff.size();
    streams.diff += literals;
  }
  return streams;
}

void check_options(const DiffOptions& options, int level) {
  Codec codec = instruction_codec(options);
  if (options.format == PatchFormat::mpd && codec != Codec::zstd && codec != Codec::lzma)
    throw usage_error("mpd patches use zstd or lzma", "codec");
  if (level < 1 || level > max_level(codec))
    throw usage_error("level " + std::to_string(level) + " is out of range 1-" +
                          std::to_string(max_level(codec)) + " for " + codec_name(codec),
                      "level");
  if (options.threads < 1 || options.threads > 256)
    throw usage_error("threads must be between 1 and 256", "threads");
}

// Refuses inputs whose diff would need more memory than the limit asked for.
void check_memory_limit(const DiffOptions& options, uint64_t old_size, uint64_t new_size) {
  uint64_t needed = diff_memory_estimate(old_size, new_size);
  if (options.memory_limit > 0 && needed > options.memory_limit)
    throw failure("diffing these files needs about " + std::to_string(needed >> 20) +
                      " MiB, above the limit of " + std::to_string(options.memory_limit >> 20) +
                      " MiB",
                  "memory limit");
}

// VCDIFF for xdelta3 and other RFC 3284 readers: the same matches, no filter, no codec (the
// RFC's secondary compressors are xdelta3's own), written window by window as they are made.
DiffSummary make_vcdiff(const uint8_t* old_data, uint64_t old_size, const uint8_t* new_data,
                        uint64_t new_size, const DiffOptions& options, const ByteSink& out,
                        ProgressSink& progress, std::shared_ptr<const void> old_owner) {
  if (options.filter && *options.filter != Filter::none)
    throw usage_error("VCDIFF patches take no filter", "filter");
  if (options.codec && *options.codec != Codec::none)
    throw usage_error("VCDIFF patches are not compressed (a codec is for mpd and bsdiff)", "codec");
  if (options.threads < 1 || options.threads > 256)
    throw usage_error("threads must be between 1 and 256", "threads");
  check_memory_limit(options, old_size, new_size);
  DiffSummary summary;
  summary.format = PatchFormat::vcdiff;
  summary.codec = Codec::none;
  summary.old_size = old_size;
  summary.new_size = new_size;
  summary.old_sha256 = sha256_interruptible(old_data, old_size);
  summary.new_sha256 = sha256_interruptible(new_data, new_size);
  MatchOptions match_options;
  match_options.threads = options.threads;
  match_options.old_data_owner = std::move(old_owner);
  auto list = find_matches(old_data, old_size, new_data, new_size, match_options, progress);
  summary.instructions = list.size();
  write_vcdiff(
      old_data, old_size, new_data, new_size, list,
      [&](const uint8_t* data, size_t size) {
        out(data, size);
        summary.patch_size += size;
      },
      progress);
  return summary;
}

}  // namespace

uint64_t diff_memory_estimate(uint64_t old_size, uint64_t new_size) {
  // Suffix array, both files, instructions and the codecs' windows.
  return suffix_array_bytes(old_size) + old_size + new_size + new_size / 8 + (96u << 20);
}

DiffSummary make_patch_into(uint8_t* old_data, uint64_t old_size, uint8_t* new_data,
                            uint64_t new_size, const DiffOptions& options, const ByteSink& out,
                            ProgressSink& progress, const NewFileMemory& new_memory,
                            std::shared_ptr<const void> old_owner) {
  if (options.format == PatchFormat::vcdiff)
    return make_vcdiff(old_data, old_size, new_data, new_size, options, out, progress,
                       std::move(old_owner));
  Codec codec = instruction_codec(options);
  int level = options.level < 0 ? default_level(codec) : options.level;
  check_options(options, level);
  check_memory_limit(options, old_size, new_size);

  DiffSummary summary;
  summary.format = options.format;
  summary.codec = codec;
  summary.level = level;
  summary.old_size = old_size;
  summary.new_size = new_size;
  std::string_view new_view(reinterpret_cast<const char*>(new_data), new_size);
  // The two digests at once (7 ms each for 9 MiB), before the filters rewrite the files.
  auto new_sha256 =
      std::async(std::launch::async, [&] { return sha256_interruptible(new_data, new_size); });
  summary.old_sha256 = sha256_interruptible(old_data, old_size);
  summary.new_sha256 = new_sha256.get();
  // Made first, while both files still hold their own bytes (filters rewrite them).
  std::optional<Streams> dictionary;
  if (dictionary_worth_trying(options, old_size, new_size)) {
    progress.start("dictionary", 0);  // one zstd call of a fraction of a second
    dictionary = dictionary_streams(old_data, old_size, new_data, new_size, options);
    progress.finish();
  }
  Filter detected = Filter::none;
  if (options.format == PatchFormat::mpd)
    detected = options.filter ? *options.filter : detect_filter(new_view);
  // A branch filter wins on recompiled releases, where call targets move unevenly, but
  // loses on a binary that was only shifted, where every absolute target changes. When the
  // filter was picked from the header (not asked for), inputs up to thorough_limit are
  // diffed both ways and the smaller patch is kept; larger ones are diffed once, the way a
  // sample of their code favours (each full attempt costs as much as the whole diff).
  bool try_both = !options.filter && detected != Filter::none;
  bool thorough = try_both && new_size <= options.thorough_limit;
  summary.filter = detected;
  if (try_both && !thorough &&
      !filter_promising_on_sample(detected, old_data, old_size, new_data, new_size))
    summary.filter = Filter::none;
  if (thorough)
    summary.filter = Filter::none;  // filters rewrite in place: the unfiltered pass goes first
  // Until the scan reaches them, the new file's pages need not stay in memory: the peak
  // is while the suffix array exists (4 bytes per old byte), and it should not hold both.
  if (new_memory.release)
    new_memory.release(0, new_size);

  MatchOptions match_options;
  match_options.threads = options.threads;
  match_options.old_data_owner = std::move(old_owner);
  uint64_t instructions = 0;
  auto diff_with = [&](Filter filter) {
    filter_encode(filter, old_data, old_size);
    filter_encode(filter, new_data, new_size);
    // The scan gives back the new file's pages behind it. Filtered pages exist only in
    // memory, so they are first moved to a temporary file when the caller allows it.
    const uint8_t* scanned = new_data;
    match_options.consumed = new_memory.release;
    if (filter != Filter::none) {
      match_options.consumed = nullptr;
      if (new_memory.spill && new_size > 0) {
        scanned = new_memory.spill(new_data, new_size);
        match_options.consumed = new_memory.release_spilled;
      }
    }
    auto list = find_matches(old_data, old_size, scanned, new_size, match_options, progress);
    progress.start("encoding", bytes_to_code(list));
    Streams result = encode_streams(old_data, scanned, list, options, level, progress);
    progress.finish();
    instructions = list.size();
    return result;
  };
  auto total_size = [](const Streams& streams) {
    return streams.control.size() + streams.diff.size() + streams.extra.size();
  };
  Streams streams = diff_with(summary.filter);
  if (thorough) {
    uint64_t unfiltered_instructions = instructions;
    Streams filtered = diff_with(detected);
    if (total_size(filtered) < total_size(streams)) {
      streams = std::move(filtered);
      summary.filter = detected;
    } else {
      instructions = unfiltered_instructions;
    }
  }

  // A header costs the same in both modes, so the smaller streams make the smaller patch.
  if (dictionary) {
    if (streams_size(*dictionary) < streams_size(streams)) {
      streams = std::move(*dictionary);
      summary.codec = Codec::zstd;
      summary.filter = Filter::none;
      summary.level = options.codec == Codec::zstd ? level : default_level(Codec::zstd);
      summary.dictionary = true;
      instructions = 0;
    }
  }
  std::string header;
  if (options.format == PatchFormat::mpd) {
    PatchHeader fields;
    fields.codec = summary.codec;
    fields.filter = summary.filter;
    fields.old_size = old_size;
    fields.new_size = new_size;
    fields.old_sha256 = summary.old_sha256;
    fields.new_sha256 = summary.new_sha256;
    fields.control_size = streams.control.size();
    fields.diff_size = streams.diff.size();
    fields.extra_size = streams.extra.size();
    fields.diff_runs = streams.diff_runs;
    fields.diff_runs_size = streams.diff_runs_size;
    fields.lzma_dictionary_log = streams.framing.lzma_dictionary_log;
    fields.dictionary = streams.dictionary;
    header =
        streams.framing.compact ? encode_mpd_compact_header(fields) : encode_mpd_header(fields);
  } else {
    header = encode_bsdiff_header(streams.control.size(), streams.diff.size(), new_size);
  }
  // The last point where a stop request leaves no output at all: the caller commits (or has
  // streamed) whatever `out` receives.
  throw_if_stop_requested();
  for (const std::string* part : {&header, &streams.control, &streams.diff, &streams.extra})
    out(reinterpret_cast<const uint8_t*>(part->data()), part->size());
  summary.control_size = streams.control.size();
  summary.diff_size = streams.diff.size();
  summary.extra_size = streams.extra.size();
  summary.diff_runs = streams.diff_runs;
  summary.instructions = instructions;
  summary.patch_size =
      header.size() + streams.control.size() + streams.diff.size() + streams.extra.size();
  return summary;
}

std::string make_patch(std::string_view old_data, std::string_view new_data,
                       const DiffOptions& options) {
  // Shared, so that a suffix sort left running by a stop request keeps its bytes.
  auto old_copy = std::make_shared<std::string>(old_data);
  std::string new_copy(new_data), patch;
  NullProgress progress;
  make_patch_into(
      reinterpret_cast<uint8_t*>(old_copy->data()), old_copy->size(),
      reinterpret_cast<uint8_t*>(new_copy.data()), new_copy.size(), options,
      [&](const uint8_t* data, size_t size) {
        patch.append(reinterpret_cast<const char*>(data), size);
      },
      progress, {}, old_copy);
  return patch;
}

DiffSummary diff_files(const std::filesystem::path& old_path, const std::filesystem::path& new_path,
                       const DiffOptions& options, const ByteSink& out, ProgressSink& progress) {
  // Shared, so that a suffix sort left running by a stop request keeps its mapping.
  auto old_file = std::make_shared<MappedFile>(old_path, true);
  MappedFile new_file(new_path, true);
  std::unique_ptr<MappedFile> spilled;
  NewFileMemory memory;
  memory.release = [&](uint64_t begin, uint64_t end) { new_file.release(begin, end); };
  memory.spill = [&](const uint8_t* filtered, uint64_t size) {
    UniqueFd copy = open_anonymous_file(std::filesystem::temp_directory_path());
    for (uint64_t done = 0; done < size;) {
      throw_if_stop_requested();
      size_t piece = static_cast<size_t>(std::min<uint64_t>(size - done, 4u << 20));
      write_all(copy.get(), filtered + done, piece, "filtered copy of " + new_path.string());
      done += piece;
    }
    // Mapped through /proc, the unnamed file lives on with the mapping after close.
    spilled = std::make_unique<MappedFile>("/proc/self/fd/" + std::to_string(copy.get()), false);
    new_file.release(0, size);  // drops the filtered pages: the copy holds them now
    return static_cast<const uint8_t*>(spilled->data());
  };
  memory.release_spilled = [&](uint64_t begin, uint64_t end) { spilled->release(begin, end); };
  return make_patch_into(old_file->data(), old_file->size(), new_file.data(), new_file.size(),
                         options, out, progress, memory, old_file);
}

}  // namespace mpaas::delta
