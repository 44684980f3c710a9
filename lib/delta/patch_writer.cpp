// Encoding instructions into mpd and BSDIFF40 patches. mpd's control stream holds LEB128
// varints (add length, copy length, zigzag seek), far smaller than bsdiff's 24 bytes per
// instruction before compression; diff bytes (new - old) and extra bytes go to their own
// streams so that each codec sees homogeneous data.
#include <algorithm>
#include <thread>

#include "core/error.hpp"
#include "delta/delta.hpp"
#include "delta/matcher.hpp"

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

// Feeds the diff stream in 64 KiB pieces.
void write_diff_bytes(Compressor& out, const uint8_t* old_data, const uint8_t* new_data,
                      const Instruction& instruction) {
  uint8_t buffer[1 << 16];
  for (uint64_t done = 0; done < instruction.add_length;) {
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
};

Streams encode_streams(const uint8_t* old_data, const uint8_t* new_data,
                       const std::vector<Instruction>& list, const DiffOptions& options,
                       int level) {
  Codec codec = options.format == PatchFormat::bsdiff ? Codec::bzip2 : options.codec;
  std::string control;
  for (size_t i = 0; i < list.size(); ++i) {
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
  // The diff and extra streams compress on two threads when allowed: they are independent.
  auto encode_diff = [&] {
    auto diff = make_compressor(codec, level, std::max(1, options.threads / 2), diff_total);
    for (const auto& instruction : list)
      write_diff_bytes(*diff, old_data, new_data, instruction);
    streams.diff = diff->finish();
  };
  auto encode_extra = [&] {
    auto extra = make_compressor(codec, level, std::max(1, options.threads / 2), extra_total);
    for (const auto& instruction : list)
      extra->write(new_data + instruction.new_start + instruction.add_length,
                   instruction.copy_length);
    streams.extra = extra->finish();
  };
  if (options.threads > 1) {
    std::thread worker(encode_extra);
    encode_diff();
    worker.join();
  } else {
    encode_diff();
    encode_extra();
  }
  auto control_codec = make_compressor(codec, level, 1, control.size());
  control_codec->write(reinterpret_cast<const uint8_t*>(control.data()), control.size());
  streams.control = control_codec->finish();
  return streams;
}

void check_options(const DiffOptions& options, int level) {
  if (options.format == PatchFormat::mpd && options.codec != Codec::zstd &&
      options.codec != Codec::lzma)
    throw usage_error("mpd patches use zstd or lzma (--codec)");
  Codec codec = options.format == PatchFormat::bsdiff ? Codec::bzip2 : options.codec;
  if (level < 1 || level > max_level(codec))
    throw usage_error("level " + std::to_string(level) + " is out of range 1-" +
                      std::to_string(max_level(codec)) + " for " + codec_name(codec) +
                      " (--level)");
  if (options.threads < 1 || options.threads > 256)
    throw usage_error("threads must be between 1 and 256 (--threads)");
}

}  // namespace

uint64_t diff_memory_estimate(uint64_t old_size, uint64_t new_size) {
  // Suffix array, both files, instructions and the codecs' windows.
  return suffix_array_bytes(old_size) + old_size + new_size + new_size / 8 + (96u << 20);
}

DiffSummary make_patch_into(uint8_t* old_data, uint64_t old_size, uint8_t* new_data,
                            uint64_t new_size, const DiffOptions& options, const ByteSink& out,
                            ProgressSink& progress) {
  Codec codec = options.format == PatchFormat::bsdiff ? Codec::bzip2 : options.codec;
  int level = options.level < 0 ? default_level(codec) : options.level;
  check_options(options, level);
  uint64_t needed = diff_memory_estimate(old_size, new_size);
  if (options.memory_limit > 0 && needed > options.memory_limit)
    throw failure("diffing these files needs about " + std::to_string(needed >> 20) +
                  " MiB, above the limit of " + std::to_string(options.memory_limit >> 20) +
                  " MiB (--memory-limit)");

  DiffSummary summary;
  summary.format = options.format;
  summary.codec = codec;
  summary.level = level;
  summary.old_size = old_size;
  summary.new_size = new_size;
  std::string_view new_view(reinterpret_cast<const char*>(new_data), new_size);
  summary.old_sha256 = sha256_of({reinterpret_cast<const char*>(old_data), old_size});
  summary.new_sha256 = sha256_of(new_view);
  Filter detected = Filter::none;
  if (options.format == PatchFormat::mpd)
    detected = options.filter ? *options.filter : detect_filter(new_view);

  MatchOptions match_options;
  match_options.threads = options.threads;
  uint64_t instructions = 0;
  // Filters rewrite the buffers in place, so the unfiltered attempt must come first.
  auto diff_with = [&](Filter filter) {
    filter_encode(filter, old_data, old_size);
    filter_encode(filter, new_data, new_size);
    auto list = find_matches(old_data, old_size, new_data, new_size, match_options, progress);
    progress.start("encoding", 0);
    Streams result = encode_streams(old_data, new_data, list, options, level);
    progress.finish();
    instructions = list.size();
    return result;
  };
  auto total_size = [](const Streams& streams) {
    return streams.control.size() + streams.diff.size() + streams.extra.size();
  };
  // A branch filter wins on recompiled releases, where call targets move unevenly, but
  // loses on a binary that was only shifted, where every absolute target changes. When
  // the filter was picked from the header (not asked for), both are tried and the smaller
  // patch is kept: twice the diff time for executables, never a larger patch.
  bool try_both = !options.filter && detected != Filter::none;
  summary.filter = try_both ? Filter::none : detected;
  Streams streams = diff_with(summary.filter);
  if (try_both) {
    uint64_t unfiltered_instructions = instructions;
    Streams filtered = diff_with(detected);
    if (total_size(filtered) < total_size(streams)) {
      streams = std::move(filtered);
      summary.filter = detected;
    } else {
      instructions = unfiltered_instructions;
    }
  }

  std::string header;
  if (options.format == PatchFormat::mpd) {
    PatchHeader fields;
    fields.codec = codec;
    fields.filter = summary.filter;
    fields.old_size = old_size;
    fields.new_size = new_size;
    fields.old_sha256 = summary.old_sha256;
    fields.new_sha256 = summary.new_sha256;
    fields.control_size = streams.control.size();
    fields.diff_size = streams.diff.size();
    fields.extra_size = streams.extra.size();
    header = encode_mpd_header(fields);
  } else {
    header = encode_bsdiff_header(streams.control.size(), streams.diff.size(), new_size);
  }
  for (const std::string* part : {&header, &streams.control, &streams.diff, &streams.extra})
    out(reinterpret_cast<const uint8_t*>(part->data()), part->size());
  summary.control_size = streams.control.size();
  summary.diff_size = streams.diff.size();
  summary.extra_size = streams.extra.size();
  summary.instructions = instructions;
  summary.patch_size =
      header.size() + streams.control.size() + streams.diff.size() + streams.extra.size();
  return summary;
}

std::string make_patch(std::string_view old_data, std::string_view new_data,
                       const DiffOptions& options) {
  std::string old_copy(old_data), new_copy(new_data), patch;
  NullProgress progress;
  make_patch_into(
      reinterpret_cast<uint8_t*>(old_copy.data()), old_copy.size(),
      reinterpret_cast<uint8_t*>(new_copy.data()), new_copy.size(), options,
      [&](const uint8_t* data, size_t size) {
        patch.append(reinterpret_cast<const char*>(data), size);
      },
      progress);
  return patch;
}

DiffSummary diff_files(const std::filesystem::path& old_path, const std::filesystem::path& new_path,
                       const DiffOptions& options, const ByteSink& out, ProgressSink& progress) {
  MappedFile old_file(old_path, true);
  MappedFile new_file(new_path, true);
  return make_patch_into(old_file.data(), old_file.size(), new_file.data(), new_file.size(),
                         options, out, progress);
}

}  // namespace mpaas::delta
