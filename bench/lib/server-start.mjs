// Helpers shared by every system under test: the paths of nestor and the compiled tools, the Kea
// configuration templates in bench/kea/, and the readiness probe that waits for an OFFER.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { CLIENT_ADDRESS, SERVER_ADDRESS } from './lab.mjs';
import { isRunning, stopProcess } from './proc.mjs';

const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
const REPO_DIR = join(BENCH_DIR, '..');
export const NESTOR_BIN = join(REPO_DIR, 'bin', 'nestor.js');
export const TOOLS_DIR = join(BENCH_DIR, '.build');
const PROBE = join(BENCH_DIR, 'lib', 'probe.mjs');
export const READY_TIMEOUT_MS = 15_000;

/** Read a Kea template, fill in its folder placeholder and parse it. */
export function keaConfig(file, dir) {
  const text = readFileSync(join(BENCH_DIR, 'kea', file), 'utf8');
  return JSON.parse(text.replaceAll('@DIR@', dir));
}

/**
 * Probe `address` until a server sends an OFFER. On failure stop every process in `procs` and
 * throw with their output and the tails of their logs (`logPaths`, same order; undefined for none).
 */
export async function waitUntilReady(lab, procs, logPaths, address = SERVER_ADDRESS) {
  const probe = lab.spawn(lab.clientNs, process.execPath, [PROBE, address, CLIENT_ADDRESS, String(READY_TIMEOUT_MS)]);
  const { code } = await probe.exited;
  if (code === 0) return;
  const alive = procs.every((proc) => isRunning(proc.pid));
  const detail = await stopAndDescribe(procs, logPaths);
  throw new Error(`${alive ? 'sent no OFFER for a DHCPDISCOVER' : 'exited'} within ${READY_TIMEOUT_MS / 1000} s: ${detail}`);
}

/** Stop the processes and return their stderr, stdout and log tails, the last 2,000 characters of each. */
export async function stopAndDescribe(procs, logPaths) {
  const parts = [];
  for (const [i, proc] of procs.entries()) {
    await stopProcess(proc);
    const { stdout, stderr } = proc.output();
    let log = '';
    try { log = logPaths[i] === undefined ? '' : readFileSync(logPaths[i], 'utf8'); } catch { /* never written */ }
    const text = `${stderr}\n${stdout}\n${log}`.trim().slice(-2_000);
    parts.push(procs.length > 1 ? `[server ${i + 1}] ${text}` : text);
  }
  return parts.join('\n');
}
