// The block-hash fast path of find_matches (see block_cover.hpp).
#include "block_cover.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "byte_compare.hpp"
#include "mpaas/core/interrupt.hpp"

namespace mpaas::delta {
namespace {

// The block width is the hash's: 64 bytes for a 64-bit gear hash (below).
constexpr uint64_t block = 64;

// A gear hash: each byte adds a fixed random value to the hash shifted left by one, so a
// byte has shifted out 64 bytes later and the hash is that of the last 64 bytes, rolled on
// with one shift and one add per byte. The values come from splitmix64, fixed here so that
// patches never depend on anything but the inputs.
constexpr std::array<uint64_t, 256> make_gear() {
  std::array<uint64_t, 256> values{};
  uint64_t state = 0x6d706161735f6765;  // "mpaas_ge"
  for (auto& value : values) {
    state += 0x9E3779B97F4A7C15;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
    value = z ^ (z >> 31);
  }
  return values;
}
constexpr std::array<uint64_t, 256> gear = make_gear();

// The gear hash of `width` bytes, shifted by `shift` bits a byte: 64 / shift bytes reach it.
template <unsigned shift, uint64_t width>
uint64_t gear_hash(const uint8_t* bytes) {
  static_assert(shift * width == 64);
  uint64_t hash = 0;
  for (uint64_t i = 0; i < width; ++i)
    hash = (hash << shift) + gear[bytes[i]];
  return hash;
}

// Spreads a gear hash's bits (whose high bits carry its oldest bytes) over the high half,
// from which table slots are taken.
uint64_t spread(uint64_t hash) {
  return hash * 0x9E3779B97F4A7C15;
}

uint64_t hash_block(const uint8_t* bytes) {
  return gear_hash<1, block>(bytes);
}

// The old file's blocks by hash: open addressing, 8 bytes a slot (the hash's high half to
// reject most strangers without reading the old file, and the block's number), about 1.6
// slots a block; the first block of each content is kept.
class BlockTable {
 public:
  BlockTable(const uint8_t* old_data, uint64_t old_size) : m_old(old_data) {
    uint64_t blocks = old_size / block;
    uint64_t slots = 16;
    while (slots < blocks + blocks / 4)
      slots *= 2;
    m_slots.resize(slots);
    m_mask = slots - 1;
    for (uint64_t i = 0; i < blocks; ++i) {
      if (i % 65536 == 0)
        throw_if_stop_requested();
      insert(hash_block(old_data + i * block), i);
    }
  }

  // The old offset of a block equal to bytes[0, block), if any.
  std::optional<uint64_t> find(uint64_t hash, const uint8_t* bytes) const {
    for (uint64_t slot = index(hash);; slot = (slot + 1) & m_mask) {
      const Slot& entry = m_slots[slot];
      if (entry.number_plus_one == 0)
        return std::nullopt;
      uint64_t offset = (entry.number_plus_one - 1) * block;
      if (entry.check == check_of(hash) && std::memcmp(m_old + offset, bytes, block) == 0)
        return offset;
    }
  }

 private:
  struct Slot {
    uint32_t check = 0;
    uint32_t number_plus_one = 0;  // 0: empty
  };

  static uint32_t check_of(uint64_t hash) { return static_cast<uint32_t>(hash >> 32); }
  uint64_t index(uint64_t hash) const { return spread(hash) >> 32 & m_mask; }

  void insert(uint64_t hash, uint64_t number) {
    for (uint64_t slot = index(hash);; slot = (slot + 1) & m_mask) {
      Slot& entry = m_slots[slot];
      if (entry.number_plus_one == 0) {
        entry = {check_of(hash), static_cast<uint32_t>(number + 1)};
        return;
      }
      // A block seen before (zero padding, repeated tables): the first one serves.
      if (entry.check == check_of(hash) && std::memcmp(m_old + (entry.number_plus_one - 1) * block,
                                                       m_old + number * block, block) == 0)
        return;
    }
  }

  const uint8_t* m_old;
  std::vector<Slot> m_slots;
  uint64_t m_mask = 0;
};

struct Cover {
  uint64_t new_start, old_start, length;
  int64_t diagonal() const {
    return static_cast<int64_t>(old_start) - static_cast<int64_t>(new_start);
  }
};

// The scan: covers in new-file order, or nothing once more than `budget` bytes are sure to
// stay uncovered.
std::optional<std::vector<Cover>> find_covers(const BlockTable& table, const uint8_t* old_data,
                                              uint64_t old_size, const uint8_t* new_data,
                                              uint64_t new_size, uint64_t budget) {
  std::vector<Cover> covers;
  uint64_t uncovered = 0, covered_end = 0, position = 0;
  uint64_t hash = hash_block(new_data);
  while (position + block <= new_size) {
    if (auto old_at = table.find(hash, new_data + position)) {
      uint64_t start = position, old_start = *old_at;
      while (start > covered_end && old_start > 0 &&
             old_data[old_start - 1] == new_data[start - 1]) {
        --start;
        --old_start;
      }
      uint64_t length = position - start + block;
      length += common_prefix(old_data + old_start + length, old_size - old_start - length,
                              new_data + start + length, new_size - start - length);
      uncovered += start - covered_end;
      covers.push_back({start, old_start, length});
      covered_end = position = start + length;
      throw_if_stop_requested();
      if (position + block <= new_size)
        hash = hash_block(new_data + position);
      continue;
    }
    // A later hit extends back over at most the block it starts with: past that, the bytes
    // rolled over stay uncovered.
    ++position;
    if (position - covered_end > block && uncovered + (position - covered_end - block) > budget)
      return std::nullopt;
    if (position + block <= new_size)
      hash = (hash << 1) + gear[new_data[position + block - 1]];
  }
  uncovered += new_size - covered_end;
  if (uncovered > budget)
    return std::nullopt;
  return covers;
}

// Short matches for the bytes between covers (a rewritten line that reuses names found all
// over the old file): the 16-byte windows of those bytes are hashed, one rolling pass over
// the old file notes where each of them occurs, and each gap is then covered greedily by
// the longest exact match at each point. Gaps are at most a thousandth of the new file, so
// this costs about one pass over the old file.
constexpr uint64_t gram = 16;
constexpr uint64_t candidates_per_gram = 8;

// A gear hash again, shifted by 4 bits a byte so that it spans `gram` bytes: one shift and
// one add per byte of the old file.
uint64_t hash_gram(const uint8_t* bytes) {
  return gear_hash<4, gram>(bytes);
}

// Most old windows are not wanted: a bit per hash bucket (32 KiB, in the first-level cache)
// rejects them before the table is looked at.
class WantedFilter {
 public:
  void add(uint64_t hash) { m_bits[bucket(hash) / 64] |= uint64_t{1} << (bucket(hash) % 64); }
  bool may_have(uint64_t hash) const {
    return (m_bits[bucket(hash) / 64] >> (bucket(hash) % 64)) & 1;
  }

 private:
  static uint64_t bucket(uint64_t hash) { return spread(hash) >> (64 - 18); }
  std::vector<uint64_t> m_bits = std::vector<uint64_t>((uint64_t{1} << 18) / 64);
};

class GapIndex {
 public:
  explicit GapIndex(uint64_t grams) {
    uint64_t slots = 16;
    while (slots < grams * 2)
      slots *= 2;
    m_slots.resize(slots);
    m_mask = slots - 1;
  }
  void want(uint64_t hash) {
    Slot& slot = find_slot(hash);
    slot.used = true;
    slot.hash = hash;
  }
  // Notes an old offset for a wanted hash (its first few occurrences).
  void offer(uint64_t hash, uint64_t offset) {
    Slot& slot = find_slot(hash);
    if (slot.used && slot.count < candidates_per_gram)
      slot.offsets[slot.count++] = offset;
  }
  const uint64_t* candidates(uint64_t hash, size_t& count) {
    Slot& slot = find_slot(hash);
    count = slot.used ? slot.count : 0;
    return slot.offsets;
  }

 private:
  struct Slot {
    bool used = false;
    uint8_t count = 0;
    uint64_t hash = 0;
    uint64_t offsets[candidates_per_gram] = {};
  };
  Slot& find_slot(uint64_t hash) {
    for (uint64_t slot = spread(hash) >> 32 & m_mask;; slot = (slot + 1) & m_mask)
      if (!m_slots[slot].used || m_slots[slot].hash == hash)
        return m_slots[slot];
  }
  std::vector<Slot> m_slots;
  uint64_t m_mask = 0;
};

struct Gap {
  uint64_t begin, end;
};

std::vector<Gap> gaps_between(const std::vector<Cover>& covers, uint64_t new_size) {
  std::vector<Gap> gaps;
  uint64_t at = 0;
  for (const Cover& cover : covers) {
    if (cover.new_start > at)
      gaps.push_back({at, cover.new_start});
    at = cover.new_start + cover.length;
  }
  if (at < new_size)
    gaps.push_back({at, new_size});
  return gaps;
}

std::vector<Cover> cover_gaps(const uint8_t* old_data, uint64_t old_size, const uint8_t* new_data,
                              const std::vector<Gap>& gaps) {
  uint64_t grams = 0;
  for (const Gap& gap : gaps)
    grams += gap.end - gap.begin >= gram ? gap.end - gap.begin - gram + 1 : 0;
  std::vector<Cover> found;
  if (grams == 0 || old_size < gram)
    return found;
  GapIndex index(grams);
  WantedFilter wanted;
  for (const Gap& gap : gaps) {
    for (uint64_t at = gap.begin; at + gram <= gap.end; ++at) {
      uint64_t hash = hash_gram(new_data + at);
      index.want(hash);
      wanted.add(hash);
    }
  }
  // The hash after byte i is that of the window ending there (i + 1 - gram .. i).
  uint64_t hash = 0;
  for (uint64_t at = 0; at < old_size; ++at) {
    hash = (hash << 4) + gear[old_data[at]];
    if (at + 1 >= gram && wanted.may_have(hash))
      index.offer(hash, at + 1 - gram);
    if (at % (uint64_t{1} << 20) == 0)
      throw_if_stop_requested();
  }
  for (const Gap& gap : gaps) {
    for (uint64_t at = gap.begin; at + gram <= gap.end;) {
      size_t count = 0;
      const uint64_t* offsets = index.candidates(hash_gram(new_data + at), count);
      uint64_t best_length = 0, best_offset = 0;
      for (size_t i = 0; i < count; ++i) {
        uint64_t length = common_prefix(old_data + offsets[i], old_size - offsets[i], new_data + at,
                                        gap.end - at);
        if (length > best_length) {
          best_length = length;
          best_offset = offsets[i];
        }
      }
      if (best_length < gram) {
        ++at;
        continue;
      }
      found.push_back({at, best_offset, best_length});
      at += best_length;
    }
  }
  return found;
}

// Covers on one diagonal with bytes between them (a substitution: "5.4.4" -> "5.4.5") become
// one add, the changed bytes its differences; the rest between covers is extra bytes.
std::vector<Instruction> instructions_of(std::vector<Cover> covers, uint64_t new_size) {
  std::vector<Cover> merged;
  for (const Cover& cover : covers) {
    if (!merged.empty() && merged.back().diagonal() == cover.diagonal()) {
      merged.back().length = cover.new_start + cover.length - merged.back().new_start;
      continue;
    }
    merged.push_back(cover);
  }
  // Patches start reading the old file at 0 (there is no seek before the first add): a
  // first cover elsewhere needs an instruction before it, empty if need be, to seek there.
  std::vector<Instruction> list;
  if (merged.empty())
    return {{0, 0, 0, new_size}};
  if (merged.front().new_start > 0 || merged.front().old_start > 0)
    list.push_back({0, 0, 0, merged.front().new_start});
  for (size_t i = 0; i < merged.size(); ++i) {
    const Cover& cover = merged[i];
    uint64_t next = i + 1 < merged.size() ? merged[i + 1].new_start : new_size;
    list.push_back(
        {cover.new_start, cover.old_start, cover.length, next - cover.new_start - cover.length});
  }
  return list;
}

}  // namespace

std::optional<std::vector<Instruction>> cover_by_blocks(const uint8_t* old_data, uint64_t old_size,
                                                        const uint8_t* new_data, uint64_t new_size,
                                                        ProgressSink& progress) {
  // Block numbers are 32-bit: 256 GiB of old file.
  if (new_size < block_cover_min_size || old_size < block || old_size / block >= UINT32_MAX)
    return std::nullopt;
  BlockTable table(old_data, old_size);
  auto covers = find_covers(table, old_data, old_size, new_data, new_size, new_size / 1024);
  if (!covers)
    return std::nullopt;
  std::vector<Cover> short_ones =
      cover_gaps(old_data, old_size, new_data, gaps_between(*covers, new_size));
  covers->insert(covers->end(), short_ones.begin(), short_ones.end());
  std::sort(covers->begin(), covers->end(),
            [](const Cover& a, const Cover& b) { return a.new_start < b.new_start; });
  // A few hundredths of a second per 10 MiB: the phase is reported when it has succeeded,
  // so that a scan that gives up leaves no bar behind.
  progress.start("matching", new_size);
  progress.advance(new_size);
  progress.finish();
  return instructions_of(std::move(*covers), new_size);
}

}  // namespace mpaas::delta
