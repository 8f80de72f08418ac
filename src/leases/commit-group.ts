// Group commit on one thread: work that writes leases is queued and run together in one store
// transaction, so several batches share one commit and its fsync. Durability is unchanged: a job's
// callback runs only after the transaction holding its writes has committed, and the replies built
// from it are released only then.
//
// Policy. When the previous commit ended at least `windowUs` ago, a submitted job commits at once, so
// a lone request after a quiet spell is never held. Otherwise it waits until the window has passed
// since that commit, or until `maxQueued` requests are waiting. Under load this bounds the number of
// fsyncs per second to about one per window, and every commit carries what arrived meanwhile.
//
// Failure. The jobs of one commit succeed or fail together: if any job throws or the commit fails
// (for example the database is full), nothing of the group is stored and every job's callback gets
// the error.
//
// Off-thread commits. With a store that has transactAsync (LMDB), the jobs still run on this thread,
// but the commit and its fsync run on the store's write thread, so this thread keeps receiving and
// deciding meanwhile. One commit is in flight at a time, and jobs that arrive during it wait for the next.

import { logMessage } from '../log/logger.js';
import type { Logger } from '../log/logger.js';
import type { LeaseStore, LeaseWriter } from './types.js';

/** Callback run once per job after its commit, with the job's result or with the error that stopped the commit. */
export type CommitCallback<T> = (result: T | undefined, err: unknown) => void;

export interface CommitGroupOptions {
  /** Minimum time between the end of one commit and the start of the next while jobs keep coming. 0 commits every job at once. */
  windowUs: number;
  /** A commit starts at once when this many requests are waiting (the sum of the jobs' weights). */
  maxQueued: number;
  /**
   * Minimum requests in a commit that runs on the store's write thread, with a store that has
   * transactAsync. Smaller commits run on this thread. Default OFF_THREAD_MIN_REQUESTS.
   */
  offThreadMinRequests?: number;
  /** Logger for callbacks that throw. */
  log: Logger;
  /** Clock in microseconds. Tests pass a fake one. */
  nowUs?: () => number;
}

interface Job {
  run: (tx: LeaseWriter) => unknown;
  done: CommitCallback<unknown>;
}

const monotonicUs = (): number => performance.now() * 1000;

/**
 * Handing a commit to the write thread and back costs about 110 µs of CPU more than committing on this
 * thread (measured with lmdb-js 3.5.6 here). That pays only when many requests wait behind the commit.
 */
export const OFF_THREAD_MIN_REQUESTS = 16;

export class CommitGroup {
  readonly counters = { commits: 0, jobs: 0, failedCommits: 0 };
  private queue: Job[] = [];
  private queuedWeight = 0;
  private lastCommitEndUs = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private readonly nowUs: () => number;
  /** The commit running on the store's write thread, if any. */
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly store: LeaseStore,
    private readonly opts: CommitGroupOptions,
  ) {
    this.nowUs = opts.nowUs ?? monotonicUs;
  }

  /** Requests waiting for the next commit. */
  get waiting(): number {
    return this.queuedWeight;
  }

  /**
   * Queues `run` for the next commit. `weight` is the number of requests the job carries. `done`
   * is called after the commit, possibly before submit() returns when the commit happens at once.
   */
  submit<T>(weight: number, run: (tx: LeaseWriter) => T, done: CommitCallback<T>): void {
    this.queue.push({ run, done: done as CommitCallback<unknown> });
    this.queuedWeight += Math.max(1, weight);
    this.counters.jobs++;
    if (this.queuedWeight >= this.opts.maxQueued || this.isWindowOver()) {
      this.commit();
    } else {
      this.armTimer();
    }
  }

  /** Queues `run` like submit() and returns a promise of its result, rejected with the commit's error. */
  submitAsync<T>(weight: number, run: (tx: LeaseWriter) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.submit(weight, run, (result, err) => (err === undefined ? resolve(result as T) : reject(err)));
    });
  }

  /** Commits the waiting jobs if their window has passed. Call it whenever the thread wakes up anyway. */
  poll(): void {
    if (this.queue.length > 0 && this.isWindowOver()) this.commit();
  }

  /** Commits the waiting jobs now (after the commit in flight, if any). */
  flush(): void {
    if (this.queue.length > 0) this.commit();
  }

  /** Commits everything queued and resolves when no commit is in flight, for example before the store closes. */
  async drain(): Promise<void> {
    for (;;) {
      this.flush();
      if (this.inFlight === undefined) return;
      await this.inFlight;
    }
  }

  private isWindowOver(): boolean {
    return this.nowUs() - this.lastCommitEndUs >= this.opts.windowUs;
  }

  private armTimer(): void {
    if (this.timer !== undefined) return;
    const remainingMs = Math.max(0, (this.lastCommitEndUs + this.opts.windowUs - this.nowUs()) / 1000);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, Math.ceil(remainingMs));
  }

  private commit(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.inFlight !== undefined) return; // the next commit starts when this one ends
    const jobs = this.queue;
    const weight = this.queuedWeight;
    this.queue = [];
    this.queuedWeight = 0;
    const runAll = (tx: LeaseWriter): unknown[] => jobs.map((job) => job.run(tx));

    if (this.store.transactAsync !== undefined && weight >= (this.opts.offThreadMinRequests ?? OFF_THREAD_MIN_REQUESTS)) {
      this.inFlight = this.store.transactAsync(runAll).then(
        (results) => this.finish(jobs, results, undefined),
        (err: unknown) => this.finish(jobs, undefined, err),
      );
      return;
    }
    let results: unknown[] | undefined;
    let failure: unknown;
    try {
      results = this.store.transact(runAll);
    } catch (err) {
      failure = err;
    }
    this.finish(jobs, results, failure);
  }

  /** Counts a finished commit, runs its jobs' callbacks and starts the next commit when it is due. */
  private finish(jobs: readonly Job[], results: unknown[] | undefined, err: unknown): void {
    const failure = results === undefined ? (err ?? new Error('the lease transaction failed without an error value')) : undefined;
    if (failure === undefined) this.counters.commits++;
    else this.counters.failedCommits++;
    this.lastCommitEndUs = this.nowUs();
    const wasInFlight = this.inFlight !== undefined;
    this.inFlight = undefined;

    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i]!;
      try {
        if (failure !== undefined) job.done(undefined, failure);
        else job.done(results![i], undefined);
      } catch (callbackErr) {
        // One callback's fault must not keep the other jobs' replies from leaving.
        logMessage(this.opts.log, 'PIPELINE_RESULT_FAILED', { err: callbackErr });
      }
    }
    // Jobs that came while the commit ran on the write thread follow the usual policy from here.
    if (!wasInFlight || this.queue.length === 0 || this.inFlight !== undefined) return;
    if (this.queuedWeight >= this.opts.maxQueued || this.isWindowOver()) this.commit();
    else this.armTimer();
  }
}
