// The scan behind find_matches (see matcher.hpp). Lengths and positions are 64-bit
// throughout; only the suffix array's element type depends on the old file's size.
#include "mpaas/delta/matcher.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <new>
#include <thread>
#include <type_traits>

#include "block_cover.hpp"
#include "byte_compare.hpp"
#include "mpaas/core/interrupt.hpp"

namespace mpaas::delta {
namespace {

constexpr uint64_t index32_limit = (uint64_t{1} << 31) - 1;
// A match must beat the current alignment by this many bytes to be worth a new instruction.
constexpr uint64_t switch_margin = 8;

// Ranks of the suffix array by the first bits of each suffix, so that a search starts in the
// few ranks that share its first bytes instead of the whole array: a binary search over the
// suffix array misses the cache twice per step, and this saves about half of the steps.
template <class Index>
class PrefixBuckets {
 public:
  PrefixBuckets(const Index* suffixes, const uint8_t* old_data, uint64_t old_size) {
    // About 32 suffixes per bucket on average, in a table of at most 4 MiB.
    int bits = 8;
    while (bits < 20 && (uint64_t{1} << (bits + 5)) < old_size)
      ++bits;
    m_shift = 24 - bits;
    m_first.assign((size_t{1} << bits) + 1, 0);
    for (uint64_t i = 0; i < old_size; ++i) {
      if (i % (uint64_t{1} << 20) == 0)
        throw_if_stop_requested();
      uint64_t at = static_cast<uint64_t>(suffixes[i]);
      ++m_first[key(old_data + at, old_size - at) + 1];
    }
    for (size_t k = 1; k < m_first.size(); ++k)
      m_first[k] += m_first[k - 1];
  }

  // The first 24 bits of `data` (zero-padded), shortened to the table's key. Suffixes sort in
  // the order of their keys, so those with the same key form one run of ranks.
  uint32_t key(const uint8_t* data, uint64_t size) const {
    uint32_t value = 0;
    for (uint64_t i = 0; i < 3; ++i)
      value = (value << 8) | (i < size ? data[i] : 0u);
    return value >> m_shift;
  }
  uint64_t first_rank(uint32_t key) const { return m_first[key]; }
  uint64_t end_rank(uint32_t key) const { return m_first[key + 1]; }

 private:
  int m_shift = 0;
  std::vector<std::make_unsigned_t<Index>> m_first;
};

// Room for a suffix array. Not zeroed, since the sort writes every entry, and backed by
// huge pages where the kernel allows: faulting in 4 KiB pages one by one took a sixth of the
// indexing time.
template <class Index>
class IndexBuffer {
 public:
  explicit IndexBuffer(uint64_t count) : m_size(count) {
    constexpr size_t huge_page = size_t{2} << 20;
    size_t bytes = static_cast<size_t>(std::max<uint64_t>(count, 1) * sizeof(Index));
    bool large = bytes >= huge_page;
    size_t rounded = large ? (bytes + huge_page - 1) / huge_page * huge_page : bytes;
    void* memory = large ? std::aligned_alloc(huge_page, rounded) : std::malloc(bytes);
    if (!memory)
      throw std::bad_alloc();
    if (large)
      ::madvise(memory, rounded, MADV_HUGEPAGE);  // a hint: failure only costs speed
    m_data.reset(static_cast<Index*>(memory));
  }
  Index* data() const { return m_data.get(); }
  uint64_t size() const { return m_size; }

 private:
  struct Free {
    void operator()(Index* memory) const { std::free(memory); }
  };
  std::unique_ptr<Index, Free> m_data;
  uint64_t m_size;
};

// The suffix array of old[begin, begin + size), positions relative to begin. Parts are
// searched one after the other and the longest match wins, so two halves find what one
// array finds except for matches that cross the cut, which are found cut short there.
template <class Index>
struct SuffixPart {
  SuffixPart(const uint8_t* old_data, uint64_t part_begin, uint64_t part_size)
      : data(old_data + part_begin), begin(part_begin), size(part_size), suffixes(part_size) {}
  const uint8_t* data;  // old_data + begin
  uint64_t begin;
  uint64_t size;
  IndexBuffer<Index> suffixes;
  std::unique_ptr<PrefixBuckets<Index>> buckets;  // made after the sort
};

// Scanning shortcuts. bsdiff searches the suffix array at nearly every byte where the
// current alignment has a mismatch; on large, densely edited binaries that is millions of
// searches. These three cut the searches about fivefold for patches within 1% of the size:
constexpr uint64_t resume_lookahead = 8;      // an alignment that resumes within 8 bytes...
constexpr uint64_t resume_run = 4;            // ...with 4 equal bytes is simply followed,
constexpr uint64_t resume_budget = 1024;      // but never for more than 1 KiB without a search;
constexpr uint64_t reuse_length = 8;          // a match longer than this shrinks by one per byte;
constexpr uint64_t skip_after_misses = 2;     // and after a few useless searches in a row the
constexpr uint64_t skip_max = 8;              // scan steps ahead, up to 8 bytes at a time.
constexpr uint64_t consumed_step = 4u << 20;  // consumed ranges are reported in 4 MiB steps
// A stop request is checked every this many searches or alignment checks (about a
// millisecond of work), so that Ctrl-C takes effect at once.
constexpr uint64_t stop_check_interval = 1024;

// How far the scan of all slices has come. Any scanning thread adds to it; only the thread
// that called find_matches passes it on to the sink, which is not thread-safe.
class ScanProgress {
 public:
  explicit ScanProgress(ProgressSink& sink) : m_sink(sink), m_owner(std::this_thread::get_id()) {}
  void add(uint64_t amount) {
    uint64_t done = m_done += amount;
    if (std::this_thread::get_id() != m_owner || done <= m_reported)
      return;
    m_sink.advance(done - m_reported);
    m_reported = done;
  }

 private:
  ProgressSink& m_sink;
  std::thread::id m_owner;
  std::atomic<uint64_t> m_done{0};
  uint64_t m_reported = 0;  // by the owner only
};

template <class Index>
class Scanner {
 public:
  Scanner(const std::vector<SuffixPart<Index>>& parts, const uint8_t* old_data, uint64_t old_size,
          const uint8_t* new_data, std::function<void(uint64_t, uint64_t)> consumed)
      : m_consumed(std::move(consumed)),
        m_parts(parts),
        m_old(old_data),
        m_old_size(old_size),
        m_new(new_data) {}

  // The longest match of new[at, end) in the old file: its length, and position in `position`.
  // On equal lengths the earlier part wins, so the result does not depend on timing.
  uint64_t longest_match(uint64_t at, uint64_t end, uint64_t& position) const {
    position = 0;
    uint64_t best = 0;
    for (const auto& part : m_parts) {
      uint64_t found = 0;
      uint64_t length = longest_in_part(part, m_new + at, end - at, found);
      if (length > best) {
        best = length;
        position = part.begin + found;
      }
    }
    // A match that reaches the end of its part may go on in the next one.
    if (best > 0)
      best = common_prefix(m_old + position, m_old_size - position, m_new + at, end - at);
    return best;
  }

  // Binary search in one part, comparing within the part only (as its sort did), so that
  // the search order agrees with the array's.
  static uint64_t longest_in_part(const SuffixPart<Index>& part, const uint8_t* target,
                                  uint64_t target_size, uint64_t& position) {
    position = 0;
    if (part.size == 0)
      return 0;
    const Index* suffixes = part.suffixes.data();
    // The target sorts among the suffixes of its own key, so its neighbours in the suffix
    // array lie in that run of ranks or just around it.
    uint32_t key = part.buckets->key(target, target_size);
    uint64_t first = part.buckets->first_rank(key), last = part.buckets->end_rank(key);
    uint64_t low = first > 0 ? first - 1 : 0;
    uint64_t high = std::min(last, part.size - 1);
    // Binary search. Every suffix between `low` and `high` shares at least
    // min(low_length, high_length) bytes with the target, so comparisons start there.
    uint64_t low_length = prefix_with(part, low, target, target_size);
    uint64_t high_length = prefix_with(part, high, target, target_size);
    while (high - low >= 2) {
      uint64_t middle = low + (high - low) / 2;
      uint64_t suffix = static_cast<uint64_t>(suffixes[middle]);
      const uint8_t* bytes = part.data + suffix;
      uint64_t limit = std::min(part.size - suffix, target_size);
      uint64_t skip = std::min({low_length, high_length, limit});
      uint64_t length =
          skip + common_prefix(bytes + skip, limit - skip, target + skip, limit - skip);
      bool suffix_is_less = length < limit && bytes[length] < target[length];
      if (suffix_is_less) {
        low = middle;
        low_length = length;
      } else {
        high = middle;
        high_length = length;
      }
    }
    position = low_length >= high_length ? static_cast<uint64_t>(suffixes[low])
                                         : static_cast<uint64_t>(suffixes[high]);
    return std::max(low_length, high_length);
  }

  static uint64_t prefix_with(const SuffixPart<Index>& part, uint64_t rank, const uint8_t* target,
                              uint64_t target_size) {
    uint64_t suffix = static_cast<uint64_t>(part.suffixes.data()[rank]);
    return common_prefix(part.data + suffix, part.size - suffix, target, target_size);
  }

  bool same_at(uint64_t new_position, int64_t offset) const {
    int64_t old_position = static_cast<int64_t>(new_position) + offset;
    return old_position >= 0 && static_cast<uint64_t>(old_position) < m_old_size &&
           m_old[old_position] == m_new[new_position];
  }

  // How far the current alignment resumes after the mismatch at `at`: the bytes to skip
  // plus the equal run after them, or 0 when it does not resume within resume_lookahead.
  uint64_t alignment_resumes(uint64_t at, uint64_t end, int64_t offset) const {
    for (uint64_t skip = 0; skip < resume_lookahead && at + skip < end; ++skip) {
      int64_t old_position = static_cast<int64_t>(at + skip) + offset;
      if (old_position < 0 || static_cast<uint64_t>(old_position) >= m_old_size)
        return 0;
      uint64_t run = common_prefix(m_new + at + skip, end - at - skip, m_old + old_position,
                                   m_old_size - static_cast<uint64_t>(old_position));
      if (run >= resume_run)
        return skip + run;
    }
    return 0;
  }

  // Scans new[begin, end) into instructions. A slice that starts past 0 starts with the
  // alignment of offset 0 (old and new at the same position), as the whole scan does: its
  // pending instruction must then begin at old[begin], not old[0], or everything up to its
  // first emitted instruction would be sent as extra bytes.
  void scan(uint64_t begin, uint64_t end, std::vector<Instruction>& out, ScanProgress& progress) {
    uint64_t scan = begin, length = 0, position = 0;
    int64_t last_offset = 0;
    uint64_t last_scan = begin, last_position = std::min(begin, m_old_size);
    uint64_t reported = begin;
    uint64_t misses = 0, since_search = 0;
    uint64_t released = begin;  // the scan reads nothing below last_scan again
    uint64_t until_stop_check = stop_check_interval;
    while (scan < end) {
      if (--until_stop_check == 0) {
        throw_if_stop_requested();
        until_stop_check = stop_check_interval;
      }
      uint64_t old_score = 0;
      uint64_t scored = scan += length;
      if (scan < end && since_search < resume_budget) {
        length = alignment_resumes(scan, end, last_offset);
        if (length > 0) {
          since_search += length;
          continue;
        }
      }
      bool can_reuse = false;
      for (; scan < end;) {
        if (can_reuse && length > reuse_length) {
          // The match found one byte back, one byte shorter: still the longest here
          // often enough, and a search costs a dozen cache misses.
          --length;
          ++position;
        } else {
          length = longest_match(scan, end, position);
          since_search = 0;
          if (--until_stop_check == 0) {
            throw_if_stop_requested();
            until_stop_check = stop_check_interval;
          }
        }
        for (; scored < scan + length; ++scored)
          if (same_at(scored, last_offset))
            ++old_score;
        if ((length == old_score && length != 0) || length > old_score + switch_margin)
          break;
        uint64_t step = 1;
        if (length < switch_margin && old_score < switch_margin) {
          ++misses;
          if (misses > skip_after_misses)
            step = std::min(skip_max, 1 + (misses - skip_after_misses) / 2);
        } else {
          misses = 0;
        }
        can_reuse = step == 1;
        for (uint64_t i = 0; i < step && scan < end; ++i, ++scan)
          if (scan < scored && same_at(scan, last_offset))
            --old_score;
        scored = std::max(scored, scan);
      }
      if (length == old_score && scan != end)
        continue;
      emit(last_scan, last_position, scan, position, end, out);
      Instruction& made = out.back();
      last_scan = made.new_start + made.add_length + made.copy_length;
      last_position = position - (scan - last_scan);
      last_offset = static_cast<int64_t>(position) - static_cast<int64_t>(scan);
      if (m_consumed && last_scan - released >= consumed_step) {
        m_consumed(released, last_scan);
        released = last_scan;
      }
      if (scan - reported >= (1u << 20)) {
        progress.add(scan - reported);
        reported = scan;
      }
    }
    progress.add(end - reported);
  }

 private:
  // Extends the previous match forward and the new one backward, and records the
  // instruction that runs from last_scan up to the start of the new match.
  void emit(uint64_t last_scan, uint64_t last_position, uint64_t scan, uint64_t position,
            uint64_t end, std::vector<Instruction>& out) const {
    uint64_t forward = 0;
    {
      int64_t score = 0, best = 0;
      for (uint64_t i = 0; last_scan + i < scan && last_position + i < m_old_size;) {
        if (m_old[last_position + i] == m_new[last_scan + i])
          ++score;
        ++i;
        if (score * 2 - static_cast<int64_t>(i) > best * 2 - static_cast<int64_t>(forward)) {
          best = score;
          forward = i;
        }
      }
    }
    uint64_t backward = 0;
    if (scan < end) {
      int64_t score = 0, best = 0;
      for (uint64_t i = 1; scan >= last_scan + i && position >= i; ++i) {
        if (m_old[position - i] == m_new[scan - i])
          ++score;
        if (score * 2 - static_cast<int64_t>(i) > best * 2 - static_cast<int64_t>(backward)) {
          best = score;
          backward = i;
        }
      }
    }
    if (last_scan + forward > scan - backward) {
      // The two extensions overlap: split the overlap where the bytes agree best.
      uint64_t overlap = (last_scan + forward) - (scan - backward);
      int64_t score = 0, best = 0;
      uint64_t split = 0;
      for (uint64_t i = 0; i < overlap; ++i) {
        uint64_t at = last_scan + forward - overlap + i;
        if (m_new[at] == m_old[last_position + forward - overlap + i])
          ++score;
        if (m_new[at] == m_old[position - backward + i])
          --score;
        if (score > best) {
          best = score;
          split = i + 1;
        }
      }
      forward += split - overlap;
      backward -= split;
    }
    Instruction instruction;
    instruction.new_start = last_scan;
    instruction.old_start = last_position;
    instruction.add_length = forward;
    instruction.copy_length = (scan - backward) - (last_scan + forward);
    out.push_back(instruction);
  }

  std::function<void(uint64_t, uint64_t)> m_consumed;
  const std::vector<SuffixPart<Index>>& m_parts;
  const uint8_t* m_old;
  uint64_t m_old_size;
  const uint8_t* m_new;
};

// Joins neighbours that one scan would have made as one instruction: an instruction with
// nothing to add only carries extra bytes, and one that continues the previous add where it
// ended (with no extra bytes between) extends it. Slices end at fixed points of the new
// file, so a match running across a slice border arrives in two parts; joined, the patch
// is the same for any number of threads.
void join_continuations(std::vector<Instruction>& list) {
  size_t kept = 0;
  for (size_t i = 0; i < list.size(); ++i) {
    const Instruction current = list[i];
    if (kept > 0) {
      Instruction& last = list[kept - 1];
      if (current.add_length == 0) {
        last.copy_length += current.copy_length;
        continue;
      }
      if (last.copy_length == 0 && current.old_start == last.old_start + last.add_length) {
        last.add_length += current.add_length;
        last.copy_length = current.copy_length;
        continue;
      }
    }
    list[kept++] = current;
  }
  list.resize(kept);
}

// Runs `work(0..count-1)` on up to `threads` threads (the caller's among them), each
// index once. The first exception is rethrown after every thread has ended.
template <class Work>
void run_indexed(uint64_t count, int threads, const Work& work) {
  std::atomic<uint64_t> next{0};
  std::mutex error_mutex;
  std::exception_ptr error;
  auto loop = [&] {
    for (uint64_t i = next++; i < count; i = next++) {
      try {
        work(i);
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!error)
          error = std::current_exception();
        next = count;  // the others stop at their next index
      }
    }
  };
  uint64_t helpers = std::min<uint64_t>(count, static_cast<uint64_t>(std::max(threads, 1))) - 1;
  std::vector<std::thread> workers;
  for (uint64_t i = 0; i < helpers; ++i)
    workers.emplace_back(loop);
  loop();
  for (auto& worker : workers)
    worker.join();
  if (error)
    std::rethrow_exception(error);
}

// The parts of the old file's index, fixed by its size: a cut at the middle, so that two
// threads sort at once (libdivsufsort itself uses one), costs one more binary search per
// lookup and a cut-short match at the middle, which small files need not pay.
constexpr uint64_t two_part_size = uint64_t{4} << 20;

template <class Index>
std::vector<SuffixPart<Index>> make_parts(const uint8_t* old_data, uint64_t old_size) {
  std::vector<SuffixPart<Index>> parts;
  uint64_t count = suffix_array_parts(old_size);
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t begin = old_size * i / count, end = old_size * (i + 1) / count;
    parts.emplace_back(old_data, begin, end - begin);
  }
  return parts;
}

// Sorts every part, then builds its prefix buckets; `done` counts the bytes indexed.
template <class Index>
void index_parts(std::vector<SuffixPart<Index>>& parts, int threads, std::atomic<uint64_t>& done) {
  run_indexed(parts.size(), threads, [&](uint64_t i) {
    SuffixPart<Index>& part = parts[i];
    build_suffix_array(part.data, part.size, part.suffixes.data());
    part.buckets =
        std::make_unique<PrefixBuckets<Index>>(part.suffixes.data(), part.data, part.size);
    done += part.size;
  });
}

// The index of the old file. libdivsufsort takes about a second per 10 MiB and cannot be
// interrupted, so with an owner of the bytes it runs on helper threads while this one
// reports progress and watches for a stop request: on a stop this throws at once, and the
// helpers, detached, end the sort over the bytes `owner` keeps alive and free their result
// (or die with the process, which is exiting).
template <class Index>
std::vector<SuffixPart<Index>> build_index(const uint8_t* old_data, uint64_t old_size,
                                           const MatchOptions& options, ProgressSink& progress) {
  throw_if_stop_requested();
  struct Job {
    std::mutex mutex;
    std::condition_variable finished;
    bool ended = false;
    std::atomic<uint64_t> done{0};
    std::vector<SuffixPart<Index>> parts;
    std::exception_ptr error;
    std::shared_ptr<const void> owner;
  };
  auto job = std::make_shared<Job>();
  job->parts = make_parts<Index>(old_data, old_size);
  if (!options.old_data_owner || old_size < (uint64_t{1} << 20)) {
    index_parts(job->parts, options.threads, job->done);
    progress.advance(old_size);
    throw_if_stop_requested();
    return std::move(job->parts);
  }
  job->owner = options.old_data_owner;
  std::thread([job, threads = options.threads] {
    try {
      index_parts(job->parts, threads, job->done);
    } catch (...) {
      job->error = std::current_exception();
    }
    std::lock_guard lock(job->mutex);
    job->ended = true;
    job->finished.notify_all();
  }).detach();
  uint64_t reported = 0;
  std::unique_lock lock(job->mutex);
  while (!job->finished.wait_for(lock, std::chrono::milliseconds(20), [&] { return job->ended; })) {
    throw_if_stop_requested();
    uint64_t done = job->done;
    progress.advance(done - reported);  // a sort gives no progress of its own: parts do
    reported = done;
  }
  if (job->error)
    std::rethrow_exception(job->error);
  progress.advance(job->done - reported);
  throw_if_stop_requested();
  return std::move(job->parts);
}

// Slices of the new file, fixed by its size: fewer and larger slices would cost less at the
// cuts but leave threads idle; a count that depended on the threads would change the patch.
constexpr uint64_t slice_size = uint64_t{4} << 20;

template <class Index>
std::vector<Instruction> scan_all(const uint8_t* old_data, uint64_t old_size,
                                  const uint8_t* new_data, uint64_t new_size,
                                  const MatchOptions& options, ProgressSink& progress) {
  progress.start("indexing", old_size);
  std::vector<SuffixPart<Index>> index = build_index<Index>(old_data, old_size, options, progress);
  progress.finish();

  progress.start("matching", new_size);
  Scanner<Index> scanner(index, old_data, old_size, new_data, options.consumed);
  uint64_t slices = std::max<uint64_t>(new_size / slice_size, 1);
  std::vector<std::vector<Instruction>> found(slices);
  ScanProgress scanned(progress);
  run_indexed(slices, options.threads, [&](uint64_t slice) {
    uint64_t begin = new_size * slice / slices;
    uint64_t end = new_size * (slice + 1) / slices;
    scanner.scan(begin, end, found[slice], scanned);
  });
  progress.finish();

  std::vector<Instruction> all = std::move(found[0]);
  for (uint64_t slice = 1; slice < slices; ++slice)
    all.insert(all.end(), found[slice].begin(), found[slice].end());
  join_continuations(all);
  return all;
}

}  // namespace

uint64_t suffix_array_parts(uint64_t old_size) {
  return old_size >= two_part_size ? 2 : 1;
}

uint64_t suffix_array_bytes(uint64_t old_size) {
  return old_size * (old_size <= index32_limit ? 4 : 8);
}

std::vector<Instruction> find_matches(const uint8_t* old_data, uint64_t old_size,
                                      const uint8_t* new_data, uint64_t new_size,
                                      const MatchOptions& options, ProgressSink& progress) {
  if (auto covered = cover_by_blocks(old_data, old_size, new_data, new_size, progress))
    return std::move(*covered);
  if (old_size <= index32_limit)
    return scan_all<int32_t>(old_data, old_size, new_data, new_size, options, progress);
  return scan_all<int64_t>(old_data, old_size, new_data, new_size, options, progress);
}

}  // namespace mpaas::delta
