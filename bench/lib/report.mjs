// The compact table printed at the end of a run.

import { GENERATORS } from './generators.mjs';
import { SYSTEMS } from './systems.mjs';

export function formatTable(results) {
  const lines = [];
  for (const [generator, bySystem] of Object.entries(results.summary)) {
    lines.push('', `${GENERATORS[generator].label}: highest sustained offered rate (≤ 2.5 % failed exchanges and leases/s within 2.5 % of it, medians of ${results.settings.reps})`);
    const latencyHead = generator === 'loadgen' ? 'DO p50/p99 ms   RA p50/p99 ms' : 'DO avg/max ms   RA avg/max ms';
    lines.push(`  ${'system'.padEnd(20)} ${'sustained'.padStart(9)} ${'leases/s (min–max)'.padStart(26)} ${'failed %'.padStart(8)}  ${latencyHead.padEnd(30)} ${'CPU/lease µs (min–max)'.padStart(24)} ${'peak leases/s'.padStart(13)}`);
    for (const [system, s] of Object.entries(bySystem)) {
      if (s === null) continue;
      const at = s.at_sustained;
      const label = SYSTEMS[system].label;
      if (at === null) {
        lines.push(`  ${label.padEnd(20)} ${'none'.padStart(9)} ${'-'.padStart(26)} ${'-'.padStart(8)}  ${'-'.padEnd(30)} ${'-'.padStart(24)} ${fmt(s.peak_leases_per_s, 0).padStart(13)}`);
        continue;
      }
      const leases = `${fmt(at.leases_per_s, 0)} (${range(at.spread.leases_per_s, 0)})`;
      const cpu = `${fmt(at.server_cpu_per_lease_us, 1)} (${range(at.spread.server_cpu_per_lease_us, 1)})`;
      const latency = generator === 'loadgen'
        ? `${ms(at.do_p50_us)}/${ms(at.do_p99_us)}`.padEnd(16) + `${ms(at.ra_p50_us)}/${ms(at.ra_p99_us)}`
        : `${ms(at.do_avg_us)}/${ms(at.do_max_us)}`.padEnd(16) + `${ms(at.ra_avg_us)}/${ms(at.ra_max_us)}`;
      lines.push(`  ${label.padEnd(20)} ${String(s.sustained_rate).padStart(9)} ${leases.padStart(26)} ${fmt(at.failed_pct, 2).padStart(8)}  ${latency.padEnd(30)} ${cpu.padStart(24)} ${fmt(s.peak_leases_per_s, 0).padStart(13)}`);
    }
  }
  if (results.half_kea !== null) {
    const h = results.half_kea;
    lines.push('', `loadgen at ${h.offered_rate}/s (half of Kea's best sustained rate): REQUEST→ACK p99 and CPU per lease`);
    for (const [system, row] of Object.entries(h.rows)) {
      lines.push(`  ${SYSTEMS[system].label.padEnd(20)} p99 ${ms(row.ra_p99_us).padStart(7)} ms (${range(row.spread.ra_p99_us?.map((x) => x / 1000) ?? null, 3)})   CPU/lease ${fmt(row.server_cpu_per_lease_us, 1)} µs   failed ${fmt(row.failed_pct, 2)} %`);
    }
  }
  lines.push('', 'ratios:');
  for (const [name, value] of Object.entries(results.ratios)) lines.push(`  ${name.padEnd(36)} ${String(value).padStart(7)}   ${results.ratio_basis[name]}`);
  return lines.join('\n');
}

function fmt(x, digits) {
  return x === null || x === undefined ? '-' : x.toFixed(digits);
}

function ms(us) {
  return us === null || us === undefined ? '-' : (us / 1000).toFixed(3);
}

function range(pair, digits) {
  return pair === null || pair === undefined ? '-' : `${fmt(pair[0], digits)}–${fmt(pair[1], digits)}`;
}
