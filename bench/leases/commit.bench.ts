// LmdbLeaseStore.transact with 1, 64 and 256 lease puts per durable commit (fsync included), on a
// fresh database in the system temporary directory. Each iteration writes new addresses, so every
// put inserts a record and its three index entries.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, bench, describe } from 'vitest';

import { openLeaseStore } from '../../src/leases/lmdb-store.js';
import { LeaseState } from '../../src/leases/types.js';
import type { Lease4 } from '../../src/leases/types.js';

const dir = mkdtempSync(join(tmpdir(), 'nestor-bench-leases-'));
const store = openLeaseStore({ path: join(dir, 'leases.mdb') });
let nextOffset = 0;

/** Builds a lease at the next unused address of 198.18.0.0/15, with a hardware address and client id. */
function nextLease(): Lease4 {
  const offset = nextOffset;
  nextOffset = (nextOffset + 1) % 0x20000;
  const hwAddress = new Uint8Array([0x02, 0x00, 0x00, (offset >>> 16) & 0xff, (offset >>> 8) & 0xff, offset & 0xff]);
  return {
    address: (0xc6120000 + offset) >>> 0,
    hwAddress,
    htype: 1,
    clientId: new Uint8Array([1, ...hwAddress]),
    subnetId: 1,
    validLifetime: 3600,
    cltt: 1_700_000_000 + offset,
    state: LeaseState.DEFAULT,
    hostname: '',
    fqdnFwd: false,
    fqdnRev: false,
  };
}

function commitPuts(count: number): void {
  const leases = Array.from({ length: count }, nextLease);
  store.transact((tx) => {
    for (const lease of leases) tx.put(lease);
  });
}

describe('LmdbLeaseStore.transact', () => {
  bench('1 put per commit', () => commitPuts(1));
  bench('64 puts per commit', () => commitPuts(64));
  bench('256 puts per commit', () => commitPuts(256));
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});
