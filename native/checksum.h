// Internet checksum (RFC 1071) helpers for the IPv4 header and the UDP pseudo-header sum.

#ifndef NATIVE_CHECKSUM_H_
#define NATIVE_CHECKSUM_H_

#include <cstddef>
#include <cstdint>

namespace nestor {

// Adds bytes[0, length) to sum as big-endian 16-bit words; an odd last byte is padded with 0.
// The result is not folded, so partial sums can be chained.
inline uint64_t SumWords(const uint8_t* bytes, size_t length, uint64_t sum) {
  size_t i = 0;
  for (; i + 1 < length; i += 2) sum += (static_cast<uint32_t>(bytes[i]) << 8) | bytes[i + 1];
  if (i < length) sum += static_cast<uint32_t>(bytes[i]) << 8;
  return sum;
}

// Folds a sum to 16 bits with end-around carry.
inline uint16_t FoldSum(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// Sum of the UDP pseudo-header (RFC 768): addresses, protocol 17 and UDP length.
inline uint64_t PseudoHeaderSum(uint32_t source, uint32_t destination, uint32_t udp_length) {
  return (source >> 16) + (source & 0xffff) + (destination >> 16) + (destination & 0xffff) + 17 +
         udp_length;
}

}  // namespace nestor

#endif  // NATIVE_CHECKSUM_H_
