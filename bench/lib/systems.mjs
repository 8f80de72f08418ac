// The systems under test. Each start() runs one server in the lab's server namespace with a fresh
// lease database in its own folder, waits until it sends an OFFER for a DHCPDISCOVER, and returns the
// tracked process, which the caller stops with stopProcess(). The HA pairs (ha-systems.mjs) start two
// servers and return { procs } with both.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { PAIR_SYSTEMS } from './ha-systems.mjs';
import { SERVER_ADDRESS } from './lab.mjs';
import { run } from './proc.mjs';
import { keaConfig, NESTOR_BIN, TOOLS_DIR, waitUntilReady } from './server-start.mjs';

export { NESTOR_BIN, TOOLS_DIR } from './server-start.mjs';

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
  ...PAIR_SYSTEMS,
};

export const SYSTEM_NAMES = Object.keys(SYSTEMS);

async function startNestor(lab, dir, { workers, nestorSettings = {} }) {
  // The same Dhcp4 settings as Kea's single-threaded configuration, with an LMDB file instead of a CSV.
  const config = keaConfig('kea-st.json', dir);
  config.Dhcp4['lease-database'] = { type: 'lmdb', name: join(dir, 'leases4.lmdb') };
  config.Dhcp4.loggers[0].output_options[0].output = join(dir, 'nestor.log');
  if (Object.keys(nestorSettings).length > 0) config.Dhcp4.nestor = { ...nestorSettings };
  const configPath = join(dir, 'nestor.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));

  const args = [NESTOR_BIN, 'serve', '-c', configPath];
  if (workers !== undefined) args.push('--workers', String(workers));
  const proc = lab.spawn(lab.serverNs, process.execPath, args);
  await waitUntilReady(lab, [proc], [join(dir, 'nestor.log')]);
  return proc;
}

async function startKea(lab, dir, file) {
  const configPath = join(dir, file);
  writeFileSync(configPath, JSON.stringify(keaConfig(file, dir), null, 2));
  // Kea 2.2 exits at start when it cannot write its pid and lock files, which default to /run/kea.
  const env = { ...process.env, KEA_PIDFILE_DIR: dir, KEA_LOCKFILE_DIR: dir };
  const proc = lab.spawn(lab.serverNs, 'kea-dhcp4', ['-c', configPath], { env });
  await waitUntilReady(lab, [proc], [join(dir, 'kea-dhcp4.log')]);
  return proc;
}

async function startCeiling(lab, dir) {
  const statsPath = join(dir, 'ceiling-stats.json');
  const proc = lab.spawn(lab.serverNs, join(TOOLS_DIR, 'ceiling'), ['--bind', SERVER_ADDRESS, '--json-stats', statsPath]);
  await waitUntilReady(lab, [proc], [undefined]);
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
