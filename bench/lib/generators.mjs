// The load generators: ISC perfdhcp 2.2 and the native loadgen (bench/tools), both acting as a relay
// agent at 198.18.0.10 toward the server at 198.18.0.1, or toward the shared address 198.18.0.100 of
// an HA pair. Each run() returns one normalized result:
// exchanges started, ACKs, failed exchanges (%), leases/s, latencies in microseconds, generator CPU.

import { join } from 'node:path';

import { CLIENT_ADDRESS, CLIENT_IFACE, SERVER_ADDRESS } from './lab.mjs';
import { readCpuSeconds, stopProcess } from './proc.mjs';
import { TOOLS_DIR } from './systems.mjs';

/** Extra time a generator may take beyond its period before it is stopped. */
const RUN_GRACE_MS = 20_000;
/** perfdhcp -W: listening time after the last send, in microseconds. Not part of the rate divisor below. */
const PERFDHCP_EXIT_WAIT_US = 500_000;
/** perfdhcp -R: MACs are drawn at random from this many, so repeats (renewals) stay rare (about 0.4 % at 120,000 draws). */
const PERFDHCP_CLIENT_RANGE = 1 << 24;

export const GENERATORS = {
  perfdhcp: { label: 'perfdhcp 2.2 (relay mode)', run: runPerfdhcp },
  loadgen: { label: 'loadgen (native, relay mode)', run: runLoadgen },
};

export const GENERATOR_NAMES = Object.keys(GENERATORS);

/** Run a child to completion with a time limit; polls its CPU time while it runs. */
async function runBounded(lab, cmd, args, limitMs) {
  const proc = lab.spawn(lab.clientNs, cmd, args);
  let cpuS = 0;
  const poll = setInterval(() => {
    try { cpuS = readCpuSeconds(proc.pid).cpuS; } catch { /* exited */ }
  }, 100);
  const timer = setTimeout(() => { void stopProcess(proc, 1_000); }, limitMs);
  const { code, signal } = await proc.exited;
  clearTimeout(timer);
  clearInterval(poll);
  return { code, signal, cpuS, ...proc.output() };
}

async function runPerfdhcp(lab, { rate, durationS, macBase, server = SERVER_ADDRESS }) {
  const args = ['-4', '-l', CLIENT_IFACE, '-r', String(rate), '-R', String(PERFDHCP_CLIENT_RANGE), '-p', String(durationS),
    '-W', String(PERFDHCP_EXIT_WAIT_US), '-b', `mac=${macBase}`, server];
  const out = await runBounded(lab, 'perfdhcp', args, durationS * 1000 + RUN_GRACE_MS);
  // perfdhcp exits 3 when any packet was dropped; its report is complete then too.
  if (out.code !== 0 && out.code !== 3) {
    throw new Error(`perfdhcp exited with ${out.code ?? out.signal}: ${(out.stderr || out.stdout).trim().slice(-1_000)}`);
  }
  const report = parsePerfdhcpReport(out.stdout);
  const doSent = report.do.sent;
  const failed = report.do.drops + report.ra.drops;
  return {
    command: `perfdhcp ${args.join(' ')}`,
    exchanges: doSent,
    acks: report.ra.received,
    failed,
    failed_pct: doSent === 0 ? 100 : (100 * failed) / doSent,
    // perfdhcp's own Rate line divides by period + exit wait, so leases/s is computed from the period.
    leases_per_s: report.ra.received / durationS,
    do_avg_us: report.do.avgMs * 1000,
    do_max_us: report.do.maxMs * 1000,
    ra_avg_us: report.ra.avgMs * 1000,
    ra_max_us: report.ra.maxMs * 1000,
    generator_cpu_s: out.cpuS,
    raw: { rate_line: report.rateLine, discover_offer: report.do, request_ack: report.ra },
  };
}

/** Read the DISCOVER-OFFER and REQUEST-ACK sections of a perfdhcp 2.2 report. */
export function parsePerfdhcpReport(text) {
  const section = (name) => {
    const start = text.indexOf(`***Statistics for: ${name}***`);
    if (start < 0) throw new Error(`perfdhcp report has no '${name}' section:\n${text.slice(-1_500)}`);
    const body = text.slice(start, text.indexOf('collected packets', start));
    const number = (label) => {
      const match = new RegExp(`^${label}: ([0-9.]+)`, 'm').exec(body);
      return match === null ? NaN : Number(match[1]);
    };
    return {
      sent: number('sent packets'),
      received: number('received packets'),
      drops: number('drops'),
      orphans: number('orphans'),
      avgMs: number('avg delay'),
      maxMs: number('max delay'),
    };
  };
  const rate = /^Rate: (.*)$/m.exec(text);
  return { rateLine: rate === null ? '' : rate[1], do: section('DISCOVER-OFFER'), ra: section('REQUEST-ACK') };
}

async function runLoadgen(lab, { rate, durationS, macBase, server = SERVER_ADDRESS }) {
  const args = ['--server', server, '--giaddr', CLIENT_ADDRESS, '--bind', CLIENT_ADDRESS, '--rate', String(rate),
    '--duration', String(durationS), '--mac-base', macBase, '--json'];
  const out = await runBounded(lab, join(TOOLS_DIR, 'loadgen'), args, durationS * 1500 + RUN_GRACE_MS);
  const line = out.stdout.trim().split('\n').pop() ?? '';
  let report;
  try {
    report = JSON.parse(line);
  } catch {
    throw new Error(`loadgen exited with ${out.code ?? out.signal} without a JSON report: ${(out.stderr || out.stdout).trim().slice(-1_000)}`);
  }
  return {
    command: `loadgen ${args.join(' ')}`,
    exchanges: report.exchanges,
    acks: report.acks,
    failed: report.failed,
    failed_pct: report.failed_pct,
    leases_per_s: report.leases_per_s,
    do_p50_us: report.do_p50_us,
    do_p99_us: report.do_p99_us,
    do_max_us: report.do_max_us,
    ra_p50_us: report.ra_p50_us,
    ra_p99_us: report.ra_p99_us,
    ra_max_us: report.ra_max_us,
    generator_cpu_s: report.cpu_s,
    raw: report,
  };
}
