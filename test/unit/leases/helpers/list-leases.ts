// Opens a lease database read-only, as `nestor leases list` does beside a running server, prints
// its leases as Kea JSON on one line, then tries a write and prints the error code it gets.
// argv: <database path>

import { writeSync } from 'node:fs';

import { leaseToKeaJson } from '../../../../src/leases/lease-json.js';
import { openLeaseStore } from '../../../../src/leases/lmdb-store.js';

const store = openLeaseStore({ path: process.argv[2] as string, readOnly: true });
const leases = store.page(-1, 1000).map(leaseToKeaJson);

let writeErrorCode: unknown;
try {
  store.transact(() => undefined);
} catch (err) {
  writeErrorCode = (err as { code?: unknown }).code;
}
writeSync(1, `${JSON.stringify({ leases, writeErrorCode })}\n`);
await store.close();
