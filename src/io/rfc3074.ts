// TypeScript twin of native/hash.cc: the RFC 3074 load-balancing hash with Kea 2.2's key rules.
// The unit tests check that both give the same buckets; bucket.ts uses this one when the addon is
// not built.
//
// Key, as in Kea 2.2's HA query filter: the whole payload of option 61 (client identifier, type
// byte included) when present and non-empty, with repeated instances joined in order (RFC 3396).
// Without it, the key is exactly hlen bytes of chaddr. There is no key when neither exists, when
// the packet is shorter than the 240-byte BOOTP header plus cookie, or when hlen is above 16.
// Options are read only after a valid magic cookie. The walk stops at END or at an option that
// runs past the packet, and it does not follow option overload (option 52).
// Hash, RFC 3074 section 6: start from the key length mod 256, then for each key byte from last to
// first, h = table[h ^ byte].

import { BUCKET_NO_KEY, META_WORDS, RX_BUCKET, RX_LENGTH, RX_OFFSET } from './batch.js';

// RFC 3074 section 6 mixing table, a permutation of 0-255.
// prettier-ignore
const MIX_TABLE = new Uint8Array([
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
]);

// BOOTP fixed header (RFC 2131 section 2): hlen at 2, chaddr at 28 (16 bytes), cookie at 236.
const HLEN_OFFSET = 2;
const CHADDR_OFFSET = 28;
const CHADDR_SIZE = 16;
const COOKIE_OFFSET = 236;
const OPTIONS_OFFSET = 240;
const MAGIC_COOKIE = [99, 130, 83, 99] as const;

const OPT_PAD = 0;
const OPT_END = 255;
const OPT_CLIENT_IDENTIFIER = 61;

// Payload offsets of the option 61 instances of the packet being hashed, reused across calls.
const clientIdStarts: number[] = [];

/** Computes the RFC 3074 hash (0-255) of key. */
export function rfc3074Hash(key: Uint8Array): number {
  let hash = key.length & 0xff;
  for (let i = key.length - 1; i >= 0; i--) hash = MIX_TABLE[hash ^ key[i]!]!;
  return hash;
}

/** Returns the load-balancing key of packet (a copy), or undefined when it has none. */
export function loadBalanceKey(packet: Uint8Array): Uint8Array | undefined {
  if (!hasKeyableHeader(packet, 0, packet.length)) return undefined;

  const total = findClientIdParts(packet, 0, packet.length);
  if (total > 0) {
    const key = new Uint8Array(total);
    let at = 0;
    for (const start of clientIdStarts) {
      const length = packet[start - 1]!;
      key.set(packet.subarray(start, start + length), at);
      at += length;
    }
    return key;
  }

  const hlen = packet[HLEN_OFFSET]!;
  if (hlen === 0) return undefined;
  return packet.slice(CHADDR_OFFSET, CHADDR_OFFSET + hlen);
}

/** Computes the bucket of the packet at data[offset, offset + length): 0-255 or BUCKET_NO_KEY. */
export function packetBucket(data: Uint8Array, offset: number, length: number): number {
  if (!hasKeyableHeader(data, offset, length)) return BUCKET_NO_KEY;
  const hlen = data[offset + HLEN_OFFSET]!;

  const total = findClientIdParts(data, offset, length);
  if (total > 0) return hashClientIdParts(data, total);

  if (hlen === 0) return BUCKET_NO_KEY;
  let hash = hlen;
  for (let i = offset + CHADDR_OFFSET + hlen - 1; i >= offset + CHADDR_OFFSET; i--) {
    hash = MIX_TABLE[hash ^ data[i]!]!;
  }
  return hash;
}

/**
 * Writes the BUCKET word of each of count receive meta records, like the native hashPackets.
 * Returns count, or -22 (-EINVAL) when a record points outside data or meta is too short.
 */
export function hashPacketsTs(data: Uint8Array, meta: Uint32Array, count: number): number {
  if (!Number.isInteger(count) || count < 0 || Math.floor(meta.length / META_WORDS) < count) return -22;
  for (let i = 0; i < count; i++) {
    const base = i * META_WORDS;
    if (meta[base + RX_OFFSET]! + meta[base + RX_LENGTH]! > data.length) return -22;
  }
  for (let i = 0; i < count; i++) {
    const base = i * META_WORDS;
    meta[base + RX_BUCKET] = packetBucket(data, meta[base + RX_OFFSET]!, meta[base + RX_LENGTH]!);
  }
  return count;
}

/**
 * Hashes count keys packed in keys, key i being keys[ends[i - 1], ends[i]), into out[i], like the
 * native hashKeys. Returns count, or -22 (-EINVAL) for ends that decrease or run past keys.
 */
export function hashKeysTs(keys: Uint8Array, ends: Uint32Array, count: number, out: Uint8Array): number {
  if (!Number.isInteger(count) || count < 0 || ends.length < count || out.length < count) return -22;
  let previousEnd = 0;
  for (let i = 0; i < count; i++) {
    if (ends[i]! < previousEnd || ends[i]! > keys.length) return -22;
    previousEnd = ends[i]!;
  }
  let start = 0;
  for (let i = 0; i < count; i++) {
    out[i] = rfc3074Hash(keys.subarray(start, ends[i]));
    start = ends[i]!;
  }
  return count;
}

// Checks the header rules shared by both entry points for the packet at data[offset, offset + length).
function hasKeyableHeader(data: Uint8Array, offset: number, length: number): boolean {
  return length >= OPTIONS_OFFSET && data[offset + HLEN_OFFSET]! <= CHADDR_SIZE;
}

// Records the payload offsets of the option 61 instances of data[offset, offset + length) in
// clientIdStarts and returns their total payload length.
function findClientIdParts(data: Uint8Array, offset: number, length: number): number {
  clientIdStarts.length = 0;
  for (let i = 0; i < MAGIC_COOKIE.length; i++) {
    if (data[offset + COOKIE_OFFSET + i] !== MAGIC_COOKIE[i]) return 0;
  }

  const end = offset + length;
  let total = 0;
  let at = offset + OPTIONS_OFFSET;
  while (at < end) {
    const code = data[at]!;
    if (code === OPT_PAD) {
      at += 1;
      continue;
    }
    if (code === OPT_END || at + 1 >= end) break;

    const payload = at + 2;
    const payloadLength = data[at + 1]!;
    if (payload + payloadLength > end) break; // truncated option: keep what came before

    if (code === OPT_CLIENT_IDENTIFIER && payloadLength > 0) {
      clientIdStarts.push(payload);
      total += payloadLength;
    }
    at = payload + payloadLength;
  }
  return total;
}

// Hashes the concatenation of the recorded option 61 payloads, last byte first.
function hashClientIdParts(data: Uint8Array, total: number): number {
  let hash = total & 0xff;
  for (let part = clientIdStarts.length - 1; part >= 0; part--) {
    const start = clientIdStarts[part]!;
    for (let i = start + data[start - 1]! - 1; i >= start; i--) hash = MIX_TABLE[hash ^ data[i]!]!;
  }
  return hash;
}
