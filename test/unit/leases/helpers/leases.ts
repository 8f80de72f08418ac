// Lease fixtures and temporary database paths for the lease store tests.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { LeaseState } from '../../../../src/leases/types.js';
import type { Lease4 } from '../../../../src/leases/types.js';

/** 198.18.0.0, the first address of the benchmarking range the tests use. */
export const BASE_ADDRESS = 0xc6120000;

/** Builds a default lease at BASE_ADDRESS + offset, with fields overridden by `fields`. */
export function makeLease(offset: number, fields: Partial<Lease4> = {}): Lease4 {
  return {
    address: (BASE_ADDRESS + offset) >>> 0,
    hwAddress: new Uint8Array([0x00, 0x0c, 0x01, 0x02, 0x03, offset & 0xff]),
    htype: 1,
    clientId: undefined,
    subnetId: 1,
    validLifetime: 3600,
    cltt: 1_700_000_000,
    state: LeaseState.DEFAULT,
    hostname: '',
    fqdnFwd: false,
    fqdnRev: false,
    ...fields,
  };
}

/** Creates a directory under the system temporary directory; returns it and a function that removes it. */
export function makeTempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `nestor-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
