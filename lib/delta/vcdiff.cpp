// VCDIFF (RFC 3284) reading and writing (see vcdiff.hpp).
#include "mpaas/delta/vcdiff.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <optional>
#include <tuple>

#include "mpaas/core/error.hpp"
#include "mpaas/core/interrupt.hpp"

namespace mpaas::delta {
namespace {

// ---- the RFC's fixed parts ----

constexpr uint8_t header_secondary = 0x01;   // VCD_DECOMPRESS: a secondary compressor id follows
constexpr uint8_t header_code_table = 0x02;  // VCD_CODETABLE
constexpr uint8_t header_app = 0x04;         // xdelta3's VCD_APPHEADER
constexpr uint8_t window_source = 0x01;      // VCD_SOURCE
constexpr uint8_t window_target = 0x02;      // VCD_TARGET
constexpr uint8_t window_adler32 = 0x04;     // xdelta3's VCD_ADLER32

enum Type : uint8_t { noop = 0, add = 1, run_type = 2, copy = 3 };

struct Half {
  Type type = noop;
  uint8_t size = 0;  // 0: the size follows in the instruction section
  uint8_t mode = 0;  // COPY's address mode
};

struct Code {
  Half first, second;
};

constexpr size_t near_slots = 4;
constexpr size_t same_slots = 3;
constexpr uint8_t modes = 2 + near_slots + same_slots;  // self, here, near 0-3, same 0-2

// The default code table of RFC 3284 section 5.6.
const std::array<Code, 256>& default_code_table() {
  static const std::array<Code, 256> table = [] {
    std::array<Code, 256> codes{};
    size_t at = 0;
    codes[at++] = {{run_type, 0, 0}, {}};
    for (uint8_t size = 0; size <= 17; ++size)
      codes[at++] = {{add, size, 0}, {}};
    for (uint8_t mode = 0; mode < modes; ++mode) {
      codes[at++] = {{copy, 0, mode}, {}};
      for (uint8_t size = 4; size <= 18; ++size)
        codes[at++] = {{copy, size, mode}, {}};
    }
    for (uint8_t mode = 0; mode < 6; ++mode)
      for (uint8_t add_size = 1; add_size <= 4; ++add_size)
        for (uint8_t copy_size = 4; copy_size <= 6; ++copy_size)
          codes[at++] = {{add, add_size, 0}, {copy, copy_size, mode}};
    for (uint8_t mode = 6; mode < modes; ++mode)
      for (uint8_t add_size = 1; add_size <= 4; ++add_size)
        codes[at++] = {{add, add_size, 0}, {copy, 4, mode}};
    for (uint8_t mode = 0; mode < modes; ++mode)
      codes[at++] = {{copy, 4, mode}, {add, 1, 0}};
    return codes;
  }();
  return table;
}

// The address cache of RFC 3284 section 5.3, the same on both sides.
class AddressCache {
 public:
  void update(uint64_t address) {
    m_near[m_next] = address;
    m_next = (m_next + 1) % near_slots;
    m_same[address % m_same.size()] = address;
  }
  uint64_t near(size_t slot) const { return m_near[slot]; }
  uint64_t same(size_t index) const { return m_same[index]; }

 private:
  std::array<uint64_t, near_slots> m_near{};
  size_t m_next = 0;
  std::array<uint64_t, same_slots * 256> m_same{};
};

void put_integer(std::string& out, uint64_t value) {
  uint8_t bytes[10];
  size_t count = 0;
  do {
    bytes[count++] = static_cast<uint8_t>(value & 0x7f);
    value >>= 7;
  } while (value != 0);
  while (count > 1)
    out.push_back(static_cast<char>(bytes[--count] | 0x80));
  out.push_back(static_cast<char>(bytes[0]));
}

size_t integer_size(uint64_t value) {
  size_t size = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++size;
  }
  return size;
}

// ---- reading ----

[[noreturn]] void malformed(const std::string& what, const std::string& name) {
  throw invalid_input("VCDIFF patch is malformed: " + what + " (" + name + ")", name);
}

[[noreturn]] void unsupported(const std::string& what, const std::string& name) {
  throw invalid_input("VCDIFF patch uses " + what + ", which mpaas does not read (" + name + ")",
                      name);
}

// Sequential reading of a range of the patch through a small buffer.
class Reader {
 public:
  Reader(const RandomInput& patch, uint64_t begin, uint64_t end, std::string what,
         const std::string& name)
      : m_patch(patch), m_at(begin), m_end(end), m_what(std::move(what)), m_name(name) {}

  bool done() const { return m_pos == m_buffer.size() && m_at == m_end; }
  uint64_t position() const { return m_at - (m_buffer.size() - m_pos); }

  uint8_t byte() {
    if (m_pos == m_buffer.size())
      refill();
    return m_buffer[m_pos++];
  }

  // An RFC 3284 integer: base 128, most significant group first, at most 64 bits.
  uint64_t integer() {
    uint64_t value = 0;
    for (int count = 0; count < 10; ++count) {
      uint8_t b = byte();
      if (value > (UINT64_MAX >> 7))
        malformed("an integer in the " + m_what + " overflows", m_name);
      value = (value << 7) | (b & 0x7f);
      if (!(b & 0x80))
        return value;
    }
    malformed("an integer in the " + m_what + " is too long", m_name);
  }

  void bytes(uint8_t* out, uint64_t size) {
    while (size > 0) {
      if (m_pos == m_buffer.size())
        refill();
      size_t take = static_cast<size_t>(std::min<uint64_t>(size, m_buffer.size() - m_pos));
      std::memcpy(out, m_buffer.data() + m_pos, take);
      m_pos += take;
      out += take;
      size -= take;
    }
  }

 private:
  void refill() {
    if (m_at >= m_end)
      malformed("the " + m_what + " ends early", m_name);
    size_t take = static_cast<size_t>(std::min<uint64_t>(m_end - m_at, 64 << 10));
    m_buffer.resize(take);
    m_patch.read_at(m_at, m_buffer.data(), take);
    m_at += take;
    m_pos = 0;
  }

  const RandomInput& m_patch;
  uint64_t m_at, m_end;
  std::string m_what;
  const std::string& m_name;
  std::vector<uint8_t> m_buffer;
  size_t m_pos = 0;
};

struct WindowHeader {
  uint8_t indicator = 0;
  uint64_t source_length = 0, source_offset = 0;
  uint64_t target_length = 0;
  uint64_t data_length = 0, instructions_length = 0, addresses_length = 0;
  std::optional<uint32_t> adler;
  uint64_t sections_at = 0;  // patch offset of the data section
};

// The file header; returns the offset of the first window.
uint64_t read_file_header(const RandomInput& patch, const std::string& name) {
  Reader in(patch, 0, patch.size(), "header", name);
  uint8_t magic[4];
  in.bytes(magic, 4);
  if (std::memcmp(magic, vcdiff_magic, 3) != 0)
    malformed("no VCDIFF magic", name);
  if (magic[3] != 0)
    unsupported("VCDIFF version " + std::to_string(magic[3]), name);
  uint8_t indicator = in.byte();
  if (indicator & ~(header_secondary | header_code_table | header_app))
    malformed("unknown header indicator bits", name);
  if (indicator & header_secondary)
    unsupported("secondary compression (make it with xdelta3 -e -S none)", name);
  if (indicator & header_code_table)
    unsupported("a custom code table", name);
  if (indicator & header_app) {
    uint64_t length = in.integer();
    if (length > patch.size())
      malformed("the application header runs past the end", name);
    for (uint64_t i = 0; i < length; ++i)
      in.byte();
  }
  return in.position();
}

WindowHeader read_window_header(const RandomInput& patch, uint64_t at, uint64_t old_size,
                                const std::string& name) {
  Reader in(patch, at, patch.size(), "window header", name);
  WindowHeader window;
  window.indicator = in.byte();
  if (window.indicator & ~(window_source | window_target | window_adler32))
    malformed("unknown window indicator bits", name);
  if (window.indicator & window_target)
    unsupported("a window copying from earlier output (VCD_TARGET)", name);
  if (window.indicator & window_source) {
    window.source_length = in.integer();
    window.source_offset = in.integer();
    if (window.source_offset > old_size || window.source_length > old_size - window.source_offset)
      malformed("a window's source segment lies outside the old file (" + std::to_string(old_size) +
                    " bytes)",
                name);
  }
  uint64_t encoding_length = in.integer();
  uint64_t encoding_start = in.position();
  window.target_length = in.integer();
  if (window.target_length > vcdiff_max_window)
    unsupported("a window of " + std::to_string(window.target_length) + " bytes (at most " +
                    std::to_string(vcdiff_max_window) + ")",
                name);
  if (in.byte() != 0)
    unsupported("secondary compression of a window's sections (make it with xdelta3 -e -S none)",
                name);
  window.data_length = in.integer();
  window.instructions_length = in.integer();
  window.addresses_length = in.integer();
  if (window.indicator & window_adler32) {
    uint8_t bytes[4];
    in.bytes(bytes, 4);
    window.adler = static_cast<uint32_t>(bytes[0]) << 24 | static_cast<uint32_t>(bytes[1]) << 16 |
                   static_cast<uint32_t>(bytes[2]) << 8 | bytes[3];
  }
  window.sections_at = in.position();
  uint64_t rest = patch.size() - window.sections_at;
  if (window.data_length > rest || window.instructions_length > rest - window.data_length ||
      window.addresses_length > rest - window.data_length - window.instructions_length)
    malformed("a window's sections run past the end of the patch", name);
  uint64_t sections = window.data_length + window.instructions_length + window.addresses_length;
  if (encoding_length != window.sections_at - encoding_start + sections)
    malformed("a window's encoding length does not add up", name);
  return window;
}

// Rebuilds one window's bytes into `target`.
class WindowDecoder {
 public:
  WindowDecoder(const WindowHeader& window, const uint8_t* old_data, const RandomInput& patch,
                const std::string& name, std::vector<uint8_t>& target)
      : m_window(window),
        m_source(old_data + window.source_offset),
        m_name(name),
        m_data(patch, window.sections_at, window.sections_at + window.data_length, "data section",
               name),
        m_instructions(patch, window.sections_at + window.data_length,
                       window.sections_at + window.data_length + window.instructions_length,
                       "instruction section", name),
        m_addresses(patch, window.sections_at + window.data_length + window.instructions_length,
                    window.sections_at + window.data_length + window.instructions_length +
                        window.addresses_length,
                    "address section", name),
        m_target(target) {}

  void run() {
    const auto& table = default_code_table();
    m_target.resize(static_cast<size_t>(m_window.target_length));
    uint64_t count = 0;
    while (!m_instructions.done()) {
      if (++count % (1 << 20) == 0)
        throw_if_stop_requested();
      const Code& code = table[m_instructions.byte()];
      perform(code.first);
      perform(code.second);
    }
    if (m_written != m_window.target_length)
      malformed("a window's instructions make " + std::to_string(m_written) + " bytes, not " +
                    std::to_string(m_window.target_length),
                m_name);
    if (!m_data.done() || !m_addresses.done())
      malformed("a window has unused data or addresses", m_name);
  }

 private:
  void perform(const Half& half) {
    if (half.type == noop)
      return;
    uint64_t size = half.size != 0 ? half.size : m_instructions.integer();
    if (size > m_window.target_length - m_written)
      malformed("an instruction writes past its window's end", m_name);
    uint8_t* out = m_target.data() + m_written;
    switch (half.type) {
      case add:
        m_data.bytes(out, size);
        break;
      case run_type:
        std::memset(out, m_data.byte(), static_cast<size_t>(size));
        break;
      case copy:
        copy_from(address(half.mode), out, size);
        break;
      case noop:
        break;
    }
    m_written += size;
  }

  // The COPY address, decoded in its mode (RFC 3284 section 5.3); it must lie before HERE.
  uint64_t address(uint8_t mode) {
    uint64_t here = m_window.source_length + m_written;
    uint64_t address = 0;
    if (mode == 0) {
      address = m_addresses.integer();
    } else if (mode == 1) {
      uint64_t back = m_addresses.integer();
      if (back > here)
        malformed("a COPY address lies before the window", m_name);
      address = here - back;
    } else if (mode < 2 + near_slots) {
      uint64_t offset = m_addresses.integer();
      address = m_cache.near(mode - 2) + offset;
      if (address < offset)
        malformed("a COPY address overflows", m_name);
    } else {
      address = m_cache.same(static_cast<size_t>(mode - 2 - near_slots) * 256 + m_addresses.byte());
    }
    if (address >= here)
      malformed("a COPY reads bytes not yet written", m_name);
    m_cache.update(address);
    return address;
  }

  // From the source segment, then from the window itself; a copy from the window may overlap
  // what it writes (a repeated pattern), so that part goes byte by byte.
  void copy_from(uint64_t address, uint8_t* out, uint64_t size) {
    uint64_t source = m_window.source_length;
    if (address < source) {
      uint64_t take = std::min(size, source - address);
      std::memcpy(out, m_source + address, static_cast<size_t>(take));
      out += take;
      size -= take;
      address += take;
      if (size == 0)
        return;  // wholly in the source: no window position to point at
    }
    const uint8_t* from = m_target.data() + (address - source);
    for (uint64_t i = 0; i < size; ++i)
      out[i] = from[i];
  }

  const WindowHeader& m_window;
  const uint8_t* m_source;
  const std::string& m_name;
  Reader m_data, m_instructions, m_addresses;
  std::vector<uint8_t>& m_target;
  uint64_t m_written = 0;
  AddressCache m_cache;
};

// ---- writing ----

constexpr uint64_t shortest_copy = 6;  // shorter equal runs cost more as COPYs than as ADDs
constexpr uint64_t shortest_run = 8;

struct Op {
  Type type = add;
  uint64_t target = 0;  // where it writes, in the new file
  uint64_t size = 0;
  uint64_t source = 0;  // COPY: where it reads, in the old file
};

// Appends an ADD of new[at, +size), or RUNs where a byte repeats, joining a previous ADD.
void add_literal(std::vector<Op>& ops, const uint8_t* new_data, uint64_t at, uint64_t size) {
  uint64_t end = at + size;
  while (at < end) {
    uint64_t same = 1;
    while (at + same < end && new_data[at + same] == new_data[at])
      ++same;
    if (same >= shortest_run) {
      ops.push_back({run_type, at, same, 0});
      at += same;
      continue;
    }
    if (!ops.empty() && ops.back().type == add && ops.back().target + ops.back().size == at)
      ops.back().size += same;
    else
      ops.push_back({add, at, same, 0});
    at += same;
  }
}

// The matcher's instructions as VCDIFF operations: within an instruction's approximate
// match, runs of equal bytes become COPYs and differing stretches ADDs.
std::vector<Op> operations(const uint8_t* old_data, const uint8_t* new_data,
                           const std::vector<Instruction>& instructions) {
  std::vector<Op> ops;
  for (const auto& instruction : instructions) {
    throw_if_stop_requested();
    const uint8_t* from = old_data + instruction.old_start;
    const uint8_t* to = new_data + instruction.new_start;
    uint64_t i = 0, pending = 0;  // pending: start of bytes not yet placed
    while (i < instruction.add_length) {
      if (from[i] != to[i]) {
        ++i;
        continue;
      }
      uint64_t equal = i;
      while (equal < instruction.add_length && from[equal] == to[equal])
        ++equal;
      if (equal - i >= shortest_copy) {
        if (i > pending)
          add_literal(ops, new_data, instruction.new_start + pending, i - pending);
        ops.push_back({copy, instruction.new_start + i, equal - i, instruction.old_start + i});
        pending = equal;
      }
      i = equal;
    }
    if (instruction.add_length > pending)
      add_literal(ops, new_data, instruction.new_start + pending, instruction.add_length - pending);
    if (instruction.copy_length > 0)
      add_literal(ops, new_data, instruction.new_start + instruction.add_length,
                  instruction.copy_length);
  }
  return ops;
}

// Opcodes of the default table, by what they do.
class OpcodeIndex {
 public:
  OpcodeIndex() {
    const auto& table = default_code_table();
    for (size_t code = 0; code < table.size(); ++code) {
      const auto& [first, second] = table[code];
      m_codes[key(first, second)] = static_cast<uint8_t>(code);
    }
  }
  std::optional<uint8_t> find(const Half& first, const Half& second = {}) const {
    auto found = m_codes.find(key(first, second));
    if (found == m_codes.end())
      return std::nullopt;
    return found->second;
  }

 private:
  using Key = std::tuple<uint8_t, uint8_t, uint8_t, uint8_t, uint8_t, uint8_t>;
  static Key key(const Half& a, const Half& b) {
    return {a.type, a.size, a.mode, b.type, b.size, b.mode};
  }
  std::map<Key, uint8_t> m_codes;
};

class WindowEncoder {
 public:
  WindowEncoder(const OpcodeIndex& opcodes, uint64_t source_offset, uint64_t source_length)
      : m_opcodes(opcodes), m_source_offset(source_offset), m_source_length(source_length) {}

  void add_bytes(const uint8_t* bytes, uint64_t size) {
    m_data.append(reinterpret_cast<const char*>(bytes), static_cast<size_t>(size));
    emit({add, 0, 0}, size);
  }
  void run_of(uint8_t byte, uint64_t size) {
    m_data.push_back(static_cast<char>(byte));
    emit({run_type, 0, 0}, size);
  }
  void copy_of(uint64_t old_position, uint64_t size) {
    uint64_t address = old_position - m_source_offset;
    emit({copy, 0, encode_address(address)}, size);
  }

  // The window: header fields after the indicator, then the three sections.
  std::string finish(uint64_t target_length, uint32_t adler) {
    flush_pending();
    std::string body;
    put_integer(body, target_length);
    body.push_back(0);  // no secondary compression
    put_integer(body, m_data.size());
    put_integer(body, m_instructions.size());
    put_integer(body, m_addresses.size());
    for (int shift = 24; shift >= 0; shift -= 8)
      body.push_back(static_cast<char>((adler >> shift) & 0xff));
    std::string window;
    window.push_back(static_cast<char>(window_adler32 | (m_source_length ? window_source : 0)));
    if (m_source_length) {
      put_integer(window, m_source_length);
      put_integer(window, m_source_offset);
    }
    put_integer(window, body.size() + m_data.size() + m_instructions.size() + m_addresses.size());
    window += body;
    window += m_data;
    window += m_instructions;
    window += m_addresses;
    return window;
  }

 private:
  // The cheapest mode for an address (RFC 3284 section 5.3), its bytes written, the cache
  // updated as the decoder will.
  uint8_t encode_address(uint64_t address) {
    uint64_t here = m_source_length + m_written;
    uint8_t best_mode = 0;
    uint64_t best_value = address;
    size_t best_size = integer_size(address);
    auto consider = [&](uint8_t mode, uint64_t value, size_t size) {
      if (size < best_size) {
        best_mode = mode;
        best_value = value;
        best_size = size;
      }
    };
    consider(1, here - address, integer_size(here - address));
    for (size_t slot = 0; slot < near_slots; ++slot) {
      uint64_t base = m_cache.near(slot);
      if (address >= base)
        consider(static_cast<uint8_t>(2 + slot), address - base, integer_size(address - base));
    }
    size_t same_index = address % (same_slots * 256);
    if (m_cache.same(same_index) == address)
      consider(static_cast<uint8_t>(2 + near_slots + same_index / 256), same_index % 256, 1);
    if (best_mode >= 2 + near_slots)
      m_addresses.push_back(static_cast<char>(best_value));
    else
      put_integer(m_addresses, best_value);
    m_cache.update(address);
    return best_mode;
  }

  // Instructions wait one step, so that an ADD and a COPY (or a COPY and an ADD) that a
  // double opcode covers share one byte.
  void emit(Half half, uint64_t size) {
    m_written += size;
    Half sized = half;
    sized.size = size <= 255 ? static_cast<uint8_t>(size) : 0;
    if (m_pending) {
      if (auto code = m_opcodes.find(m_pending->first, sized)) {
        m_instructions.push_back(static_cast<char>(*code));
        m_pending.reset();
        return;
      }
      flush_pending();
    }
    m_pending = std::pair{sized, size};
  }

  void flush_pending() {
    if (!m_pending)
      return;
    auto [half, size] = *m_pending;
    m_pending.reset();
    if (half.size != 0) {
      if (auto code = m_opcodes.find(half)) {
        m_instructions.push_back(static_cast<char>(*code));
        return;
      }
    }
    half.size = 0;  // the size follows the opcode
    m_instructions.push_back(static_cast<char>(*m_opcodes.find(half)));
    put_integer(m_instructions, size);
  }

  const OpcodeIndex& m_opcodes;
  uint64_t m_source_offset, m_source_length;
  uint64_t m_written = 0;
  AddressCache m_cache;
  std::optional<std::pair<Half, uint64_t>> m_pending;
  std::string m_data, m_instructions, m_addresses;
};

// The operations in [first, last) clipped to the window [begin, end) of the new file.
Op clipped(const Op& op, uint64_t begin, uint64_t end) {
  Op part = op;
  uint64_t from = std::max(op.target, begin), to = std::min(op.target + op.size, end);
  part.target = from;
  part.size = to - from;
  if (op.type == copy)
    part.source = op.source + (from - op.target);
  return part;
}

std::string encode_window(const OpcodeIndex& opcodes, const uint8_t* new_data,
                          const std::vector<Op>& ops, size_t first, size_t last, uint64_t begin,
                          uint64_t end) {
  uint64_t low = UINT64_MAX, high = 0;
  for (size_t i = first; i < last; ++i) {
    Op part = clipped(ops[i], begin, end);
    if (part.type == copy && part.size > 0) {
      low = std::min(low, part.source);
      high = std::max(high, part.source + part.size);
    }
  }
  bool has_source = low < high;
  WindowEncoder encoder(opcodes, has_source ? low : 0, has_source ? high - low : 0);
  for (size_t i = first; i < last; ++i) {
    Op part = clipped(ops[i], begin, end);
    if (part.size == 0)
      continue;
    if (part.type == copy)
      encoder.copy_of(part.source, part.size);
    else if (part.type == run_type)
      encoder.run_of(new_data[part.target], part.size);
    else
      encoder.add_bytes(new_data + part.target, part.size);
  }
  return encoder.finish(end - begin, adler32(1, new_data + begin, end - begin));
}

}  // namespace

bool is_vcdiff_magic(const uint8_t* bytes, size_t size) {
  return size >= 3 && std::memcmp(bytes, vcdiff_magic, 3) == 0;
}

uint32_t adler32(uint32_t adler, const uint8_t* data, size_t size) {
  constexpr uint32_t base = 65521;
  constexpr size_t most_before_overflow = 5552;
  uint32_t a = adler & 0xffff, b = adler >> 16;
  while (size > 0) {
    size_t take = std::min(size, most_before_overflow);
    size -= take;
    for (size_t i = 0; i < take; ++i) {
      a += data[i];
      b += a;
    }
    data += take;
    a %= base;
    b %= base;
  }
  return (b << 16) | a;
}

uint64_t write_vcdiff(const uint8_t* old_data, uint64_t, const uint8_t* new_data, uint64_t new_size,
                      const std::vector<Instruction>& instructions, const ByteSink& out,
                      ProgressSink& progress, uint64_t window) {
  static const OpcodeIndex opcodes;
  window = std::clamp<uint64_t>(window, 1, vcdiff_max_window);
  std::string header(reinterpret_cast<const char*>(vcdiff_magic), 4);
  header.push_back(0);  // no secondary compressor, default code table, no application header
  out(reinterpret_cast<const uint8_t*>(header.data()), header.size());
  auto ops = operations(old_data, new_data, instructions);
  progress.start("encoding", new_size);
  uint64_t windows = 0;
  size_t first = 0;
  for (uint64_t begin = 0; begin < new_size; begin += window) {
    throw_if_stop_requested();
    uint64_t end = std::min(new_size, begin + window);
    while (first < ops.size() && ops[first].target + ops[first].size <= begin)
      ++first;
    size_t last = first;
    while (last < ops.size() && ops[last].target < end)
      ++last;
    auto bytes = encode_window(opcodes, new_data, ops, first, last, begin, end);
    out(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    progress.advance(end - begin);
    ++windows;
  }
  progress.finish();
  return windows;
}

uint64_t vcdiff_new_size(const RandomInput& patch, const std::string& name) {
  uint64_t at = read_file_header(patch, name), total = 0;
  while (at < patch.size()) {
    WindowHeader window = read_window_header(patch, at, UINT64_MAX, name);
    total += window.target_length;
    at = window.sections_at + window.data_length + window.instructions_length +
         window.addresses_length;
  }
  return total;
}

VcdiffSummary apply_vcdiff(const uint8_t* old_data, uint64_t old_size, const RandomInput& patch,
                           const std::string& name, const ByteSink& out, uint64_t max_new_size,
                           ProgressSink& progress) {
  VcdiffSummary summary;
  summary.checksums = true;
  uint64_t at = read_file_header(patch, name);
  std::vector<uint8_t> target;
  progress.start("patching", patch.size());
  while (at < patch.size()) {
    throw_if_stop_requested();
    WindowHeader window = read_window_header(patch, at, old_size, name);
    if (window.target_length > max_new_size - summary.new_size)
      throw invalid_input("patch makes a new file over the limit of " +
                              std::to_string(max_new_size) + " bytes (" + name + ")",
                          name);
    WindowDecoder(window, old_data, patch, name, target).run();
    if (window.adler && adler32(1, target.data(), target.size()) != *window.adler)
      throw verification_failed("window " + std::to_string(summary.windows) +
                                    " of the patched file fails its Adler-32 check: the old "
                                    "file is likely not the one the patch was made from (" +
                                    name + ")",
                                name);
    summary.checksums = summary.checksums && window.adler.has_value();
    out(target.data(), target.size());
    summary.new_size += window.target_length;
    uint64_t next = window.sections_at + window.data_length + window.instructions_length +
                    window.addresses_length;
    progress.advance(next - at);
    at = next;
    ++summary.windows;
  }
  progress.finish();
  return summary;
}

}  // namespace mpaas::delta
