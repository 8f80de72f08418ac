#!/usr/bin/env node
// nestor's benchmark: measures nestor (one server and HA pairs), Kea 2.2 (single- and multi-threaded,
// and HA pairs) and a stateless canned responder side by side in one run. Everything runs inside
// network namespaces built for the run, with perfdhcp and the native loadgen as relay agents. See
// bench/README.md for what is measured and how to read it.
//
// usage: sudo npm run bench -- [--quick] [--systems LIST] [--generators LIST] [--workers N] [--output NAME]

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { GENERATORS } from './lib/generators.mjs';
import { Lab, removeStaleLabs, SHARED_ADDRESS } from './lib/lab.mjs';
import { FAILURE_THRESHOLD_PCT, PointRunner, runFixedRate, runLadder } from './lib/ladder.mjs';
import { nestorSettings, parseOptions, planLadders, USAGE, UsageError } from './lib/options.mjs';
import { buildTools, checkNestorBuilt, checkRoot, ensureKea, PrerequisiteError } from './lib/prereqs.mjs';
import { killAllStarted, run } from './lib/proc.mjs';
import { formatTable } from './lib/report.mjs';
import { computeRatios, rateRows, summarize } from './lib/summary.mjs';
import { renderChart } from './lib/svg.mjs';
import { keaVersion, POOL, SYSTEMS } from './lib/systems.mjs';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const RESULTS_DIR = join(BENCH_DIR, 'results');
const KEA_SYSTEMS = ['kea-st', 'kea-mt'];

const log = (message) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

let lab;
let workDir;

/** Stop every process started here (by pid), delete the namespaces and the temporary folder. Safe to call twice. */
function teardown() {
  killAllStarted();
  if (lab !== undefined) lab.destroy();
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
  lab = undefined;
  workDir = undefined;
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`\n${sig}: stopping the servers and removing the lab`);
    teardown();
    process.exit(130);
  });
}

async function main(argv) {
  const options = parseOptions(argv);
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (options.fromJson) {
    // Recompute everything derived from the raw points, so a change to the analysis needs no new run.
    const results = JSON.parse(readFileSync(join(RESULTS_DIR, `${options.output ?? 'latest'}.json`), 'utf8'));
    Object.assign(results, analyse(results.points, results.settings.ladders));
    if (options.output !== undefined) results.output_name = options.output;
    writeResults(results);
    console.log(formatTable(results));
    return 0;
  }
  const startedAt = Date.now();
  const plan = planLadders(options);

  checkRoot();
  checkNestorBuilt();
  const usesKea = options.systems.some((s) => s.startsWith('kea')) || options.generators.includes('perfdhcp');
  if (usesKea) ensureKea(log);
  const tools = [];
  if (options.generators.includes('loadgen')) tools.push('loadgen');
  if (options.systems.includes('ceiling')) tools.push('ceiling');
  buildTools(tools, log);

  for (const ns of removeStaleLabs()) log(`removed namespace ${ns} left by an earlier run that was killed`);
  workDir = mkdtempSync(join(os.tmpdir(), 'nestor-bench-'));
  lab = new Lab();
  lab.build();
  log(`lab ${lab.prefix}: ${lab.clientNs} 198.18.0.10/24 — bridge in ${lab.bridgeNs} — ${lab.serverNs} 198.18.0.1/24 on srv1`);
  if (options.systems.some((s) => SYSTEMS[s].pair)) {
    lab.addPairServer();
    log(`HA pairs: ${lab.server2Ns} 198.18.0.2/24 on srv2; both servers share ${SHARED_ADDRESS}, which ${lab.clientNs} sends to the broadcast MAC`);
  }
  log(`${options.quick ? 'quick' : 'full'} run: ${options.durationS} s per point, ${options.reps} interleaved repetitions, temporary files in ${workDir}`);

  const loadStart = os.loadavg();
  const runner = new PointRunner({ lab, workDir, runByte: (Math.random() * 256) | 0, workers: options.workers, nestorSettings: nestorSettings(options), warmup: options.warmup, log });
  const points = [];
  for (const [generator, ladder] of Object.entries(plan)) {
    const groups = new Map();
    for (const system of ladder.systems) {
      const key = (ladder.ratesBySystem?.[system] ?? ladder.rates).join(', ');
      groups.set(key, [...(groups.get(key) ?? []), system]);
    }
    for (const [rates, systems] of groups) log(`${GENERATORS[generator].label}: rates ${rates} for ${systems.join(', ')}`);
    points.push(...await runLadder(runner, { generator, ...ladder, reps: options.reps, durationS: options.durationS }));
  }

  if (!options.quick) await measureHalfKea(runner, summarizeAll(points, plan), options, points);

  const results = {
    schema: 1,
    generated_at: new Date().toISOString(),
    command: `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
    mode: options.quick ? 'quick' : 'full',
    output_name: options.output ?? (options.quick ? 'quick' : 'latest'),
    elapsed_s: Math.round((Date.now() - startedAt) / 1000),
    machine: machineInfo(loadStart),
    settings: {
      duration_s: options.durationS,
      reps: options.reps,
      workers: options.workers ?? 'nestor default',
      commit_window_us: options.commitWindowUs ?? 'nestor default',
      receive_interval_ms: options.receiveIntervalMs ?? 'nestor default',
      warmup: options.warmup ? 'loadgen at half the point\'s rate (at most 5,000/s) for 1 s with other clients, then 0.5 s of rest, before each point' : 'none',
      failure_threshold_pct: FAILURE_THRESHOLD_PCT,
      pool: POOL,
      ladders: plan,
    },
    systems: Object.fromEntries(options.systems.map((s) => [s, SYSTEMS[s].description])),
    generators: Object.fromEntries(Object.keys(plan).map((g) => [g, GENERATORS[g].label])),
    ...analyse(points, plan),
    points,
  };
  writeResults(results);
  console.log(formatTable(results));
  const name = resultsName(results);
  log(`wrote bench/results/${name}.json and bench/results/${name}.svg in ${results.elapsed_s} s`);
  return 0;
}

/** Derive the summary, the half-of-Kea rows and the ratios from the raw points. */
function analyse(points, plan) {
  const summary = summarizeAll(points, plan);
  const extra = points.filter((p) => p.extra === 'half_kea');
  let halfKea = null;
  if (extra.length > 0) {
    const systems = [...new Set(extra.map((p) => p.system))];
    halfKea = { offered_rate: extra[0].offered_rate, rows: Object.fromEntries(systems.map((s) => [s, rateRows(extra, 'loadgen', s)[0]])) };
  }
  const { ratios, basis } = computeRatios(summary, halfKea === null ? {} : { loadgen: halfKea.rows });
  return { summary, half_kea: halfKea, ratios, ratio_basis: basis };
}

function summarizeAll(points, plan) {
  const summary = {};
  for (const [generator, ladder] of Object.entries(plan)) {
    summary[generator] = Object.fromEntries(ladder.systems.map((s) => [s, summarize(points, generator, s)]));
  }
  return summary;
}

/**
 * Extra loadgen points for nestor and both Kea configurations at half of Kea's best sustained rate,
 * well below Kea's limit: REQUEST→ACK p99 and CPU per lease compared at equal offered load.
 */
async function measureHalfKea(runner, summary, options, points) {
  const ladder = summary.loadgen;
  if (ladder === undefined) return;
  const keaRates = KEA_SYSTEMS.map((s) => ladder[s]?.sustained_rate ?? null).filter((r) => r !== null);
  const systems = ['nestor', ...KEA_SYSTEMS].filter((s) => ladder[s] !== undefined);
  if (keaRates.length === 0 || !systems.includes('nestor')) return;

  const rate = Math.round(Math.max(...keaRates) / 2);
  log(`loadgen at ${rate}/s (half of Kea's best sustained rate) for ${systems.join(', ')}`);
  const extra = await runFixedRate(runner, { generator: 'loadgen', systems, rate, reps: options.reps, durationS: options.durationS });
  for (const p of extra) p.extra = 'half_kea';
  points.push(...extra);
}

function machineInfo(loadStart) {
  const cpus = os.cpus();
  const version = (cmd, args) => {
    try { return run(cmd, args).trim().split('\n')[0]; } catch { return 'unknown'; }
  };
  return {
    nproc: cpus.length,
    cpu_model: cpus[0]?.model ?? 'unknown',
    memory_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    kea_dhcp4: keaVersion(),
    perfdhcp: version('perfdhcp', ['-v']),
    nestor_commit: version('git', ['-C', join(BENCH_DIR, '..'), 'rev-parse', '--short', 'HEAD']),
    load_average_start: loadStart.map((x) => Math.round(x * 100) / 100),
    load_average_end: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/**
 * The base name of the output files: --output NAME, else quick for quick runs (so a smoke test never
 * replaces the full run the docs quote), else latest.
 */
function resultsName(results) {
  return results.output_name ?? (results.mode === 'quick' ? 'quick' : 'latest');
}

function writeResults(results) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${resultsName(results)}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeChart(results);
}

function writeChart(results) {
  const panels = Object.entries(results.summary).map(([generator, bySystem]) => ({
    title: GENERATORS[generator].label,
    series: Object.entries(bySystem).filter(([, s]) => s !== null)
      .map(([system, s]) => ({ name: system, label: SYSTEMS[system].label, rows: s.rates })),
  }));
  const m = results.machine;
  const chart = renderChart({
    title: `nestor vs Kea 2.2: leases/s by offered rate (${results.mode} run)`,
    subtitle: `${results.generated_at.slice(0, 16).replace('T', ' ')} UTC · ${m.nproc} CPUs shared by generator and server · ${results.settings.duration_s} s points · median of ${results.settings.reps} · load avg ${m.load_average_start[0]}`,
    panels,
  });
  writeFileSync(join(RESULTS_DIR, `${resultsName(results)}.svg`), chart);
}

main(process.argv.slice(2))
  .then((code) => { process.exitCode = code; })
  .catch((err) => {
    if (err instanceof UsageError) {
      console.error(`bench: ${err.message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else if (err instanceof PrerequisiteError) {
      console.error(`bench: ${err.message}`);
      process.exitCode = 1;
    } else {
      console.error(`bench: failed: ${err.stack ?? err}`);
      process.exitCode = 1;
    }
  })
  .finally(teardown);
