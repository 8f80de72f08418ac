// `nestor demo` (also `npm start`): start a server on the embedded configuration, run real DHCP
// exchanges against it, print a summary and clean up. As root with iproute2 and perfdhcp it builds a
// throwaway network-namespace lab; otherwise it stays on loopback with unprivileged ports and the
// built-in relay-agent client.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import pino from 'pino';

import { CliError } from '../errors.js';
import { demoConfig } from '../demo/config.js';
import { runNetnsDemo } from '../demo/netns-demo.js';
import { runRelayClients } from '../demo/relay-client.js';
import { openLeaseStore } from '../leases/lmdb-store.js';
import { Server } from '../server.js';

const LOOPBACK_SERVER_PORT = 10067;

export async function runDemo(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { clients: { type: 'string', short: 'n' } }, strict: true });
  const clients = values.clients === undefined ? 200 : Number(values.clients);
  if (!Number.isInteger(clients) || clients < 1 || clients > 1000) {
    throw new CliError('NESTOR_ERR_CLI_USAGE', `demo: --clients '${values.clients}' is invalid (expected an integer from 1 to 1000)`);
  }

  if (canBuildLab()) return runNetnsDemo(clients);
  return runLoopbackDemo(clients);
}

function canBuildLab(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    execFileSync('test', ['-x', '/usr/sbin/perfdhcp']);
    return true;
  } catch {
    return false;
  }
}

async function runLoopbackDemo(clients: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'nestor-demo-'));
  const leasePath = join(dir, 'leases4.lmdb');
  const configPath = join(dir, 'nestor-demo.json');
  writeFileSync(configPath, JSON.stringify(demoConfig({
    interfaceName: 'lo', leasePath, serverPort: LOOPBACK_SERVER_PORT, clientPort: LOOPBACK_SERVER_PORT + 1,
    relayAddresses: ['127.0.0.1'], workers: 0,
  }), null, 2));

  console.log('nestor demo: not root (or no perfdhcp), so the demo runs on loopback');
  console.log(`  server: udp 127.0.0.1:${LOOPBACK_SERVER_PORT}, configuration ${configPath}`);
  console.log(`  clients: ${clients} simulated clients behind a relay agent at 127.0.0.1 (built-in client)\n`);

  const server = await Server.start({ configPath, logger: pino({ level: 'warn' }) });
  try {
    let shown = 0;
    const result = await runRelayClients({
      server: '127.0.0.1', serverPort: LOOPBACK_SERVER_PORT, giaddr: '127.0.0.1', clients, concurrency: 32,
      macBase: 1, timeoutMs: 500, retries: 4,
      onAck: (ack) => {
        if (shown++ < 5) console.log(`  ${ack.mac}  DISCOVER → OFFER → REQUEST → ACK  ${ack.ip.padEnd(15)} ${ack.exchangeMs} ms`);
      },
    });
    if (result.acks.length > 5) console.log(`  ... ${result.acks.length - 5} more\n`);
    await server.stop();

    const store = openLeaseStore({ path: leasePath, readOnly: true });
    const stored = store.count();
    await store.close();
    const rate = result.durationMs > 0 ? Math.round((result.acks.length * 1000) / result.durationMs) : 0;
    console.log('summary');
    console.log(`  leases acknowledged: ${result.acks.length} of ${clients} (${result.naks} NAK, ${result.failed} without answer)`);
    console.log(`  leases in the database: ${stored}`);
    console.log(`  rate: ${rate} leases/s over ${result.durationMs} ms (loopback, one process, not a benchmark)`);
    console.log(`  lease database: ${leasePath} (removed now that the demo ends)`);
    return result.acks.length === clients && stored === clients ? 0 : 1;
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
