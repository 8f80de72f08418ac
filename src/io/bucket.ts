// Batched RFC 3074 hashing through the native addon. When the addon is not built, the TypeScript
// twin in rfc3074.ts computes the same buckets, only slower.

import { hashKeysTs, hashPacketsTs } from './rfc3074.js';
import { loadNative } from './native.js';

/** Returns true when hashing runs in the native addon. */
export function isNativeHashing(): boolean {
  return loadNative() !== undefined;
}

/** Writes the BUCKET word of count receive meta records; returns count or -EINVAL. */
export function hashPacketBatch(data: Uint8Array, meta: Uint32Array, count: number): number {
  const addon = loadNative();
  return addon ? addon.hashPackets(data, meta, count) : hashPacketsTs(data, meta, count);
}

/** Hashes count keys, key i being keys[ends[i - 1], ends[i]), into out[i]; returns count or -EINVAL. */
export function hashKeyBatch(keys: Uint8Array, ends: Uint32Array, count: number, out: Uint8Array): number {
  const addon = loadNative();
  return addon ? addon.hashKeys(keys, ends, count, out) : hashKeysTs(keys, ends, count, out);
}
