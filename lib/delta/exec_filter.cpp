// The x86-64 and ARM64 branch-target filters (see exec_filter.hpp for the idea).
#include "mpaas/delta/exec_filter.hpp"

#include <algorithm>
#include <cstring>

#include "mpaas/core/error.hpp"
#include "mpaas/core/interrupt.hpp"

namespace mpaas::delta {
namespace {

// Little-endian, inlined: this runs once per byte of machine code on every diff and patch.
uint32_t load32(const uint8_t* p) {
  uint32_t value = static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
                   static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
  return value;
}
void store32(uint8_t* p, uint32_t value) {
  for (int i = 0; i < 4; ++i)
    p[i] = static_cast<uint8_t>(value >> (8 * i));
}

// x86: displacements in [-2^24, 2^24) (top byte 00 or FF) map to the same set by adding the
// position modulo 2^25, so the rewrite is reversible and leaves other values alone.
bool is_near_displacement(uint32_t value) {
  uint32_t top = value >> 24;
  return top == 0 || top == 0xFF;
}
uint32_t sign_extend_25(uint32_t value) {
  value &= 0x01FFFFFF;
  return (value & 0x01000000) ? (value | 0xFE000000) : value;
}
bool is_x86_branch(uint8_t opcode) {
  return opcode == 0xE8 || opcode == 0xE9;
}

// Whether any of the 8 bytes at `p` is E8 or E9: (byte | 1) == E9 exactly for those two, and
// the classic zero-byte test finds a zero in (word | 01..01) ^ E9..E9. Branch opcodes are a
// few percent of machine code, so the scan skips most words whole (patch and diff both run
// it over every byte of the file).
bool has_x86_branch(const uint8_t* p) {
  constexpr uint64_t ones = 0x0101010101010101, highs = 0x8080808080808080;
  uint64_t word;
  std::memcpy(&word, p, 8);
  uint64_t x = (word | ones) ^ (ones * 0xE9);
  return ((x - ones) & ~x & highs) != 0;
}

// Walks the E8/E9 opcodes of data[0, size) as x86-64 code runs them: `visit(i)` for each
// whose 4-byte displacement lies inside, then on past that displacement. Returns how many
// bytes are final (with `final` false, an opcode too near the end stops the walk there:
// the next buffer starts with it). The bytes `visit` may rewrite are the ones skipped.
template <class Visit>
size_t walk_x86_branches(const uint8_t* data, size_t size, bool final, Visit visit) {
  size_t i = 0;
  while (i < size) {
    while (i + 8 <= size && !has_x86_branch(data + i))
      i += 8;
    if (i >= size)
      break;
    if (!is_x86_branch(data[i])) {
      ++i;
      continue;
    }
    if (i + 5 > size)
      return final ? size : i;
    visit(i);
    i += 5;
  }
  return i;
}

// Processes data[0, size) whose first byte sits at file offset `base`; returns how many
// bytes are final (the rest may be the start of an instruction cut by the buffer's end).
size_t code_x86(uint8_t* data, size_t size, uint64_t base, bool encode, bool final) {
  return walk_x86_branches(data, size, final, [&](size_t i) {
    uint32_t value = load32(data + i + 1);
    if (!is_near_displacement(value))
      return;
    uint32_t next_instruction = static_cast<uint32_t>(base + i + 5);
    value = encode ? value + next_instruction : value - next_instruction;
    store32(data + i + 1, sign_extend_25(value));
  });
}

size_t code_arm64(uint8_t* data, size_t size, uint64_t base, bool encode) {
  // Instructions are 4-byte aligned from the start of the file.
  size_t i = static_cast<size_t>((4 - base % 4) % 4);
  for (; i + 4 <= size; i += 4) {
    uint32_t instruction = load32(data + i);
    uint64_t position = base + i;
    if ((instruction & 0xFC000000) == 0x94000000) {  // BL imm26 (words)
      uint32_t word = static_cast<uint32_t>(position >> 2);
      uint32_t target = instruction & 0x03FFFFFF;
      target = encode ? target + word : target - word;
      store32(data + i, 0x94000000 | (target & 0x03FFFFFF));
    } else if ((instruction & 0x9F000000) == 0x90000000) {  // ADRP immhi:immlo (pages)
      uint32_t page = static_cast<uint32_t>(position >> 12);
      uint32_t immediate = ((instruction >> 3) & 0x001FFFFC) | ((instruction >> 29) & 3);
      immediate = (encode ? immediate + page : immediate - page) & 0x001FFFFF;
      instruction &= 0x9F00001F;
      instruction |= (immediate & 3) << 29;
      instruction |= (immediate >> 2) << 5;
      store32(data + i, instruction);
    }
  }
  return i;
}

struct BranchVotes {
  uint64_t same_displacement = 0;
  uint64_t same_target = 0;
};

// x86-64: E8/E9 at the same place in both files, displacement and target compared.
void vote_x86(const uint8_t* old_data, const uint8_t* new_data, const Instruction& match,
              BranchVotes& votes) {
  for (uint64_t i = 0; i + 5 <= match.add_length; ++i) {
    uint64_t at_new = match.new_start + i, at_old = match.old_start + i;
    if (!is_x86_branch(new_data[at_new]) || old_data[at_old] != new_data[at_new])
      continue;
    uint32_t new_value = load32(new_data + at_new + 1), old_value = load32(old_data + at_old + 1);
    if (!is_near_displacement(new_value))
      continue;
    votes.same_displacement += new_value == old_value;
    votes.same_target += new_value - old_value == static_cast<uint32_t>(at_old - at_new);
    i += 4;
  }
}

// ARM64: BL (in words) and ADRP (in pages), on 4-byte aligned instructions.
void vote_arm64(const uint8_t* old_data, const uint8_t* new_data, const Instruction& match,
                BranchVotes& votes) {
  uint64_t first = (4 - match.new_start % 4) % 4;
  if ((match.old_start + first) % 4 != 0)
    return;
  auto page_immediate = [](uint32_t word) {
    return ((word >> 3) & 0x001FFFFC) | ((word >> 29) & 3);
  };
  for (uint64_t i = first; i + 4 <= match.add_length; i += 4) {
    uint64_t at_new = match.new_start + i, at_old = match.old_start + i;
    uint32_t new_word = load32(new_data + at_new), old_word = load32(old_data + at_old);
    if ((new_word & 0xFC000000) == 0x94000000 && (old_word & 0xFC000000) == 0x94000000) {
      votes.same_displacement += new_word == old_word;
      votes.same_target +=
          ((new_word + (at_new >> 2)) & 0x03FFFFFF) == ((old_word + (at_old >> 2)) & 0x03FFFFFF);
    } else if ((new_word & 0x9F00001F) == (old_word & 0x9F00001F) &&
               (new_word & 0x9F000000) == 0x90000000) {
      votes.same_displacement += new_word == old_word;
      votes.same_target += ((page_immediate(new_word) + (at_new >> 12)) & 0x001FFFFF) ==
                           ((page_immediate(old_word) + (at_old >> 12)) & 0x001FFFFF);
    }
  }
}

// A byte range of a file, [begin, end).
struct Span {
  uint64_t begin = 0;
  uint64_t end = 0;
};

// The file range holding an ELF64 (little-endian) file's executable sections, or the whole
// file for anything else. Every field is checked against the file: it is untrusted input.
Span code_span(const uint8_t* data, uint64_t size) {
  Span whole{0, size};
  constexpr uint64_t section_entry = 64;
  if (size < 64 ||
      std::memcmp(data,
                  "\x7f"
                  "ELF",
                  4) != 0 ||
      data[4] != 2 || data[5] != 1)
    return whole;
  uint64_t table = get_u64(data + 0x28);
  uint64_t entry_size = get_u16(data + 0x3A), count = get_u16(data + 0x3C);
  if (entry_size < section_entry || table > size || count > (size - table) / entry_size)
    return whole;
  Span code{size, 0};
  for (uint64_t i = 0; i < count; ++i) {
    const uint8_t* section = data + table + i * entry_size;
    constexpr uint32_t no_bits = 8;
    constexpr uint64_t executable = 4;
    uint64_t offset = get_u64(section + 0x18), length = get_u64(section + 0x20);
    if (get_u32(section + 4) == no_bits || !(get_u64(section + 8) & executable) || offset > size ||
        length > size - offset || length == 0)
      continue;
    code.begin = std::min(code.begin, offset);
    code.end = std::max(code.end, offset + length);
  }
  return code.begin < code.end ? code : whole;
}

constexpr uint64_t sample_size = uint64_t{512} << 10;

// The new file's sample: sample_size bytes from the middle of its code.
Span new_sample(const uint8_t* data, uint64_t size) {
  Span code = code_span(data, size);
  uint64_t length = std::min(sample_size, code.end - code.begin);
  uint64_t begin = code.begin + (code.end - code.begin - length) / 2;
  return {begin, begin + length};
}

// Where the sample's code should lie in the old file: at the same relative place in its
// code, with room either side for code that moved.
Span old_window(const uint8_t* data, uint64_t size, Span new_code, Span sample) {
  Span code = code_span(data, size);
  uint64_t new_length = std::max<uint64_t>(new_code.end - new_code.begin, 1);
  uint64_t middle_in_new = (sample.begin + sample.end) / 2 - new_code.begin;
  // 128-bit product: sizes may reach 2^62.
  auto scaled = static_cast<uint64_t>(static_cast<unsigned __int128>(middle_in_new) *
                                      (code.end - code.begin) / new_length);
  uint64_t middle = code.begin + scaled;
  uint64_t half = 3 * (sample.end - sample.begin) / 2;
  uint64_t begin = middle > half ? middle - half : 0;
  uint64_t end = std::min(size, middle + half);
  return {begin, std::max(begin, end)};
}

}  // namespace

std::string filter_name(Filter filter) {
  switch (filter) {
    case Filter::none:
      return "none";
    case Filter::x86_64:
      return "x86-64";
    case Filter::arm64:
      return "arm64";
  }
  return "unknown";
}

Filter parse_filter(const std::string& name) {
  if (name == "none")
    return Filter::none;
  if (name == "x86-64" || name == "x86_64")
    return Filter::x86_64;
  if (name == "arm64" || name == "aarch64")
    return Filter::arm64;
  throw usage_error("unknown filter '" + name + "', expected auto, none, x86-64 or arm64",
                    "filter");
}

Filter detect_filter(std::string_view data) {
  auto byte = [&](size_t i) { return static_cast<uint8_t>(data[i]); };
  if (data.size() >= 20 && data.substr(0, 4) ==
                               "\x7f"
                               "ELF") {
    uint16_t machine = static_cast<uint16_t>(byte(18) | (byte(19) << 8));
    if (machine == 0x3E)
      return Filter::x86_64;
    if (machine == 0xB7)
      return Filter::arm64;
    return Filter::none;
  }
  if (data.size() >= 8 && byte(0) == 0xCF && byte(1) == 0xFA && byte(2) == 0xED &&
      byte(3) == 0xFE) {
    uint32_t cpu = get_u32(reinterpret_cast<const uint8_t*>(data.data()) + 4);
    if (cpu == 0x01000007)
      return Filter::x86_64;
    if (cpu == 0x0100000C)
      return Filter::arm64;
  }
  return Filter::none;
}

void filter_encode(Filter filter, uint8_t* data, uint64_t size) {
  if (filter == Filter::none)
    return;
  // In pieces (a multiple of 4, so ARM64 words stay aligned) with a stop-request check
  // between them; an x86 instruction cut by a piece's end is coded with the next piece.
  constexpr uint64_t piece = uint64_t{4} << 20;
  uint64_t done = 0;
  while (done < size) {
    throw_if_stop_requested();
    uint64_t length = std::min(piece, size - done);
    bool last = done + length == size;
    if (filter == Filter::x86_64)
      done += code_x86(data + done, static_cast<size_t>(length), done, true, last);
    else {
      size_t coded = code_arm64(data + done, static_cast<size_t>(length), done, true);
      done = last ? size : done + coded;
    }
  }
}

FilteredView::FilteredView(Filter filter, const uint8_t* data, uint64_t size)
    : m_filter(filter), m_data(data), m_size(size) {
  if (filter != Filter::x86_64)
    return;
  // The walk of code_x86, noting instead of rewriting (the original bytes decide the same
  // places, since a rewrite only changes bytes the walk skips); in pieces, with a stop
  // check between them, as filter_encode does.
  constexpr uint64_t piece = uint64_t{16} << 20;
  for (uint64_t done = 0; done < size;) {
    throw_if_stop_requested();
    uint64_t length = std::min(piece, size - done);
    const uint8_t* start = data + done;
    uint64_t base = done;
    done +=
        walk_x86_branches(start, static_cast<size_t>(length), done + length == size, [&](size_t i) {
          if (is_near_displacement(load32(start + i + 1)))
            m_x86_rewrites.push_back(base + i);
        });
  }
}

void FilteredView::read(uint64_t offset, uint8_t* out, size_t length) const {
  std::memcpy(out, m_data + offset, length);
  if (m_filter == Filter::x86_64)
    rewrite_x86(offset, out, length);
  else if (m_filter == Filter::arm64)
    rewrite_arm64(offset, out, length);
}

// A rewritten displacement is the 4 bytes after its opcode: those that fall in the range.
void FilteredView::rewrite_x86(uint64_t offset, uint8_t* out, size_t length) const {
  uint64_t end = offset + length;
  auto first =
      std::lower_bound(m_x86_rewrites.begin(), m_x86_rewrites.end(), offset >= 4 ? offset - 4 : 0);
  for (auto it = first; it != m_x86_rewrites.end() && *it + 1 < end; ++it) {
    uint64_t at = *it;
    uint32_t value = load32(m_data + at + 1) + static_cast<uint32_t>(at + 5);
    uint8_t bytes[4];
    store32(bytes, sign_extend_25(value));
    for (uint64_t k = 0; k < 4; ++k) {
      uint64_t position = at + 1 + k;
      if (position >= offset && position < end)
        out[position - offset] = bytes[k];
    }
  }
}

// Whole words from the 4-aligned one at or before the range, each coded on its own.
void FilteredView::rewrite_arm64(uint64_t offset, uint8_t* out, size_t length) const {
  uint64_t end = offset + length;
  for (uint64_t word = offset & ~uint64_t{3}; word < end && word + 4 <= m_size; word += 4) {
    uint8_t bytes[4];
    std::memcpy(bytes, m_data + word, 4);
    code_arm64(bytes, 4, word, true);
    for (uint64_t k = 0; k < 4; ++k) {
      uint64_t position = word + k;
      if (position >= offset && position < end)
        out[position - offset] = bytes[k];
    }
  }
}

size_t FilterDecoder::decode(uint8_t* data, size_t size, bool final) {
  if (m_filter == Filter::x86_64)
    return code_x86(data, size, m_position, false, final);
  if (m_filter == Filter::arm64) {
    size_t done = code_arm64(data, size, m_position, false);
    return final ? size : done;
  }
  return size;
}

void FilterDecoder::write(const uint8_t* data, size_t size) {
  if (m_filter == Filter::none) {
    m_next(data, size);
    return;
  }
  m_pending.insert(m_pending.end(), data, data + size);
  size_t done = decode(m_pending.data(), m_pending.size(), false);
  if (done == 0)
    return;
  m_next(m_pending.data(), done);
  m_pending.erase(m_pending.begin(), m_pending.begin() + static_cast<std::ptrdiff_t>(done));
  m_position += done;
}

void FilterDecoder::finish() {
  if (m_pending.empty())
    return;
  size_t done = decode(m_pending.data(), m_pending.size(), true);
  m_next(m_pending.data(), done);
  m_position += done;
  m_pending.clear();
}

bool branch_filter_promising(Filter filter, const uint8_t* old_data, uint64_t old_size,
                             const uint8_t* new_data, const std::vector<Instruction>& matches) {
  BranchVotes votes;
  for (size_t i = 0; i < matches.size(); ++i) {
    const Instruction& match = matches[i];
    if (i % 4096 == 0)
      throw_if_stop_requested();
    if (match.old_start + match.add_length > old_size)
      continue;
    if (filter == Filter::x86_64)
      vote_x86(old_data, new_data, match, votes);
    else if (filter == Filter::arm64)
      vote_arm64(old_data, new_data, match, votes);
  }
  return votes.same_target > votes.same_displacement;
}

}  // namespace mpaas::delta

namespace mpaas::delta {

bool filter_promising_on_sample(Filter filter, const uint8_t* old_data, uint64_t old_size,
                                const uint8_t* new_data, uint64_t new_size) {
  if (filter == Filter::none)
    return false;
  Span sample = new_sample(new_data, new_size);
  Span window = old_window(old_data, old_size, code_span(new_data, new_size), sample);
  NullProgress quiet;
  auto matches = find_matches(old_data + window.begin, window.end - window.begin,
                              new_data + sample.begin, sample.end - sample.begin, {}, quiet);
  // Branch positions count (ARM64 alignment and pages): back to whole-file offsets.
  for (auto& match : matches) {
    match.old_start += window.begin;
    match.new_start += sample.begin;
  }
  return branch_filter_promising(filter, old_data, old_size, new_data, matches);
}

}  // namespace mpaas::delta
