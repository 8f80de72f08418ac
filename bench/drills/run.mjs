// Runs the HA failure drills of test/integration/ha-drills.int.test.ts longer and repeatedly, and
// prints the counts and timings of every run as JSON. Each run is one vitest run of that file with
// NESTOR_DRILL_* environment variables that set the number of SIGKILL rounds, the
// max-unacked-clients values of the cut drill and the clients per round. A drill that finds a lost
// ACKed lease, an address given to two clients or a state never reached fails its run, and the
// failure text goes into the JSON. Needs root (network namespaces), like the integration tests.
// Usage: node bench/drills/run.mjs [--rounds N] [--cut-limits 100,0] [--clients N] [--repeat K] [--no-link-cut] [--out FILE]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TEST_FILE = 'test/integration/ha-drills.int.test.ts';
/** Time per SIGKILL round (about 10 s measured) plus the pair start, with slack, for vitest's test timeout. */
const ROUND_BUDGET_MS = 30_000;
const BASE_BUDGET_MS = 120_000;

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '4' },
    'cut-limits': { type: 'string', default: '100,0' },
    clients: { type: 'string', default: '40' },
    repeat: { type: 'string', default: '1' },
    'no-link-cut': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const rounds = positiveInteger('rounds', values.rounds);
const clients = positiveInteger('clients', values.clients);
const repeat = positiveInteger('repeat', values.repeat);
const cutLimits = values['cut-limits'].split(',').map((text) => {
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 0) fail(`--cut-limits: '${text}' is not a non-negative integer`);
  return limit;
});
if (process.getuid?.() !== 0) fail('the drills need root for network namespaces; run with sudo');

const workDir = mkdtempSync(join(tmpdir(), 'nestor-drills-'));
const runs = [];
try {
  for (let run = 1; run <= repeat; run++) {
    const reportPath = join(workDir, `report-${run}.json`);
    const started = Date.now();
    const { code, output } = await runVitest(reportPath);
    let report = {};
    try { report = JSON.parse(readFileSync(reportPath, 'utf8')); } catch { /* the run failed before writing it */ }
    const entry = { run, passed: code === 0, durationMs: Date.now() - started, ...report };
    if (code !== 0) entry.failure = failureText(output);
    runs.push(entry);
    process.stderr.write(`run ${run}/${repeat}: ${entry.passed ? 'passed' : 'FAILED'} in ${Math.round(entry.durationMs / 1000)} s\n`);
  }
} finally {
  rmSync(workDir, { recursive: true, force: true });
}

const result = { settings: { rounds, cutLimits, clients, repeat, linkCut: !values['no-link-cut'] }, totals: totalsOf(runs), runs };
const text = `${JSON.stringify(result, null, 2)}\n`;
if (values.out !== undefined) writeFileSync(values.out, text);
process.stdout.write(text);
process.exitCode = runs.every((r) => r.passed) ? 0 : 1;

/** Runs the drill file once with the settings in the environment; resolves with the exit code and the output. */
function runVitest(reportPath) {
  const env = {
    ...process.env,
    NESTOR_REQUIRE_NETNS: '1',
    NESTOR_DRILL_ROUNDS: String(rounds),
    NESTOR_DRILL_CUT_LIMITS: cutLimits.join(','),
    NESTOR_DRILL_CLIENTS: String(clients),
    NESTOR_DRILL_LINK_CUT: values['no-link-cut'] ? '0' : '1',
    NESTOR_DRILL_REPORT: reportPath,
  };
  const timeoutMs = BASE_BUDGET_MS + rounds * ROUND_BUDGET_MS;
  const args = ['vitest', 'run', '--project', 'integration', TEST_FILE, `--testTimeout=${timeoutMs}`];
  return new Promise((resolve) => {
    const child = spawn('npx', args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/** Sums the counts of every run: rounds, clients served, ACKs, and the worst times. */
function totalsOf(allRuns) {
  const kills = allRuns.flatMap((r) => r.kill ?? []);
  const cuts = allRuns.flatMap((r) => Object.entries(r).filter(([key]) => key.startsWith('cut-')).map(([, value]) => value));
  return {
    runsPassed: allRuns.filter((r) => r.passed).length,
    runsFailed: allRuns.filter((r) => !r.passed).length,
    killRounds: kills.length,
    killClients: sum(kills, 'clients'),
    killClientsServed: sum(kills, 'served'),
    maxToPartnerDownMs: max(kills, 'toPartnerDownMs'),
    maxResyncToLoadBalancingMs: max(kills, 'toLoadBalancingMs'),
    cutDrills: cuts.length,
    cutClients: sum(cuts, 'clients'),
    cutClientsServed: sum(cuts, 'served'),
    maxCutToLoadBalancingMs: max(cuts, 'toLoadBalancingMs'),
    linkCutAddressesAckedTwice: allRuns.reduce((total, r) => total + Object.keys(r.linkCut?.addressesAckedToSeveralClients ?? {}).length, 0),
  };
}

function sum(items, key) {
  return items.reduce((total, item) => total + (item[key] ?? 0), 0);
}

function max(items, key) {
  return items.reduce((worst, item) => Math.max(worst, item[key] ?? 0), 0);
}

/** Returns the failure part of vitest's output without colour codes, at most 6000 characters. */
function failureText(output) {
  // eslint-disable-next-line no-control-regex
  const plain = output.replace(/\u001b\[[0-9;]*m/g, '');
  const at = plain.indexOf('Failed Tests');
  return (at >= 0 ? plain.slice(at) : plain).slice(0, 6000);
}

function positiveInteger(name, text) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) fail(`--${name}: '${text}' is not a positive integer`);
  return value;
}

function fail(message) {
  process.stderr.write(`bench/drills/run.mjs: ${message}\n`);
  process.exit(2);
}
