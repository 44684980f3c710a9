// Branch-target filters for machine code. When code moves between releases, every relative
// call or branch across the move changes its displacement; rewriting those displacements as
// absolute targets before matching makes the old and new code match again. x86-64: the rel32
// of E8 (call) and E9 (jmp). ARM64: the imm26 of BL and the page offset of ADRP. Both are
// bijections (only values in a bounded range are rewritten, into the same range), so decoding
// restores the exact bytes whatever the input; they never change the size.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mpaas/delta/byte_io.hpp"
#include "mpaas/delta/matcher.hpp"

namespace mpaas::delta {

enum class Filter : uint8_t { none = 0, x86_64 = 1, arm64 = 2 };

std::string filter_name(Filter filter);
// Parses "none", "x86-64", "arm64"; "auto" is handled by the caller.
Filter parse_filter(const std::string& name);
// The filter that suits an ELF, Mach-O or PE executable's CPU, else none.
Filter detect_filter(std::string_view data);

// Whether `filter` would likely make a smaller patch than no filter, judged from an
// unfiltered diff's instructions: of the branches that line up in copied regions, do more
// keep their absolute target (what the filter makes equal) than their displacement?
bool branch_filter_promising(Filter filter, const uint8_t* old_data, uint64_t old_size,
                             const uint8_t* new_data, const std::vector<Instruction>& matches);

// branch_filter_promising on a sample instead of a whole diff: about 512 KiB from the middle
// of the new file's code (its executable ELF sections, else the whole file) against three
// times as much of the old file's code around the same relative place. Costs a few
// hundredths of a second where a second full diff would cost as much as the first.
bool filter_promising_on_sample(Filter filter, const uint8_t* old_data, uint64_t old_size,
                                const uint8_t* new_data, uint64_t new_size);

// Rewrites `data` (a whole file starting at offset 0) in place.
void filter_encode(Filter filter, uint8_t* data, uint64_t size);

// What filter_encode would make of a file, read in ranges without rewriting it: apply reads
// the old file this way, so that the file stays a read-only mapping (a private copy of every
// page cost twice the reading of it) and can be hashed at the same time. ARM64 rewrites
// aligned words on their own; for x86-64 a first pass notes where filter_encode rewrites a
// displacement (a few percent of the bytes), since that depends on the bytes before.
class FilteredView {
 public:
  FilteredView(Filter filter, const uint8_t* data, uint64_t size);
  // The filtered bytes [offset, offset + length) into `out`; the range lies in the file.
  void read(uint64_t offset, uint8_t* out, size_t length) const;

 private:
  void rewrite_x86(uint64_t offset, uint8_t* out, size_t length) const;
  void rewrite_arm64(uint64_t offset, uint8_t* out, size_t length) const;

  Filter m_filter;
  const uint8_t* m_data;
  uint64_t m_size;
  std::vector<uint64_t> m_x86_rewrites;  // offsets of the E8/E9 whose displacement changes
};

// Undoes filter_encode on a stream of bytes written in order, passing them on to `next`.
class FilterDecoder {
 public:
  FilterDecoder(Filter filter, ByteSink next) : m_filter(filter), m_next(std::move(next)) {}
  void write(const uint8_t* data, size_t size);
  // Passes on the held-back tail; call once at the end.
  void finish();

 private:
  size_t decode(uint8_t* data, size_t size, bool final);

  Filter m_filter;
  ByteSink m_next;
  uint64_t m_position = 0;  // offset in the file of m_pending[0]
  std::vector<uint8_t> m_pending;
};

}  // namespace mpaas::delta
