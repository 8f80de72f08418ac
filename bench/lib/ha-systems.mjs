// The HA pairs under test: two nestor servers or two kea-dhcp4 2.2 servers with the HA hook in
// load-balancing or hot-standby. Server 1 runs in the lab's server namespace, server 2 in the second
// one (Lab.addPairServer). Both listen for DHCP on the shared address and for their peer on their
// own address, port 8001. A pair is ready when both report their normal HA state to `ha-heartbeat`
// and a DHCPDISCOVER to the shared address gets an OFFER.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { SERVER2_ADDRESS, SERVER2_IFACE, SERVER_ADDRESS, SERVER_IFACE, SHARED_ADDRESS } from './lab.mjs';
import { isRunning, stopProcess } from './proc.mjs';
import { keaConfig, NESTOR_BIN, stopAndDescribe, waitUntilReady } from './server-start.mjs';

const HA_STATE_SCRIPT = fileURLToPath(new URL('ha-state.mjs', import.meta.url));
const HOOKS_DIR = '/usr/lib/x86_64-linux-gnu/kea/hooks';
const HA_PORT = 8001;
/** A Kea 2.2 pair moves between start-up states once per heartbeat-delay, so it needs a few of them. */
const HA_READY_TIMEOUT_MS = 60_000;
/**
 * Heartbeat every second instead of Kea's default 10 s: Kea 2.2 needs two to four heartbeats to
 * reach its normal state, which takes 20–41 s with the default and a few seconds with this value.
 */
const HEARTBEAT_DELAY_MS = 1_000;

/**
 * Half of the pool in bench/kea/*.json for each load-balancing peer, as Kea needs it written.
 * nestor computes the same split from the unguarded pool (first half, rounded up, to the primary).
 */
const KEA_LB_POOLS = [
  { pool: '198.18.1.0 - 198.19.0.127', 'client-class': 'HA_server1' },
  { pool: '198.19.0.128 - 198.19.255.254', 'client-class': 'HA_server2' },
];

const MODES = {
  lb: { mode: 'load-balancing', secondRole: 'secondary', normalState: 'load-balancing' },
  hs: { mode: 'hot-standby', secondRole: 'standby', normalState: 'hot-standby' },
};

const SERVERS = [
  { name: 'server1', address: SERVER_ADDRESS, iface: SERVER_IFACE, namespace: (lab) => lab.serverNs },
  { name: 'server2', address: SERVER2_ADDRESS, iface: SERVER2_IFACE, namespace: (lab) => lab.server2Ns },
];

export const PAIR_SYSTEMS = {
  'nestor-lb': {
    label: 'nestor LB pair',
    description: 'two nestor serve, HA load-balancing, LMDB lease stores, one lease4-bulk-update per batch, WARN logs',
    pair: true,
    address: SHARED_ADDRESS,
    start: (lab, dir, options) => startPair(lab, dir, options, 'nestor', MODES.lb),
  },
  'nestor-hs': {
    label: 'nestor HS pair',
    description: 'two nestor serve, HA hot-standby, LMDB lease stores, one lease4-bulk-update per batch, WARN logs',
    pair: true,
    address: SHARED_ADDRESS,
    start: (lab, dir, options) => startPair(lab, dir, options, 'nestor', MODES.hs),
  },
  'kea-lb': {
    label: 'Kea LB pair',
    description: 'two kea-dhcp4 2.2, HA load-balancing, multi-threaded (2 threads, queue 64) with the HA dedicated listener, memfile persisted, WARN logs',
    pair: true,
    address: SHARED_ADDRESS,
    start: (lab, dir, options) => startPair(lab, dir, options, 'kea', MODES.lb),
  },
  'kea-hs': {
    label: 'Kea HS pair',
    description: 'two kea-dhcp4 2.2, HA hot-standby, multi-threaded (2 threads, queue 64) with the HA dedicated listener, memfile persisted, WARN logs',
    pair: true,
    address: SHARED_ADDRESS,
    start: (lab, dir, options) => startPair(lab, dir, options, 'kea', MODES.hs),
  },
};

/** Build the URL of a server's peer listener. */
function peerUrl(server) {
  return `http://${server.address}:${HA_PORT}/`;
}

/** Build the hooks-libraries list with libdhcp_ha.so, the same for nestor and Kea apart from this-server-name. */
function haHooks(thisServer, mode) {
  return [
    { library: join(HOOKS_DIR, 'libdhcp_lease_cmds.so') },
    {
      library: join(HOOKS_DIR, 'libdhcp_ha.so'),
      parameters: {
        'high-availability': [{
          'this-server-name': thisServer.name,
          mode: mode.mode,
          'heartbeat-delay': HEARTBEAT_DELAY_MS,
          'max-response-delay': 60_000,
          'max-ack-delay': 5_000,
          'max-unacked-clients': 5,
          'sync-timeout': 60_000,
          // Kea 2.2 serves its peer on its own URL only with this block and server multi-threading on.
          'multi-threading': {
            'enable-multi-threading': true,
            'http-dedicated-listener': true,
            'http-listener-threads': 2,
            'http-client-threads': 2,
          },
          peers: [
            { name: SERVERS[0].name, url: peerUrl(SERVERS[0]), role: 'primary', 'auto-failover': true },
            { name: SERVERS[1].name, url: peerUrl(SERVERS[1]), role: mode.secondRole, 'auto-failover': true },
          ],
        }],
      },
    },
  ];
}

/** Write one server's configuration into its folder and return the path and its log file. */
function writeServerConfig(kind, server, mode, serverDir, nestorSettings = {}) {
  if (kind === 'nestor') {
    // nestor's single-server settings plus HA. nestor splits the unguarded pool itself.
    const config = keaConfig('kea-st.json', serverDir);
    config.Dhcp4['lease-database'] = { type: 'lmdb', name: join(serverDir, 'leases4.lmdb') };
    config.Dhcp4.loggers[0].output_options[0].output = join(serverDir, 'nestor.log');
    if (Object.keys(nestorSettings).length > 0) config.Dhcp4.nestor = { ...nestorSettings };
    return finishConfig(config, server, mode, serverDir, 'nestor');
  }
  const config = keaConfig('kea-mt.json', serverDir);
  if (mode === MODES.lb) config.Dhcp4.subnet4[0].pools = KEA_LB_POOLS;
  return finishConfig(config, server, mode, serverDir, 'kea-dhcp4');
}

function finishConfig(config, server, mode, serverDir, logName) {
  config.Dhcp4['interfaces-config'].interfaces = [`${server.iface}/${SHARED_ADDRESS}`];
  config.Dhcp4['hooks-libraries'] = haHooks(server, mode);
  const configPath = join(serverDir, `${logName}.json`);
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  return { configPath, logPath: join(serverDir, `${logName}.log`) };
}

/**
 * Start both servers of a pair, wait until both report the normal state of `mode` and the shared
 * address sends an OFFER. Returns { procs, haStates, readHaStates, readLogTails }. On failure it
 * stops both and throws.
 */
async function startPair(lab, dir, { workers, nestorSettings }, kind, mode) {
  lab.addPairServer();
  const procs = [];
  const logPaths = [];
  for (const server of SERVERS) {
    const serverDir = join(dir, server.name);
    mkdirSync(serverDir);
    const { configPath, logPath } = writeServerConfig(kind, server, mode, serverDir, nestorSettings);
    logPaths.push(logPath);
    if (kind === 'nestor') {
      const args = [NESTOR_BIN, 'serve', '-c', configPath];
      if (workers !== undefined) args.push('--workers', String(workers));
      procs.push(lab.spawn(server.namespace(lab), process.execPath, args));
    } else {
      // Separate pid and lock folders, because both servers run on one file system.
      const env = { ...process.env, KEA_PIDFILE_DIR: serverDir, KEA_LOCKFILE_DIR: serverDir };
      procs.push(lab.spawn(server.namespace(lab), 'kea-dhcp4', ['-c', configPath], { env }));
    }
  }

  const targets = SERVERS.map((server) => `${peerUrl(server)}=${mode.normalState}`);
  const check = lab.spawn(lab.clientNs, process.execPath, [HA_STATE_SCRIPT, String(HA_READY_TIMEOUT_MS), ...targets]);
  // A server that exits at start ends the wait at once instead of after HA_READY_TIMEOUT_MS.
  const watch = setInterval(() => {
    if (!procs.every((proc) => isRunning(proc.pid))) void stopProcess(check, 1_000);
  }, 200);
  const { code } = await check.exited;
  clearInterval(watch);
  const states = check.output().stdout.trim();
  const exited = procs.findIndex((proc) => !isRunning(proc.pid));
  if (code !== 0 || exited >= 0) {
    const detail = await stopAndDescribe(procs, logPaths);
    const reason = exited >= 0
      ? `server ${exited + 1} exited before the pair reached ${mode.normalState}`
      : `pair did not reach ${mode.normalState} within ${HA_READY_TIMEOUT_MS / 1000} s (last states ${states})`;
    throw new Error(`${reason}: ${detail}`);
  }
  await waitUntilReady(lab, procs, logPaths, SHARED_ADDRESS);
  // Start-up lines (a refused first heartbeat, Kea's multi-threading notices) are kept apart from
  // the lines written while the pair is under load.
  const linesAtReady = readLogTails(logPaths).map((tail) => tail.lines);
  return {
    procs,
    haStates: JSON.parse(states),
    readHaStates: () => readHaStates(lab, targets),
    readLogTails: () => readLogTails(logPaths).map((tail, i) => ({ ...tail, lines_after_ready: tail.lines - linesAtReady[i] })),
  };
}

/** Ask both servers for their HA state once, e.g. after the load, and return { url: state }. */
async function readHaStates(lab, targets) {
  const check = lab.spawn(lab.clientNs, process.execPath, [HA_STATE_SCRIPT, '0', ...targets]);
  await check.exited;
  try {
    return JSON.parse(check.output().stdout.trim());
  } catch {
    return { error: check.output().stderr.trim().slice(-500) };
  }
}

/** Read the line count and the last three lines of each server's log (WARN and above), for the point's record. */
function readLogTails(logPaths) {
  return logPaths.map((path) => {
    let lines = [];
    try { lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0); } catch { /* never written */ }
    return { lines: lines.length, last: lines.slice(-3) };
  });
}
