// Measures how long an HA server that restarts with an empty lease database takes to copy its
// partner's leases, for a nestor pair with 1,000,000 leases (by default) and, for comparison, a Kea
// 2.2 pair at a size Kea manages. The surviving server holds N leases and runs alone (partner-down);
// the empty server is started, and the script records the time from its start until its sync is
// complete and until both servers are back in load-balancing. Both pairs talk over loopback HTTP with
// unprivileged ports and serve no DHCP interface, so nothing leaves the machine.
// Usage: node bench/ha/resync.mjs [--sizes 100000,1000000] [--skip-kea]; writes bench/results/resync.json.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { openLeaseStore } from '../../dist/leases/lmdb-store.js';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '100000,1000000' }, 'skip-kea': { type: 'boolean', default: false } } });
const BIN = fileURLToPath(new URL('../../bin/nestor.js', import.meta.url));
const RESULTS = fileURLToPath(new URL('../results/resync.json', import.meta.url));
const FIRST = 0xc6100001; // 198.16.0.1: up to 1,048,574 leases fit in the data-only subnet 198.16.0.0/12
const PORTS = { s1: 18801, s2: 18802 };
const HOOKS = '/usr/lib/x86_64-linux-gnu/kea/hooks';
const TIMEOUT_MS = 300_000;

const children = new Set();
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });

function ipText(address) {
  return [address >>> 24, (address >>> 16) & 255, (address >>> 8) & 255, address & 255].join('.');
}

function leaseAt(i, now) {
  const mac = [2, 0x20, (i >>> 24) & 255, (i >>> 16) & 255, (i >>> 8) & 255, i & 255];
  return { address: (FIRST + i) >>> 0, mac, clientId: [1, ...mac], cltt: now, validLifetime: 86400, hostname: `host-${i}` };
}

function haParameters(thisServer, heartbeatMs) {
  return {
    'high-availability': [{
      'this-server-name': thisServer, mode: 'load-balancing',
      'heartbeat-delay': heartbeatMs, 'max-response-delay': 2 * heartbeatMs, 'max-ack-delay': 1000, 'max-unacked-clients': 0,
      'sync-timeout': 120000,
      peers: [
        { name: 's1', url: `http://127.0.0.1:${PORTS.s1}/`, role: 'primary' },
        { name: 's2', url: `http://127.0.0.1:${PORTS.s2}/`, role: 'secondary' },
      ],
    }],
  };
}

function subnetFor(total) {
  const last = Math.min(FIRST + total, 0xc61ffffe);
  return { id: 1, subnet: '198.16.0.0/12', pools: [{ pool: `${ipText(FIRST)} - ${ipText(Math.max(last, FIRST + 10))}` }] };
}

/** Starts a process, records its output lines, and resolves waitFor(re) when a line matches. */
function start(name, cmd, args, env) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  children.add(child);
  let text = '';
  const waiters = [];
  const onData = (d) => {
    text += d;
    for (const w of waiters) if (!w.done && w.re.test(text)) { w.done = true; w.resolve(Date.now()); }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.on('exit', (code, signal) => {
    children.delete(child);
    for (const w of waiters) if (!w.done) { w.done = true; w.reject(new Error(`${name} exited (${signal ?? code}) before ${w.re}:\n${text.slice(-2000)}`)); }
  });
  return {
    name, child,
    waitFor(re, timeoutMs = TIMEOUT_MS) {
      if (re.test(text)) return Promise.resolve(Date.now());
      return new Promise((resolve, reject) => {
        const w = { re, resolve, reject, done: false };
        waiters.push(w);
        const timer = setTimeout(() => { if (!w.done) reject(new Error(`${name}: no ${re} within ${timeoutMs} ms:\n${text.slice(-2000)}`)); }, timeoutMs);
        const settle = w.resolve;
        w.resolve = (value) => { clearTimeout(timer); settle(value); };
      });
    },
    output: () => text,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => { child.once('exit', r); setTimeout(() => { child.kill('SIGKILL'); r(); }, 10_000).unref(); });
    },
  };
}

async function nestorPair(total) {
  const dir = mkdtempSync(join(tmpdir(), 'nestor-resync-'));
  const now = Math.floor(Date.now() / 1000);
  const fillStart = Date.now();
  const store = openLeaseStore({ path: join(dir, 's1.lmdb'), mapSizeBytes: 4 * 1024 ** 3 });
  for (let start = 0; start < total; start += 10_000) {
    store.transact((tx) => {
      for (let i = start; i < Math.min(total, start + 10_000); i++) {
        const l = leaseAt(i, now);
        tx.put({ address: l.address, hwAddress: Uint8Array.from(l.mac), htype: 1, clientId: Uint8Array.from(l.clientId), subnetId: 1, validLifetime: l.validLifetime, cltt: l.cltt, state: 0, hostname: l.hostname, fqdnFwd: false, fqdnRev: false });
      }
    });
  }
  await store.close();
  const fillS = (Date.now() - fillStart) / 1000;

  const config = (name, port) => ({ Dhcp4: {
    'interfaces-config': { interfaces: [] },
    'lease-database': { type: 'lmdb', name: join(dir, `${name}.lmdb`) },
    subnet4: [subnetFor(total)],
    'hooks-libraries': [{ library: 'libdhcp_lease_cmds.so' }, { library: 'libdhcp_ha.so', parameters: haParameters(name, 1000) }],
    loggers: [{ name: 'kea-dhcp4', severity: 'INFO', output_options: [{ output: 'stdout' }] }],
    'user-context': { nestor: { 'server-port': port, 'client-port': port + 1, 'lmdb-map-size': 4 * 1024 ** 3 } },
  } });
  for (const [name, port] of [['s1', 10367], ['s2', 10467]]) writeFileSync(join(dir, `${name}.json`), JSON.stringify(config(name, port)));

  const s1 = start('nestor s1', process.execPath, [BIN, 'serve', '-c', join(dir, 's1.json')]);
  await s1.waitFor(/"to":"partner-down"/);
  const t0 = Date.now();
  const s2 = start('nestor s2', process.execPath, [BIN, 'serve', '-c', join(dir, 's2.json')]);
  const synced = await s2.waitFor(/"msgId":"HA_SYNC_COMPLETE"/);
  const s2Normal = await s2.waitFor(/"to":"load-balancing"/);
  const s1Normal = await s1.waitFor(/"to":"load-balancing"/);
  const count = Number(/"msgId":"HA_SYNC_COMPLETE"[^\n]*"count":(\d+)/.exec(s2.output())?.[1] ?? -1);
  await s2.stop();
  await s1.stop();
  rmSync(dir, { recursive: true, force: true });
  return { leases: total, fill_s: fillS, synced_leases: count, start_to_synced_s: (synced - t0) / 1000, start_to_load_balancing_s: (Math.max(s1Normal, s2Normal) - t0) / 1000 };
}

async function keaPair(total) {
  const dir = mkdtempSync(join(tmpdir(), 'nestor-resync-kea-'));
  const now = Math.floor(Date.now() / 1000);
  const rows = ['address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context'];
  const hex = (bytes) => bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
  for (let i = 0; i < total; i++) {
    const l = leaseAt(i, now);
    rows.push(`${ipText(l.address)},${hex(l.mac)},${hex(l.clientId)},${l.validLifetime},${l.cltt + l.validLifetime},1,0,0,${l.hostname},0,`);
  }
  writeFileSync(join(dir, 's1.csv'), `${rows.join('\n')}\n`);
  writeFileSync(join(dir, 's2.csv'), `${rows[0]}\n`);
  mkdirSync(join(dir, 'run'));

  const config = (name) => ({ Dhcp4: {
    'interfaces-config': { interfaces: [] },
    'lease-database': { type: 'memfile', persist: true, name: join(dir, `${name}.csv`), 'lfc-interval': 0 },
    'multi-threading': { 'enable-multi-threading': true, 'thread-pool-size': 2, 'packet-queue-size': 64 },
    subnet4: [subnetFor(total)],
    'hooks-libraries': [
      { library: `${HOOKS}/libdhcp_lease_cmds.so` },
      { library: `${HOOKS}/libdhcp_ha.so`, parameters: { 'high-availability': [{ ...haParameters(name, 1000)['high-availability'][0], 'multi-threading': { 'enable-multi-threading': true, 'http-dedicated-listener': true, 'http-listener-threads': 2, 'http-client-threads': 2 } }] } },
    ],
    loggers: [{ name: 'kea-dhcp4', severity: 'INFO', output_options: [{ output: 'stdout' }] }],
  } });
  for (const name of ['s1', 's2']) writeFileSync(join(dir, `${name}.json`), JSON.stringify(config(name)));
  const env = { KEA_PIDFILE_DIR: join(dir, 'run'), KEA_LOCKFILE_DIR: join(dir, 'run') };

  const s1 = start('kea s1', '/usr/sbin/kea-dhcp4', ['-c', join(dir, 's1.json')], env);
  await s1.waitFor(/HA_STATE_TRANSITION[^\n]*PARTNER-DOWN/);
  const t0 = Date.now();
  const s2 = start('kea s2', '/usr/sbin/kea-dhcp4', ['-c', join(dir, 's2.json')], env);
  const synced = await s2.waitFor(/HA_SYNC_SUCCESSFUL/);
  const s2Normal = await s2.waitFor(/HA_STATE_TRANSITION[^\n]*to LOAD-BALANCING state/);
  const s1Normal = await s1.waitFor(/HA_STATE_TRANSITION[^\n]*to LOAD-BALANCING state/);
  await s2.stop();
  await s1.stop();
  rmSync(dir, { recursive: true, force: true });
  return { leases: total, start_to_synced_s: (synced - t0) / 1000, start_to_load_balancing_s: (Math.max(s1Normal, s2Normal) - t0) / 1000 };
}

const runs = [];
for (const size of values.sizes.split(',').map(Number)) {
  runs.push({ system: 'nestor', ...(await nestorPair(size)) });
  console.log(JSON.stringify(runs.at(-1)));
  if (values['skip-kea']) continue;
  runs.push({ system: 'kea', ...(await keaPair(size)) });
  console.log(JSON.stringify(runs.at(-1)));
}
// How many times longer Kea takes than nestor to resynchronise the same number of leases.
const ratios = {};
for (const run of runs.filter((r) => r.system === 'kea')) {
  const nestor = runs.find((r) => r.system === 'nestor' && r.leases === run.leases);
  if (nestor !== undefined) ratios[`kea_vs_nestor_resync_${run.leases}`] = Math.round((run.start_to_synced_s / nestor.start_to_synced_s) * 100) / 100;
}
writeFileSync(RESULTS, `${JSON.stringify({ date: new Date().toISOString(), runs, ratios }, null, 2)}\n`);
console.log(JSON.stringify(ratios));
console.log(`written ${RESULTS}`);
