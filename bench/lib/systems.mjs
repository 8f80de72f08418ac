// The systems under test. Each start() runs one server in the lab's server namespace with a fresh
// lease database in its own folder, waits until it sends an OFFER for a DHCPDISCOVER, and returns the
// tracked process. The caller stops it with stopProcess().

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { CLIENT_ADDRESS, SERVER_ADDRESS } from './lab.mjs';
import { isRunning, run, stopProcess } from './proc.mjs';

const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
const REPO_DIR = join(BENCH_DIR, '..');
export const NESTOR_BIN = join(REPO_DIR, 'bin', 'nestor.js');
export const TOOLS_DIR = join(BENCH_DIR, '.build');
const PROBE = join(BENCH_DIR, 'lib', 'probe.mjs');
const READY_TIMEOUT_MS = 15_000;

/** First and last address of the pool in bench/kea/*.json; every point must fit in it. */
export const POOL = { first: '198.18.1.0', last: '198.19.255.254', size: 130_815 };

export const SYSTEMS = {
  nestor: {
    label: 'nestor',
    description: 'nestor serve, LMDB lease store, UDP socket, WARN logs',
    start: startNestor,
  },
  'kea-st': {
    label: 'Kea single-threaded',
    description: 'kea-dhcp4 2.2 single-threaded, memfile persisted, WARN logs',
    start: (lab, dir) => startKea(lab, dir, 'kea-st.json'),
  },
  'kea-mt': {
    label: 'Kea multi-threaded',
    description: 'kea-dhcp4 2.2, multi-threading with 2 threads and queue 64, memfile persisted, WARN logs',
    start: (lab, dir) => startKea(lab, dir, 'kea-mt.json'),
  },
  ceiling: {
    label: 'ceiling',
    description: 'stateless canned responder (bench/tools): the lab and generator limit, no lease work',
    start: startCeiling,
  },
};

export const SYSTEM_NAMES = Object.keys(SYSTEMS);

/** Read a Kea template, fill in its folder placeholder and parse it. */
function keaConfig(file, dir) {
  const text = readFileSync(join(BENCH_DIR, 'kea', file), 'utf8');
  return JSON.parse(text.replaceAll('@DIR@', dir));
}

async function startNestor(lab, dir, { workers }) {
  // The same Dhcp4 settings as Kea's single-threaded configuration, with an LMDB file instead of a CSV.
  const config = keaConfig('kea-st.json', dir);
  config.Dhcp4['lease-database'] = { type: 'lmdb', name: join(dir, 'leases4.lmdb') };
  config.Dhcp4.loggers[0].output_options[0].output = join(dir, 'nestor.log');
  const configPath = join(dir, 'nestor.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));

  const args = [NESTOR_BIN, 'serve', '-c', configPath];
  if (workers !== undefined) args.push('--workers', String(workers));
  const proc = lab.spawn(lab.serverNs, process.execPath, args);
  return waitUntilReady(lab, proc, join(dir, 'nestor.log'));
}

async function startKea(lab, dir, file) {
  const configPath = join(dir, file);
  writeFileSync(configPath, JSON.stringify(keaConfig(file, dir), null, 2));
  // Kea 2.2 exits at start when it cannot write its pid and lock files, which default to /run/kea.
  const env = { ...process.env, KEA_PIDFILE_DIR: dir, KEA_LOCKFILE_DIR: dir };
  const proc = lab.spawn(lab.serverNs, 'kea-dhcp4', ['-c', configPath], { env });
  return waitUntilReady(lab, proc, join(dir, 'kea-dhcp4.log'));
}

async function startCeiling(lab, dir) {
  const statsPath = join(dir, 'ceiling-stats.json');
  const proc = lab.spawn(lab.serverNs, join(TOOLS_DIR, 'ceiling'), ['--bind', SERVER_ADDRESS, '--json-stats', statsPath]);
  return waitUntilReady(lab, proc, undefined);
}

/** Probe until the server sends an OFFER; on failure stop it and throw with its output. */
async function waitUntilReady(lab, proc, logPath) {
  const probe = lab.spawn(lab.clientNs, process.execPath, [PROBE, SERVER_ADDRESS, CLIENT_ADDRESS, String(READY_TIMEOUT_MS)]);
  const { code } = await probe.exited;
  if (code !== 0) {
    const alive = isRunning(proc.pid);
    await stopProcess(proc);
    const { stdout, stderr } = proc.output();
    let log = '';
    try { log = logPath === undefined ? '' : readFileSync(logPath, 'utf8'); } catch { /* never written */ }
    const detail = `${stderr}\n${stdout}\n${log}`.trim().slice(-2_000);
    throw new Error(`${alive ? 'sent no OFFER for a DHCPDISCOVER' : 'exited'} within ${READY_TIMEOUT_MS / 1000} s: ${detail}`);
  }
  return proc;
}

/** Version strings for the JSON: Kea's from `kea-dhcp4 -v`, perfdhcp's from its package. */
export function keaVersion() {
  try {
    return run('kea-dhcp4', ['-v']).trim();
  } catch {
    return 'unknown';
  }
}
