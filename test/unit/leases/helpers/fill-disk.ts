// Writes leases until a write fails and reports the failure. The test runs it under a file size
// limit, which the kernel reports as EFBIG, as it would report ENOSPC for a full disk. Then it waits
// for 'resume' on stdin while the test lifts the limit, writes once more and reports again.
// Reports are JSON lines on stdout.
// argv: <database path>

import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';

import { openLeaseStore } from '../../../../src/leases/lmdb-store.js';
import { BASE_ADDRESS, makeLease } from './leases.js';

const PER_TRANSACTION = 50;
const MAX_TRANSACTIONS = 5000;

const store = openLeaseStore({ path: process.argv[2] as string });

function report(fields: Record<string, unknown>): void {
  writeSync(1, `${JSON.stringify(fields)}\n`);
}

function writeBatch(first: number, count: number): void {
  store.transact((tx) => {
    for (let i = first; i < first + count; i++) tx.put(makeLease(i, { hostname: `filler-${i}.example.net` }));
  });
}

let committed = 0;
let failure: { code?: unknown; message?: unknown } | undefined;
for (let t = 0; t < MAX_TRANSACTIONS && failure === undefined; t++) {
  try {
    writeBatch(committed, PER_TRANSACTION);
    committed += PER_TRANSACTION;
  } catch (err) {
    failure = err as { code?: unknown; message?: unknown };
  }
}
const last = store.get(BASE_ADDRESS + committed - 1);
report({ phase: 'full', committed, code: failure?.code, message: failure?.message, count: store.count(), lastHostname: last?.hostname });

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line !== 'resume') continue;
  try {
    writeBatch(committed, 1);
    report({ phase: 'resumed', isWritten: true, count: store.count() });
  } catch (err) {
    report({ phase: 'resumed', isWritten: false, message: (err as Error).message });
  }
  break;
}
lines.close();
await store.close();
