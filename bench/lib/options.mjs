// Command-line options of bench/run.mjs and the ladders of offered rates for full and quick runs.

import { GENERATOR_NAMES } from './generators.mjs';
import { SYSTEMS, SYSTEM_NAMES } from './systems.mjs';

const SINGLE_SYSTEM_NAMES = SYSTEM_NAMES.filter((s) => !SYSTEMS[s].pair);

export const USAGE = `usage: sudo npm run bench -- [--quick] [--systems LIST] [--generators LIST] [--workers N]
                                [--commit-window US] [--receive-interval MS] [--no-warmup] [--rates LIST]
                                [--duration S] [--reps N] [--output NAME] [--from-json]

Measure nestor, single and as HA pairs, against ISC Kea 2.2 (single- and multi-threaded, and HA
pairs) and a stateless canned responder inside throwaway network namespaces, with perfdhcp and the
native loadgen as relay agents. Writes bench/results/latest.json and latest.svg (quick.json and
quick.svg with --quick) and prints a table. Needs root.

options:
  --quick             about 90 s: one rate per generator and system, 2 s points, 3 repetitions
  --systems LIST      comma-separated subset of ${SYSTEM_NAMES.join(',')}
  --generators LIST   comma-separated subset of ${GENERATOR_NAMES.join(',')}
  --workers N         worker threads for nestor (nestor serve --workers N); default: nestor's own
  --commit-window US  nestor's Dhcp4.nestor.commit-window-us (0 commits every batch at once);
                      default: nestor's own
  --receive-interval MS
                      nestor's Dhcp4.nestor.receive-interval-ms (0 reads each datagram as it
                      arrives); default: nestor's own
  --no-warmup         measure each point on a server that has served nobody yet
  --duration S        seconds per point (default 10, quick 2); points at high rates are shortened
                      so that every exchange still gets a new address from the pool
  --rates LIST        comma-separated offered rates (new clients/s) to measure instead of the
                      ladders, for every selected system and generator
  --reps N            repetitions per point, interleaved between systems (default 3)
  --output NAME       write bench/results/NAME.json and NAME.svg instead (letters, digits, - and _)
  --from-json         recompute the summary, ratios, chart and table from the points already in
                      bench/results/latest.json (or NAME.json with --output); measures nothing and
                      needs no root
  -h, --help          print this help
`;

/** Offered rates (new clients/s) per generator. perfdhcp needs about a core at 60k packets/s, so it stops at 12k. */
const FULL_LADDERS = {
  perfdhcp: [1_000, 2_000, 3_000, 4_500, 6_500, 9_000, 12_000],
  loadgen: [2_000, 4_000, 6_000, 9_000, 13_000, 16_000, 20_000, 25_000, 30_000, 33_000, 36_000, 40_000, 45_000, 68_000, 100_000, 150_000, 220_000, 320_000],
};

/**
 * Offered rates for the HA pairs. Kea 2.2 pairs lose exchanges above about 3,000/s on a 2-core
 * machine, so the loadgen ladder steps by 1,000/s up to 4,000/s before it widens. nestor pairs
 * reach their limit between 23,000 and 36,000/s, so the ladder is finer there, as the single
 * server's is between 25,000 and 45,000/s.
 */
const PAIR_LADDERS = {
  perfdhcp: FULL_LADDERS.perfdhcp,
  loadgen: [1_000, 2_000, 3_000, 4_000, 6_000, 9_000, 13_000, 17_000, 20_000, 23_000, 26_000, 28_000, 30_000, 33_000, 36_000, 45_000],
};

/**
 * Quick runs: loadgen at one rate for every single system and for the nestor and Kea load-balancing
 * pairs, which get a rate below Kea's pair limit. perfdhcp runs at one rate for nestor and the ceiling only.
 */
const QUICK_PLAN = {
  perfdhcp: { rates: { single: [2_000] }, systems: ['nestor', 'ceiling'] },
  loadgen: { rates: { single: [4_000], pair: [2_000] }, systems: [...SINGLE_SYSTEM_NAMES, 'nestor-lb', 'kea-lb'] },
};

export class UsageError extends Error {}

export function parseOptions(argv) {
  const options = { quick: false, systems: SYSTEM_NAMES, generators: GENERATOR_NAMES, workers: undefined, durationS: undefined, reps: 3, warmup: true };
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
      case '--commit-window': options.commitWindowUs = parseInteger(arg, value(), 0, 100_000); break;
      case '--receive-interval': options.receiveIntervalMs = parseInteger(arg, value(), 0, 100); break;
      case '--duration': options.durationS = parseInteger(arg, value(), 1, 120); break;
      case '--rates': options.rates = parseRates(arg, value()); break;
      case '--reps': options.reps = parseInteger(arg, value(), 1, 20); break;
      case '--output': options.output = parseName(arg, value()); break;
      case '--from-json': options.fromJson = true; break;
      case '--no-warmup': options.warmup = false; break;
      case '-h': case '--help': options.help = true; break;
      default: throw new UsageError(`unknown option '${arg}'`);
    }
  }
  options.durationS ??= options.quick ? 2 : 10;
  return options;
}

/** Return the Dhcp4.nestor keys set on the command line. nestor's defaults apply to the others. */
export function nestorSettings(options) {
  const settings = {};
  if (options.commitWindowUs !== undefined) settings['commit-window-us'] = options.commitWindowUs;
  if (options.receiveIntervalMs !== undefined) settings['receive-interval-ms'] = options.receiveIntervalMs;
  return settings;
}

/**
 * The ladder of each selected generator: the selected systems that climb it, all rates (`rates`),
 * and the rates of each system (`ratesBySystem`), since single servers and HA pairs climb their own.
 */
export function planLadders(options) {
  const plan = {};
  for (const generator of options.generators) {
    let byKind = options.quick ? QUICK_PLAN[generator].rates : { single: FULL_LADDERS[generator], pair: PAIR_LADDERS[generator] };
    if (options.rates !== undefined) byKind = { single: options.rates, pair: options.rates };
    const candidates = options.quick ? QUICK_PLAN[generator].systems : SYSTEM_NAMES;
    const systems = candidates.filter((s) => options.systems.includes(s) && byKind[kindOf(s)] !== undefined);
    if (systems.length === 0) continue;
    const ratesBySystem = Object.fromEntries(systems.map((s) => [s, byKind[kindOf(s)]]));
    const rates = [...new Set(Object.values(ratesBySystem).flat())].sort((a, b) => a - b);
    plan[generator] = { rates, systems, ratesBySystem };
  }
  return plan;
}

function kindOf(system) {
  return SYSTEMS[system].pair ? 'pair' : 'single';
}

function parseName(name, text) {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(text)) throw new UsageError(`${name}: '${text}' may contain only letters, digits, '-' and '_'`);
  return text;
}

function parseList(name, text, allowed) {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const item of items) {
    if (!allowed.includes(item)) throw new UsageError(`${name}: '${item}' is not one of ${allowed.join(', ')}`);
  }
  if (items.length === 0) throw new UsageError(`${name}: the list is empty`);
  return allowed.filter((a) => items.includes(a));
}

function parseRates(name, text) {
  const rates = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((s) => parseInteger(name, s, 100, 1_000_000));
  if (rates.length === 0) throw new UsageError(`${name}: the list is empty`);
  return [...new Set(rates)].sort((a, b) => a - b);
}

function parseInteger(name, text, min, max) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name}: '${text}' is not an integer from ${min} to ${max}`);
  return n;
}
