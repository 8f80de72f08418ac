// Turns the raw points into per-rate medians, one summary per generator and system (highest
// sustained rate and the figures there), and the headline ratios between nestor, Kea and the ceiling,
// for single servers and for HA pairs.

import { countsForServer, FAILURE_THRESHOLD_PCT } from './ladder.mjs';
import { median, roundTo, spread } from './stats.mjs';

const LATENCY_FIELDS = ['do_avg_us', 'do_p50_us', 'do_p99_us', 'do_max_us', 'ra_avg_us', 'ra_p50_us', 'ra_p99_us', 'ra_max_us'];
const KEA_SYSTEMS = ['kea-st', 'kea-mt'];

/** Medians and spreads of every offered rate measured for one generator and system, lowest rate first. */
export function rateRows(points, generator, system) {
  const mine = points.filter((p) => p.generator === generator && p.system === system);
  const rates = [...new Set(mine.map((p) => p.offered_rate))].sort((a, b) => a - b);
  return rates.map((rate) => aggregate(mine.filter((p) => p.offered_rate === rate)));
}

function aggregate(all) {
  const reps = all.filter(countsForServer);
  const field = (name) => reps.map((p) => p[name]);
  const row = {
    offered_rate: all[0].offered_rate,
    reps: reps.length,
    duration_s: all[0].duration_s,
    server_errors: reps.filter((p) => p.error !== undefined).length,
    generator_errors: all.length - reps.length,
    leases_per_s: roundTo(median(field('leases_per_s')), 1),
    failed_pct: roundTo(median(field('failed_pct')), 3),
    server_cpu_per_lease_us: roundTo(median(field('server_cpu_per_lease_us')), 2),
  };
  for (const name of LATENCY_FIELDS) {
    if (reps.some((p) => Number.isFinite(p[name]))) row[name] = roundTo(median(field(name)), 1);
  }
  row.spread = {
    leases_per_s: roundPair(spread(field('leases_per_s')), 1),
    failed_pct: roundPair(spread(field('failed_pct')), 3),
    server_cpu_per_lease_us: roundPair(spread(field('server_cpu_per_lease_us')), 2),
  };
  if (reps.some((p) => Number.isFinite(p.ra_p99_us))) row.spread.ra_p99_us = roundPair(spread(field('ra_p99_us')), 1);
  // A generator that falls behind its schedule (loadgen keeps sending past the period, perfdhcp
  // sends fewer) shows few failures but fewer leases/s than offered, so both must be within 2.5 %.
  const keptUp = row.leases_per_s !== null && row.leases_per_s >= row.offered_rate * (1 - FAILURE_THRESHOLD_PCT / 100);
  const fewFailures = row.failed_pct !== null && row.failed_pct <= FAILURE_THRESHOLD_PCT;
  row.below_offered_rate = fewFailures && !keptUp;
  row.sustained = fewFailures && keptUp;
  return row;
}

/** Summary for one generator and system: the highest sustained rate, its figures and the best throughput seen. */
export function summarize(points, generator, system) {
  const rows = rateRows(points.filter((p) => !p.extra), generator, system);
  if (rows.length === 0) return null;
  const sustainedRows = rows.filter((r) => r.sustained);
  const best = sustainedRows.at(-1) ?? null;
  const peak = rows.reduce((a, b) => ((b.leases_per_s ?? 0) > (a.leases_per_s ?? 0) ? b : a));
  return {
    sustained_rate: best === null ? null : best.offered_rate,
    at_sustained: best,
    peak_leases_per_s: peak.leases_per_s,
    peak_at_offered_rate: peak.offered_rate,
    highest_rate_tried: rows.at(-1).offered_rate,
    rates: rows,
  };
}

/** Compute the headline ratios (numbers) and how each was computed (`basis`). */
export function computeRatios(summary, extraRows) {
  const ratios = {};
  const basis = {};
  const sustained = (gen, sys) => summary[gen]?.[sys]?.at_sustained?.leases_per_s ?? null;

  for (const gen of ['loadgen', 'perfdhcp']) {
    const suffix = gen === 'loadgen' ? '' : '_perfdhcp';
    const nestor = sustained(gen, 'nestor');
    const kea = bestKea(KEA_SYSTEMS.map((s) => [s, sustained(gen, s)]), (a, b) => a > b);
    if (nestor !== null && kea !== null) {
      ratios[`single_vs_kea${suffix}`] = roundTo(nestor / kea.value, 3);
      basis[`single_vs_kea${suffix}`] = `${gen}: nestor ${nestor} leases/s at its sustained rate / ${kea.system} ${kea.value} leases/s at its sustained rate`;
    }

    const cpu = cpuRatio(summary[gen], extraRows[gen], gen);
    if (cpu !== null) {
      ratios[`single_cpu_per_lease_vs_kea${suffix}`] = cpu.value;
      basis[`single_cpu_per_lease_vs_kea${suffix}`] = cpu.basis;
    }

    const ceiling = sustained(gen, 'ceiling');
    const key = gen === 'perfdhcp' ? 'single_vs_ceiling' : 'single_vs_ceiling_loadgen';
    if (nestor !== null && ceiling !== null) {
      ratios[key] = roundTo(nestor / ceiling, 3);
      basis[key] = `${gen}: nestor ${nestor} / ceiling ${ceiling} leases/s, each at its highest sustained rate`;
    }

    addPairRatios(summary[gen], gen, suffix, ratios, basis);
  }
  return { ratios, basis };
}

/** nestor's HA pair against Kea's pair of the same mode, and nestor's load-balancing pair against one nestor. */
const PAIR_COMPARISONS = [
  { key: 'lb_vs_kea_lb', mine: 'nestor-lb', other: 'kea-lb', cpuKey: 'lb_cpu_per_lease_vs_kea_lb' },
  { key: 'hs_vs_kea_hs', mine: 'nestor-hs', other: 'kea-hs', cpuKey: 'hs_cpu_per_lease_vs_kea_hs' },
  { key: 'lb_vs_single', mine: 'nestor-lb', other: 'nestor' },
];

/**
 * Add the HA ratios for one generator: leases/s of each at its own highest sustained rate, and CPU
 * per lease (both servers' processes) at the highest offered rate that both pairs sustained.
 */
function addPairRatios(genSummary, gen, suffix, ratios, basis) {
  if (genSummary === undefined) return;
  for (const { key, mine, other, cpuKey } of PAIR_COMPARISONS) {
    const a = genSummary[mine]?.at_sustained ?? null;
    const b = genSummary[other]?.at_sustained ?? null;
    if (a !== null && b !== null && b.leases_per_s > 0) {
      ratios[`${key}${suffix}`] = roundTo(a.leases_per_s / b.leases_per_s, 3);
      basis[`${key}${suffix}`] = `${gen}: ${mine} ${a.leases_per_s} leases/s at its sustained rate ${a.offered_rate}/s / ${other} ${b.leases_per_s} leases/s at its sustained rate ${b.offered_rate}/s`;
    }
    if (cpuKey === undefined) continue;
    const row = (sys, rate) => genSummary[sys]?.rates.find((r) => r.offered_rate === rate);
    const common = (genSummary[mine]?.rates ?? []).map((r) => r.offered_rate)
      .filter((rate) => row(mine, rate)?.sustained === true && row(other, rate)?.sustained === true).at(-1);
    if (common === undefined) continue;
    const cpuMine = row(mine, common).server_cpu_per_lease_us;
    const cpuOther = row(other, common).server_cpu_per_lease_us;
    if (cpuMine === null || cpuOther === null || cpuOther <= 0) continue;
    ratios[`${cpuKey}${suffix}`] = roundTo(cpuMine / cpuOther, 3);
    basis[`${cpuKey}${suffix}`] = `${gen}: ${mine} ${cpuMine} us / ${other} ${cpuOther} us of CPU of both servers per ACK, at ${common}/s offered (highest rate both pairs sustained)`;
  }
}

/**
 * nestor's CPU per lease over the lower of the two Kea configurations at one offered rate: the
 * extra half-of-Kea's-best point when it was measured, else the highest rate that nestor and both
 * Kea configurations sustained.
 */
function cpuRatio(genSummary, extra, gen) {
  let rows;
  let where;
  if (extra !== undefined && extra.nestor !== undefined) {
    rows = extra;
    where = `at ${extra.nestor.offered_rate}/s offered (half of Kea's best sustained rate)`;
  } else if (genSummary !== undefined && genSummary.nestor !== undefined) {
    const ok = (sys, rate) => genSummary[sys]?.rates.find((r) => r.offered_rate === rate)?.sustained === true;
    const common = genSummary.nestor.rates.map((r) => r.offered_rate)
      .filter((rate) => ok('nestor', rate) && KEA_SYSTEMS.some((s) => ok(s, rate))).at(-1);
    if (common === undefined) return null;
    rows = Object.fromEntries(['nestor', ...KEA_SYSTEMS].map((s) => [s, genSummary[s]?.rates.find((r) => r.offered_rate === common)]));
    where = `at ${common}/s offered (highest rate nestor and Kea both sustained)`;
  } else {
    return null;
  }
  const nestor = rows.nestor?.server_cpu_per_lease_us ?? null;
  const kea = bestKea(KEA_SYSTEMS.map((s) => [s, rows[s]?.server_cpu_per_lease_us ?? null]), (a, b) => a < b);
  if (nestor === null || kea === null) return null;
  return {
    value: roundTo(nestor / kea.value, 3),
    basis: `${gen}: nestor ${nestor} us / ${kea.system} ${kea.value} us of server CPU per ACK, ${where}`,
  };
}

function bestKea(pairs, better) {
  let best = null;
  for (const [system, value] of pairs) {
    if (value === null || !Number.isFinite(value)) continue;
    if (best === null || better(value, best.value)) best = { system, value };
  }
  return best;
}

function roundPair(pair, digits) {
  return pair === null ? null : [roundTo(pair[0], digits), roundTo(pair[1], digits)];
}
