// Two nestor servers in the other HA situations: hot-standby with a failover, passive-backup with a
// backup peer, the load-balancing fixture configurations run unchanged, and a network partition
// in load-balancing that ends with the queued lease updates replayed.

import { existsSync, writeFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { skipUnlessLab } from './support/lab.js';
import { HaLab, addressesAckedToSeveralClients, readAcks } from './support/ha-lab.js';
import type { DirectClientResult, ServerName, ServerProcess } from './support/ha-lab.js';
import {
  SHORT_TIMERS, countByServerId, haLines, leaseListing, missingLeases, nestorPeerConfig, readText,
  scopeOfMac, startNestorFile, startNestorPeer, statePath, transitionLines, waitForText,
} from './support/ha-nestor.js';
import type { NestorPeer } from './support/ha-nestor.js';

const skip = skipUnlessLab();

const NAMES: readonly ServerName[] = ['srv1', 'srv2'];
const FIXTURES = '/work/shared/fixtures/kea-configs';
/** Slack for the ha-heartbeat polling of waitForHaState (one `ip netns exec node` every 250 ms or so). */
const POLL_SLACK_MS = 1000;

describe.skipIf(skip)('HA nestor pair: hot-standby', () => {
  let ha: HaLab;
  const peers = new Map<ServerName, NestorPeer>();

  beforeAll(() => {
    ha = new HaLab({ tag: 'hns' });
  });

  afterAll(async () => {
    await ha?.destroy();
  });

  it('hot-standby → partner-down on the standby when the primary dies', async () => {
    // 1. srv1 (primary) and srv2 (standby) reach hot-standby.
    // 2. 20 clients: the primary sends every ACK, the standby none, and both databases hold every lease.
    // 3. srv1 is killed with SIGKILL. With max-unacked-clients 0 the standby reaches partner-down
    //    once max-response-delay has passed, and then serves 10 new clients.
    for (const name of NAMES) peers.set(name, await startNestorPeer(ha, name, nestorPeerConfig(ha, name, 0, { mode: 'hot-standby' })));
    await Promise.all(NAMES.map((name) => waitWithLog(ha, peers, name, ['hot-standby'], 20_000)));

    const capture = await ha.startCapture('hot-standby');
    const before = ha.runDirectClients(ha.clientNs, 20, { firstClient: 1, ratePerSecond: 20, timeoutMs: 10_000 });
    await capture.stop();
    expectAllServed(before);
    expect(countByServerId(before)).toEqual(new Map([[ha.servers.srv1.address, 20]]));
    expect(readAcks(capture.file).filter((ack) => ack.serverId === ha.servers.srv2.address)).toEqual([]);
    for (const name of NAMES) expect(missingLeases(listingOf(ha, peers, name), before), `${name} lacks leases`).toEqual([]);

    const killedAt = Date.now();
    await peers.get('srv1')!.process.kill();
    await waitWithLog(ha, peers, 'srv2', ['partner-down'], 15_000);
    const toPartnerDownMs = Date.now() - killedAt;
    console.log(`standby reached partner-down ${toPartnerDownMs} ms after SIGKILL of the primary (path ${statePath(peers.get('srv2')!.process.output()).join(' → ')})`);
    expect(toPartnerDownMs).toBeLessThan(SHORT_TIMERS.maxResponseDelayMs + 2 * SHORT_TIMERS.heartbeatDelayMs + POLL_SLACK_MS);

    const after = ha.runDirectClients(ha.clientNs, 10, { firstClient: 101, ratePerSecond: 20, timeoutMs: 10_000 });
    expectAllServed(after);
    expect(countByServerId(after)).toEqual(new Map([[ha.servers.srv2.address, 10]]));
    expect(missingLeases(listingOf(ha, peers, 'srv2'), after)).toEqual([]);
    expect(new Set([...before, ...after].map((r) => r.address)).size).toBe(30);
  });
});

describe.skipIf(skip)('HA nestor pair: passive-backup', () => {
  let ha: HaLab;
  const peers = new Map<ServerName, NestorPeer>();

  beforeAll(() => {
    ha = new HaLab({ tag: 'hnb' });
  });

  afterAll(async () => {
    await ha?.destroy();
  });

  it('passive-backup on the primary and backup on the backup peer', async () => {
    // 1. srv1 (primary, mode passive-backup) reaches passive-backup; srv2 (role backup) reaches backup.
    // 2. 20 clients: srv1 sends every ACK and srv2 none.
    // 3. Both databases hold every lease srv1 acknowledged. The primary does not wait for the
    //    backup's response (wait-backup-ack is false), so the backup's listing is polled for 3 s.
    for (const name of NAMES) peers.set(name, await startNestorPeer(ha, name, nestorPeerConfig(ha, name, 0, { mode: 'passive-backup' })));
    await Promise.all([
      waitWithLog(ha, peers, 'srv1', ['passive-backup'], 15_000),
      waitWithLog(ha, peers, 'srv2', ['backup'], 15_000),
    ]);

    const capture = await ha.startCapture('passive-backup');
    const results = ha.runDirectClients(ha.clientNs, 20, { firstClient: 1, ratePerSecond: 20, timeoutMs: 10_000 });
    await capture.stop();
    expectAllServed(results);
    expect(countByServerId(results)).toEqual(new Map([[ha.servers.srv1.address, 20]]));
    expect(readAcks(capture.file).filter((ack) => ack.serverId === ha.servers.srv2.address)).toEqual([]);

    expect(missingLeases(listingOf(ha, peers, 'srv1'), results)).toEqual([]);
    let missingOnBackup: string[] = [];
    for (const deadline = Date.now() + 3000; ;) {
      missingOnBackup = missingLeases(listingOf(ha, peers, 'srv2'), results);
      if (missingOnBackup.length === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(missingOnBackup, `the backup lacks leases\n${haLines(peers.get('srv1')!.process.output())}`).toEqual([]);
    expect(statePath(peers.get('srv2')!.process.output())).not.toContain('partner-down');
  });
});

describe.skipIf(skip)('HA nestor pair: load-balancing fixtures run unchanged', () => {
  let ha: HaLab;
  const servers = new Map<ServerName, { process: ServerProcess; logFile: string; leaseFile: string }>();

  beforeAll(() => {
    ha = new HaLab({ tag: 'hnf' });
  });

  afterAll(async () => {
    await ha?.destroy();
  });

  it('waiting → load-balancing with the fixture pair', async () => {
    // 1. seed-lb-kea_1.json and seed-lb-kea_2.json run unchanged in private mount namespaces. Their
    //    peer URLs (port 8080) are served by nestor itself, and their memfile name is nestor's LMDB path.
    // 2. Both reach load-balancing quickly although heartbeat-delay is 10 s, because nestor's first
    //    heartbeat goes out at start.
    // 3. Each server logs HA_POOLS_SPLIT for the unguarded pool, and 20 clients get addresses from
    //    both servers with no address acknowledged twice.
    // 4. The leases are in the LMDB files inside the lab folder, and nothing was written on the host.
    const pairs: Array<[ServerName, string]> = [['srv1', 'seed-lb-kea_1.json'], ['srv2', 'seed-lb-kea_2.json']];
    let secondStart = 0;
    for (const [name, fixture] of pairs) {
      const paths = ha.fixtureMounts(name);
      secondStart = Date.now();
      const process = await startNestorFile(ha, name, `${FIXTURES}/${fixture}`, paths.mounts, paths.logFile);
      servers.set(name, { process, logFile: paths.logFile, leaseFile: paths.leaseFile });
    }
    await Promise.all(NAMES.map(async (name) => {
      try {
        await ha.waitForHaState(name, ['load-balancing'], 20_000, ha.url(name, 8080));
      } catch (error) {
        const server = servers.get(name)!;
        throw new Error(`${String(error)}\n${haLines(server.process.output() + readText(server.logFile))}`);
      }
    }));
    const toLoadBalancingMs = Date.now() - secondStart;
    const transitions = NAMES.map((name) => {
      const server = servers.get(name)!;
      return `${name}:\n  ${transitionLines(server.process.output() + readText(server.logFile)).join('\n  ')}`;
    });
    console.log(`fixture pair reached load-balancing ${toLoadBalancingMs} ms after the second start (at ${new Date(secondStart).toISOString().slice(11, 23)})\n${transitions.join('\n')}`);

    for (const [name, server] of servers) await waitForText(server.process, server.logFile, /"msgId":"HA_POOLS_SPLIT"/, 2000).catch(() => {
      throw new Error(`${name} did not log HA_POOLS_SPLIT`);
    });

    const capture = await ha.startCapture('fixture-clients');
    const results = ha.runDirectClients(ha.clientNs, 20, { firstClient: 1, ratePerSecond: 20, timeoutMs: 10_000 });
    await capture.stop();
    expectAllServed(results);
    expect(new Set(results.map((r) => r.serverId))).toEqual(new Set([ha.servers.srv1.address, ha.servers.srv2.address]));
    expect(results.filter((r) => !inRange(r.address, 100, 200)).map((r) => r.address)).toEqual([]);
    expect(addressesAckedToSeveralClients(readAcks(capture.file))).toEqual(new Map());

    for (const [name, fixture] of pairs) {
      const server = servers.get(name)!;
      expect(existsSync(server.leaseFile), `${server.leaseFile} (the LMDB file of ${name})`).toBe(true);
      expect(missingLeases(fixtureListing(name, fixture, server.leaseFile), results), `${name} lacks leases`).toEqual([]);
    }
    for (const hostPath of ['/usr/local/etc/kea/kea-leases4.csv', '/usr/local/var/log/kea-dhcp4.log', '/tmp/kea-dhcp4-ctrl.sock']) {
      expect(existsSync(hostPath), `${hostPath} on the host`).toBe(false);
    }

    // Checked last, so that the checks above run whatever this shows. The server started first saw
    // no partner at its first heartbeat, and its next one must not wait a whole heartbeat-delay.
    expect(toLoadBalancingMs, `time to load-balancing after the second start\n${transitions.join('\n')}`).toBeLessThan(5000);
  });

  /** Lists a fixture server's leases through a copy of the fixture whose lease path is the file in the lab folder. */
  function fixtureListing(name: ServerName, fixture: string, leaseFile: string) {
    const text = readText(`${FIXTURES}/${fixture}`);
    expect(text).toContain('/usr/local/etc/kea/kea-leases4.csv');
    const copy = ha.path(`${name}-listing.json`);
    writeFileSync(copy, text.replace('/usr/local/etc/kea/kea-leases4.csv', leaseFile));
    return leaseListing(ha, ha.servers[name].ns, copy);
  }
});

describe.skipIf(skip)('HA nestor pair: partition in load-balancing', () => {
  let ha: HaLab;
  const peers = new Map<ServerName, NestorPeer>();

  beforeAll(() => {
    ha = new HaLab({ tag: 'hnc' });
  });

  afterAll(async () => {
    await ha?.destroy();
  });

  it('load-balancing → communication-recovery → load-balancing after a partition', async () => {
    // 1. A pair with max-unacked-clients 10 reaches load-balancing, and 10 clients are served.
    // 2. srv2's bridge port goes down: srv1 reaches communication-recovery when its heartbeat to the
    //    silent partner times out (a 10 s request timeout, as in Kea 2.2).
    // 3. 20 clients ask during the cut for longer than max-response-delay. srv1 serves those of its
    //    scope and stays out of partner-down, because no client waited past max-ack-delay.
    // 4. The port comes back: both return to load-balancing without a resync, and srv2's database
    //    then holds the leases srv1 gave during the cut (the queued updates were replayed).
    const options = { maxUnackedClients: 10 };
    for (const name of NAMES) peers.set(name, await startNestorPeer(ha, name, nestorPeerConfig(ha, name, 0, options)));
    await Promise.all(NAMES.map((name) => waitWithLog(ha, peers, name, ['load-balancing'], 20_000)));
    const before = ha.runDirectClients(ha.clientNs, 10, { firstClient: 1, ratePerSecond: 20, timeoutMs: 10_000 });
    expectAllServed(before);

    const srv1Output = peers.get('srv1')!.process.output().length;
    const cutAt = Date.now();
    ha.cutServer('srv2');
    await waitWithLog(ha, peers, 'srv1', ['communication-recovery'], 20_000);
    console.log(`srv1 reached communication-recovery ${Date.now() - cutAt} ms after the cut`);

    const during = ha.runDirectClients(ha.clientNs, 20, { firstClient: 101, ratePerSecond: 20, timeoutMs: 6000 });
    const sinceCutMs = Date.now() - cutAt;
    expect(sinceCutMs).toBeGreaterThan(SHORT_TIMERS.maxResponseDelayMs + SHORT_TIMERS.heartbeatDelayMs);
    const ownScope = during.filter((r) => scopeOfMac(r.mac) === 'srv1');
    expect(ownScope.length).toBeGreaterThan(0);
    expectAllServed(ownScope);
    expect(countByServerId(ownScope)).toEqual(new Map([[ha.servers.srv1.address, ownScope.length]]));
    expect(during.filter((r) => scopeOfMac(r.mac) === 'srv2' && r.address !== '').map((r) => r.mac), 'clients of srv2 served during the cut').toEqual([]);
    const [state] = await ha.controlCommand(ha.servers.srv1.ns, ha.url('srv1'), 'ha-heartbeat');
    expect((state?.arguments as { state?: string } | undefined)?.state).toBe('communication-recovery');

    const restoredAt = Date.now();
    ha.restoreServer('srv2');
    await Promise.all(NAMES.map((name) => waitWithLog(ha, peers, name, ['load-balancing'], 15_000)));
    const cutPath = statePath(peers.get('srv1')!.process.output().slice(srv1Output));
    console.log(`pair back in load-balancing ${Date.now() - restoredAt} ms after the port came back (srv1 path ${cutPath.join(' → ')}, srv2 path ${statePath(peers.get('srv2')!.process.output()).join(' → ')})`);
    expect(cutPath).not.toContain('partner-down');
    expect(cutPath).not.toContain('waiting');

    for (const name of NAMES) expect(missingLeases(listingOf(ha, peers, name), [...before, ...ownScope]), `${name} lacks leases`).toEqual([]);
  });
});

/** waitForHaState, with the HA log lines of both servers in the failure message. */
async function waitWithLog(ha: HaLab, peers: Map<ServerName, NestorPeer>, name: ServerName, states: readonly string[], timeoutMs: number): Promise<void> {
  try {
    await ha.waitForHaState(name, states, timeoutMs);
  } catch (error) {
    const logs = NAMES.map((n) => `--- ${n} (path ${statePath(peers.get(n)?.process.output() ?? '').join(' → ')}):\n${haLines(peers.get(n)?.process.output() ?? '')}`);
    throw new Error(`${String(error)}\n${logs.join('\n')}`);
  }
}

function listingOf(ha: HaLab, peers: Map<ServerName, NestorPeer>, name: ServerName) {
  return leaseListing(ha, ha.servers[name].ns, peers.get(name)!.configPath);
}

/** Checks that every client got an ACK and that the addresses differ. */
function expectAllServed(results: readonly DirectClientResult[]): void {
  const unserved = results.filter((r) => r.address === '');
  expect(unserved.map((r) => r.mac), 'clients without an ACK').toEqual([]);
  expect(new Set(results.map((r) => r.address)).size).toBe(results.length);
}

/** Returns whether address is 198.18.0.X with first ≤ X ≤ last. */
function inRange(address: string, first: number, last: number): boolean {
  const match = /^198\.18\.0\.(\d+)$/.exec(address);
  return match !== null && Number(match[1]) >= first && Number(match[1]) <= last;
}
