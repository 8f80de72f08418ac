// Command-line options of bench/run.mjs and the ladders of offered rates for full and quick runs.

import { GENERATOR_NAMES } from './generators.mjs';
import { SYSTEM_NAMES } from './systems.mjs';

export const USAGE = `usage: sudo npm run bench -- [--quick] [--systems LIST] [--generators LIST] [--workers N]
                                [--duration S] [--reps N] [--from-json]

Measure nestor against ISC Kea 2.2 (single- and multi-threaded) and a stateless canned responder
inside throwaway network namespaces, with perfdhcp and the native loadgen as relay agents. Writes
bench/results/latest.json and latest.svg (quick.json and quick.svg with --quick) and prints a
table. Needs root.

options:
  --quick             about one minute: one rate per generator, 2 s points, 3 repetitions
  --systems LIST      comma-separated subset of ${SYSTEM_NAMES.join(',')}
  --generators LIST   comma-separated subset of ${GENERATOR_NAMES.join(',')}
  --workers N         worker threads for nestor (nestor serve --workers N); default: nestor's own
  --duration S        seconds per point (default 10, quick 2); points at high rates are shortened
                      so that every exchange still gets a new address from the pool
  --reps N            repetitions per point, interleaved between systems (default 3)
  --from-json         recompute the summary, ratios, chart and table from the points already in
                      bench/results/latest.json; measures nothing and needs no root
  -h, --help          print this help
`;

/** Offered rates (new clients/s) per generator. perfdhcp needs about a core at 60k packets/s, so it stops at 12k. */
const FULL_LADDERS = {
  perfdhcp: [1_000, 2_000, 3_000, 4_500, 6_500, 9_000, 12_000],
  loadgen: [2_000, 4_000, 6_000, 9_000, 13_000, 20_000, 30_000, 45_000, 68_000, 100_000, 150_000, 220_000, 320_000],
};

/** Quick runs: loadgen at one rate for every system, perfdhcp at one rate for nestor and the ceiling only. */
const QUICK_PLAN = {
  perfdhcp: { rates: [2_000], systems: ['nestor', 'ceiling'] },
  loadgen: { rates: [4_000], systems: SYSTEM_NAMES },
};

export class UsageError extends Error {}

export function parseOptions(argv) {
  const options = { quick: false, systems: SYSTEM_NAMES, generators: GENERATOR_NAMES, workers: undefined, durationS: undefined, reps: 3 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new UsageError(`${arg} is missing its value`);
      return argv[++i];
    };
    switch (arg) {
      case '--quick': options.quick = true; break;
      case '--systems': options.systems = parseList(arg, value(), SYSTEM_NAMES); break;
      case '--generators': options.generators = parseList(arg, value(), GENERATOR_NAMES); break;
      case '--workers': options.workers = parseInteger(arg, value(), 0, 64); break;
      case '--duration': options.durationS = parseInteger(arg, value(), 1, 120); break;
      case '--reps': options.reps = parseInteger(arg, value(), 1, 20); break;
      case '--from-json': options.fromJson = true; break;
      case '-h': case '--help': options.help = true; break;
      default: throw new UsageError(`unknown option '${arg}'`);
    }
  }
  options.durationS ??= options.quick ? 2 : 10;
  return options;
}

/** The ladder of each selected generator: its rates and the selected systems that climb it. */
export function planLadders(options) {
  const plan = {};
  for (const generator of options.generators) {
    if (options.quick) {
      const quick = QUICK_PLAN[generator];
      const systems = quick.systems.filter((s) => options.systems.includes(s));
      if (systems.length > 0) plan[generator] = { rates: quick.rates, systems };
    } else {
      plan[generator] = { rates: FULL_LADDERS[generator], systems: options.systems };
    }
  }
  return plan;
}

function parseList(name, text, allowed) {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const item of items) {
    if (!allowed.includes(item)) throw new UsageError(`${name}: '${item}' is not one of ${allowed.join(', ')}`);
  }
  if (items.length === 0) throw new UsageError(`${name}: the list is empty`);
  return allowed.filter((a) => items.includes(a));
}

function parseInteger(name, text, min, max) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name}: '${text}' is not an integer from ${min} to ${max}`);
  return n;
}
