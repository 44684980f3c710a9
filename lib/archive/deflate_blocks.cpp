// Walking a raw deflate stream's blocks (see deflate_blocks.hpp). Codes are decoded with
// one flat lookup table per Huffman code (2^longest-code entries of symbol and length), the
// bit buffer is topped up to 57+ bits once per symbol, which covers a literal/length code,
// its extra bits, a distance code and its extra bits (15 + 5 + 15 + 13 bits).
#include "mpaas/archive/deflate_blocks.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>
#include <vector>

#include "mpaas/core/error.hpp"

namespace mpaas::archive {
namespace {

[[noreturn]] void malformed(const char* what) {
  throw failure(std::string("malformed deflate stream: ") + what);
}

class BitReader {
 public:
  BitReader(const uint8_t* data, size_t size) : m_data(data), m_size(size) {}

  // Tops the buffer up to at least 57 bits. Bytes past the end read as zeros (the checks on
  // position() catch a stream that needed them); a walk far past the end is stopped.
  void refill() {
    if (std::endian::native == std::endian::little && m_next + 8 <= m_size) {
      uint64_t word;
      std::memcpy(&word, m_data + m_next, sizeof word);
      m_bits |= word << m_count;
      m_next += (63 - m_count) / 8;
      m_count |= 56;
      return;
    }
    while (m_count <= 56) {
      if (m_next > m_size + 64)
        malformed("it runs past its end");
      uint64_t byte = m_next < m_size ? m_data[m_next] : 0;
      m_bits |= byte << m_count;
      m_count += 8;
      ++m_next;
    }
  }
  uint32_t peek(unsigned count) const {
    return static_cast<uint32_t>(m_bits & ((uint64_t{1} << count) - 1));
  }
  void skip(unsigned count) {
    m_bits >>= count;
    m_count -= count;
  }
  uint32_t take(unsigned count) {
    if (m_count < count)
      refill();
    uint32_t value = peek(count);
    skip(count);
    return value;
  }
  uint64_t position() const { return uint64_t{m_next} * 8 - m_count; }
  void align_to_byte() { skip(m_count % 8); }
  void seek_byte(size_t byte) {
    m_next = byte;
    m_bits = 0;
    m_count = 0;
  }

 private:
  const uint8_t* m_data;
  size_t m_size;
  size_t m_next = 0;  // the next byte to load into the buffer
  uint64_t m_bits = 0;
  unsigned m_count = 0;
};

class HuffmanTable {
 public:
  // Builds the table from code lengths (0: symbol unused). Over-subscribed lengths are
  // refused; an incomplete code is allowed (deflate permits one), its holes fail on use.
  void build(const uint8_t* lengths, unsigned count) {
    unsigned per_length[16] = {};
    unsigned longest = 1;
    for (unsigned symbol = 0; symbol < count; ++symbol) {
      ++per_length[lengths[symbol]];
      longest = std::max<unsigned>(longest, lengths[symbol]);
    }
    per_length[0] = 0;
    int left = 1;
    unsigned next_code[16] = {};
    unsigned code = 0;
    for (unsigned length = 1; length < 16; ++length) {
      left = 2 * left - static_cast<int>(per_length[length]);
      if (left < 0)
        malformed("over-subscribed code");
      code = (code + per_length[length - 1]) << 1;
      next_code[length] = code;
    }
    m_bits = longest;
    m_table.assign(size_t{1} << longest, 0);
    for (unsigned symbol = 0; symbol < count; ++symbol) {
      unsigned length = lengths[symbol];
      if (length == 0)
        continue;
      unsigned reversed = reverse(next_code[length]++, length);
      for (size_t i = reversed; i < m_table.size(); i += size_t{1} << length)
        m_table[i] = static_cast<uint16_t>(symbol << 4 | length);
    }
  }

  // Needs at least 15 bits in the reader.
  unsigned decode(BitReader& reader) const {
    uint16_t entry = m_table[reader.peek(m_bits)];
    if (entry == 0)
      malformed("unknown code");
    reader.skip(entry & 15u);
    return entry >> 4;
  }

 private:
  static unsigned reverse(unsigned code, unsigned length) {
    unsigned reversed = 0;
    for (unsigned i = 0; i < length; ++i, code >>= 1)
      reversed = (reversed << 1) | (code & 1);
    return reversed;
  }

  unsigned m_bits = 1;
  std::vector<uint16_t> m_table;
};

const HuffmanTable& fixed_literals() {
  static const HuffmanTable table = [] {
    uint8_t lengths[288];
    std::memset(lengths, 8, 144);
    std::memset(lengths + 144, 9, 112);
    std::memset(lengths + 256, 7, 24);
    std::memset(lengths + 280, 8, 8);
    HuffmanTable built;
    built.build(lengths, 288);
    return built;
  }();
  return table;
}

const HuffmanTable& fixed_distances() {
  static const HuffmanTable table = [] {
    uint8_t lengths[32];
    std::memset(lengths, 5, 32);
    HuffmanTable built;
    built.build(lengths, 32);
    return built;
  }();
  return table;
}

void read_dynamic_tables(BitReader& reader, HuffmanTable& literals, HuffmanTable& distances) {
  static const uint8_t order[19] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                    11, 4,  12, 3, 13, 2, 14, 1, 15};
  unsigned literal_count = reader.take(5) + 257;
  unsigned distance_count = reader.take(5) + 1;
  unsigned code_length_count = reader.take(4) + 4;
  if (literal_count > 286 || distance_count > 30)
    malformed("too many codes");
  uint8_t code_lengths[19] = {};
  for (unsigned i = 0; i < code_length_count; ++i)
    code_lengths[order[i]] = static_cast<uint8_t>(reader.take(3));
  HuffmanTable code_length_table;
  code_length_table.build(code_lengths, 19);

  uint8_t lengths[286 + 30] = {};
  unsigned total = literal_count + distance_count;
  for (unsigned i = 0; i < total;) {
    reader.refill();
    unsigned symbol = code_length_table.decode(reader);
    if (symbol < 16) {
      lengths[i++] = static_cast<uint8_t>(symbol);
      continue;
    }
    uint8_t value = 0;
    unsigned repeat = 0;
    if (symbol == 16) {
      if (i == 0)
        malformed("repeat with nothing before");
      value = lengths[i - 1];
      repeat = 3 + reader.take(2);
    } else {
      repeat = symbol == 17 ? 3 + reader.take(3) : 11 + reader.take(7);
    }
    if (i + repeat > total)
      malformed("code lengths overflow");
    std::memset(lengths + i, value, repeat);
    i += repeat;
  }
  if (lengths[256] == 0)
    malformed("no end-of-block code");
  literals.build(lengths, literal_count);
  distances.build(lengths + literal_count, distance_count);
}

// Skips literals and matches up to and including the end-of-block code.
void skip_symbols(BitReader& reader, const HuffmanTable& literals, const HuffmanTable& distances) {
  static const uint8_t length_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                           2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
  static const uint8_t distance_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                             6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
  for (;;) {
    reader.refill();
    unsigned symbol = literals.decode(reader);
    if (symbol < 256)
      continue;
    if (symbol == 256)
      return;
    symbol -= 257;
    if (symbol >= 29)
      malformed("bad length code");
    reader.skip(length_extra[symbol]);
    unsigned distance = distances.decode(reader);
    if (distance >= 30)
      malformed("bad distance code");
    reader.skip(distance_extra[distance]);
  }
}

void skip_stored(BitReader& reader, size_t size) {
  reader.align_to_byte();
  uint32_t length = reader.take(16);
  uint32_t complement = reader.take(16);
  if ((length ^ 0xffffu) != complement)
    malformed("stored length does not match its complement");
  uint64_t byte = reader.position() / 8 + length;
  if (byte > size)
    malformed("stored block runs past the end");
  reader.seek_byte(static_cast<size_t>(byte));
}

}  // namespace

FinalBlock locate_final_block(const uint8_t* data, size_t size) {
  BitReader reader(data, size);
  HuffmanTable literals;
  HuffmanTable distances;
  for (;;) {
    uint64_t start = reader.position();
    uint32_t header = reader.take(3);
    switch (header >> 1) {
      case 0:
        skip_stored(reader, size);
        break;
      case 1:
        skip_symbols(reader, fixed_literals(), fixed_distances());
        break;
      case 2:
        read_dynamic_tables(reader, literals, distances);
        skip_symbols(reader, literals, distances);
        break;
      default:
        malformed("reserved block type");
    }
    if (reader.position() > uint64_t{size} * 8)
      malformed("it runs past its end");
    if ((header & 1) != 0)
      return {start, reader.position()};
  }
}

}  // namespace mpaas::archive
