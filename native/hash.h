// RFC 3074 load-balancing hash as Kea 2.2's HA hook applies it to DHCPv4 queries.

#ifndef NATIVE_HASH_H_
#define NATIVE_HASH_H_

#include <napi.h>

#include <cstddef>
#include <cstdint>

namespace nestor {

// Bucket value of a packet that has no load-balancing key (no client identifier and hlen 0, a
// packet shorter than the fixed BOOTP header, or hlen above 16).
constexpr uint32_t kNoKeyBucket = 0xffff;

uint8_t Rfc3074Hash(const uint8_t* key, size_t length);

// Computes the bucket of one DHCPv4 packet: the 8-bit hash of its key, or kNoKeyBucket. Reads only
// packet[0, length).
uint32_t PacketBucket(const uint8_t* packet, size_t length);

Napi::Value HashKeys(const Napi::CallbackInfo& info);
Napi::Value HashPackets(const Napi::CallbackInfo& info);

}  // namespace nestor

#endif  // NATIVE_HASH_H_
