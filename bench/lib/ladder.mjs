// Runs the measurement points. A point is one system, one generator, one offered rate and one
// repetition, on a freshly started server with an empty lease database. Before the measurement,
// loadgen warms the server up with other clients (WARMUP_*). A point then measures the server in its
// steady state, not V8 compiling nestor's code. Repetitions are interleaved round-robin (repetition 1
// of every system at a rate, then repetition 2, ...) so that drift in the machine's load hits all
// systems alike.

import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { GENERATORS } from './generators.mjs';
import { SERVER_ADDRESS } from './lab.mjs';
import { isRunning, readCpuSeconds, stopProcess } from './proc.mjs';
import { POOL, SYSTEMS } from './systems.mjs';
import { median } from './stats.mjs';

/** A rate fails when the median of its repetitions lost more than this share of exchanges (%). */
export const FAILURE_THRESHOLD_PCT = 2.5;
/** A system stops climbing a ladder after this many failed rates in a row. */
const FAILED_RATES_TO_STOP = 2;
/** Warm-up before each point: loadgen at half the point's rate, at most WARMUP_MAX_RATE, for WARMUP_S. */
const WARMUP_MAX_RATE = 5_000;
const WARMUP_S = 1;
/** Pause after the warm-up, so that its last exchanges and commits are done before the measurement starts. */
const WARMUP_SETTLE_MS = 500;
/** Exchanges allowed per point: each is a new client, so they must fit in the pool with room to spare after the warm-up. */
const EXCHANGES_PER_POINT = Math.floor(POOL.size * 0.95) - WARMUP_MAX_RATE * WARMUP_S;

export class PointRunner {
  constructor({ lab, workDir, runByte, workers, nestorSettings, warmup = true, log }) {
    this.lab = lab;
    this.workDir = workDir;
    this.runByte = runByte;
    this.workers = workers;
    this.nestorSettings = nestorSettings;
    this.warmup = warmup;
    this.log = log;
    this.count = 0;
  }

  /** Run the warm-up of one point with clients of its own (bit 7 of the MAC's third byte set) and wait for it to settle. */
  async warmUp(rate, macBase, server) {
    const warmRate = Math.max(1, Math.min(WARMUP_MAX_RATE, Math.floor(rate / 2)));
    const bytes = macBase.split(':');
    bytes[2] = hex(parseInt(bytes[2], 16) | 0x80);
    const result = await GENERATORS.loadgen.run(this.lab, { rate: warmRate, durationS: WARMUP_S, macBase: bytes.join(':'), server });
    await new Promise((resolve) => setTimeout(resolve, WARMUP_SETTLE_MS));
    return { offered_rate: warmRate, duration_s: WARMUP_S, acks: result.acks, failed_pct: result.failed_pct };
  }

  /** Measure one point; errors become a point with `error` set and 100 % failed. */
  async run(system, generator, rate, rep, durationS) {
    this.count++;
    const duration = pointDuration(rate, durationS);
    // 02:RR:HH:LL:00:00 with RR per run and HHLL per point: no two points share a MAC.
    const macBase = `02:${hex(this.runByte)}:${hex(this.count >> 8)}:${hex(this.count)}:00:00`;
    const dir = join(this.workDir, `p${this.count}-${system}`);
    mkdirSync(dir);

    const point = { system, generator, offered_rate: rate, rep, duration_s: duration, mac_base: macBase, started_at: new Date().toISOString() };
    let server;
    // A single server is one tracked process; an HA pair returns { procs } with both.
    let procs = [];
    // A failure of the server counts as 100 % failed exchanges; a failure of the generator does
    // not measure the server, so such points are kept but left out of medians and spreads.
    let errorSource = 'server';
    try {
      server = await SYSTEMS[system].start(this.lab, dir, { workers: this.workers, nestorSettings: this.nestorSettings });
      procs = server.procs ?? [server];
      if (server.haStates !== undefined) point.ha_states_at_start = server.haStates;
      const address = SYSTEMS[system].address ?? SERVER_ADDRESS;
      errorSource = 'generator';
      if (this.warmup) point.warmup = await this.warmUp(rate, macBase, address);
      const before = procs.map((proc) => readCpuSeconds(proc.pid));
      const udpDropsBefore = this.lab.readUdpDrops();
      const result = await GENERATORS[generator].run(this.lab, { rate, durationS: duration, macBase, server: address });
      errorSource = 'server';
      const exited = procs.findIndex((proc) => !isRunning(proc.pid));
      if (exited >= 0) throw new Error(`${system} (process ${exited + 1} of ${procs.length}) exited during the point: ${procs[exited].output().stderr.slice(-1_000)}`);
      const after = procs.map((proc) => readCpuSeconds(proc.pid));
      // Where exchanges were lost: a full receive buffer in the generator's namespace means the
      // generator could not read replies fast enough, one in a server namespace means the server.
      const udpDropsAfter = this.lab.readUdpDrops();
      const udpReceiveBufferDrops = Object.fromEntries(Object.entries(udpDropsAfter).map(([ns, n]) => [ns, n - (udpDropsBefore[ns] ?? 0)]));
      // Server CPU per lease counts every process of the system, so both servers of a pair.
      const cpuEach = after.map((a, i) => a.cpuS - before[i].cpuS);
      const serverCpuS = cpuEach.reduce((x, y) => x + y, 0);
      Object.assign(point, result, {
        server_cpu_s: round(serverCpuS, 3),
        server_threads: after.reduce((n, a) => n + a.threads, 0),
        server_cpu_per_lease_us: result.acks > 0 ? round((serverCpuS * 1e6) / result.acks, 2) : null,
        udp_receive_buffer_drops: udpReceiveBufferDrops,
      });
      if (procs.length > 1) point.server_cpu_s_each = cpuEach.map((x) => round(x, 3));
      if (server.readHaStates !== undefined) point.ha_states_at_end = await server.readHaStates();
    } catch (err) {
      Object.assign(point, { error: err.message, error_source: errorSource, exchanges: 0, acks: 0, failed_pct: 100, leases_per_s: 0 });
    } finally {
      // WARN and ERROR lines of a pair's servers, read before the folder is deleted.
      if (server?.readLogTails !== undefined) point.server_logs = server.readLogTails();
      for (const proc of procs) await stopProcess(proc);
      rmSync(dir, { recursive: true, force: true });
    }
    this.log(formatPoint(point));
    return point;
  }
}

/**
 * Climb `rates` for every system, `reps` interleaved repetitions per rate; a system leaves the
 * ladder after FAILED_RATES_TO_STOP failed rates in a row. A system listed in `ratesBySystem` climbs
 * only its own rates, which must be a subset of `rates`. Returns every point measured.
 */
export async function runLadder(runner, { generator, systems, rates, ratesBySystem = {}, reps, durationS }) {
  const points = [];
  let active = [...systems];
  const failedInRow = Object.fromEntries(systems.map((s) => [s, 0]));

  for (const rate of rates) {
    if (active.length === 0) break;
    const atThisRate = active.filter((s) => (ratesBySystem[s] ?? rates).includes(rate));
    for (let rep = 1; rep <= reps; rep++) {
      for (const system of atThisRate) points.push(await runner.run(system, generator, rate, rep, durationS));
    }
    for (const system of atThisRate) {
      const failed = median(points.filter((p) => p.system === system && p.offered_rate === rate && countsForServer(p)).map((p) => p.failed_pct));
      failedInRow[system] = failed > FAILURE_THRESHOLD_PCT ? failedInRow[system] + 1 : 0;
    }
    active = active.filter((s) => failedInRow[s] < FAILED_RATES_TO_STOP);
  }
  return points;
}

/** Interleaved repetitions of one rate for the given systems, with no climbing. */
export async function runFixedRate(runner, { generator, systems, rate, reps, durationS }) {
  const points = [];
  for (let rep = 1; rep <= reps; rep++) {
    for (const system of systems) points.push(await runner.run(system, generator, rate, rep, durationS));
  }
  return points;
}

/** Whether a point measures the server: true unless the generator itself failed. */
export function countsForServer(point) {
  return point.error_source !== 'generator';
}

/** Compute the point's length in seconds: the requested one, shortened so that rate x duration fits the pool. */
export function pointDuration(rate, durationS) {
  const fit = Math.floor((EXCHANGES_PER_POINT / rate) * 100) / 100;
  return Math.min(durationS, fit);
}

function formatPoint(p) {
  const head = `${p.generator.padEnd(8)} ${p.system.padEnd(9)} ${String(p.offered_rate).padStart(7)}/s rep ${p.rep} ${String(p.duration_s).padStart(5)} s`;
  if (p.error !== undefined) return `${head}  ERROR ${p.error.split('\n')[0].slice(0, 160)}`;
  const cpu = p.server_cpu_per_lease_us === null ? '-' : `${p.server_cpu_per_lease_us.toFixed(1)} us`;
  const drops = Object.entries(p.udp_receive_buffer_drops ?? {}).filter(([, n]) => n > 0).map(([ns, n]) => `${ns} ${n}`).join(', ');
  const dropText = drops === '' ? '' : `  full receive buffers: ${drops}`;
  return `${head}  ${Math.round(p.leases_per_s).toString().padStart(7)} leases/s  failed ${p.failed_pct.toFixed(2).padStart(6)} %  cpu/lease ${cpu}${dropText}`;
}

function hex(n) {
  return (n & 0xff).toString(16).padStart(2, '0');
}

function round(x, digits) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
