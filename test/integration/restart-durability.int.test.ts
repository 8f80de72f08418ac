// Durability: the server is killed with SIGKILL in the middle of a burst of exchanges; after a
// restart every lease a client saw acknowledged is in the lease database. A reply leaves only after
// its lease batch is committed, so no acknowledged lease may be missing.

import { resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Lab, skipUnlessLab } from './support/lab.js';
import { listLeases, startNestor, writeConfig } from './support/nestor.js';

const skip = skipUnlessLab();
const CLIENT_SCRIPT = resolve('test/integration/support/relay-client-run.mjs');

describe.skipIf(skip)('lease durability: SIGKILL during load', () => {
  let lab: Lab;
  let configPath: string;
  let nsServer: string;
  let nsClient: string;

  beforeAll(() => {
    lab = new Lab('kill');
    ({ nsServer, nsClient } = lab.addRelayPair());
    configPath = writeConfig(lab, 'nestor.json', {
      Dhcp4: {
        'interfaces-config': { interfaces: ['eth0'], 'dhcp-socket-type': 'udp' },
        'lease-database': { type: 'lmdb', name: lab.path('leases4.lmdb') },
        subnet4: [{
          id: 1, subnet: '198.19.0.0/16', pools: [{ pool: '198.19.0.10 - 198.19.31.250' }],
          relay: { 'ip-addresses': ['198.18.0.10'] },
        }],
      },
    });
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('keeps every acknowledged lease across a SIGKILL and a restart', async () => {
    const server = await startNestor(lab, nsServer, configPath);
    const client = lab.spawn(nsClient, process.execPath, [CLIENT_SCRIPT, '198.18.0.1', '198.18.0.10', '5000']);

    // 1. Let a burst of ACKs arrive, then kill the server while exchanges are still in flight.
    await client.waitFor(/(?:\{"ack"[^\n]*\n){300}/, 30_000);
    server.kill('SIGKILL');
    const serverExit = await server.exited;
    expect(serverExit.signal).toBe('SIGKILL');
    // No ACK can arrive any more; stdout is a pipe, which Node writes synchronously, so nothing printed is lost.
    await new Promise((r) => setTimeout(r, 200));
    client.kill('SIGTERM');
    await client.exited;

    const acked = client.output.split('\n').filter((l) => l.startsWith('{"ack"'))
      .map((l) => (JSON.parse(l) as { ack: { mac: string; ip: string } }).ack);
    expect(acked.length).toBeGreaterThanOrEqual(300);

    // 2. Restart on the same database, then compare lease by lease.
    const restarted = await startNestor(lab, nsServer, configPath);
    const leases = new Map(listLeases(lab, nsServer, configPath).map((l) => [l['ip-address'], l]));
    const missing = acked.filter((a) => leases.get(a.ip)?.['hw-address'] !== a.mac);
    expect(missing).toEqual([]);

    restarted.kill('SIGTERM');
    expect((await restarted.exited).code).toBe(0);
  });
});
