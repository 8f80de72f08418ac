// Concurrent writers and crashes against one LMDB lease database: worker threads and child
// processes race for the same addresses, and a writer killed with SIGKILL loses no reported lease.

import { fork, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { openLeaseStore } from '../../../src/leases/lmdb-store.js';
import type { ClaimJob, ClaimerMessage } from './helpers/claimer.js';
import { BASE_ADDRESS, makeLease, makeTempDir } from './helpers/leases.js';
import { TS_EXEC_ARGV, collectOutput, helperPath, waitForClose } from './helpers/processes.js';

const CONTESTED_ADDRESSES = 1000;

let temp: ReturnType<typeof makeTempDir>;
let path: string;
const started: ChildProcess[] = [];

beforeEach(() => {
  temp = makeTempDir('concurrency');
  path = join(temp.dir, 'leases.mdb');
});
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  temp.remove();
});

/** One claimer, in a worker thread or a child process, behind the same message interface. */
interface Claimer {
  name: string;
  tag: number;
  ready: Promise<void>;
  done: Promise<number[]>;
  go: () => void;
}

function startClaimer(kind: 'thread' | 'process', job: ClaimJob): Claimer {
  const endpoint = kind === 'thread'
    ? new Worker(helperPath('claimer.ts'), { workerData: job, execArgv: TS_EXEC_ARGV })
    : fork(helperPath('claimer.ts'), [JSON.stringify(job)], { execArgv: TS_EXEC_ARGV, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  if (!(endpoint instanceof Worker)) started.push(endpoint);

  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => { markReady = resolve; });
  const done = new Promise<number[]>((resolve, reject) => {
    endpoint.on('message', (message: ClaimerMessage) => {
      if (message.kind === 'ready') markReady();
      else resolve(message.won);
    });
    endpoint.on('error', reject);
    endpoint.on('exit', (code: number | null) => reject(new Error(`claimer ${job.name} exited with code ${String(code)} before reporting`)));
  });
  const go = (): void => {
    if (endpoint instanceof Worker) endpoint.postMessage('go');
    else endpoint.send('go');
  };
  return { name: job.name, tag: job.tag, ready, done, go };
}

describe('lmdb store: concurrent claimers', () => {
  it('claims each address exactly once', async () => {
    // 1. The test's own thread opens first, with the options every claimer uses.
    const store = openLeaseStore({ path });
    const offsets = Array.from({ length: CONTESTED_ADDRESSES }, (_, i) => i);

    // 2. Two worker threads and two child processes walk the same list, one with single-address
    //    transactions and one with batches of 8 each, and start together.
    const claimers = [
      startClaimer('thread', { path, name: 'thread-1', tag: 1, offsets, batch: 1 }),
      startClaimer('thread', { path, name: 'thread-2', tag: 2, offsets, batch: 8 }),
      startClaimer('process', { path, name: 'process-3', tag: 3, offsets, batch: 1 }),
      startClaimer('process', { path, name: 'process-4', tag: 4, offsets, batch: 8 }),
    ];
    await Promise.all(claimers.map((c) => c.ready));
    claimers.forEach((c) => c.go());
    const results = await Promise.all(claimers.map((c) => c.done));

    // 3. Every address went to exactly one claimer, and the store agrees with each claimer's belief.
    const owner = new Map<number, string>();
    results.forEach((won, i) => {
      for (const offset of won) {
        expect(owner.get(offset), `offset ${offset} claimed twice`).toBeUndefined();
        owner.set(offset, claimers[i]!.name);
      }
    });
    expect(owner.size).toBe(CONTESTED_ADDRESSES);
    expect(store.count()).toBe(CONTESTED_ADDRESSES);
    results.forEach((won, i) => {
      for (const offset of won) {
        const stored = store.get(BASE_ADDRESS + offset);
        expect(stored?.hostname).toBe(claimers[i]!.name);
        expect(stored?.hwAddress[5]).toBe(claimers[i]!.tag);
      }
    });
    await store.close();
  });
});

describe('lmdb store: writer killed with SIGKILL', () => {
  it('keeps every reported lease', async () => {
    const rounds = [
      { first: 0, killAfter: 150 },
      { first: 100_000, killAfter: 301 },
    ];
    const reported: number[] = [];

    for (const round of rounds) {
      const child = spawn(process.execPath, [...TS_EXEC_ARGV, helperPath('crash-writer.ts'), path, String(round.first), '50000'], { stdio: ['ignore', 'pipe', 'pipe'] });
      started.push(child);
      const output = collectOutput(child);
      const closed = waitForClose(child);

      const deadline = Date.now() + 15_000;
      while (output.lines.length < round.killAfter && child.exitCode === null && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      child.kill('SIGKILL');
      const exit = await closed;

      expect(exit.signal, `writer ended before the kill; stderr: ${output.stderr()}`).toBe('SIGKILL');
      expect(output.lines.length).toBeGreaterThanOrEqual(round.killAfter);
      reported.push(...output.lines.map(Number));
    }

    // The database reopens after the kills, holds every reported lease, and still accepts writes.
    const store = openLeaseStore({ path });
    for (const offset of reported) {
      expect(store.get(BASE_ADDRESS + offset)?.hostname, `reported offset ${offset}`).toBe(`crash-${offset}`);
    }
    store.transact((tx) => tx.put(makeLease(99)));
    expect(store.get(BASE_ADDRESS + 99)).toEqual(makeLease(99));
    await store.close();
  });
});
