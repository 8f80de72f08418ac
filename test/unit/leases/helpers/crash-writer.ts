// Commits one lease per transact() in a loop and writes each committed offset to stdout as a line,
// only after its transact() returned. The test kills this process with SIGKILL mid-loop.
// argv: <database path> <first offset> <number of leases>

import { writeSync } from 'node:fs';

import { openLeaseStore } from '../../../../src/leases/lmdb-store.js';
import { makeLease } from './leases.js';

const path = process.argv[2] as string;
const first = Number(process.argv[3]);
const total = Number(process.argv[4]);
const store = openLeaseStore({ path });

for (let offset = first; offset < first + total; offset++) {
  store.transact((tx) => tx.put(makeLease(offset, { hostname: `crash-${offset}` })));
  writeSync(1, `${offset}\n`);
}
await store.close();
