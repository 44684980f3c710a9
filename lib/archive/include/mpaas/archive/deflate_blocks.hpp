// Finds where the final block of a raw deflate stream (RFC 1951) starts and ends, by
// walking its block headers and Huffman codes without producing any output: about three
// times faster than inflating. ParallelDeflater needs the two positions to join complete
// libdeflate streams into one. It checks the structure it walks (code tables, symbols,
// lengths, the end of the input) and throws on a malformed stream, but it does not check
// match distances against the window: it is not a validator, and not a decoder.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mpaas::archive {

struct FinalBlock {
  uint64_t start_bit = 0;  // the first bit of the final block's header (its final flag)
  uint64_t end_bit = 0;    // the bit just after its end-of-block code (or stored data)
};

// Bits count from the least significant bit of data[0], as deflate packs them.
FinalBlock locate_final_block(const uint8_t* data, size_t size);

}  // namespace mpaas::archive
