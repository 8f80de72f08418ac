// What an operator sees while the server runs: warnings from worker threads reach the log (with the
// same ISO timestamps as the main thread), a second server on the same lease database is rejected,
// and a pool running dry is reported.

import { chmodSync, chownSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Lab, skipUnlessLab } from './support/lab.js';
import type { LabProcess } from './support/lab.js';
import { NESTOR_BIN, startNestor, writeConfig } from './support/nestor.js';

const skip = skipUnlessLab();
const CLIENT_SCRIPT = resolve('test/integration/support/relay-client-run.mjs');

describe.skipIf(skip)('server operations: logs and exclusivity', () => {
  let lab: Lab;
  let configPath: string;
  let nsServer: string;
  let nsClient: string;
  let server: LabProcess;

  beforeAll(async () => {
    lab = new Lab('ops');
    ({ nsServer, nsClient } = lab.addRelayPair());
    configPath = writeConfig(lab, 'nestor.json', {
      Dhcp4: {
        'interfaces-config': { interfaces: ['eth0'], 'dhcp-socket-type': 'udp' },
        'lease-database': { type: 'lmdb', name: lab.path('leases4.lmdb') },
        subnet4: [{ id: 1, subnet: '198.19.0.0/24', pools: [{ pool: '198.19.0.10 - 198.19.0.14' }], relay: { 'ip-addresses': ['198.18.0.10'] } }],
        nestor: { workers: 1 },
      },
    });
    server = await startNestor(lab, nsServer, configPath);
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('logs pool exhaustion from a worker thread', async () => {
    // 1. Five clients fill the five-address pool; 2. three more find it empty.
    const first = lab.spawn(nsClient, process.execPath, [CLIENT_SCRIPT, '198.18.0.1', '198.18.0.10', '5']);
    await first.waitFor(/"done"/, 30_000);
    expect(first.output).toContain('"acks":5');
    const second = lab.spawn(nsClient, process.execPath, [CLIENT_SCRIPT, '198.18.0.1', '198.18.0.10', '3', String(0x200000)]);
    await second.waitFor(/"done"/, 30_000);
    expect(second.output).toContain('"acks":0');

    const line = await server.waitFor(/\{[^\n]*"msgId":"ALLOC_POOL_EXHAUSTED"[^\n]*\}/, 5_000);
    const entry = JSON.parse(line[0]) as { worker?: number; time: string; level: number };
    expect(entry.worker).toBe(0);
    expect(entry.level).toBe(40);
    expect(entry.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
  });

  it('rejects a second server on the same lease database', () => {
    let failure: { status?: number; stderr?: string } = {};
    try {
      lab.exec(nsServer, process.execPath, [NESTOR_BIN, 'serve', '-c', configPath], 20_000);
    } catch (err) {
      failure = err as { status?: number; stderr?: string };
    }
    expect(failure.status).toBe(1);
    expect(failure.stderr).toContain('NESTOR_ERR_SERVER_RUNNING');
  });

  it('stops on SIGTERM and frees the lease database for the next server', async () => {
    server.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
    const next = await startNestor(lab, nsServer, configPath);
    next.kill('SIGTERM');
    expect((await next.exited).code).toBe(0);
  });
});

describe.skipIf(skip)('server operations: raw sockets without privilege', () => {
  let lab: Lab;

  afterAll(async () => {
    await lab?.destroy();
  });

  it('exits 1 with one message naming the interface and the ways out', () => {
    lab = new Lab('priv');
    const ns = lab.addNamespace('srv');
    const peer = lab.addNamespace('peer');
    lab.link(ns, 'eth0', peer, 'eth0');
    lab.address(ns, 'eth0', '198.18.0.1/24');
    const nobody = 65534; // Debian's 'nobody' user and 'nogroup' group
    chmodSync(lab.dir, 0o755);
    mkdirSync(lab.path('db'));
    chownSync(lab.path('db'), nobody, nobody);
    const configPath = writeConfig(lab, 'raw.json', {
      Dhcp4: {
        'interfaces-config': { interfaces: ['eth0'], 'dhcp-socket-type': 'raw' },
        'lease-database': { type: 'lmdb', name: lab.path('db/leases4.lmdb') },
        subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.200' }] }],
      },
    });
    chmodSync(configPath, 0o644);

    let failure: { status?: number; stderr?: string } = {};
    try {
      lab.exec(ns, 'runuser', ['-u', 'nobody', '--', process.execPath, NESTOR_BIN, 'serve', '-c', configPath], 20_000);
    } catch (err) {
      failure = err as { status?: number; stderr?: string };
    }
    expect(failure.status).toBe(1);
    const lines = (failure.stderr ?? '').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("interface 'eth0'");
    expect(lines[0]).toContain('CAP_NET_RAW');
    expect(lines[0]).toContain("dhcp-socket-type 'udp'");
  });
});
