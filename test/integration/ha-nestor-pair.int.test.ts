// Two nestor servers as a load-balancing HA pair, through a failover drill. Both serve their half
// of the clients and keep every lease. The survivor of a SIGKILL takes over both halves, and the
// restarted server copies the leases it missed before the pair balances again. The drill runs with
// requests handled on the main thread and with one worker thread.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { skipUnlessLab } from './support/lab.js';
import { HaLab, addressesAckedToSeveralClients, readAcks } from './support/ha-lab.js';
import type { DirectClientResult, ServerName } from './support/ha-lab.js';
import {
  SHORT_TIMERS, countByServerId, haLines, leaseListing, macsWithSeveralAddresses, missingLeases,
  nestorPeerConfig, scopeOfMac, startNestorPeer, statePath,
} from './support/ha-nestor.js';
import type { NestorPeer } from './support/ha-nestor.js';

const skip = skipUnlessLab();

const NAMES: readonly ServerName[] = ['srv1', 'srv2'];
/** Partner-down is due max-response-delay after the last good heartbeat, checked at the next two heartbeats. */
const PARTNER_DOWN_BOUND_MS = SHORT_TIMERS.maxResponseDelayMs + 2 * SHORT_TIMERS.heartbeatDelayMs;
/** Slack for the ha-heartbeat polling of waitForHaState (one `ip netns exec node` every 250 ms or so). */
const POLL_SLACK_MS = 1000;

describe.skipIf(skip).each([0, 1])('HA nestor pair: load-balancing drill with %i worker threads', (workers) => {
  let ha: HaLab;
  const peers = new Map<ServerName, NestorPeer>();

  beforeAll(() => {
    ha = new HaLab({ tag: `hnp${workers}` });
  });

  afterAll(async () => {
    await ha?.destroy();
  });

  it('load-balancing → partner-down → load-balancing when the partner restarts', async () => {
    // 1. Both servers start and reach load-balancing within a few seconds of the second start.
    // 2. 60 clients: each is served by the server of its hash scope, and every lease is on both servers.
    // 3. srv2 is killed with SIGKILL: srv1 reaches partner-down within max-response-delay plus two
    //    heartbeats and serves 20 new clients of both scopes.
    // 4. srv2 restarts with its database: it syncs, and both return to load-balancing.
    // 5. 40 new clients split by scope again. No address was ACKed to two clients, and both
    //    databases hold the same address → MAC mapping, with no MAC holding two addresses.
    peers.set('srv1', await startNestorPeer(ha, 'srv1', nestorPeerConfig(ha, 'srv1', workers)));
    const secondStart = Date.now();
    peers.set('srv2', await startNestorPeer(ha, 'srv2', nestorPeerConfig(ha, 'srv2', workers)));
    await waitForBoth(['load-balancing'], 20_000);
    const toLoadBalancingMs = Date.now() - secondStart;
    console.log(`[workers ${workers}] pair reached load-balancing ${toLoadBalancingMs} ms after the second start`);
    expect(toLoadBalancingMs).toBeLessThan(10_000);

    const capture = await ha.startCapture(`drill-${workers}`);
    const first = ha.runDirectClients(ha.clientNs, 60, { firstClient: 1, ratePerSecond: 30, timeoutMs: 15_000 });
    expectAllServed(first);
    expectServedByScope(first);
    console.log(`[workers ${workers}] load-balancing split: ${JSON.stringify(Object.fromEntries(countByServerId(first)))}`);
    for (const name of NAMES) expect(leasesMissingOn(name, first), `${name} lacks leases`).toEqual([]);
    // The updates went on the lease stream, which each server opened to its partner.
    for (const name of NAMES) {
      expect(peers.get(name)!.process.output(), `${name} opened no lease stream`).toMatch(/"msgId":"HA_PEER_PROTOCOL".*"protocol":"nestor-lease-stream\/1"/);
    }

    const killedAt = Date.now();
    await peers.get('srv2')!.process.kill();
    const partnerDown = await waitWithLog('srv1', ['partner-down'], 15_000);
    const toPartnerDownMs = Date.now() - killedAt;
    console.log(`[workers ${workers}] srv1 reached partner-down ${toPartnerDownMs} ms after SIGKILL of srv2 (path ${statePath(peers.get('srv1')!.process.output()).join(' → ')})`);
    expect(partnerDown.state).toBe('partner-down');
    expect(toPartnerDownMs).toBeLessThan(PARTNER_DOWN_BOUND_MS + POLL_SLACK_MS);

    const alone = ha.runDirectClients(ha.clientNs, 20, { firstClient: 101, ratePerSecond: 20, timeoutMs: 10_000 });
    expectAllServed(alone);
    expect(countByServerId(alone)).toEqual(new Map([[ha.servers.srv1.address, 20]]));
    expect(new Set(alone.map((r) => scopeOfMac(r.mac)))).toEqual(new Set(NAMES));

    const restartedAt = Date.now();
    const srv2Output = peers.get('srv2')!.process.output().length;
    peers.set('srv2', await startNestorPeer(ha, 'srv2', nestorPeerConfig(ha, 'srv2', workers)));
    await waitForBoth(['load-balancing'], 20_000);
    const toResyncMs = Date.now() - restartedAt;
    const restartPath = statePath(peers.get('srv2')!.process.output().slice(srv2Output));
    console.log(`[workers ${workers}] pair back in load-balancing ${toResyncMs} ms after the restart of srv2 (srv2 path ${restartPath.join(' → ')}, srv1 path ${statePath(peers.get('srv1')!.process.output()).join(' → ')})`);
    expect(restartPath).toContain('syncing');
    expect(toResyncMs).toBeLessThan(10_000);

    const last = ha.runDirectClients(ha.clientNs, 40, { firstClient: 201, ratePerSecond: 30, timeoutMs: 15_000 });
    expectAllServed(last);
    expectServedByScope(last);
    await capture.stop();

    const acks = readAcks(capture.file);
    expect(acks.length).toBeGreaterThanOrEqual(120);
    expect(addressesAckedToSeveralClients(acks)).toEqual(new Map());

    const listings = NAMES.map((name) => leaseListing(ha, ha.servers[name].ns, peers.get(name)!.configPath));
    for (const [i, listing] of listings.entries()) {
      expect(listing.repeatedAddresses, `${NAMES[i]} lists an address twice`).toEqual([]);
      expect(macsWithSeveralAddresses(listing), `${NAMES[i]} gives a MAC two addresses`).toEqual([]);
      expect(missingLeases(listing, [...first, ...alone, ...last]), `${NAMES[i]} lacks leases`).toEqual([]);
    }
    expect(listings[1]!.macByAddress).toEqual(listings[0]!.macByAddress);

    for (const name of NAMES) expect(peers.get(name)!.process.running, `${name} exited`).toBe(true);
  });

  async function waitForBoth(states: readonly string[], timeoutMs: number): Promise<void> {
    await Promise.all(NAMES.map((name) => waitWithLog(name, states, timeoutMs)));
  }

  /** waitForHaState, with the HA log lines of both servers in the failure message. */
  async function waitWithLog(name: ServerName, states: readonly string[], timeoutMs: number): Promise<{ state: string; ms: number }> {
    try {
      return await ha.waitForHaState(name, states, timeoutMs);
    } catch (error) {
      const logs = NAMES.map((n) => `--- ${n} (path ${statePath(peers.get(n)?.process.output() ?? '').join(' → ')}):\n${haLines(peers.get(n)?.process.output() ?? '')}`);
      throw new Error(`${String(error)}\n${logs.join('\n')}`);
    }
  }

  function leasesMissingOn(name: ServerName, results: readonly DirectClientResult[]): string[] {
    return missingLeases(leaseListing(ha, ha.servers[name].ns, peers.get(name)!.configPath), results);
  }

  /** Checks that every client's ACK came from the server of its hash scope. */
  function expectServedByScope(results: readonly DirectClientResult[]): void {
    const misrouted = results.filter((r) => r.serverId !== ha.servers[scopeOfMac(r.mac)].address);
    expect(misrouted.map((r) => `${r.mac} (scope ${scopeOfMac(r.mac)}) from ${r.serverId}`)).toEqual([]);
    const counts = countByServerId(results);
    for (const name of NAMES) expect(counts.get(ha.servers[name].address) ?? 0, `clients served by ${name}`).toBeGreaterThanOrEqual(results.length / 5);
  }
});

/** Checks that every client got an ACK and that the addresses differ. */
function expectAllServed(results: readonly DirectClientResult[]): void {
  const unserved = results.filter((r) => r.address === '');
  expect(unserved.map((r) => r.mac), 'clients without an ACK').toEqual([]);
  expect(new Set(results.map((r) => r.address)).size).toBe(results.length);
}
