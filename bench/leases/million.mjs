// Fills a lease database with N leases (default 1,000,000), then reports its size on disk, the time
// `nestor serve` takes from spawn to SERVER_STARTED on that database, and the server's resident memory
// once started and after a full read of the database. The server listens on loopback with an
// unprivileged port, so nothing leaves the machine. Usage: node bench/leases/million.mjs [N]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { openLeaseStore } from '../../dist/leases/lmdb-store.js';

const total = Number(process.argv[2] ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'nestor-million-'));
const dbPath = join(dir, 'leases4.lmdb');
const bin = fileURLToPath(new URL('../../bin/nestor.js', import.meta.url));
const FIRST = 0xc6120000; // 198.18.0.0: the leases fill 198.18.0.0/15 and beyond as needed

const fillStart = Date.now();
const store = openLeaseStore({ path: dbPath, mapSizeBytes: 4 * 1024 ** 3 });
const now = Math.floor(Date.now() / 1000);
for (let start = 0; start < total; start += 10_000) {
  store.transact((tx) => {
    for (let i = start; i < Math.min(total, start + 10_000); i++) {
      tx.put({
        address: (FIRST + i) >>> 0, hwAddress: Uint8Array.of(2, 0x20, (i >>> 24) & 255, (i >>> 16) & 255, (i >>> 8) & 255, i & 255),
        htype: 1, clientId: Uint8Array.of(1, 2, 0x20, (i >>> 24) & 255, (i >>> 16) & 255, (i >>> 8) & 255, i & 255),
        subnetId: 1, validLifetime: 86400, cltt: now, state: 0, hostname: `host-${i}`, fqdnFwd: false, fqdnRev: false,
      });
    }
  });
}
await store.close();
const fillSec = (Date.now() - fillStart) / 1000;
const sizeMiB = statSync(dbPath).size / 1024 ** 2;

const configPath = join(dir, 'nestor.json');
writeFileSync(configPath, JSON.stringify({ Dhcp4: {
  'interfaces-config': { interfaces: ['lo'], 'dhcp-socket-type': 'udp' },
  'lease-database': { type: 'lmdb', name: dbPath },
  subnet4: [{ id: 1, subnet: '198.18.0.0/12', pools: [{ pool: '198.18.0.1 - 198.31.255.254' }] }],
  nestor: { 'server-port': 10267, 'client-port': 10268, 'lmdb-map-size': 4 * 1024 ** 3 },
} }));

const t0 = process.hrtime.bigint();
const server = spawn(process.execPath, [bin, 'serve', '-c', configPath, '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'inherit'] });
let output = '';
await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`no SERVER_STARTED within 60 s:\n${output}`)), 60_000);
  server.stdout.on('data', (d) => {
    output += d;
    if (output.includes('"SERVER_STARTED"')) { clearTimeout(timer); resolve(); }
  });
});
const startMs = Number(process.hrtime.bigint() - t0) / 1e6;
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))[1]) / 1024;
const rssStartedMiB = rss();

// A full read through the CLI (a separate process) while the server runs, then the server's RSS again.
const listStart = Date.now();
await new Promise((resolve) => {
  const list = spawn(process.execPath, [bin, 'leases', 'list', '-c', configPath, '--json'], { stdio: ['ignore', 'ignore', 'inherit'] });
  list.on('exit', resolve);
});
const listSec = (Date.now() - listStart) / 1000;
const rssAfterMiB = rss();

server.kill('SIGTERM');
await new Promise((r) => server.on('exit', r));
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({
  leases: total, fill_s: fillSec, db_mib: Math.round(sizeMiB), bytes_per_lease: Math.round((sizeMiB * 1024 ** 2) / total),
  start_ms: Math.round(startMs), rss_started_mib: Math.round(rssStartedMiB), leases_list_json_s: listSec, rss_after_list_mib: Math.round(rssAfterMiB),
}));
