// The cost of durability on this machine's disk: the latency of one fdatasync after a 4 KiB write,
// and the latency and CPU time of one lease commit (LmdbLeaseStore.transact with one put, fsync
// included). A server that acknowledges a lease only after it is on disk cannot send the ACK sooner
// than one such commit, whatever else it does.
// Usage: node bench/leases/durability.mjs [count=2000] [folder=system temporary folder]
// Writes bench/results/durability.json and prints a table.

import { closeSync, fdatasyncSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { openLeaseStore } from '../../dist/leases/lmdb-store.js';

const count = Number(process.argv[2] ?? 2000);
if (!Number.isInteger(count) || count < 100 || count > 100_000) {
  console.error(`durability: count '${process.argv[2]}' is invalid (expected an integer from 100 to 100000)`);
  process.exit(2);
}
const dir = mkdtempSync(join(process.argv[3] ?? tmpdir(), 'nestor-durability-'));
const PAUSE_EVERY = 50;

try {
  const fsync = measureFdatasync(join(dir, 'probe.bin'));
  const commit = measureCommits(join(dir, 'leases.lmdb'));
  const result = {
    generated_at: new Date().toISOString(),
    command: `node bench/leases/durability.mjs ${count}${process.argv[3] === undefined ? '' : ` ${process.argv[3]}`}`,
    folder: dirname(dir),
    count,
    fdatasync_after_4k_write_us: fsync,
    lease_commit_one_put: commit,
  };
  const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'durability.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);

  console.log(`folder ${result.folder}, ${count} samples each`);
  console.log('                                    p50      p90      p99      max   (µs)');
  console.log(`fdatasync after a 4 KiB write  ${row(fsync)}`);
  console.log(`lease commit, one put          ${row(commit.latency_us)}`);
  console.log(`lease commit CPU: ${commit.cpu_us_per_commit} µs per commit (user ${commit.user_us_per_commit}, system ${commit.system_us_per_commit})`);
  console.log(`wrote ${out}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** Measures the latency of fdatasync after overwriting a 4 KiB block, in µs. */
function measureFdatasync(path) {
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(4096, 0x5a);
  const samples = [];
  try {
    for (let i = 0; i < count; i++) {
      block.writeUInt32LE(i, 0);
      writeSync(fd, block, 0, block.length, (i % 256) * block.length);
      const start = process.hrtime.bigint();
      fdatasyncSync(fd);
      samples.push(Number(process.hrtime.bigint() - start) / 1000);
      if (i % PAUSE_EVERY === PAUSE_EVERY - 1) pauseBriefly();
    }
  } finally {
    closeSync(fd);
  }
  return percentiles(samples);
}

/** Measures the latency and CPU time of committing one new lease per transaction, on a fresh database. */
function measureCommits(path) {
  const store = openLeaseStore({ path });
  const samples = [];
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const lease = leaseAt(i);
    const start = process.hrtime.bigint();
    store.transact((tx) => tx.put(lease));
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
    if (i % PAUSE_EVERY === PAUSE_EVERY - 1) pauseBriefly();
  }
  const cpu = process.cpuUsage(cpuBefore);
  void store.close();
  return {
    latency_us: percentiles(samples),
    cpu_us_per_commit: Math.round((cpu.user + cpu.system) / count),
    user_us_per_commit: Math.round(cpu.user / count),
    system_us_per_commit: Math.round(cpu.system / count),
  };
}

/** Builds a lease at a new address of 198.19.0.0/16 with its own hardware address and client identifier. */
function leaseAt(i) {
  const hwAddress = Uint8Array.of(0x02, 0x10, 0, 0, (i >>> 8) & 0xff, i & 0xff);
  return {
    address: (0xc6130000 + i) >>> 0, hwAddress, htype: 1, clientId: Uint8Array.of(1, ...hwAddress), subnetId: 1,
    validLifetime: 3600, cltt: Math.floor(Date.now() / 1000), state: 0, hostname: '', fqdnFwd: false, fqdnRev: false,
  };
}

/** Sleeps about 1 ms, so the samples are not one uninterrupted burst of writes. */
function pauseBriefly() {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
}

function percentiles(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: Math.round(sorted[sorted.length - 1]) };
}

function row(p) {
  return [p.p50, p.p90, p.p99, p.max].map((v) => String(v).padStart(8)).join(' ');
}
