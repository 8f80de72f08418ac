// perfdhcp (ISC, Debian package kea-admin) as a relay agent against `nestor serve`: 2,000 distinct
// clients each complete DISCOVER-OFFER-REQUEST-ACK, none is dropped, and every lease is stored.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Lab, requireProgram, skipUnlessLab } from './support/lab.js';
import { listLeases, startNestor, writeConfig } from './support/nestor.js';

const skip = skipUnlessLab();

/** Parse perfdhcp's "***Statistics for: X***" blocks into sent/received/drops per exchange. */
function parseStatistics(report: string): Record<string, { sent: number; received: number; drops: number }> {
  const result: Record<string, { sent: number; received: number; drops: number }> = {};
  for (const block of report.split('***Statistics for: ').slice(1)) {
    const name = block.slice(0, block.indexOf('***'));
    const num = (label: string): number => Number(new RegExp(`${label}:\\s*(\\d+)`).exec(block)?.[1] ?? Number.NaN);
    result[name] = { sent: num('sent packets'), received: num('received packets'), drops: num('drops') };
  }
  return result;
}

// The same run with the main thread alone, one worker and two workers (two shards by RFC 3074 hash).
describe.skipIf(skip).each([0, 1, 2])('relay path: perfdhcp with 2,000 clients, %i workers', (workers) => {
  let lab: Lab;
  let configPath: string;
  let server: Awaited<ReturnType<typeof startNestor>>;
  let nsServer: string;
  let nsClient: string;

  beforeAll(async () => {
    requireProgram('/usr/sbin/perfdhcp', 'kea-admin');
    lab = new Lab(`pf${workers}`);
    ({ nsServer, nsClient } = lab.addRelayPair());
    configPath = writeConfig(lab, 'nestor.json', {
      Dhcp4: {
        'interfaces-config': { interfaces: ['eth0'], 'dhcp-socket-type': 'udp' },
        'lease-database': { type: 'lmdb', name: lab.path('leases4.lmdb') },
        'valid-lifetime': 3600,
        subnet4: [{
          id: 7, subnet: '198.19.0.0/16', pools: [{ pool: '198.19.0.10 - 198.19.15.250' }],
          relay: { 'ip-addresses': ['198.18.0.10'] },
          'option-data': [{ name: 'routers', data: '198.19.0.1' }],
        }],
        nestor: { workers },
      },
    });
    server = await startNestor(lab, nsServer, configPath);
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('completes every exchange without drops', () => {
    let report: string;
    try {
      report = lab.exec(nsClient, 'perfdhcp', ['-4', '-l', 'eth0', '-r', '1000', '-R', '2000', '-n', '2000',
        '-p', '30', '-W', '3000000', '198.18.0.1'], 60_000);
    } catch (err) {
      report = String((err as { stdout?: string }).stdout ?? err);
    }
    const stats = parseStatistics(report);
    expect(stats['DISCOVER-OFFER'], report).toBeDefined();
    // perfdhcp's multi-threaded sender may overshoot -n by a few exchanges (2003 seen in CI); those
    // reuse the 2,000 simulated clients, so every one must still be answered.
    expect(stats['DISCOVER-OFFER'].sent, report).toBeGreaterThanOrEqual(2000);
    expect(stats['DISCOVER-OFFER'].sent, report).toBeLessThanOrEqual(2010);
    expect(stats['DISCOVER-OFFER'].drops, report).toBe(0);
    expect(stats['REQUEST-ACK'].sent, report).toBe(stats['DISCOVER-OFFER'].sent);
    expect(stats['REQUEST-ACK'].received, report).toBe(stats['REQUEST-ACK'].sent);
    expect(stats['REQUEST-ACK'].drops, report).toBe(0);
  });

  it('stores one distinct lease per client in the relay subnet', () => {
    const leases = listLeases(lab, nsServer, configPath);
    expect(leases).toHaveLength(2000);
    expect(new Set(leases.map((l) => l['ip-address'])).size).toBe(2000);
    expect(new Set(leases.map((l) => l['hw-address'])).size).toBe(2000);
    for (const lease of leases) {
      expect(lease['subnet-id']).toBe(7);
      expect(lease['ip-address']).toMatch(/^198\.19\./);
    }
  });

  it('stops cleanly on SIGTERM', async () => {
    server.kill('SIGTERM');
    const exit = await server.exited;
    expect(exit.code).toBe(0);
    expect(server.output).toContain('"msgId":"SERVER_STOPPED"');

    // Without workers the main thread commits the 2,000 REQUESTs in group commits: at least one
    // commit, never more commits than jobs, none failed. Workers commit their own batches instead.
    const stopped = server.output.split('\n').find((line) => line.includes('"msgId":"SERVER_STOPPED"'))!;
    const counters = JSON.parse(stopped) as { leaseCommits: number; leaseCommitJobs: number; leaseCommitsFailed: number };
    if (workers === 0) expect(counters.leaseCommits).toBeGreaterThan(0);
    else expect(counters.leaseCommits).toBe(0);
    expect(counters.leaseCommitJobs).toBeGreaterThanOrEqual(counters.leaseCommits);
    expect(counters.leaseCommitsFailed).toBe(0);
  });
});
