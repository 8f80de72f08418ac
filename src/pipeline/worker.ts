// Piscina worker entry: each worker owns one shard of the RFC 3074 bucket space, opens the lease store
// with the same options as every other thread, and processes whole batches (one lease transaction per
// batch). The main thread sends batches only for its shard, so one client always meets one worker.

import { workerData } from 'node:worker_threads';

import { loadConfig } from '../config/load.js';
import { Engine } from '../engine/engine.js';
import { applyHaPoolSplit, haEngineOptions } from '../ha/setup.js';
import { openLeaseStore } from '../leases/lmdb-store.js';
import { setRootLogger } from '../log/logger.js';
import { createServerLogger } from '../log/setup.js';
import { BatchProcessor } from './process.js';
import type { ResultBatch, WorkBatch } from './batch.js';

export interface WorkerSetup {
  configPath: string;
  shardIndex: number;
  shardCount: number;
  serverAddresses: number[];
  logLevel: string;
}

function createProcessor(setup: WorkerSetup): BatchProcessor {
  const { config: loaded, issues } = loadConfig(setup.configPath);
  if (!loaded) {
    const first = issues.find((i) => i.severity === 'error');
    throw new Error(`worker ${setup.shardIndex}: configuration no longer loads: ${first?.path}: ${first?.message}`);
  }

  const { config } = applyHaPoolSplit(loaded);

  // Same output and level as the main thread, so every line of the process lands in one place.
  const log = createServerLogger(config.loggers, setup.logLevel, true).child({ worker: setup.shardIndex });
  setRootLogger(log);
  const store = openLeaseStore({ path: config.leaseDatabase.path, mapSizeBytes: config.nestor.lmdbMapSizeBytes, log });
  const engine = new Engine(config, {
    log,
    serverAddresses: setup.serverAddresses,
    shard: { index: setup.shardIndex, count: setup.shardCount },
    ...(config.ha === undefined ? {} : haEngineOptions(config.ha)),
  });
  return new BatchProcessor(engine, store, log);
}

const processor = createProcessor(workerData as WorkerSetup);

export default function processWorkBatch(batch: WorkBatch): ResultBatch {
  return processor.process(batch);
}
