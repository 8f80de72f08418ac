// Failure drills for a nestor load-balancing HA pair while clients keep arriving. A peer is killed
// with SIGKILL, the link of a peer is cut and restored, and a peer restarts with an empty lease
// database. A fourth drill fills the lease database of a single server. Every DHCPACK seen in the client
// namespace is checked lease by lease against the databases: an acknowledged lease is never lost,
// and no address goes to two clients.
//
// bench/drills/run.mjs runs the same drills longer through environment variables:
// NESTOR_DRILL_ROUNDS (SIGKILL rounds, default 2), NESTOR_DRILL_CUT_LIMITS (max-unacked-clients
// values of the cut drill, default "100"), NESTOR_DRILL_CLIENTS (clients per round, default 40)
// NESTOR_DRILL_LINK_CUT=0 (leaves out the cut of the peer link alone, with max-unacked-clients 0) and
// NESTOR_DRILL_REPORT (a file that receives the counts and timings as JSON).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { skipUnlessLab } from './support/lab.js';
import { HaLab, addressesAckedToSeveralClients } from './support/ha-lab.js';
import type { ServerName } from './support/ha-lab.js';
import {
  haLines, leaseListing, macsWithSeveralAddresses, nestorPeerConfig, startNestorPeer, statePath, transitionLines,
} from './support/ha-nestor.js';
import type { LeaseListing, NestorPeer } from './support/ha-nestor.js';
import {
  acksMissingFrom, conflictingAddresses, countOnlyIn, cutPeerLink, fillLeaseDatabase, largeLeaseListing, linesWith, readTimedAcks,
  removeLeaseDatabase, restorePeerLink, startDrillClients, timedTransitions,
} from './support/ha-drills.js';
import type { DrillClientResult, TimedAck } from './support/ha-drills.js';
import { NESTOR_BIN } from './support/nestor.js';

const skip = skipUnlessLab();

const NAMES: readonly ServerName[] = ['srv1', 'srv2'];
const ROUNDS = Number(process.env.NESTOR_DRILL_ROUNDS ?? '2');
const CUT_LIMITS = (process.env.NESTOR_DRILL_CUT_LIMITS ?? '100').split(',').map(Number);
const CLIENTS_PER_ROUND = Number(process.env.NESTOR_DRILL_CLIENTS ?? '40');
const LINK_CUT = process.env.NESTOR_DRILL_LINK_CUT !== '0';
/** One worker thread, so lease batches go through the worker path and the bulk updates. */
const WORKERS = 1;
/** States in which a server serves clients (Kea's list of states with the DHCP service on). */
const SERVING_STATES = new Set(['load-balancing', 'hot-standby', 'communication-recovery', 'partner-down', 'partner-in-maintenance', 'passive-backup', 'terminated']);

const report: Record<string, unknown> = {};

afterAll(() => {
  const path = process.env.NESTOR_DRILL_REPORT;
  if (path !== undefined && path !== '') writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
});

/** A nestor pair in one lab, with the checks the drills share. */
class Pair {
  readonly peers = new Map<ServerName, NestorPeer>();

  constructor(readonly ha: HaLab, readonly maxUnackedClients: number) {}

  async start(name: ServerName): Promise<void> {
    this.peers.set(name, await startNestorPeer(this.ha, name, nestorPeerConfig(this.ha, name, WORKERS, { maxUnackedClients: this.maxUnackedClients })));
  }

  output(name: ServerName): string {
    return this.peers.get(name)?.process.output() ?? '';
  }

  listing(name: ServerName): LeaseListing {
    return leaseListing(this.ha, this.ha.servers[name].ns, this.peers.get(name)!.configPath);
  }

  databasePath(name: ServerName): string {
    return join(this.ha.lab.dir, `${name}-leases4.lmdb`);
  }

  /** waitForHaState, with the HA log lines of both servers in the failure message. */
  async waitFor(name: ServerName, states: readonly string[], timeoutMs: number): Promise<void> {
    try {
      await this.ha.waitForHaState(name, states, timeoutMs);
    } catch (error) {
      const logs = NAMES.map((n) => `--- ${n} (path ${statePath(this.output(n)).join(' → ')}):\n${haLines(this.output(n))}`);
      throw new Error(`${String(error)}\n${logs.join('\n')}`);
    }
  }

  async waitForBoth(states: readonly string[], timeoutMs: number): Promise<void> {
    await Promise.all(NAMES.map((name) => this.waitFor(name, states, timeoutMs)));
  }

  /**
   * Checks both databases against every ACK seen so far: each ACKed lease is on both, no address
   * belongs to two MACs in one database or across the two, and no address was ACKed to two clients.
   * Returns the listings and the number of leases found in one database only.
   */
  expectConverged(acks: readonly TimedAck[]): { listings: LeaseListing[]; oneSided: number } {
    // Soft checks, so that a failure shows every broken property at once.
    expect.soft(addressesAckedToSeveralClients(acks.map((a) => ({ ...a, xid: 0, srcIp: '' }))), 'addresses ACKed to two clients').toEqual(new Map());
    const listings = NAMES.map((name) => this.listing(name));
    for (const [i, listing] of listings.entries()) {
      expect.soft(listing.repeatedAddresses, `${NAMES[i]} lists an address twice`).toEqual([]);
      expect.soft(acksMissingFrom(listing, acks), `ACKed leases missing on ${NAMES[i]}`).toEqual([]);
    }
    expect.soft(conflictingAddresses(listings[0]!, listings[1]!), 'addresses with another MAC on each server').toEqual([]);
    return { listings, oneSided: countOnlyIn(listings[0]!, listings[1]!) + countOnlyIn(listings[1]!, listings[0]!) };
  }
}

describe.skipIf(skip)('HA drill: SIGKILL of a peer under load', () => {
  let ha: HaLab;

  beforeAll(() => {
    ha = new HaLab({ tag: 'hdk' });
  });

  afterAll(async () => {
    await ha?.destroy();
  });

  it('load-balancing → partner-down → load-balancing in each round, with no ACKed lease lost', async () => {
    // 1. Both servers reach load-balancing. Every round, clients arrive at 10 per second in the
    //    background, and 1.5 s later one peer is killed with SIGKILL (srv2, then srv1, alternating).
    // 2. The survivor reaches partner-down and serves the clients of both scopes. Once the clients
    //    are done, every lease ACKed so far (capture in the client namespace) is in the survivor's
    //    database with the same MAC.
    // 3. The killed peer restarts with its database, syncs, and both return to load-balancing. Then
    //    every ACKed lease is on both servers, no address was ACKed to two MACs, and no address
    //    belongs to two MACs in one database or across the two.
    const pair = new Pair(ha, 0);
    for (const name of NAMES) await pair.start(name);
    await pair.waitForBoth(['load-balancing'], 20_000);
    const capture = await ha.startCapture('kill-drill');
    const rounds: Record<string, unknown>[] = [];

    for (let round = 0; round < ROUNDS; round++) {
      const victim: ServerName = round % 2 === 0 ? 'srv2' : 'srv1';
      const survivor: ServerName = victim === 'srv1' ? 'srv2' : 'srv1';
      const clients = startDrillClients(ha, `kill-clients-${round}`, { firstClient: 1 + round * 1000, count: CLIENTS_PER_ROUND, ratePerSecond: 10, timeoutMs: 25_000 });
      await sleep(1500);

      const killedAt = Date.now();
      await pair.peers.get(victim)!.process.kill();
      await pair.waitFor(survivor, ['partner-down'], 15_000);
      const toPartnerDownMs = Date.now() - killedAt;
      const results = await clients.done;
      expect(unserved(results), `round ${round}: clients without an ACK`).toEqual([]);
      const acksSoFar = readTimedAcks(capture.file);
      expect(acksMissingFrom(pair.listing(survivor), acksSoFar), `round ${round}: ACKed leases missing on the survivor ${survivor}`).toEqual([]);

      const restartedAt = Date.now();
      const outputBefore = pair.output(victim).length;
      await pair.start(victim);
      await pair.waitForBoth(['load-balancing'], 20_000);
      const toLoadBalancingMs = Date.now() - restartedAt;
      const { oneSided } = pair.expectConverged(readTimedAcks(capture.file));
      const restartPath = statePath(pair.output(victim).slice(outputBefore));
      expect(restartPath, `round ${round}: path of the restarted ${victim}`).toContain('syncing');

      const summary = {
        round, victim, clients: results.length, served: results.length - unserved(results).length,
        restarts: results.reduce((n, r) => n + r.restarts, 0), acks: acksSoFar.length, toPartnerDownMs, toLoadBalancingMs,
        leasesInOneDatabaseOnly: oneSided, restartPath: restartPath.join(' → '),
      };
      console.log(`[kill drill] ${JSON.stringify(summary)}`);
      rounds.push(summary);
    }
    await capture.stop();
    report.kill = rounds;
    for (const name of NAMES) expect(pair.peers.get(name)!.process.running, `${name} exited`).toBe(true);
  });
});

describe.skipIf(skip).each(CUT_LIMITS)('HA drill: link cut with max-unacked-clients %i', (limit) => {
  let ha: HaLab;

  beforeAll(() => {
    ha = new HaLab({ tag: `hdc${limit}` });
  });

  afterAll(async () => {
    await ha?.destroy();
  });

  const title = limit > 0
    ? 'load-balancing → communication-recovery → load-balancing across the cut'
    : 'partner-down on both servers during the cut → load-balancing after it';
  it(title, async () => {
    // 1. Both servers reach load-balancing; clients arrive at 4 per second in the background.
    // 2. srv2's bridge port goes down 1 s later, so srv2 reaches neither srv1 nor any client.
    //    With a high max-unacked-clients srv1 goes to communication-recovery and stays there, serving
    //    its own scope, because fewer clients than the limit wait in vain. With 0, srv1 and srv2 both
    //    go to partner-down (split brain): each would serve every client it sees.
    // 3. The port comes back after 14 s. Both return to load-balancing, every client is served,
    //    no address was ACKed to two clients, and the two databases hold the same leases.
    const pair = new Pair(ha, limit);
    for (const name of NAMES) await pair.start(name);
    await pair.waitForBoth(['load-balancing'], 20_000);
    const capture = await ha.startCapture('cut-drill');
    const clients = startDrillClients(ha, 'cut-clients', { firstClient: 1, count: CLIENTS_PER_ROUND, ratePerSecond: 4, timeoutMs: 35_000 });
    await sleep(1000);

    const outputBefore = NAMES.map((name) => pair.output(name).length);
    const cutAt = Date.now();
    ha.cutServer('srv2');
    if (limit > 0) {
      await pair.waitFor('srv1', ['communication-recovery'], 15_000);
    } else {
      await pair.waitForBoth(['partner-down'], 20_000);
    }
    const toCutStateMs = Date.now() - cutAt;
    await sleep(Math.max(0, 14_000 - (Date.now() - cutAt)));
    const [heartbeat] = await ha.controlCommand(ha.servers.srv1.ns, ha.url('srv1'), 'ha-heartbeat');
    const stateAtRestore = (heartbeat?.arguments as { state?: string } | undefined)?.state;

    const restoredAt = Date.now();
    ha.restoreServer('srv2');
    await pair.waitForBoth(['load-balancing'], 30_000);
    const toLoadBalancingMs = Date.now() - restoredAt;
    const results = await clients.done;
    await capture.stop();

    const paths = NAMES.map((name, i) => statePath(pair.output(name).slice(outputBefore[i])));
    const acks = readTimedAcks(capture.file);
    const summary = {
      srv1Transitions: transitionLines(pair.output('srv1').slice(outputBefore[0])),
      maxUnackedClients: limit, clients: results.length, served: results.length - unserved(results).length, acks: acks.length,
      toCutStateMs, stateAtRestore, toLoadBalancingMs, srv1Path: paths[0]!.join(' → '), srv2Path: paths[1]!.join(' → '),
    };
    console.log(`[cut drill] ${JSON.stringify(summary)}`);
    report[`cut-${limit}`] = summary;

    expect(stateAtRestore).toBe(limit > 0 ? 'communication-recovery' : 'partner-down');
    if (limit > 0) expect(paths[0], 'srv1 path').not.toContain('partner-down');
    expect(unserved(results), 'clients without an ACK').toEqual([]);
    const { listings } = pair.expectConverged(acks);
    expect(listings[1]!.macByAddress, 'srv2 database against srv1 database').toEqual(listings[0]!.macByAddress);
    for (const [i, listing] of listings.entries()) expect(macsWithSeveralAddresses(listing), `${NAMES[i]} gives a MAC two addresses`).toEqual([]);
  });
});

describe.skipIf(skip || !LINK_CUT)('HA drill: peer link cut while both servers see the clients', () => {
  let ha: HaLab;

  beforeAll(() => {
    ha = new HaLab({ tag: 'hdl' });
  });

  afterAll(async () => {
    await ha?.destroy();
  });

  it('partner-down on both servers while both serve → load-balancing', async () => {
    // 1. Both servers reach load-balancing with max-unacked-clients 0; clients arrive at 4 per
    //    second in the background.
    // 2. 1 s later the peer link alone is cut (blackhole routes), so both servers still receive
    //    every client. Both go to partner-down (split brain), and each serves every client it receives.
    // 3. The link comes back after 14 s. Both return to load-balancing, no address was ACKed to
    //    two clients, every ACKed lease is on both servers, and no address has two MACs.
    const pair = new Pair(ha, 0);
    for (const name of NAMES) await pair.start(name);
    await pair.waitForBoth(['load-balancing'], 20_000);
    const capture = await ha.startCapture('link-drill');
    const clients = startDrillClients(ha, 'link-clients', { firstClient: 1, count: CLIENTS_PER_ROUND, ratePerSecond: 4, timeoutMs: 35_000 });
    await sleep(1000);

    const outputBefore = NAMES.map((name) => pair.output(name).length);
    const cutAt = Date.now();
    cutPeerLink(ha);
    await pair.waitForBoth(['partner-down'], 20_000);
    const toPartnerDownMs = Date.now() - cutAt;
    await sleep(Math.max(0, 14_000 - (Date.now() - cutAt)));

    const restoredAt = Date.now();
    restorePeerLink(ha);
    await pair.waitForBoth(['load-balancing'], 30_000);
    const toLoadBalancingMs = Date.now() - restoredAt;
    const results = await clients.done;
    await capture.stop();

    const acks = readTimedAcks(capture.file);
    const summary = {
      clients: results.length, served: results.length - unserved(results).length, acks: acks.length,
      acksBySrv1: acks.filter((a) => a.serverId === ha.servers.srv1.address).length,
      acksBySrv2: acks.filter((a) => a.serverId === ha.servers.srv2.address).length,
      addressesAckedToSeveralClients: Object.fromEntries(addressesAckedToSeveralClients(acks.map((a) => ({ ...a, xid: 0, srcIp: '' })))),
      toPartnerDownMs, toLoadBalancingMs,
      transitions: NAMES.map((name, i) => transitionLines(pair.output(name).slice(outputBefore[i]))),
    };
    console.log(`[link cut drill] ${JSON.stringify(summary)}`);
    report.linkCut = summary;

    expect(unserved(results), 'clients without an ACK').toEqual([]);
    pair.expectConverged(acks);
  });
});

describe.skipIf(skip)('HA drill: peer restarted with an empty database', () => {
  let ha: HaLab;

  beforeAll(() => {
    ha = new HaLab({ tag: 'hde' });
  });

  afterAll(async () => {
    await ha?.destroy();
  });

  it('waiting → syncing → ready → load-balancing with every partner lease copied first', async () => {
    // 1. Both servers reach load-balancing and serve 30 clients.
    // 2. srv2 is killed with SIGKILL, its LMDB file is deleted, and it starts again while new
    //    clients keep arriving in the background.
    // 3. srv2 logs HA_SYNC_COMPLETE before it leaves syncing, and when it first reports
    //    load-balancing its database holds every lease srv1 had before the restart.
    // 4. srv2 sends no ACK before it enters a state with the DHCP service on (not in waiting,
    //    syncing or ready), and in the end every ACKed lease is on both servers.
    const pair = new Pair(ha, 0);
    for (const name of NAMES) await pair.start(name);
    await pair.waitForBoth(['load-balancing'], 20_000);
    const capture = await ha.startCapture('empty-drill');
    const first = await startDrillClients(ha, 'empty-first', { firstClient: 1, count: 30, ratePerSecond: 15, timeoutMs: 15_000 }).done;
    expect(unserved(first), 'clients without an ACK before the restart').toEqual([]);

    await pair.peers.get('srv2')!.process.kill();
    const partnerLeases = pair.listing('srv1');
    removeLeaseDatabase(pair.databasePath('srv2'));
    const outputBefore = pair.output('srv2').length;
    const clients = startDrillClients(ha, 'empty-during', { firstClient: 2001, count: 30, ratePerSecond: 5, timeoutMs: 20_000 });
    const restartedAt = Date.now();
    await pair.start('srv2');
    await pair.waitFor('srv2', ['load-balancing'], 20_000);
    const toLoadBalancingMs = Date.now() - restartedAt;
    const copied = pair.listing('srv2');
    const notCopied = [...partnerLeases.macByAddress].filter(([address, mac]) => copied.macByAddress.get(address) !== mac);
    expect(notCopied.map(([address, mac]) => `${address} ${mac}`), 'leases of srv1 missing on srv2 when it reports load-balancing').toEqual([]);

    await pair.waitFor('srv1', ['load-balancing'], 20_000);
    const results = await clients.done;
    await capture.stop();
    expect(unserved(results), 'clients without an ACK across the restart').toEqual([]);

    const output = pair.output('srv2').slice(outputBefore);
    const transitions = timedTransitions(output);
    const serving = transitions.find((t) => SERVING_STATES.has(t.to));
    expect(serving, `srv2 transitions: ${JSON.stringify(transitions)}`).toBeDefined();
    expect(transitions.map((t) => t.to).slice(0, transitions.indexOf(serving!) + 1)).toEqual(['syncing', 'ready', 'load-balancing']);
    const syncLine = output.split('\n').find((line) => line.includes('"msgId":"HA_SYNC_COMPLETE"'));
    expect(syncLine, `srv2 HA lines:\n${haLines(output)}`).toBeDefined();
    const sync = JSON.parse(syncLine!) as { time: string | number; count: number; durationMs: number };
    const leftSyncing = transitions.find((t) => t.from === 'syncing')!;
    expect(typeof sync.time === 'number' ? sync.time : Date.parse(sync.time)).toBeLessThanOrEqual(leftSyncing.timeMs);
    expect(sync.count).toBeGreaterThanOrEqual(partnerLeases.macByAddress.size);

    const acks = readTimedAcks(capture.file);
    const early = acks.filter((a) => a.serverId === ha.servers.srv2.address && a.timeMs >= restartedAt && a.timeMs < serving!.timeMs);
    expect(early.map((a) => `${a.address} ${a.chaddr}`), 'ACKs srv2 sent before it entered a serving state').toEqual([]);
    const { oneSided } = pair.expectConverged(acks);

    const summary = {
      leasesBefore: partnerLeases.macByAddress.size, syncedCount: sync.count, syncMs: sync.durationMs, toLoadBalancingMs,
      clientsDuring: results.length, servedDuring: results.length - unserved(results).length,
      acksBySrv2AfterRestart: acks.filter((a) => a.serverId === ha.servers.srv2.address && a.timeMs >= restartedAt).length,
      leasesInOneDatabaseOnly: oneSided, path: transitions.map((t) => t.to).join(' → '),
    };
    console.log(`[empty database drill] ${JSON.stringify(summary)}`);
    report.emptyDatabase = summary;
  });
});

describe.skipIf(skip)('drill: lease database full', () => {
  let ha: HaLab;

  beforeAll(() => {
    ha = new HaLab({ tag: 'hdf' });
  });

  afterAll(async () => {
    await ha?.destroy();
  });

  it('stops ACKing when the database is full and serves again after lease4-wipe', async () => {
    // 1. A single nestor gets a 1 MiB lease database (the smallest nestor.lmdb-map-size), filled
    //    before the start with leases outside the pool until a write fails, minus 200 leases.
    // 2. 150 clients arrive at 50 per second: some are served until the database is full, then the
    //    server logs LEASES_DB_FULL and SERVER_COMMIT_FAILED and sends no more ACKs. Every lease it
    //    ACKed is in its database.
    // 3. lease4-wipe over the control socket removes the leases; LEASES_DB_WRITABLE follows with the
    //    next commit, and 30 new clients are all served, their leases stored.
    const mapSizeBytes = 1024 * 1024;
    const databasePath = ha.path('full-leases4.lmdb');
    const prefilled = await fillLeaseDatabase(databasePath, mapSizeBytes, 0xc6121000, 200);
    const config = singleServerConfig(databasePath, ha.path('full-ctrl4.sock'), mapSizeBytes);
    const server = await ha.startNestor(ha.servers.srv1.ns, config, { name: 'nestor-full' });
    const configPath = ha.path('nestor-full.json');
    const capture = await ha.startCapture('full-drill');

    const fillUp = await startDrillClients(ha, 'full-clients', { firstClient: 1, count: 150, ratePerSecond: 50, timeoutMs: 8000 }).done;
    const servedBeforeFull = fillUp.length - unserved(fillUp).length;
    const acksWhileFull = readTimedAcks(capture.file);
    const listingWhileFull = largeLeaseListing(ha.servers.srv1.ns, configPath);
    const logLines = linesWith(server.output(), ['LEASES_DB_FULL', 'SERVER_COMMIT_FAILED', 'LEASES_DB_WRITABLE']);
    expect(server.output(), 'LEASES_DB_FULL in the server log').toContain('"msgId":"LEASES_DB_FULL"');
    expect(server.output(), 'SERVER_COMMIT_FAILED in the server log').toContain('"msgId":"SERVER_COMMIT_FAILED"');
    expect(servedBeforeFull, 'clients served before the database was full').toBeGreaterThan(0);
    expect(servedBeforeFull, 'clients served in all').toBeLessThan(fillUp.length);
    expect(acksMissingFrom(listingWhileFull, acksWhileFull), `ACKed leases not in the database\n${logLines}`).toEqual([]);

    const wipe = ha.lab.exec(ha.servers.srv1.ns, process.execPath, [NESTOR_BIN, 'ctl', 'lease4-wipe', '--args', '{"subnet-id": 1}', '-c', configPath]);
    const recovered = await startDrillClients(ha, 'full-after-wipe', { firstClient: 1001, count: 30, ratePerSecond: 30, timeoutMs: 10_000 }).done;
    await capture.stop();
    expect(unserved(recovered), `clients without an ACK after lease4-wipe (${wipe.trim()})`).toEqual([]);
    expect(server.output(), 'LEASES_DB_WRITABLE in the server log').toContain('"msgId":"LEASES_DB_WRITABLE"');
    const acks = readTimedAcks(capture.file);
    expect(acksMissingFrom(largeLeaseListing(ha.servers.srv1.ns, configPath), acks.slice(acksWhileFull.length)), 'ACKed leases not in the database after the wipe').toEqual([]);
    expect(server.running, 'server exited').toBe(true);

    const summary = {
      prefilled, clients: fillUp.length, servedBeforeFull, commitFailures: countLines(server.output(), 'SERVER_COMMIT_FAILED'),
      firstCommitFailure: server.output().split('\n').find((line) => line.includes('"msgId":"SERVER_COMMIT_FAILED"')),
      clientsAfterWipe: recovered.length, servedAfterWipe: recovered.length - unserved(recovered).length,
    };
    console.log(`[full database drill] ${JSON.stringify(summary)}`);
    report.fullDatabase = summary;
  });
});

/** Builds the configuration of a single nestor without HA on eth0 with a lease map size limit. */
function singleServerConfig(databasePath: string, socketPath: string, mapSizeBytes: number): object {
  return {
    Dhcp4: {
      'interfaces-config': { interfaces: ['eth0'], 'dhcp-socket-type': 'raw' },
      'valid-lifetime': 600,
      subnet4: [{ id: 1, subnet: '198.18.0.0/16', pools: [{ pool: '198.18.1.1 - 198.18.1.254' }] }],
      'lease-database': { type: 'lmdb', name: databasePath },
      'control-socket': { 'socket-type': 'unix', 'socket-name': socketPath },
      'user-context': { nestor: { workers: WORKERS, 'lmdb-map-size': mapSizeBytes } },
    },
  };
}

function unserved(results: readonly DrillClientResult[]): string[] {
  return results.filter((r) => r.address === '').map((r) => r.mac);
}

function countLines(text: string, id: string): number {
  return text.split('\n').filter((line) => line.includes(`"msgId":"${id}"`)).length;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
