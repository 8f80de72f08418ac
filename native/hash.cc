// Batched RFC 3074 hashing of DHCPv4 load-balancing keys.
//
// The key is the one Kea 2.2's HA hook uses: the whole payload of option 61 (client identifier,
// type byte included) when present and non-empty, else exactly hlen bytes of chaddr. Repeated
// option 61 instances are joined in order (RFC 3396). The hash is RFC 3074 section 6: start from
// the key length mod 256, then fold the key from its last byte to its first through the mixing
// table. Kea uses the 8-bit result directly (mod 2 for two servers).
//
// A packet shorter than 240 bytes or with hlen above 16 gets kNoKeyBucket. Options are walked only
// after a valid magic cookie, so a packet without one is keyed by chaddr. The walk stops at END or
// at an option that runs past the packet. Option overload (option 52) is not followed, so a client
// identifier inside sname or file is not seen.

#include "hash.h"

#include <cerrno>
#include <cstring>
#include <vector>

#include "args.h"
#include "meta.h"

namespace nestor {

namespace {

// RFC 3074 section 6 mixing table, a permutation of 0-255.
constexpr uint8_t kMixTable[256] = {
  251, 175, 119, 215,  81,  14,  79, 191, 103,  49, 181, 143, 186, 157,   0, 232,
   31,  32,  55,  60, 152,  58,  17, 237, 174,  70, 160, 144, 220,  90,  57, 223,
   59,   3,  18, 140, 111, 166, 203, 196, 134, 243, 124,  95, 222, 179, 197,  65,
  180,  48,  36,  15, 107,  46, 233, 130, 165,  30, 123, 161, 209,  23,  97,  16,
   40,  91, 219,  61, 100,  10, 210, 109, 250, 127,  22, 138,  29, 108, 244,  67,
  207,   9, 178, 204,  74,  98, 126, 249, 167, 116,  34,  77, 193, 200, 121,   5,
   20, 113,  71,  35, 128,  13, 182,  94,  25, 226, 227, 199,  75,  27,  41, 245,
  230, 224,  43, 225, 177,  26, 155, 150, 212, 142, 218, 115, 241,  73,  88, 105,
   39, 114,  62, 255, 192, 201, 145, 214, 168, 158, 221, 148, 154, 122,  12,  84,
   82, 163,  44, 139, 228, 236, 205, 242, 217,  11, 187, 146, 159,  64,  86, 239,
  195,  42, 106, 198, 118, 112, 184, 172,  87,   2, 173, 117, 176, 229, 247, 253,
  137, 185,  99, 164, 102, 147,  45,  66, 231,  52, 141, 211, 194, 206, 246, 238,
   56, 110,  78, 248,  63, 240, 189,  93,  92,  51,  53, 183,  19, 171,  72,  50,
   33, 104, 101,  69,   8, 252,  83, 120,  76, 135,  85,  54, 202, 125, 188, 213,
   96, 235, 136, 208, 162, 129, 190, 132, 156,  38,  47,   1,   7, 254,  24,   4,
  216, 131,  89,  21,  28, 133,  37, 153, 149,  80, 170,  68,   6, 169, 234, 151,
};

// BOOTP fixed header (RFC 2131 section 2): hlen at 2, chaddr at 28 (16 bytes), cookie at 236.
constexpr size_t kHlenOffset = 2;
constexpr size_t kChaddrOffset = 28;
constexpr size_t kChaddrSize = 16;
constexpr size_t kCookieOffset = 236;
constexpr size_t kOptionsOffset = 240;
constexpr uint8_t kMagicCookie[4] = {99, 130, 83, 99};

constexpr uint8_t kOptionPad = 0;
constexpr uint8_t kOptionEnd = 255;
constexpr uint8_t kOptionClientId = 61;

// Payload start offsets of the option 61 instances of the packet being hashed. Reused by every
// call on this thread, so it grows once to the largest count seen and then allocates no more.
thread_local std::vector<uint32_t> client_id_starts;

// Records the payload offset of every option 61 instance in packet and returns their total
// payload length (0 when there is none).
size_t FindClientIdParts(const uint8_t* packet, size_t length) {
  client_id_starts.clear();
  if (std::memcmp(packet + kCookieOffset, kMagicCookie, sizeof(kMagicCookie)) != 0) return 0;

  size_t total = 0;
  size_t at = kOptionsOffset;
  while (at < length) {
    const uint8_t code = packet[at];
    if (code == kOptionPad) {
      at += 1;
      continue;
    }
    if (code == kOptionEnd || at + 1 >= length) break;

    const size_t payload = at + 2;
    const size_t payload_length = packet[at + 1];
    if (payload + payload_length > length) break;  // truncated option: keep what came before

    if (code == kOptionClientId && payload_length > 0) {
      client_id_starts.push_back(static_cast<uint32_t>(payload));
      total += payload_length;
    }
    at = payload + payload_length;
  }
  return total;
}

// Hashes the concatenation of the recorded option 61 payloads, last byte first.
uint8_t HashClientIdParts(const uint8_t* packet, size_t total) {
  uint8_t hash = static_cast<uint8_t>(total & 0xff);
  for (size_t part = client_id_starts.size(); part-- > 0;) {
    const uint8_t* payload = packet + client_id_starts[part];
    for (size_t i = payload[-1]; i-- > 0;) hash = kMixTable[hash ^ payload[i]];
  }
  return hash;
}

}  // namespace

uint8_t Rfc3074Hash(const uint8_t* key, size_t length) {
  uint8_t hash = static_cast<uint8_t>(length & 0xff);
  for (size_t i = length; i-- > 0;) hash = kMixTable[hash ^ key[i]];
  return hash;
}

uint32_t PacketBucket(const uint8_t* packet, size_t length) {
  if (length < kOptionsOffset) return kNoKeyBucket;
  const size_t hlen = packet[kHlenOffset];
  if (hlen > kChaddrSize) return kNoKeyBucket;

  const size_t client_id_length = FindClientIdParts(packet, length);
  if (client_id_length > 0) return HashClientIdParts(packet, client_id_length);

  if (hlen == 0) return kNoKeyBucket;
  return Rfc3074Hash(packet + kChaddrOffset, hlen);
}

// hashKeys(keys: Uint8Array, ends: Uint32Array, count, out: Uint8Array): count or -EINVAL.
// Key i is keys[ends[i - 1], ends[i]), key 0 starts at 0.
Napi::Value HashKeys(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto keys = ReadBytes(info[0]);
  const auto ends = ReadWords(info[1]);
  const auto out = ReadBytes(info[3]);
  uint32_t count = 0;
  if (!keys.ok || !ends.ok || !out.ok || !ReadUint32(info[2], &count)) return InvalidArgument(env);
  if (ends.length < count || out.length < count) return InvalidArgument(env);

  uint32_t previous_end = 0;
  for (uint32_t i = 0; i < count; i++) {
    if (ends.data[i] < previous_end || ends.data[i] > keys.length) return InvalidArgument(env);
    previous_end = ends.data[i];
  }
  uint32_t start = 0;
  for (uint32_t i = 0; i < count; i++) {
    out.data[i] = Rfc3074Hash(keys.data + start, ends.data[i] - start);
    start = ends.data[i];
  }
  return Result(env, count);
}

// hashPackets(data: Uint8Array, meta: Uint32Array, count): count or -EINVAL. Reads OFFSET and
// LENGTH of each receive meta record and writes its BUCKET word.
Napi::Value HashPackets(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto data = ReadBytes(info[0]);
  const auto meta = ReadWords(info[1]);
  uint32_t count = 0;
  if (!data.ok || !meta.ok || !ReadUint32(info[2], &count)) return InvalidArgument(env);
  if (meta.length / kMetaWords < count) return InvalidArgument(env);

  for (uint32_t i = 0; i < count; i++) {
    const uint32_t* record = meta.data + i * kMetaWords;
    const uint64_t end = static_cast<uint64_t>(record[kRxOffset]) + record[kRxLength];
    if (end > data.length) return InvalidArgument(env);
  }
  for (uint32_t i = 0; i < count; i++) {
    uint32_t* record = meta.data + i * kMetaWords;
    record[kRxBucket] = PacketBucket(data.data + record[kRxOffset], record[kRxLength]);
  }
  return Result(env, count);
}

}  // namespace nestor
