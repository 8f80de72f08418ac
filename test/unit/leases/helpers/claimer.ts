// Claims addresses from a contested list with a check-then-put inside transact(), then reports the
// offsets it won. Runs as a worker thread (job in workerData) or as a forked child process (job as
// JSON in argv[2]). It opens the store, sends 'ready', and starts claiming when it receives 'go'.

import { parentPort, workerData } from 'node:worker_threads';

import { openLeaseStore } from '../../../../src/leases/lmdb-store.js';
import { BASE_ADDRESS, makeLease } from './leases.js';

export interface ClaimJob {
  path: string;
  name: string;
  /** Written as the last byte of the hardware address of every lease this claimer stores. */
  tag: number;
  offsets: number[];
  /** Offsets tried per transaction. */
  batch: number;
}

export type ClaimerMessage = { kind: 'ready' } | { kind: 'done'; won: number[] };

const job: ClaimJob = parentPort ? (workerData as ClaimJob) : (JSON.parse(process.argv[2] ?? '{}') as ClaimJob);
const store = openLeaseStore({ path: job.path });

function send(message: ClaimerMessage): void {
  if (parentPort) parentPort.postMessage(message);
  else process.send?.(message);
}

function claimAll(): number[] {
  const won: number[] = [];
  for (let i = 0; i < job.offsets.length; i += job.batch) {
    const batch = job.offsets.slice(i, i + job.batch);
    const wonHere = store.transact((tx) => {
      const claimed: number[] = [];
      for (const offset of batch) {
        if (tx.get(BASE_ADDRESS + offset) !== undefined) continue;
        tx.put(makeLease(offset, { hostname: job.name, hwAddress: new Uint8Array([0x02, 0, 0, 0, 0, job.tag]) }));
        claimed.push(offset);
      }
      return claimed;
    });
    // Only a returned transact() is a claim: before that the writes could still roll back.
    won.push(...wonHere);
  }
  return won;
}

async function onMessage(message: unknown): Promise<void> {
  if (message !== 'go') return;
  const won = claimAll();
  await store.close();
  send({ kind: 'done', won });
  if (!parentPort) process.disconnect();
  else parentPort.close();
}

if (parentPort) parentPort.on('message', (m) => void onMessage(m));
else process.on('message', (m) => void onMessage(m));
send({ kind: 'ready' });
