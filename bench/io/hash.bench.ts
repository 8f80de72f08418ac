// Micro-benchmark of batched load-balancing hashing: the native hashPackets against the TypeScript
// twin, on one batch of 256 DHCPDISCOVER-sized packets (half keyed by client identifier, half by
// chaddr). Run with `npx vitest bench --run --project unit bench/io/hash.bench.ts` after `npm run build`.

import { bench, describe } from 'vitest';

import { META_WORDS, RX_LENGTH, RX_OFFSET } from '../../src/io/batch.js';
import { requireNative } from '../../src/io/native.js';
import { hashPacketsTs } from '../../src/io/rfc3074.js';

const BATCH = 256;
const PACKET_BYTES = 300;

function buildBatch(): { data: Uint8Array; meta: Uint32Array } {
  const data = new Uint8Array(BATCH * PACKET_BYTES);
  const meta = new Uint32Array(BATCH * META_WORDS);
  for (let i = 0; i < BATCH; i++) {
    const at = i * PACKET_BYTES;
    data[at] = 1; // BOOTREQUEST
    data[at + 1] = 1; // Ethernet
    data[at + 2] = 6; // hlen
    data.set([0x02, 0, 0, 0, i >> 8, i & 0xff], at + 28); // chaddr
    data.set([99, 130, 83, 99], at + 236); // magic cookie
    const options = i % 2 === 0 ? [53, 1, 1, 61, 7, 1, 0x02, 0, 0, 0, i >> 8, i & 0xff, 255] : [53, 1, 1, 255];
    data.set(options, at + 240);
    meta[i * META_WORDS + RX_OFFSET] = at;
    meta[i * META_WORDS + RX_LENGTH] = PACKET_BYTES;
  }
  return { data, meta };
}

const batch = buildBatch();
const addon = requireNative();

describe(`hash ${BATCH} packets`, () => {
  bench('native hashPackets', () => {
    addon.hashPackets(batch.data, batch.meta, BATCH);
  });

  bench('TypeScript hashPacketsTs', () => {
    hashPacketsTs(batch.data, batch.meta, BATCH);
  });
});
