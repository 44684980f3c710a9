// Applying mpd and BSDIFF40 patches as a stream: control instructions are read one at a
// time, diff and extra bytes flow through 64 KiB buffers, and the new file leaves through
// the filter decoder and the SHA-256 check to the sink. Every count read from the patch is
// checked against what remains of the new file before it is used, so a hostile patch can
// neither read outside the old file nor make this allocate more than its fixed buffers.
#include <algorithm>
#include <cstring>
#include <future>
#include <istream>
#include <optional>
#include <ostream>
#include <vector>

#include "mpaas/core/atomic_file.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/core/interrupt.hpp"
#include "mpaas/core/unique_fd.hpp"
#include "mpaas/delta/delta.hpp"
#include "mpaas/delta/vcdiff.hpp"
#include "output_stage.hpp"

namespace mpaas::delta {
namespace {

constexpr size_t buffer_size = 1 << 16;
// New files from this size on are filtered, hashed and written on a second thread.
constexpr uint64_t threaded_output_size = uint64_t{1} << 20;

struct Step {
  uint64_t add_length = 0;
  uint64_t copy_length = 0;
  int64_t seek = 0;
};

// An LEB128 varint whose first byte was already read; the rest come from `source`.
uint64_t read_varint(uint8_t byte, ByteSource& source, const char* stream,
                     const std::string& name) {
  uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (shift == 63 && byte > 1)
      break;
    value |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if (!(byte & 0x80))
      return value;
    read_exactly(source, &byte, 1, name);
  }
  throw invalid_input("patch is corrupted: varint out of range in " + std::string(stream) +
                      " stream (" + name + ")");
}

// Reads control instructions of either format.
class ControlReader {
 public:
  ControlReader(PatchFormat format, std::unique_ptr<ByteSource> source, std::string name)
      : m_format(format), m_source(std::move(source)), m_name(std::move(name)) {}

  Step next() {
    Step step;
    if (m_format == PatchFormat::bsdiff) {
      uint8_t bytes[24];
      read_exactly(*m_source, bytes, sizeof bytes, m_name);
      int64_t add = get_bsdiff_int(bytes, m_name);
      int64_t copy = get_bsdiff_int(bytes + 8, m_name);
      if (add < 0 || copy < 0)
        corrupt("negative length in control stream");
      step.add_length = static_cast<uint64_t>(add);
      step.copy_length = static_cast<uint64_t>(copy);
      step.seek = get_bsdiff_int(bytes + 16, m_name);
      return step;
    }
    step.add_length = varint();
    step.copy_length = varint();
    uint64_t seek = varint();
    step.seek = static_cast<int64_t>(seek >> 1) ^ -static_cast<int64_t>(seek & 1);
    return step;
  }

  bool at_end() {
    uint8_t byte;
    return m_source->read(&byte, 1) == 0;
  }

  [[noreturn]] void corrupt(const std::string& what) const {
    throw invalid_input("patch is corrupted: " + what + " (" + m_name + ")");
  }

 private:
  uint64_t varint() {
    uint8_t first;
    read_exactly(*m_source, &first, 1, m_name);
    return read_varint(first, *m_source, "control", m_name);
  }

  PatchFormat m_format;
  std::unique_ptr<ByteSource> m_source;
  std::string m_name;
};

std::unique_ptr<ByteSource> open_stream(const RandomInput& patch, const PatchHeader& header,
                                        uint64_t offset, uint64_t size, const std::string& name) {
  Framing framing;
  framing.compact = is_compact_version(header.version);
  framing.lzma_dictionary_log = header.lzma_dictionary_log;
  framing.last = offset + size == header.patch_size;
  return make_decompressor(header.codec, std::make_unique<RegionSource>(patch, offset, size), name,
                           framing);
}

// The diff bytes of a run-coded diff stream: the run stream holds varint pairs (zeros, then
// literals), the literal stream the non-zero bytes. Runs are bounded only by what the
// Applier asks for, which it checks against the new file's size.
class ZeroRunSource : public ByteSource {
 public:
  ZeroRunSource(std::unique_ptr<ByteSource> runs, std::unique_ptr<ByteSource> literals,
                std::string name)
      : m_runs(std::move(runs)), m_literals(std::move(literals)), m_name(std::move(name)) {}

  size_t read(uint8_t* buffer, size_t size) override {
    size_t done = 0;
    while (done < size) {
      if (m_zeros == 0 && m_pending_literals == 0 && !next_pair())
        break;
      if (m_zeros > 0) {
        size_t piece = static_cast<size_t>(std::min<uint64_t>(m_zeros, size - done));
        std::memset(buffer + done, 0, piece);
        m_zeros -= piece;
        done += piece;
      } else {
        size_t piece = static_cast<size_t>(std::min<uint64_t>(m_pending_literals, size - done));
        read_exactly(*m_literals, buffer + done, piece, m_name);
        m_pending_literals -= piece;
        done += piece;
      }
    }
    return done;
  }

 private:
  // Reads the next (zeros, literals) pair; false at the clean end of the run stream.
  bool next_pair() {
    uint8_t first;
    if (m_runs->read(&first, 1) == 0) {
      uint8_t byte;
      if (m_literals->read(&byte, 1) != 0)
        corrupt("literal bytes left after the last run");
      return false;
    }
    m_zeros = read_varint(first, *m_runs, "run", m_name);
    uint8_t byte;
    read_exactly(*m_runs, &byte, 1, m_name);
    m_pending_literals = read_varint(byte, *m_runs, "run", m_name);
    // Every pair yields a byte, so a hostile run stream cannot spin without output.
    if (m_zeros == 0 && m_pending_literals == 0)
      corrupt("empty run in run stream");
    return true;
  }

  [[noreturn]] void corrupt(const std::string& what) const {
    throw invalid_input("patch is corrupted: " + what + " (" + m_name + ")");
  }

  std::unique_ptr<ByteSource> m_runs, m_literals;
  std::string m_name;
  uint64_t m_zeros = 0, m_pending_literals = 0;
};

std::unique_ptr<ByteSource> open_diff_stream(const RandomInput& patch, const PatchHeader& header,
                                             const std::string& name) {
  if (!header.diff_runs)
    return open_stream(patch, header, header.diff_offset, header.diff_size, name);
  return std::make_unique<ZeroRunSource>(
      open_stream(patch, header, header.diff_offset, header.diff_runs_size, name),
      open_stream(patch, header, header.diff_offset + header.diff_runs_size,
                  header.diff_size - header.diff_runs_size, name),
      name);
}

void check_old_file(const PatchHeader& header, const uint8_t* old_data, uint64_t old_size,
                    const std::string& name) {
  if (header.format != PatchFormat::mpd)
    return;
  Sha256Digest actual = sha256_interruptible(old_data, old_size);
  if (actual != header.old_sha256 || old_size != header.old_size)
    throw verification_failed("the old file does not match the patch: it has sha256 " +
                              to_hex(actual) + ", the patch was made for sha256 " +
                              to_hex(header.old_sha256) + " (" + name + ")");
}

class Applier {
 public:
  // `filtered`, when the patch has a filter, reads the old file as the filter makes it.
  Applier(const PatchHeader& header, const uint8_t* old_data, uint64_t old_size,
          const FilteredView* filtered, const RandomInput& patch, const std::string& name,
          OutputStage& out, ProgressSink& progress)
      : m_header(header),
        m_old(old_data),
        m_filtered(filtered),
        m_old_size(old_size),
        m_name(name),
        m_control(header.format,
                  open_stream(patch, header, header.control_offset, header.control_size, name),
                  name),
        m_diff(open_diff_stream(patch, header, name)),
        m_extra(open_stream(patch, header, header.extra_offset, header.extra_size, name)),
        m_out(out),
        m_progress(progress),
        m_buffer(static_cast<size_t>(std::clamp<uint64_t>(header.new_size, 1, buffer_size))) {
    if (m_filtered)
      m_filtered_bytes.resize(m_buffer.size());
  }

  void run() {
    m_progress.start("patching", m_header.new_size);
    uint64_t written = 0;
    int64_t old_position = 0;
    uint64_t until_stop_check = 0;
    while (written < m_header.new_size) {
      // add() and copy() check a stop request in every piece they write; instructions
      // that write nothing are checked here.
      if (until_stop_check-- == 0) {
        throw_if_stop_requested();
        until_stop_check = 4096;
      }
      Step step = m_control.next();
      uint64_t left = m_header.new_size - written;
      if (step.add_length > left || step.copy_length > left - step.add_length)
        m_control.corrupt("instruction runs past the end of the new file");
      add(old_position, step.add_length);
      copy(step.copy_length);
      written += step.add_length + step.copy_length;
      // old_position stays within [0, old_size] for mpd and within +-2^62 for bsdiff.
      int64_t moved = old_position + static_cast<int64_t>(step.add_length);
      constexpr int64_t bound = int64_t{1} << 62;
      if (step.seek > bound || step.seek < -bound)
        m_control.corrupt("seek out of range");
      old_position = moved + step.seek;
      if (m_header.format == PatchFormat::mpd &&
          (old_position < 0 || static_cast<uint64_t>(old_position) > m_old_size))
        m_control.corrupt("seek outside the old file");
      if (old_position > bound || old_position < -bound)
        m_control.corrupt("seek out of range");
      m_progress.advance(step.add_length + step.copy_length);
    }
    // Reading each stream to its end also checks that it ends properly (not truncated).
    uint8_t byte;
    if (!m_control.at_end() || m_diff->read(&byte, 1) != 0 || m_extra->read(&byte, 1) != 0)
      m_control.corrupt("trailing data after the last instruction");
    m_progress.finish();
  }

 private:
  // new = old + diff, where old bytes outside the old file count as zero (bspatch's rule;
  // mpd patches never point outside, and the check on seeks above enforces it).
  void add(int64_t old_position, uint64_t length) {
    if (m_header.format == PatchFormat::mpd &&
        static_cast<uint64_t>(old_position) + length > m_old_size)
      m_control.corrupt("instruction reads past the end of the old file");
    for (uint64_t done = 0; done < length;) {
      throw_if_stop_requested();
      size_t piece = static_cast<size_t>(std::min<uint64_t>(m_buffer.size(), length - done));
      read_exactly(*m_diff, m_buffer.data(), piece, m_name);
      // The part of [base, base + piece) inside the old file, found once per piece.
      int64_t base = old_position + static_cast<int64_t>(done);
      int64_t first = std::clamp<int64_t>(-base, 0, static_cast<int64_t>(piece));
      int64_t last = std::clamp<int64_t>(static_cast<int64_t>(m_old_size) - base, first,
                                         static_cast<int64_t>(piece));
      add_old_bytes(base, first, last);
      m_out.write(m_buffer.data(), piece);
      done += piece;
    }
  }

  void copy(uint64_t length) {
    for (uint64_t done = 0; done < length;) {
      throw_if_stop_requested();
      size_t piece = static_cast<size_t>(std::min<uint64_t>(m_buffer.size(), length - done));
      read_exactly(*m_extra, m_buffer.data(), piece, m_name);
      m_out.write(m_buffer.data(), piece);
      done += piece;
    }
  }

  // m_buffer[first, last) += the old file's bytes at base + first..., as filtered.
  void add_old_bytes(int64_t base, int64_t first, int64_t last) {
    if (!m_filtered) {
      for (int64_t i = first; i < last; ++i)
        m_buffer[i] += m_old[base + i];
      return;
    }
    m_filtered->read(static_cast<uint64_t>(base + first), m_filtered_bytes.data(),
                     static_cast<size_t>(last - first));
    for (int64_t i = first; i < last; ++i)
      m_buffer[i] += m_filtered_bytes[i - first];
  }

  const PatchHeader& m_header;
  const uint8_t* m_old;
  const FilteredView* m_filtered;
  std::vector<uint8_t> m_filtered_bytes;
  uint64_t m_old_size;
  std::string m_name;
  ControlReader m_control;
  std::unique_ptr<ByteSource> m_diff;
  std::unique_ptr<ByteSource> m_extra;
  OutputStage& m_out;
  ProgressSink& m_progress;
  std::vector<uint8_t> m_buffer;
};

// Dictionary mode: the new file is the one zstd frame of the extra stream, decoded with the
// old file as its prefix; it must yield exactly the new file's size.
void apply_dictionary(const PatchHeader& header, const uint8_t* old_data, uint64_t old_size,
                      const RandomInput& patch, const std::string& name, OutputStage& out,
                      ProgressSink& progress) {
  Framing framing;
  framing.compact = true;
  framing.prefix = old_data;
  framing.prefix_size = old_size;
  framing.prefix_output_limit = header.new_size;
  framing.last = true;
  auto frame = make_decompressor(
      Codec::zstd, std::make_unique<RegionSource>(patch, header.extra_offset, header.extra_size),
      name, framing);
  progress.start("patching", header.new_size);
  std::vector<uint8_t> buffer(
      static_cast<size_t>(std::min<uint64_t>(buffer_size, header.new_size + 1)));
  uint64_t written = 0;
  while (true) {
    throw_if_stop_requested();
    size_t got = frame->read(buffer.data(), buffer.size());
    if (got == 0)
      break;
    if (got > header.new_size - written)
      throw invalid_input("patch is corrupted: more output than the new file's size (" + name +
                          ")");
    out.write(buffer.data(), got);
    written += got;
    progress.advance(got);
  }
  if (written != header.new_size)
    throw invalid_input("patch is truncated (" + name + ")");
  progress.finish();
}

}  // namespace

// apply_patch_into, with the old file's check optional for callers that made it already.
PatchHeader apply_checked(const uint8_t* old_data, uint64_t old_size, const RandomInput& patch,
                          const std::string& name, const ByteSink& out, const ApplyLimits& limits,
                          ProgressSink& progress, bool check_old);

PatchHeader apply_patch_into(const uint8_t* old_data, uint64_t old_size, const RandomInput& patch,
                             const std::string& name, const ByteSink& out,
                             const ApplyLimits& limits, ProgressSink& progress) {
  return apply_checked(old_data, old_size, patch, name, out, limits, progress, true);
}

PatchHeader apply_checked(const uint8_t* old_data, uint64_t old_size, const RandomInput& patch,
                          const std::string& name, const ByteSink& out, const ApplyLimits& limits,
                          ProgressSink& progress, bool check_old) {
  PatchHeader header = parse_header(patch, name);
  if (header.format == PatchFormat::vcdiff) {
    // No old-file hash: each window's Adler-32 is checked as it is made.
    header.new_size =
        apply_vcdiff(old_data, old_size, patch, name, out, limits.max_new_size, progress).new_size;
    return header;
  }
  if (header.new_size > limits.max_new_size)
    throw invalid_input("patch claims a new file of " + std::to_string(header.new_size) +
                        " bytes, above the limit of " + std::to_string(limits.max_new_size) + " (" +
                        name + ")");
  if (check_old)
    check_old_file(header, old_data, old_size, name);
  std::optional<FilteredView> filtered;
  if (header.filter != Filter::none)
    filtered.emplace(header.filter, old_data, old_size);

  Sha256 new_hash;
  FilterDecoder decoder(header.filter, [&](const uint8_t* data, size_t size) {
    new_hash.update(data, size);
    out(data, size);
  });
  OutputStage stage(header.new_size >= threaded_output_size,
                    [&](const uint8_t* data, size_t size) { decoder.write(data, size); });
  if (header.dictionary) {
    apply_dictionary(header, old_data, old_size, patch, name, stage, progress);
  } else {
    Applier applier(header, old_data, old_size, filtered ? &*filtered : nullptr, patch, name, stage,
                    progress);
    applier.run();
  }
  stage.finish();
  decoder.finish();
  Sha256Digest actual = new_hash.finish();
  // Compact streams carry no checksums of their own, and the old file was checked: a
  // wrong output can only come from a corrupted patch.
  if (is_compact_version(header.version) && actual != header.new_sha256)
    throw invalid_input("patch is corrupted: the patched file has sha256 " + to_hex(actual) +
                        ", the patch expects sha256 " + to_hex(header.new_sha256) + " (" + name +
                        ")");
  if (header.format == PatchFormat::mpd && actual != header.new_sha256)
    throw verification_failed("the patched file has sha256 " + to_hex(actual) +
                              ", the patch expects sha256 " + to_hex(header.new_sha256) + " (" +
                              name + ")");
  return header;
}

namespace {

// Reads up to `size` more bytes of `in` onto `out`; false when the stream ended first.
bool read_more(std::istream& in, std::string& out, size_t size) {
  size_t had = out.size();
  out.resize(had + size);
  in.read(out.data() + had, static_cast<std::streamsize>(size));
  out.resize(had + static_cast<size_t>(in.gcount()));
  return out.size() == had + size;
}

// The header at the start of a patch stream, read no further than the header itself.
std::string read_header(std::istream& in, const std::string& name) {
  std::string header;
  bool whole_magic = read_more(in, header, 8);
  auto* magic = reinterpret_cast<const uint8_t*>(header.data());
  if (is_vcdiff_magic(magic, header.size()))
    return header;  // no fixed header beyond the magic: the whole patch is spooled
  if (!whole_magic)
    throw invalid_input("patch is truncated (" + name + ")", name);
  size_t size = bsdiff_header_size;
  if (format_of_magic(magic, name) == PatchFormat::mpd) {
    // Versions 3 and 4 have at most mpd_compact_header_max bytes (with the start of a
    // dictionary frame), where a short patch may end sooner; else the version (offset 8)
    // says whether the header has 120 or 128 bytes.
    if (is_compact_magic(magic)) {
      read_more(in, header, mpd_compact_header_max - header.size());
      return header;
    }
    if (!read_more(in, header, 2))
      throw invalid_input("patch is truncated (" + name + ")", name);
    uint16_t version = get_u16(reinterpret_cast<const uint8_t*>(header.data()) + 8);
    size = version == 1 ? mpd_v1_header_size : mpd_header_size;
  }
  if (!read_more(in, header, size - header.size()))
    throw invalid_input("patch is truncated (" + name + ")", name);
  return header;
}

}  // namespace

std::unique_ptr<RandomInput> spool_patch(std::istream& in, const std::string& name,
                                         const std::filesystem::path& temp_folder) {
  std::string header = read_header(in, name);
  uint64_t declared = declared_patch_size(MemoryInput(header), name);
  // The streams need random access: they go to an unnamed file (nothing to clean up, even
  // on a forced exit), never into memory. Reading stops one byte past the declared size,
  // which is enough to refuse trailing data.
  UniqueFd spool = open_anonymous_file(temp_folder);
  write_all(spool.get(), header.data(), header.size(), "copy of the patch from " + name);
  uint64_t stored = header.size();
  std::vector<char> buffer(1 << 20);
  while (stored <= declared) {
    throw_if_stop_requested();
    uint64_t wanted = std::min<uint64_t>(buffer.size(), declared - stored + 1);
    in.read(buffer.data(), static_cast<std::streamsize>(wanted));
    size_t got = static_cast<size_t>(in.gcount());
    if (got == 0)
      break;
    write_all(spool.get(), buffer.data(), got, "copy of the patch from " + name);
    stored += got;
  }
  if (in.bad())
    throw failure("cannot read the patch (" + name + ")", name);
  return std::make_unique<FileInput>(spool.get(), name);
}

std::string apply_patch(std::string_view old_data, std::string_view patch,
                        const ApplyLimits& limits) {
  std::string result;
  MemoryInput input(patch);
  NullProgress progress;
  apply_patch_into(
      reinterpret_cast<const uint8_t*>(old_data.data()), old_data.size(), input, "patch",
      [&](const uint8_t* data, size_t size) {
        result.append(reinterpret_cast<const char*>(data), size);
      },
      limits, progress);
  return result;
}

PatchHeader apply_patch_file(const std::filesystem::path& old_path, const RandomInput& patch,
                             const std::string& patch_name, const std::filesystem::path& new_path,
                             std::ostream* stdout_stream, ProgressSink& progress) {
  // The whole old file is read (hashed, and applied from), never rewritten (FilteredView).
  PatchHeader header = parse_header(patch, patch_name);
  MappedFile old_file(old_path, false, MappedFile::Load::all_now);
  if (new_path == "-") {
    return apply_patch_into(
        old_file.data(), old_file.size(), patch, patch_name,
        [&](const uint8_t* data, size_t size) {
          stdout_stream->write(reinterpret_cast<const char*>(data),
                               static_cast<std::streamsize>(size));
        },
        {}, progress);
  }
  // The old file is hashed on a second thread while the patch applies (7 ms of a 9 MiB
  // file's 120). The output is committed only once it matched, and whatever a wrong old
  // file made the apply run into is reported as the mismatch it is.
  auto old_file_matches = std::async(std::launch::async, [&, expected = header] {
    check_old_file(expected, old_file.data(), old_file.size(), patch_name);
  });
  AtomicFile output(new_path, 0644, Durability::rename_only);
  // Instructions hand over pieces of a few bytes each: gather them into large writes (of
  // at most the new file, so that a small file costs a small buffer).
  std::string pending;
  pending.reserve(static_cast<size_t>(std::min<uint64_t>(buffer_size * 4, header.new_size)));
  auto flush = [&] {
    output.write(pending);
    pending.clear();
  };
  try {
    header = apply_checked(
        old_file.data(), old_file.size(), patch, patch_name,
        [&](const uint8_t* data, size_t size) {
          pending.append(reinterpret_cast<const char*>(data), size);
          if (pending.size() >= buffer_size * 4)
            flush();
        },
        {}, progress, false);
    flush();
  } catch (...) {
    old_file_matches.get();  // throws the mismatch, if that is what it was
    throw;
  }
  old_file_matches.get();
  throw_if_stop_requested();  // the last point where a stop leaves no output
  output.commit();
  return header;
}

}  // namespace mpaas::delta
