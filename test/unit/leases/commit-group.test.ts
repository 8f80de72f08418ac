import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { nestorError } from '../../../src/errors.js';
import { CommitGroup } from '../../../src/leases/commit-group.js';
import { MemoryLeaseStore } from '../../../src/leases/memory-store.js';
import type { Lease4, LeaseWriter } from '../../../src/leases/types.js';

const WINDOW_US = 1000;
const BASE_ADDRESS = 0xc6130000; // 198.19.0.0

function lease(n: number): Lease4 {
  return {
    address: BASE_ADDRESS + n, hwAddress: Uint8Array.of(2, 0, 0, 0, 0, n), htype: 1, clientId: undefined, subnetId: 1,
    validLifetime: 3600, cltt: 1_800_000_000, state: 0, hostname: '', fqdnFwd: false, fqdnRev: false,
  };
}

/** A memory store that counts its commits and can fail the next one on request. */
class CountingStore extends MemoryLeaseStore {
  commits = 0;
  failNext: Error | undefined;

  override transact<T>(fn: (tx: LeaseWriter) => T): T {
    const failure = this.failNext;
    this.failNext = undefined;
    const result = super.transact((tx) => {
      const value = fn(tx);
      if (failure !== undefined) throw failure;
      return value;
    });
    this.commits++;
    return result;
  }
}

interface Outcome { result: unknown; err: unknown }

describe('group commit', () => {
  let store: CountingStore;
  let log: pino.Logger;
  let logged: string[];

  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
    store = new CountingStore();
    logged = [];
    log = pino({ level: 'info' }, { write: (line: string) => logged.push(line) });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  function group(windowUs = WINDOW_US, maxQueued = 8): CommitGroup {
    return new CommitGroup(store, { windowUs, maxQueued, log, nowUs: () => Date.now() * 1000 });
  }

  function put(g: CommitGroup, n: number, outcomes: Outcome[], weight = 1): void {
    g.submit(weight, (tx) => {
      tx.put(lease(n));
      return n;
    }, (result, err) => outcomes.push({ result, err }));
  }

  it('commits at once after a quiet spell', () => {
    const g = group();
    const outcomes: Outcome[] = [];
    put(g, 1, outcomes);
    expect(outcomes).toEqual([{ result: 1, err: undefined }]);
    expect(store.commits).toBe(1);
    expect(store.get(BASE_ADDRESS + 1)).toBeDefined();
  });

  it('groups jobs within the window', () => {
    const g = group();
    const outcomes: Outcome[] = [];
    put(g, 1, outcomes);
    put(g, 2, outcomes);
    put(g, 3, outcomes);
    expect(store.commits).toBe(1);
    expect(outcomes).toHaveLength(1);
    expect(store.get(BASE_ADDRESS + 2)).toBeUndefined();
    expect(g.waiting).toBe(2);

    vi.advanceTimersByTime(1);
    expect(store.commits).toBe(2);
    expect(outcomes.map((o) => o.result)).toEqual([1, 2, 3]);
    expect(store.get(BASE_ADDRESS + 3)).toBeDefined();
    expect(g.counters).toEqual({ commits: 2, jobs: 3, failedCommits: 0 });
  });

  it('poll commits once the window passed', () => {
    const g = group();
    const outcomes: Outcome[] = [];
    put(g, 1, outcomes);
    put(g, 2, outcomes);
    g.poll();
    expect(store.commits).toBe(1);
    vi.setSystemTime(Date.now() + 1);
    g.poll();
    expect(store.commits).toBe(2);
    expect(outcomes.map((o) => o.result)).toEqual([1, 2]);
  });

  it('commits at once at maxQueued', () => {
    const g = group(WINDOW_US, 4);
    const outcomes: Outcome[] = [];
    put(g, 1, outcomes);
    put(g, 2, outcomes, 2);
    expect(store.commits).toBe(1);
    put(g, 3, outcomes, 2);
    expect(store.commits).toBe(2);
    expect(outcomes.map((o) => o.result)).toEqual([1, 2, 3]);
  });

  it('window 0 commits every job', () => {
    const g = group(0);
    const outcomes: Outcome[] = [];
    for (let n = 1; n <= 3; n++) put(g, n, outcomes);
    expect(store.commits).toBe(3);
    expect(outcomes.map((o) => o.result)).toEqual([1, 2, 3]);
  });

  it('throwing job fails the whole group', () => {
    const g = group();
    const outcomes: Outcome[] = [];
    put(g, 1, outcomes);
    put(g, 2, outcomes);
    g.submit(1, () => {
      throw new Error('engine fault');
    }, (result, err) => outcomes.push({ result, err }));
    vi.advanceTimersByTime(1);

    expect(store.get(BASE_ADDRESS + 2)).toBeUndefined();
    expect(outcomes.slice(1).map((o) => (o.err as Error).message)).toEqual(['engine fault', 'engine fault']);
    expect(g.counters.failedCommits).toBe(1);

    // The next group is unaffected.
    vi.advanceTimersByTime(1);
    put(g, 4, outcomes);
    expect(outcomes.at(-1)).toEqual({ result: 4, err: undefined });
    expect(store.get(BASE_ADDRESS + 4)).toBeDefined();
  });

  it('failed commit reaches every job', () => {
    const g = group();
    const outcomes: Outcome[] = [];
    put(g, 1, outcomes);
    put(g, 2, outcomes);
    put(g, 3, outcomes);
    store.failNext = nestorError('LEASES_WRITE', 'lease database full');
    vi.advanceTimersByTime(1);

    expect(outcomes.slice(1).map((o) => (o.err as Error).message)).toEqual(['lease database full', 'lease database full']);
    expect(outcomes.slice(1).every((o) => o.result === undefined)).toBe(true);
    expect(store.get(BASE_ADDRESS + 2)).toBeUndefined();
  });

  it('throwing callback is logged, others run', () => {
    const g = group();
    const outcomes: Outcome[] = [];
    put(g, 1, outcomes);
    g.submit(1, (tx) => tx.put(lease(2)), () => {
      throw new Error('send failed');
    });
    put(g, 3, outcomes);
    vi.advanceTimersByTime(1);

    expect(outcomes.map((o) => o.result)).toEqual([1, 3]);
    const line = logged.map((text) => JSON.parse(text) as { msgId: string; err: { message: string } }).find((entry) => entry.msgId === 'PIPELINE_RESULT_FAILED');
    expect(line?.err.message).toBe('send failed');
  });

  it('submitAsync resolves and rejects', async () => {
    const g = group();
    await expect(g.submitAsync(1, (tx) => {
      tx.put(lease(1));
      return 'stored';
    })).resolves.toBe('stored');

    const failing = g.submitAsync(1, (tx) => tx.put(lease(2)));
    store.failNext = new Error('disk error');
    vi.advanceTimersByTime(1);
    await expect(failing).rejects.toThrow('disk error');
  });

  it('flush commits without the window', () => {
    const g = group();
    const outcomes: Outcome[] = [];
    put(g, 1, outcomes);
    put(g, 2, outcomes);
    g.flush();
    expect(store.commits).toBe(2);
    expect(outcomes).toHaveLength(2);
    g.flush();
    expect(store.commits).toBe(2);
  });
});

/** A memory store whose commits finish only when the test releases them, as an off-thread commit does. */
class DeferredStore extends MemoryLeaseStore {
  readonly commitsWaiting: { resolve: () => void; reject: (err: Error) => void }[] = [];

  transactAsync<T>(fn: (tx: LeaseWriter) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.commitsWaiting.push({
        resolve: () => {
          try {
            resolve(this.transact(fn));
          } catch (err) {
            reject(err as Error);
          }
        },
        reject,
      });
    });
  }
}

describe('group commit with off-thread commits', () => {
  const log = pino({ level: 'silent' });
  const flushPromises = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  it('keeps one commit in flight and groups what came meanwhile', async () => {
    const store = new DeferredStore();
    const g = new CommitGroup(store, { windowUs: 0, maxQueued: 8, offThreadMinRequests: 1, log });
    const done: number[] = [];
    const submit = (n: number): void => g.submit(1, (tx) => tx.put(lease(n)), (_r, err) => {
      if (err === undefined) done.push(n);
    });

    submit(1);
    submit(2);
    submit(3);
    expect(store.commitsWaiting).toHaveLength(1);
    expect(done).toEqual([]);

    store.commitsWaiting.shift()!.resolve();
    await flushPromises();
    expect(done).toEqual([1]);
    expect(store.commitsWaiting).toHaveLength(1);

    store.commitsWaiting.shift()!.resolve();
    await flushPromises();
    expect(done).toEqual([1, 2, 3]);
    expect(store.count()).toBe(3);
    expect(g.counters).toEqual({ commits: 2, jobs: 3, failedCommits: 0 });
  });

  it('commits small groups on this thread', () => {
    const store = new DeferredStore();
    const g = new CommitGroup(store, { windowUs: 0, maxQueued: 64, offThreadMinRequests: 16, log });
    const done: unknown[] = [];
    g.submit(15, (tx) => tx.put(lease(1)), (_r, err) => done.push(err));
    expect(store.commitsWaiting).toHaveLength(0);
    expect(done).toEqual([undefined]);
    g.submit(16, (tx) => tx.put(lease(2)), (_r, err) => done.push(err));
    expect(store.commitsWaiting).toHaveLength(1);
    expect(done).toHaveLength(1);
  });

  it('fails every job of a failed commit', async () => {
    const store = new DeferredStore();
    const g = new CommitGroup(store, { windowUs: 0, maxQueued: 8, offThreadMinRequests: 1, log });
    const first = g.submitAsync(1, (tx) => tx.put(lease(1)));
    store.commitsWaiting.shift()!.reject(new Error('disk error'));
    await expect(first).rejects.toThrow('disk error');
    expect(g.counters.failedCommits).toBe(1);
  });

  it('drain waits for the commit in flight and the queued jobs', async () => {
    const store = new DeferredStore();
    const g = new CommitGroup(store, { windowUs: 0, maxQueued: 8, offThreadMinRequests: 1, log });
    const results = [g.submitAsync(1, (tx) => tx.put(lease(1))), g.submitAsync(1, (tx) => tx.put(lease(2)))];
    let isDrained = false;
    const drained = g.drain().then(() => { isDrained = true; });
    await flushPromises();
    expect(isDrained).toBe(false);
    while (!isDrained) {
      store.commitsWaiting.shift()?.resolve();
      await flushPromises();
    }
    await drained;
    await Promise.all(results);
    expect(store.count()).toBe(2);
  });
});
