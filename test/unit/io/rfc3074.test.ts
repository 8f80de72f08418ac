import { describe, expect, it } from 'vitest';

import { BUCKET_NO_KEY, META_WORDS, RX_BUCKET, RX_LENGTH, RX_OFFSET } from '../../../src/io/batch.js';
import { loadNative, nativeLoadFailure } from '../../../src/io/native.js';
import type { NativeAddon } from '../../../src/io/native.js';
import { hashKeysTs, hashPacketsTs, loadBalanceKey, packetBucket, rfc3074Hash } from '../../../src/io/rfc3074.js';
import { buildPacket, clientIdOption, parseHex, randomPacket, seededRandom } from './packets.js';

// Test vectors of Kea 2.2's HA load balancing: key bytes and the expected RFC 3074 hash.
const VECTORS = [
  { kind: 'client-id', key: '01:00:0c:01:02:03:04', hash: 104 },
  { kind: 'client-id', key: '01:00:0c:01:02:03:07', hash: 69 },
  { kind: 'client-id', key: '01:02:aa:00:00:00:00', hash: 171 },
  { kind: 'client-id', key: '01:02:bb:00:00:00:00', hash: 118 },
  { kind: 'chaddr', key: '02:aa:00:00:01:f4', hash: 106 },
  { kind: 'chaddr', key: '02:aa:00:00:02:59', hash: 113 },
  { kind: 'chaddr', key: '00:00:00:00:00:00', hash: 254 },
  { kind: 'chaddr', key: 'ff:ff:ff:ff:ff:ff', hash: 79 },
] as const;

function vectorPacket(vector: (typeof VECTORS)[number]): Uint8Array {
  const key = parseHex(vector.key);
  if (vector.kind === 'chaddr') return buildPacket({ hlen: key.length, chaddr: key });
  return buildPacket({ chaddr: [9, 9, 9, 9, 9, 9], options: [...clientIdOption(key), 255] });
}

function requireAddon(): NativeAddon {
  const addon = loadNative();
  if (!addon) {
    throw new Error(
      `native addon not built (build/Release/nestor_native.node): run 'npm run build'; ${nativeLoadFailure()?.message ?? ''}`,
    );
  }
  return addon;
}

// Packs packets into one buffer with receive meta, as udpRecv would.
function packBatch(packets: Uint8Array[]): { data: Uint8Array; meta: Uint32Array } {
  const total = packets.reduce((sum, p) => sum + p.length, 0);
  const data = new Uint8Array(total);
  const meta = new Uint32Array(packets.length * META_WORDS);
  let at = 0;
  packets.forEach((packet, i) => {
    data.set(packet, at);
    meta[i * META_WORDS + RX_OFFSET] = at;
    meta[i * META_WORDS + RX_LENGTH] = packet.length;
    meta[i * META_WORDS + RX_BUCKET] = 0xdead;
    at += packet.length;
  });
  return { data, meta };
}

function bucketsOf(meta: Uint32Array, count: number): number[] {
  return Array.from({ length: count }, (_, i) => meta[i * META_WORDS + RX_BUCKET]!);
}

describe('rfc3074Hash: Kea 2.2 test vectors', () => {
  it.each(VECTORS)('hashes $kind $key to $hash', ({ key, hash }) => {
    expect(rfc3074Hash(new Uint8Array(parseHex(key)))).toBe(hash);
  });

  it.each(VECTORS)('finds key $key in a $kind packet', (vector) => {
    const packet = vectorPacket(vector);
    expect(Array.from(loadBalanceKey(packet) ?? [])).toEqual(parseHex(vector.key));
    expect(packetBucket(packet, 0, packet.length)).toBe(vector.hash);
  });
});

describe('loadBalanceKey: key rules', () => {
  const chaddr = [0x02, 0xaa, 0, 0, 1, 0xf4];
  const cases: { name: string; packet: Uint8Array; key: number[] | undefined }[] = [
    { name: 'uses chaddr when option 61 is empty', packet: buildPacket({ chaddr, options: [61, 0, 255] }), key: chaddr },
    {
      name: 'joins repeated option 61 instances in order',
      packet: buildPacket({ chaddr, options: [...clientIdOption([1, 2]), 12, 1, 65, ...clientIdOption([3, 4, 5]), 255] }),
      key: [1, 2, 3, 4, 5],
    },
    { name: 'skips PAD bytes', packet: buildPacket({ chaddr, options: [0, 0, ...clientIdOption([7, 8]), 255] }), key: [7, 8] },
    {
      name: 'ignores options after END',
      packet: buildPacket({ chaddr, options: [255, ...clientIdOption([7, 8])] }),
      key: chaddr,
    },
    {
      name: 'stops at an option running past the packet and keeps earlier instances',
      packet: buildPacket({ chaddr, options: [...clientIdOption([1]), 61, 9, 2, 3] }),
      key: [1],
    },
    { name: 'stops at a code byte without length', packet: buildPacket({ chaddr, options: [61] }), key: chaddr },
    { name: 'uses chaddr when the cookie is wrong', packet: buildPacket({ chaddr, cookie: [1, 2, 3, 4], options: clientIdOption([5]) }), key: chaddr },
    { name: 'uses exactly hlen chaddr bytes', packet: buildPacket({ hlen: 3, chaddr }), key: chaddr.slice(0, 3) },
    { name: 'uses all 16 chaddr bytes for hlen 16', packet: buildPacket({ hlen: 16, chaddr: [...chaddr, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }), key: [...chaddr, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
    { name: 'has no key for hlen 0 without client id', packet: buildPacket({ hlen: 0, chaddr }), key: undefined },
    { name: 'uses the client id when hlen is 0', packet: buildPacket({ hlen: 0, options: clientIdOption([1, 2]) }), key: [1, 2] },
    { name: 'has no key for hlen above 16', packet: buildPacket({ hlen: 17, options: clientIdOption([1, 2]) }), key: undefined },
    { name: 'has no key below 240 bytes', packet: buildPacket({ chaddr, length: 239 }), key: undefined },
    { name: 'uses chaddr in a 240-byte packet without options', packet: buildPacket({ chaddr, length: 240 }), key: chaddr },
  ];

  it.each(cases)('$name', ({ packet, key }) => {
    const found = loadBalanceKey(packet);
    expect(found === undefined ? undefined : Array.from(found)).toEqual(key);
    const expected = key === undefined ? BUCKET_NO_KEY : rfc3074Hash(new Uint8Array(key));
    expect(packetBucket(packet, 0, packet.length)).toBe(expected);
  });

  it('reads nothing past the packet inside a larger buffer', () => {
    const packet = buildPacket({ chaddr, options: [61, 4, 1, 2] }); // the option claims 4 bytes, 2 follow
    const buffer = new Uint8Array(packet.length + 8).fill(0xee);
    buffer.set(packet);
    expect(packetBucket(buffer, 0, packet.length)).toBe(rfc3074Hash(new Uint8Array(chaddr)));
  });
});

describe('hashPacketsTs and hashKeysTs: argument checks', () => {
  it('rejects a meta record that points past the data', () => {
    const { data, meta } = packBatch([buildPacket({})]);
    meta[RX_LENGTH] = data.length + 1;
    expect(hashPacketsTs(data, meta, 1)).toBe(-22);
  });

  it('rejects a count larger than the meta table', () => {
    const { data, meta } = packBatch([buildPacket({})]);
    expect(hashPacketsTs(data, meta, 2)).toBe(-22);
  });

  it('rejects decreasing key ends', () => {
    expect(hashKeysTs(new Uint8Array(4), new Uint32Array([3, 2]), 2, new Uint8Array(2))).toBe(-22);
  });
});

describe('native hashing: agreement with the TypeScript twin', () => {
  it('matches the Kea 2.2 test vectors in hashKeys', () => {
    const addon = requireAddon();
    const keys = VECTORS.map((v) => parseHex(v.key));
    const packed = new Uint8Array(keys.flat());
    const ends = new Uint32Array(keys.length);
    keys.reduce((end, key, i) => (ends[i] = end + key.length), 0);
    const out = new Uint8Array(keys.length);

    expect(addon.hashKeys(packed, ends, keys.length, out)).toBe(keys.length);
    expect(Array.from(out)).toEqual(VECTORS.map((v) => v.hash));
  });

  it('matches the Kea 2.2 test vectors in hashPackets', () => {
    const addon = requireAddon();
    const { data, meta } = packBatch(VECTORS.map(vectorPacket));

    expect(addon.hashPackets(data, meta, VECTORS.length)).toBe(VECTORS.length);
    expect(bucketsOf(meta, VECTORS.length)).toEqual(VECTORS.map((v) => v.hash));
  });

  it('agrees with hashPacketsTs on 5000 random and malformed packets', () => {
    const addon = requireAddon();
    const random = seededRandom(3074);
    const packets = Array.from({ length: 5000 }, () => randomPacket(random));
    const nativeBatch = packBatch(packets);
    const tsBatch = packBatch(packets);

    expect(addon.hashPackets(nativeBatch.data, nativeBatch.meta, packets.length)).toBe(packets.length);
    expect(hashPacketsTs(tsBatch.data, tsBatch.meta, packets.length)).toBe(packets.length);

    const nativeBuckets = bucketsOf(nativeBatch.meta, packets.length);
    expect(nativeBuckets).toEqual(bucketsOf(tsBatch.meta, packets.length));
    const keyed = nativeBuckets.filter((b) => b !== BUCKET_NO_KEY).length;
    expect(keyed).toBeGreaterThan(2000); // the generator must produce mostly keyed packets
    expect(keyed).toBeLessThan(packets.length); // and some without a key
  });

  it('agrees with hashKeysTs on 3000 random keys', () => {
    const addon = requireAddon();
    const random = seededRandom(61);
    const lengths = Array.from({ length: 3000 }, () => Math.floor(random() * 300));
    const keys = new Uint8Array(lengths.reduce((a, b) => a + b, 0)).map(() => Math.floor(random() * 256));
    const ends = new Uint32Array(lengths.length);
    lengths.reduce((end, length, i) => (ends[i] = end + length), 0);
    const nativeOut = new Uint8Array(lengths.length);
    const tsOut = new Uint8Array(lengths.length);

    expect(addon.hashKeys(keys, ends, lengths.length, nativeOut)).toBe(lengths.length);
    expect(hashKeysTs(keys, ends, lengths.length, tsOut)).toBe(lengths.length);
    expect(Array.from(nativeOut)).toEqual(Array.from(tsOut));
  });

  it('returns -EINVAL for out-of-range records and wrong argument types', () => {
    const addon = requireAddon();
    const { data, meta } = packBatch([buildPacket({})]);
    expect(addon.hashPackets(data, meta, 2)).toBe(-22);
    meta[RX_OFFSET] = 1;
    expect(addon.hashPackets(data, meta, 1)).toBe(-22);
    expect(addon.hashPackets(data, new Float64Array(8) as unknown as Uint32Array, 1)).toBe(-22);
    expect(addon.hashKeys(new Uint8Array(2), new Uint32Array([3]), 1, new Uint8Array(1))).toBe(-22);
    expect(addon.hashKeys(new Uint8Array(2), new Uint32Array([2]), 1, new Uint8Array(0))).toBe(-22);
  });
});
