// The root variant of `nestor demo`: a throwaway lab of two network namespaces joined by a veth
// pair (198.18.0.0/15 only, nothing added to the root namespace), `nestor serve` in one, ISC perfdhcp
// as a relay agent in the other, then a summary from perfdhcp's report and the lease database.
// Everything is removed at the end, also after a failure.

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ipToString, macToString } from '../codec/addr.js';
import { openLeaseStore } from '../leases/lmdb-store.js';
import { demoConfig } from './config.js';

const SERVER_ADDRESS = '198.18.0.1';
const RELAY_ADDRESS = '198.18.0.10';
const RATE = 500;

export async function runNetnsDemo(clients: number): Promise<number> {
  const tag = `ndemo${process.pid}`;
  const nsServer = `${tag}-srv`;
  const nsClient = `${tag}-cli`;
  const dir = mkdtempSync(join(tmpdir(), 'nestor-demo-'));
  const leasePath = join(dir, 'leases4.lmdb');
  const configPath = join(dir, 'nestor-demo.json');
  const bin = fileURLToPath(new URL('../../bin/nestor.js', import.meta.url));
  let serverPid: number | undefined;

  try {
    buildLab(nsServer, nsClient, tag);
    writeFileSync(configPath, JSON.stringify(demoConfig({
      interfaceName: 'eth0', leasePath, serverPort: 67, clientPort: 68, relayAddresses: [RELAY_ADDRESS], workers: 1,
    }), null, 2));

    console.log('nestor demo: network-namespace lab (run as root)');
    console.log(`  server: ${nsServer}, eth0 ${SERVER_ADDRESS}/24, configuration ${configPath}`);
    console.log(`  client: ${nsClient}, eth0 ${RELAY_ADDRESS}/24, ISC perfdhcp as a relay agent, ${clients} clients at ${RATE}/s\n`);

    const server = spawn('ip', ['netns', 'exec', nsServer, process.execPath, bin, 'serve', '-c', configPath, '--log-level', 'info'],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    serverPid = server.pid;
    await waitForStart(server);

    const report = runPerfdhcp(nsClient, clients);
    for (const line of report.split('\n')) {
      if (/Statistics for|sent packets|received packets|drops:|avg delay/.test(line)) console.log(`  ${line.trim()}`);
    }

    process.kill(serverPid!, 'SIGTERM');
    await new Promise((r) => server.once('exit', r));
    serverPid = undefined;

    const store = openLeaseStore({ path: leasePath, readOnly: true });
    const leases = store.page(-1, 5);
    const stored = store.count();
    await store.close();
    console.log('\nfirst leases in the database:');
    for (const l of leases) console.log(`  ${ipToString(l.address).padEnd(15)} ${macToString(l.hwAddress)}  valid ${l.validLifetime} s`);
    console.log('\nsummary');
    console.log(`  leases in the database: ${stored} of ${clients} clients`);
    console.log(`  offered rate: ${RATE} exchanges/s (perfdhcp -r; see its report above for drops and delays)`);
    console.log(`  lease database: ${leasePath} (removed now that the demo ends)`);
    return stored === clients ? 0 : 1;
  } finally {
    if (serverPid !== undefined) {
      try { process.kill(serverPid, 'SIGKILL'); } catch { /* already gone */ }
    }
    for (const ns of [nsServer, nsClient]) {
      try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); } catch { /* not created */ }
      rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

function buildLab(nsServer: string, nsClient: string, tag: string): void {
  const ip = (...args: string[]): void => { execFileSync('ip', args, { stdio: 'ignore' }); };
  const inNs = (ns: string, ...args: string[]): void => ip('netns', 'exec', ns, 'ip', ...args);
  for (const ns of [nsServer, nsClient]) {
    ip('netns', 'add', ns);
    execFileSync('mkdir', ['-p', `/etc/netns/${ns}`]);
    writeFileSync(`/etc/netns/${ns}/resolv.conf`, '');
    inNs(ns, 'link', 'set', 'lo', 'up');
  }
  const a = `${tag.slice(-8)}a`;
  const b = `${tag.slice(-8)}b`;
  ip('link', 'add', a, 'netns', nsServer, 'type', 'veth', 'peer', 'name', b, 'netns', nsClient);
  inNs(nsServer, 'link', 'set', a, 'name', 'eth0');
  inNs(nsClient, 'link', 'set', b, 'name', 'eth0');
  inNs(nsServer, 'addr', 'add', `${SERVER_ADDRESS}/24`, 'dev', 'eth0');
  inNs(nsClient, 'addr', 'add', `${RELAY_ADDRESS}/24`, 'dev', 'eth0');
  inNs(nsServer, 'link', 'set', 'eth0', 'up');
  inNs(nsClient, 'link', 'set', 'eth0', 'up');
}

function waitForStart(server: ReturnType<typeof spawn>): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`server did not start within 20 s:\n${output}`)), 20_000);
    server.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('"msgId":"SERVER_STARTED"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    server.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with code ${code} before starting:\n${output}`));
    });
  });
}

function runPerfdhcp(nsClient: string, clients: number): string {
  const periodSec = Math.ceil(clients / RATE) + 10;
  const args = ['netns', 'exec', nsClient, 'perfdhcp', '-4', '-l', 'eth0', '-r', String(RATE), '-R', String(clients),
    '-n', String(clients), '-p', String(periodSec), '-W', '2000000', SERVER_ADDRESS];
  try {
    return execFileSync('ip', args, { encoding: 'utf8', timeout: (periodSec + 10) * 1000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    // perfdhcp exits with 3 when an exchange was dropped; its report is still on stdout.
    const out = (err as { stdout?: string }).stdout;
    if (typeof out === 'string' && out.length > 0) return out;
    throw err;
  }
}
