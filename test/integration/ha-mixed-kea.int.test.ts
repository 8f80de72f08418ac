// Mixed HA pairs: one nestor and one real Kea 2.2 server (Debian kea-dhcp4 with libdhcp_ha.so) in
// the HA lab. Both peers get the same subnet, the same HA_srv1/HA_srv2 pool split, peer names, URLs,
// mode and timers. The tests check that both reach the normal state and that each lease one server
// acknowledges is stored by the other (nestor's LMDB through `nestor leases list`, Kea's memfile
// CSV). They also check that no address goes to two clients and that failover and resynchronisation
// work in both directions. Each test prints the time from start to the normal state.

import { readFileSync, statSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { skipUnlessLab } from './support/lab.js';
import { HaLab, addressesAckedToSeveralClients, keaHaConfig, nestorHaConfig, readAcks, readKeaLeaseFile } from './support/ha-lab.js';
import type { DirectClientResult, ServerName, ServerProcess } from './support/ha-lab.js';
import { scopeOfMac } from './support/ha-nestor.js';
import { listLeases } from './support/nestor.js';

const skip = skipUnlessLab();

/** Kea moves one state per heartbeat-delay (1 s here), so a start or a resync takes several seconds. */
const NORMAL_STATE_TIMEOUT_MS = 45_000;
/** Kill is seen at once (connection refused), then max-response-delay (3 s) must pass. */
const PARTNER_DOWN_TIMEOUT_MS = 30_000;
const CLIENT_TIMEOUT_MS = 15_000;

type Mode = 'load-balancing' | 'hot-standby';
type Product = 'nestor' | 'kea';

interface Peer {
  name: ServerName;
  product: Product;
  process: ServerProcess;
  /** Configuration file of the current run, from which `nestor leases list` takes the database path. */
  configPath: string;
}

/** One nestor and one Kea server in a lab, restartable with their lease files. */
class MixedPair {
  readonly peers = new Map<ServerName, Peer>();
  private runs = 0;

  constructor(readonly ha: HaLab, readonly mode: Mode, readonly products: Record<ServerName, Product>) {}

  /** Starts (or restarts, with the same lease file) the server called name. */
  async start(name: ServerName): Promise<Peer> {
    const product = this.products[name];
    const run = `${product}-${name}-${++this.runs}`;
    const options = { thisServer: name, mode: this.mode, dir: this.ha.lab.dir };
    const ns = this.ha.servers[name].ns;
    let process: ServerProcess;
    if (product === 'kea') {
      process = this.ha.startKea(ns, keaHaConfig(options), { name: run });
    } else {
      const config = nestorHaConfig(options);
      // Debug level adds CONTROL_COMMAND_RECEIVED, which shows the commands Kea sends during a sync.
      config.Dhcp4.loggers = [{ name: 'kea-dhcp4', severity: 'DEBUG', output_options: [{ output: 'stdout' }] }];
      process = await this.ha.startNestor(ns, config, { name: run });
    }
    const peer = { name, product, process, configPath: this.ha.path(`${run}.json`) };
    this.peers.set(name, peer);
    return peer;
  }

  peer(name: ServerName): Peer {
    return this.peers.get(name)!;
  }

  /** Waits until every server in names is in one of states, or fails with both servers' HA log lines. */
  async waitFor(names: readonly ServerName[], states: readonly string[], timeoutMs: number): Promise<number> {
    const started = Date.now();
    try {
      await Promise.all(names.map((name) => this.ha.waitForHaState(name, states, timeoutMs)));
    } catch (error) {
      throw new Error(`${String(error)}\n${this.haLogs()}`);
    }
    return Date.now() - started;
  }

  /** Returns the assigned leases stored by server name, as address → MAC. */
  leases(name: ServerName): Map<string, string> {
    const peer = this.peer(name);
    const found = new Map<string, string>();
    if (peer.product === 'kea') {
      for (const [address, lease] of readKeaLeaseFile(this.ha.path(`${name}-leases4.csv`))) found.set(address, lease.hwaddr);
      return found;
    }
    for (const lease of listLeases(this.ha.lab, this.ha.servers[name].ns, peer.configPath)) {
      if (lease.state === 0) found.set(lease['ip-address'], lease['hw-address']);
    }
    return found;
  }

  /** Returns the clients whose lease (address and MAC) server name lacks, after up to 3 s for writes to land. */
  async missingOn(name: ServerName, results: readonly DirectClientResult[]): Promise<string[]> {
    let missing: string[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      const leases = this.leases(name);
      missing = results.filter((r) => leases.get(r.address) !== r.mac).map((r) => `${r.address} ${r.mac}`);
      if (missing.length === 0) return missing;
      await new Promise((r) => setTimeout(r, 500));
    }
    return missing;
  }

  /** Runs count direct clients from MAC index first under a capture, and checks that all are served and no address is shared. */
  async serveClients(label: string, count: number, first: number): Promise<DirectClientResult[]> {
    const capture = await this.ha.startCapture(label);
    let results: DirectClientResult[];
    try {
      results = this.ha.runDirectClients(this.ha.clientNs, count, { firstClient: first, ratePerSecond: 20, timeoutMs: CLIENT_TIMEOUT_MS });
    } finally {
      await capture.stop();
    }
    const unserved = results.filter((r) => r.address === '');
    expect(unserved, `${label}: unserved clients\n${this.haLogs()}`).toEqual([]);
    expect(addressesAckedToSeveralClients(readAcks(capture.file)), `${label}: addresses acknowledged to several clients`).toEqual(new Map());
    return results;
  }

  /** Returns how many clients each server acknowledged, keyed by server name. */
  servedBy(results: readonly DirectClientResult[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of results) {
      let name = r.serverId;
      if (name === this.ha.servers.srv1.address) name = 'srv1';
      else if (name === this.ha.servers.srv2.address) name = 'srv2';
      counts[name] = (counts[name] ?? 0) + 1;
    }
    return counts;
  }

  /** Returns the `msgId` log lines of nestor server name's current run, parsed. */
  nestorEvents(name: ServerName, msgId: string): Array<Record<string, unknown>> {
    return parseJsonLines(this.peer(name).process.output()).filter((line) => line.msgId === msgId);
  }

  /** Returns the Kea log file of server name from byte offset on. */
  keaLog(name: ServerName, offset = 0): string {
    try {
      return readFileSync(this.ha.path(`${name}-kea-dhcp4.log`)).subarray(offset).toString('utf8');
    } catch {
      return '';
    }
  }

  keaLogSize(name: ServerName): number {
    try {
      return statSync(this.ha.path(`${name}-kea-dhcp4.log`)).size;
    } catch {
      return 0;
    }
  }

  /** Collects the last HA lines of both servers' logs (Kea without DEBUG, nestor's HA_ and CONTROL_SERVICE_ ids) for failure messages. */
  haLogs(): string {
    const parts: string[] = [];
    for (const [name, peer] of this.peers) {
      const lines = peer.product === 'kea'
        ? this.keaLog(name).split('\n').filter((line) => line.includes(' HA_') && !line.includes(' DEBUG '))
        : peer.process.output().split('\n').filter((line) => /"msgId":"(HA_|CONTROL_SERVICE_)/.test(line));
      parts.push(`--- ${peer.product} ${name} (${peer.process.name}):\n${lines.slice(-25).join('\n')}`);
    }
    return parts.join('\n');
  }
}

function parseJsonLines(text: string): Array<Record<string, unknown>> {
  const lines: Array<Record<string, unknown>> = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try { lines.push(JSON.parse(line) as Record<string, unknown>); } catch { /* a partial last line */ }
  }
  return lines;
}

/**
 * Returns the Kea log lines that report an error result from the partner or a failed handler. Transport
 * failures (HA_*_COMMUNICATIONS_FAILED) are left out, because they are expected while a peer is down.
 */
function keaErrors(log: string): string[] {
  return log.match(/.* (HA_HEARTBEAT_FAILED|HA_LEASE_UPDATE_FAILED|HA_LEASE_UPDATE_\w+_FAILED_ON_PEER|HA_SYNC_FAILED|HA_LEASES_SYNC_FAILED|HA_SYNC_COMPLETE_NOTIFY_FAILED|HA_\w+_HANDLER_FAILED) .*/g) ?? [];
}

/** Returns the addresses of results that lie in the upper half of the pool (HA_srv2's pool, 198.18.1.128 and up). */
function inSecondHalf(results: readonly DirectClientResult[]): string[] {
  return results.map((r) => r.address).filter((a) => a.startsWith('198.18.1.') && Number(a.split('.')[3]) >= 128);
}

describe.skipIf(skip)('HA mixed pair: nestor primary, Kea 2.2 secondary, load-balancing', () => {
  let ha: HaLab;
  let pair: MixedPair;

  beforeAll(() => {
    ha = new HaLab({ tag: 'hmk' });
    pair = new MixedPair(ha, 'load-balancing', { srv1: 'nestor', srv2: 'kea' });
  });

  afterAll(async () => {
    await ha?.destroy();
  });

  it('load-balancing → partner-down → load-balancing with Kea failing, then with nestor failing', async () => {
    // 1. nestor (srv1) and Kea (srv2) start and both reach load-balancing.
    const started = Date.now();
    await pair.start('srv1');
    await pair.start('srv2');
    await pair.waitFor(['srv1', 'srv2'], ['load-balancing'], NORMAL_STATE_TIMEOUT_MS);
    console.log(`nestor primary + Kea secondary reached load-balancing ${Date.now() - started} ms after start`);

    // 2. 40 clients are served by both servers, and each lease is on both sides.
    const first = await pair.serveClients('lb', 40, 1);
    const served = pair.servedBy(first);
    console.log(`load-balancing: clients served ${JSON.stringify(served)}`);
    expect(Object.keys(served).sort()).toEqual(['srv1', 'srv2']);
    expect(await pair.missingOn('srv2', first), `Kea's memfile lacks leases\n${pair.haLogs()}`).toEqual([]);
    expect(await pair.missingOn('srv1', first), `nestor's database lacks leases\n${pair.haLogs()}`).toEqual([]);

    // 3. Kea is killed: nestor reaches partner-down and serves the clients of both scopes.
    await pair.peer('srv2').process.kill();
    const toPartnerDown = await pair.waitFor(['srv1'], ['partner-down'], PARTNER_DOWN_TIMEOUT_MS);
    console.log(`nestor reached partner-down ${toPartnerDown} ms after Kea was killed`);
    const duringKeaDown = await pair.serveClients('kea-down', 12, 101);
    expect(pair.servedBy(duringKeaDown)).toEqual({ srv1: 12 });
    // Clients of Kea's scope are among them. nestor gives new leases from its own pool half first
    // (so a split-brain pair cannot hand out one address twice), where Kea would use HA_srv2's pool.
    expect(duringKeaDown.filter((r) => scopeOfMac(r.mac) === 'srv2').length, 'nestor served no client of Kea\'s scope').toBeGreaterThan(0);
    expect(inSecondHalf(duringKeaDown), 'nestor took addresses from HA_srv2\'s pool while its own had room').toEqual([]);

    // 4. Kea restarts with its old memfile, syncs from nestor, and both return to load-balancing.
    const keaLogOffset = pair.keaLogSize('srv2');
    const commandsBefore = pair.nestorEvents('srv1', 'CONTROL_COMMAND_RECEIVED').length;
    const restartedKea = Date.now();
    await pair.start('srv2');
    await pair.waitFor(['srv1', 'srv2'], ['load-balancing'], NORMAL_STATE_TIMEOUT_MS);
    console.log(`Kea restart to load-balancing: ${Date.now() - restartedKea} ms`);
    const received = pair.nestorEvents('srv1', 'CONTROL_COMMAND_RECEIVED').slice(commandsBefore).map((line) => line.command);
    expect(received, 'commands nestor received from Kea').toEqual(expect.arrayContaining(['dhcp-disable', 'lease4-get-page', 'ha-sync-complete-notify']));
    expect(pair.keaLog('srv2', keaLogOffset), `Kea's log after the restart\n${pair.haLogs()}`).toMatch(/HA_SYNC_SUCCESSFUL/);
    expect(await pair.missingOn('srv2', duringKeaDown), `Kea's memfile lacks the partner-down leases\n${pair.haLogs()}`).toEqual([]);

    // 5. nestor is killed: Kea reaches partner-down and serves everyone.
    await pair.peer('srv1').process.kill();
    const toKeaPartnerDown = await pair.waitFor(['srv2'], ['partner-down'], PARTNER_DOWN_TIMEOUT_MS);
    console.log(`Kea reached partner-down ${toKeaPartnerDown} ms after nestor was killed`);
    const duringNestorDown = await pair.serveClients('nestor-down', 12, 201);
    expect(pair.servedBy(duringNestorDown)).toEqual({ srv2: 12 });

    // 6. nestor restarts with its database, syncs from Kea, and both return to load-balancing.
    const restartedNestor = Date.now();
    await pair.start('srv1');
    await pair.waitFor(['srv1', 'srv2'], ['load-balancing'], NORMAL_STATE_TIMEOUT_MS);
    console.log(`nestor restart to load-balancing: ${Date.now() - restartedNestor} ms`);
    expect(pair.nestorEvents('srv1', 'HA_SYNC_COMPLETE'), `nestor's sync after the restart\n${pair.haLogs()}`).toHaveLength(1);
    expect(await pair.missingOn('srv1', duringNestorDown), `nestor's database lacks the leases Kea made alone\n${pair.haLogs()}`).toEqual([]);
    expect(await pair.missingOn('srv1', [...first, ...duringKeaDown]), "nestor's database lost leases over the restart").toEqual([]);

    // 7. Neither server logged a failed exchange with its partner.
    expect(keaErrors(pair.keaLog('srv2')), "Kea's log").toEqual([]);
  });
});

describe.skipIf(skip)('HA mixed pair: Kea 2.2 primary, nestor secondary, load-balancing', () => {
  let ha: HaLab;
  let pair: MixedPair;

  beforeAll(() => {
    ha = new HaLab({ tag: 'hkm' });
    pair = new MixedPair(ha, 'load-balancing', { srv1: 'kea', srv2: 'nestor' });
  });

  afterAll(async () => {
    await ha?.destroy();
  });

  it('load-balancing → partner-down → load-balancing with nestor failing, then with Kea failing', async () => {
    // 1. Kea (srv1) and nestor (srv2) start and both reach load-balancing.
    const started = Date.now();
    await pair.start('srv1');
    await pair.start('srv2');
    await pair.waitFor(['srv1', 'srv2'], ['load-balancing'], NORMAL_STATE_TIMEOUT_MS);
    console.log(`Kea primary + nestor secondary reached load-balancing ${Date.now() - started} ms after start`);

    // 2. 30 clients are served by both servers, and each lease is on both sides.
    const first = await pair.serveClients('lb', 30, 1);
    const served = pair.servedBy(first);
    console.log(`load-balancing: clients served ${JSON.stringify(served)}`);
    expect(Object.keys(served).sort()).toEqual(['srv1', 'srv2']);
    expect(await pair.missingOn('srv1', first), `Kea's memfile lacks leases\n${pair.haLogs()}`).toEqual([]);
    expect(await pair.missingOn('srv2', first), `nestor's database lacks leases\n${pair.haLogs()}`).toEqual([]);

    // 3. nestor is killed: Kea reaches partner-down and serves everyone.
    await pair.peer('srv2').process.kill();
    await pair.waitFor(['srv1'], ['partner-down'], PARTNER_DOWN_TIMEOUT_MS);
    const duringNestorDown = await pair.serveClients('nestor-down', 10, 101);
    expect(pair.servedBy(duringNestorDown)).toEqual({ srv1: 10 });

    // 4. nestor restarts, syncs from Kea, and both return to load-balancing with Kea's new leases.
    const restarted = Date.now();
    await pair.start('srv2');
    await pair.waitFor(['srv1', 'srv2'], ['load-balancing'], NORMAL_STATE_TIMEOUT_MS);
    console.log(`nestor restart to load-balancing: ${Date.now() - restarted} ms`);
    expect(pair.nestorEvents('srv2', 'HA_SYNC_COMPLETE'), `nestor's sync after the restart\n${pair.haLogs()}`).toHaveLength(1);
    expect(await pair.missingOn('srv2', duringNestorDown), `nestor's database lacks the leases Kea made alone\n${pair.haLogs()}`).toEqual([]);

    // 5. Kea is killed: nestor reaches partner-down and serves everyone.
    await pair.peer('srv1').process.kill();
    await pair.waitFor(['srv2'], ['partner-down'], PARTNER_DOWN_TIMEOUT_MS);
    const duringKeaDown = await pair.serveClients('kea-down', 10, 201);
    expect(pair.servedBy(duringKeaDown)).toEqual({ srv2: 10 });

    // 6. Kea restarts with its old memfile, syncs from nestor, and gets nestor's new leases.
    const keaLogOffset = pair.keaLogSize('srv1');
    const restartedKea = Date.now();
    await pair.start('srv1');
    await pair.waitFor(['srv1', 'srv2'], ['load-balancing'], NORMAL_STATE_TIMEOUT_MS);
    console.log(`Kea restart to load-balancing: ${Date.now() - restartedKea} ms`);
    expect(pair.keaLog('srv1', keaLogOffset), `Kea's log after the restart\n${pair.haLogs()}`).toMatch(/HA_SYNC_SUCCESSFUL/);
    expect(await pair.missingOn('srv1', duringKeaDown), `Kea's memfile lacks the partner-down leases\n${pair.haLogs()}`).toEqual([]);
    expect(keaErrors(pair.keaLog('srv1')), "Kea's log").toEqual([]);
  });
});

describe.skipIf(skip)('HA mixed pair: nestor primary, Kea 2.2 standby, hot-standby', () => {
  let ha: HaLab;
  let pair: MixedPair;

  beforeAll(() => {
    ha = new HaLab({ tag: 'hms' });
    pair = new MixedPair(ha, 'hot-standby', { srv1: 'nestor', srv2: 'kea' });
  });

  afterAll(async () => {
    await ha?.destroy();
  });

  it('hot-standby → partner-down → hot-standby with nestor failing', async () => {
    // 1. nestor (primary) and Kea (standby) start and both reach hot-standby.
    const started = Date.now();
    await pair.start('srv1');
    await pair.start('srv2');
    await pair.waitFor(['srv1', 'srv2'], ['hot-standby'], NORMAL_STATE_TIMEOUT_MS);
    console.log(`nestor primary + Kea standby reached hot-standby ${Date.now() - started} ms after start`);

    // 2. nestor serves all clients, and Kea's memfile has every lease.
    const results = await pair.serveClients('hs', 15, 1);
    expect(pair.servedBy(results)).toEqual({ srv1: 15 });
    expect(await pair.missingOn('srv2', results), `Kea's memfile lacks leases\n${pair.haLogs()}`).toEqual([]);

    // 3. nestor is killed: Kea, the standby, reaches partner-down and serves everyone.
    await pair.peer('srv1').process.kill();
    await pair.waitFor(['srv2'], ['partner-down'], PARTNER_DOWN_TIMEOUT_MS);
    const duringNestorDown = await pair.serveClients('nestor-down', 8, 101);
    expect(pair.servedBy(duringNestorDown)).toEqual({ srv2: 8 });

    // 4. nestor restarts, syncs from Kea, and the pair returns to hot-standby with nestor serving.
    const restarted = Date.now();
    await pair.start('srv1');
    await pair.waitFor(['srv1', 'srv2'], ['hot-standby'], NORMAL_STATE_TIMEOUT_MS);
    console.log(`nestor restart to hot-standby: ${Date.now() - restarted} ms`);
    expect(pair.nestorEvents('srv1', 'HA_SYNC_COMPLETE'), `nestor's sync after the restart\n${pair.haLogs()}`).toHaveLength(1);
    expect(await pair.missingOn('srv1', duringNestorDown), `nestor's database lacks the leases Kea made alone\n${pair.haLogs()}`).toEqual([]);
    const afterReturn = await pair.serveClients('hs-again', 5, 201);
    expect(pair.servedBy(afterReturn)).toEqual({ srv1: 5 });
    expect(keaErrors(pair.keaLog('srv2')), "Kea's log").toEqual([]);
  });
});
