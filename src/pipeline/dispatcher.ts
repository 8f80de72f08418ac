// Main-thread dispatcher: turns receive batches into work batches, one per shard, and hands them to
// the shard's worker (or processes them inline when there are no workers). A lone packet is never held
// back: whatever a receive batch brought is dispatched at the end of that batch. While a shard has
// MAX_IN_FLIGHT batches out, new packets wait in its next batch, which is how batches grow under load.
// That batch is bounded (MAX_BATCH packets), and packets beyond it are dropped and counted.

import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

import { Piscina } from 'piscina';
import type { Logger } from 'pino';

import { logMessage } from '../log/logger.js';
import { reviveError } from '../errors.js';
import {
  W_BUCKET, W_DST_ADDR, W_IFINDEX, W_LENGTH, W_LOCAL_ADDR, W_OFFSET, W_SRC_ADDR, W_SRC_PORT, W_VLAN, WORK_STRIDE,
} from './batch.js';
import type { ResultBatch, WorkBatch } from './batch.js';
import type { CommitGroup } from '../leases/commit-group.js';
import { failedResult } from './process.js';
import type { BatchProcessor } from './process.js';
import type { WorkerSetup } from './worker.js';

/** Packets one work batch may carry; the lease transaction of a full batch still commits in about a millisecond. */
export const MAX_BATCH = 256;
/** Batches a shard may have in its worker at once: one being processed, one ready behind it. */
const MAX_IN_FLIGHT = 2;
/** Largest request we accept; anything longer was truncated by the receive slot anyway. */
const MAX_REQUEST_BYTES = 1500;

/** One received request as the dispatcher needs it; the bytes are copied before add() returns. */
export interface IncomingPacket {
  data: Uint8Array;
  offset: number;
  length: number;
  sourceAddress: number;
  sourcePort: number;
  destinationAddress: number;
  ifindex: number;
  localAddress: number;
  bucket: number;
  /** 802.1Q tag word of a raw frame (VLAN_PRESENT | id), 0 for none. */
  vlan: number;
}

class ShardBatch {
  count = 0;
  used = 0;
  data = new Uint8Array(MAX_BATCH * MAX_REQUEST_BYTES);
  meta = new Uint32Array(MAX_BATCH * WORK_STRIDE);

  add(p: IncomingPacket): boolean {
    if (this.count === MAX_BATCH || p.length > MAX_REQUEST_BYTES) return false;
    const row = this.count * WORK_STRIDE;
    this.data.set(p.data.subarray(p.offset, p.offset + p.length), this.used);
    this.meta[row + W_OFFSET] = this.used;
    this.meta[row + W_LENGTH] = p.length;
    this.meta[row + W_SRC_ADDR] = p.sourceAddress;
    this.meta[row + W_SRC_PORT] = p.sourcePort;
    this.meta[row + W_DST_ADDR] = p.destinationAddress;
    this.meta[row + W_IFINDEX] = p.ifindex;
    this.meta[row + W_LOCAL_ADDR] = p.localAddress;
    this.meta[row + W_BUCKET] = p.bucket;
    this.meta[row + W_VLAN] = p.vlan;
    this.used += p.length;
    this.count++;
    return true;
  }

  /** Hand out the filled part as a work batch (copied to exact size) and start over. */
  take(nowSec: number, isFailover: boolean): WorkBatch {
    const batch = {
      count: this.count,
      data: this.data.slice(0, this.used),
      meta: this.meta.slice(0, this.count * WORK_STRIDE),
      nowSec,
      isFailover,
    };
    this.count = 0;
    this.used = 0;
    return batch;
  }
}

interface Shard {
  pending: ShardBatch;
  inFlight: number;
  worker: Piscina | undefined;
}

export interface DispatcherOptions {
  /** Number of worker threads; 0 processes batches on the main thread with `inline`. */
  workers: number;
  configPath: string;
  serverAddresses: number[];
  logLevel: string;
  /** Processor used when workers is 0. */
  inline: BatchProcessor | undefined;
  /** With `inline`: commits the write passes of several batches together (see CommitGroup). */
  commits?: CommitGroup;
  /** Called with every result batch, on the main thread. */
  onResult: (result: ResultBatch) => void;
  /** True while HA serves the partner's clients too; read when a batch is dispatched. */
  isFailover?: () => boolean;
  log: Logger;
}

/**
 * The default number of workers: none on a machine with 2 cores or fewer, where the main thread alone
 * used less CPU per lease and answered faster than with one worker (bench/README.md has the figures),
 * else cores - 1, at most 8.
 */
export function defaultWorkerCount(): number {
  const cores = availableParallelism();
  return cores <= 2 ? 0 : Math.min(cores - 1, 8);
}

export class Dispatcher {
  private readonly shards: Shard[];
  private closed = false;
  readonly counters = { dispatched: 0, droppedQueueFull: 0, batches: 0, workerErrors: 0 };

  constructor(private readonly opts: DispatcherOptions) {
    const count = Math.max(1, opts.workers);
    const filename = fileURLToPath(new URL('./worker.js', import.meta.url));
    this.shards = [];
    for (let index = 0; index < count; index++) {
      const setup: WorkerSetup = {
        configPath: opts.configPath, shardIndex: index, shardCount: count,
        serverAddresses: opts.serverAddresses, logLevel: opts.logLevel,
      };
      const worker = opts.workers === 0 ? undefined : new Piscina({
        filename, minThreads: 1, maxThreads: 1, idleTimeout: Number.POSITIVE_INFINITY,
        concurrentTasksPerWorker: 1, workerData: setup,
      });
      this.shards.push({ pending: new ShardBatch(), inFlight: 0, worker });
    }
  }

  /** Queue one packet for its shard; false when the shard's queue is full and the packet was dropped. */
  add(packet: IncomingPacket): boolean {
    const shard = this.shards[packet.bucket === 0xffff ? 0 : packet.bucket % this.shards.length];
    if (shard.pending.add(packet)) return true;
    this.counters.droppedQueueFull++;
    return false;
  }

  /** Dispatch every shard's pending packets that may go now; call at the end of each receive batch. */
  flush(): void {
    for (const shard of this.shards) this.flushShard(shard);
    this.opts.commits?.poll();
  }

  private flushShard(shard: Shard): void {
    if (this.closed || shard.pending.count === 0 || shard.inFlight >= MAX_IN_FLIGHT) return;
    const batch = shard.pending.take(Math.floor(Date.now() / 1000), this.opts.isFailover?.() ?? false);
    this.counters.dispatched += batch.count;
    this.counters.batches++;

    if (!shard.worker) {
      this.processInline(this.opts.inline!, batch);
      return;
    }

    shard.inFlight++;
    shard.worker.run(batch).then(
      (result: ResultBatch) => {
        shard.inFlight--;
        this.opts.onResult(result);
        this.flushShard(shard);
      },
      (err: unknown) => {
        shard.inFlight--;
        this.counters.workerErrors++;
        const error = err instanceof Error ? err : reviveError(err as { code?: unknown; message?: unknown });
        logMessage(this.opts.log, 'PIPELINE_WORKER_FAILED', { err: error, count: batch.count });
        this.flushShard(shard);
      },
    );
  }

  /**
   * Sends the replies that need no lease write at once. The write pass then runs in its own
   * transaction or joins the next group commit, and its replies leave after that commit.
   */
  private processInline(inline: BatchProcessor, batch: WorkBatch): void {
    this.opts.onResult(inline.process(batch, 'reads'));
    const writes = inline.writesSkipped;
    if (writes === 0) return;
    const commits = this.opts.commits;
    if (commits === undefined) {
      this.opts.onResult(inline.process(batch, 'writes'));
      return;
    }
    commits.submit(writes, (tx) => inline.decideBatch(batch, 'writes', tx), (result, err) => {
      this.opts.onResult(result ?? failedResult(writes, err));
    });
  }

  /** Wait for in-flight batches, then stop the workers. */
  async close(): Promise<void> {
    this.closed = true;
    await this.opts.commits?.drain();
    await Promise.all(this.shards.map(async (shard) => {
      while (shard.inFlight > 0) await new Promise((r) => setTimeout(r, 5));
      await shard.worker?.destroy();
    }));
  }
}
