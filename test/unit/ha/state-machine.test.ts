// Scenario tests of HaService's state machine against a scripted partner: start-up and lease sync,
// failure detection, communication recovery, hot-standby, partner-down, clock skew, pausing and
// passive-backup. Each test drives heartbeats with fake timers (heartbeat-delay 1000 ms,
// max-response-delay 3000 ms, max-ack-delay 2000 ms, max-unacked-clients 2).

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { AnalyzedQuery } from '../../../src/ha/communication.js';
import { MemoryLeaseStore } from '../../../src/leases/memory-store.js';
import { STARTUP_BEAT_MS, T0, acceptedBuckets, firstHeartbeat, haConfig, heartbeats, lease, leaseJson, startHa } from './fake-partner.js';
import type { HaHarness } from './fake-partner.js';

let h: HaHarness | undefined;

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});

afterEach(() => {
  h?.stop();
  h = undefined;
  vi.useRealTimers();
  vi.restoreAllMocks();
});

function run(harness: HaHarness): HaHarness {
  h = harness;
  return harness;
}

/** Returns the `remote` part of the status-get report. */
function remote(harness: HaHarness): Record<string, unknown> {
  const ha = harness.service.statusReport()['high-availability'] as { 'ha-servers': { remote: Record<string, unknown> } }[];
  return ha[0]!['ha-servers'].remote;
}

/** Builds a query from client n of the partner's scope, with this `secs`. */
function query(n: number, secs: number): AnalyzedQuery {
  return { secs, chaddr: Uint8Array.of(0x02, 0xaa, 0, 0, 0, n), clientId: undefined };
}

/** Lets the partner report a normal state and runs the first heartbeat, which syncs and reaches that state. */
async function reachNormal(harness: HaHarness, state: 'load-balancing' | 'hot-standby' = 'load-balancing'): Promise<void> {
  harness.partner.state = state;
  await firstHeartbeat();
  expect(harness.service.state).toBe(state);
}

/** Advances the fake clock by n heartbeats of the start-up period. */
async function startupBeats(n: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(n * STARTUP_BEAT_MS);
}

describe('HA state machine: start-up and lease sync', () => {
  it('waiting → syncing → ready → load-balancing for the primary', async () => {
    // 1. The primary starts in waiting with DHCP off.
    // 2. The partner reports waiting, so the primary (tie-break) syncs: 5 leases, pages of 2.
    // 3. Pages merge into the local store: new leases added, later cltt replaces, older cltt kept.
    // 4. The partner reports ready and the primary moves to load-balancing first.
    const store = new MemoryLeaseStore();
    store.transact((tx) => {
      tx.put(lease(1, { cltt: 1_000 }));
      tx.put(lease(2, { cltt: 5_000 }));
      tx.put(lease(9, { cltt: 100 }));
    });
    const { service, partner, networkState, transitions } = run(startHa(haConfig({ parameters: { 'sync-page-limit': 2, 'sync-timeout': 20_000 } }), { store }));
    for (let host = 1; host <= 5; host++) partner.addLease(leaseJson(host, 2_000));

    expect(service.state).toBe('waiting');
    expect(networkState.isEnabled()).toBe(false);
    expect(service.servedScopeNames).toEqual([]);

    await firstHeartbeat();
    expect(service.state).toBe('ready');
    expect(partner.commands()).toEqual([
      'ha-heartbeat',
      'dhcp-disable', 'lease4-get-page',
      'dhcp-disable', 'lease4-get-page',
      'dhcp-disable', 'lease4-get-page',
      'ha-sync-complete-notify',
    ]);
    for (const disable of partner.sent('dhcp-disable')) expect(disable.args).toEqual({ origin: 'ha-partner', 'max-period': 20 });
    expect(partner.sent('lease4-get-page').map((r) => r.args)).toEqual([
      { from: 'start', limit: 2 },
      { from: '198.18.0.2', limit: 2 },
      { from: '198.18.0.4', limit: 2 },
    ]);
    expect(partner.sent('lease4-get-page')[0]!.timeoutMs).toBe(20_000);
    expect(partner.sent('ha-sync-complete-notify')[0]!.args).toBeUndefined();
    expect(partner.isDhcpEnabled).toBe(true);

    expect(store.get(lease(1).address)?.cltt).toBe(2_000);
    expect(store.get(lease(2).address)?.cltt).toBe(5_000);
    expect(store.get(lease(3).address)?.cltt).toBe(2_000);
    expect(store.get(lease(5).address)?.cltt).toBe(2_000);
    expect(store.get(lease(9).address)?.cltt).toBe(100);
    expect(store.count()).toBe(6);
    expect(networkState.isEnabled()).toBe(false);

    await startupBeats(1);
    expect(service.state).toBe('ready');

    partner.state = 'ready';
    await startupBeats(1);
    expect(service.state).toBe('load-balancing');
    expect(networkState.isEnabled()).toBe(true);
    expect(service.servedScopeNames).toEqual(['server1']);
    expect(acceptedBuckets(service)).toMatchObject({ even: true, odd: false });
    expect(transitions()).toEqual(['waiting → syncing', 'syncing → ready', 'ready → load-balancing']);
  });

  it('waiting → syncing → ready → load-balancing for the secondary, after the primary', async () => {
    // 1. The partner (the primary) reports waiting: the secondary stays in waiting (tie-break).
    // 2. The partner reports syncing: the secondary still waits.
    // 3. The partner reports ready: the secondary syncs from it and becomes ready.
    // 4. The partner stays ready: the secondary waits for the primary to move first.
    // 5. The partner reports load-balancing: the secondary follows and serves its own scope.
    const { service, partner } = run(startHa(haConfig({ thisServer: 'server2' })));
    partner.state = 'waiting';
    await startupBeats(2);
    expect(service.state).toBe('waiting');
    expect(partner.sent('lease4-get-page')).toHaveLength(0);

    partner.state = 'syncing';
    await startupBeats(1);
    expect(service.state).toBe('waiting');

    partner.state = 'ready';
    await startupBeats(1);
    expect(service.state).toBe('ready');
    expect(partner.sent('lease4-get-page')).toHaveLength(1);

    await startupBeats(2);
    expect(service.state).toBe('ready');

    partner.state = 'load-balancing';
    await startupBeats(1);
    expect(service.state).toBe('load-balancing');
    expect(service.servedScopeNames).toEqual(['server2']);
    expect(acceptedBuckets(service)).toMatchObject({ even: false, odd: true });
  });

  it('syncing → ready fetches an empty page after a full one', async () => {
    // 1. The partner holds exactly two pages of leases; a full page never ends the sync.
    // 2. The third page, from the last address, is empty (result 3) and ends it.
    const { service, partner, store } = run(startHa(haConfig({ parameters: { 'sync-page-limit': 2 } })));
    for (let host = 1; host <= 4; host++) partner.addLease(leaseJson(host, 2_000));
    partner.state = 'waiting';
    await firstHeartbeat();

    expect(service.state).toBe('ready');
    expect(partner.sent('lease4-get-page').map((r) => r.args?.['from'])).toEqual(['start', '198.18.0.2', '198.18.0.4']);
    expect(partner.sent('dhcp-disable')[0]!.args).toEqual({ origin: 'ha-partner', 'max-period': 60 });
    expect(store.count()).toBe(4);
  });

  it('syncing → ready with dhcp-enable when the partner lacks ha-sync-complete-notify', async () => {
    // 1. The partner answers ha-sync-complete-notify with result 2 (a Kea older than 2.2).
    // 2. The syncing server enables the partner's service with dhcp-enable instead.
    const { service, partner } = run(startHa(haConfig()));
    partner.answerWith('ha-sync-complete-notify', 2, "'ha-sync-complete-notify' command not supported.");
    partner.state = 'waiting';
    await firstHeartbeat();

    expect(service.state).toBe('ready');
    expect(partner.commands().slice(-2)).toEqual(['ha-sync-complete-notify', 'dhcp-enable']);
    expect(partner.sent('dhcp-enable')[0]!.args).toEqual({ origin: 'ha-partner' });
    expect(partner.isDhcpEnabled).toBe(true);
  });

  it('syncing → syncing → ready when the first sync fails', async () => {
    // 1. The first lease4-get-page fails: the partner's service is enabled again and the server stays in syncing.
    // 2. The partner now counts as unavailable, so the next heartbeat follows heartbeat-delay later;
    //    it succeeds and the sync is retried, this time to completion.
    const { service, partner } = run(startHa(haConfig()));
    partner.failOn('lease4-get-page', { times: 1 });
    partner.state = 'waiting';
    await firstHeartbeat();

    expect(service.state).toBe('syncing');
    expect(partner.commands()).toEqual(['ha-heartbeat', 'dhcp-disable', 'lease4-get-page', 'dhcp-enable']);
    expect(partner.isDhcpEnabled).toBe(true);

    await heartbeats(1);
    expect(service.state).toBe('ready');
    expect(partner.sent('lease4-get-page')).toHaveLength(2);
  });

  it('syncing sends no heartbeat while a page is in flight', async () => {
    // 1. The partner takes 5 s to answer lease4-get-page.
    // 2. No heartbeat goes out during the sync; the next one follows one start-up period after it.
    const { service, partner } = run(startHa(haConfig()));
    partner.delay('lease4-get-page', 5_000);
    partner.state = 'waiting';
    await firstHeartbeat();
    expect(service.state).toBe('syncing');

    await vi.advanceTimersByTimeAsync(4_999);
    expect(partner.sent('ha-heartbeat')).toHaveLength(1);
    expect(service.state).toBe('syncing');

    await vi.advanceTimersByTimeAsync(1);
    expect(service.state).toBe('ready');
    await vi.advanceTimersByTimeAsync(STARTUP_BEAT_MS - 1);
    expect(partner.sent('ha-heartbeat')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(partner.sent('ha-heartbeat')).toHaveLength(2);
  });

  it('waiting → ready without a sync when sync-leases is false', async () => {
    // 1. sync-leases is false; the partner reports waiting.
    // 2. The primary goes straight to ready and sends nothing but heartbeats.
    const { service, partner } = run(startHa(haConfig({ parameters: { 'sync-leases': false } })));
    partner.state = 'waiting';
    await startupBeats(2);

    expect(service.state).toBe('ready');
    expect(partner.commands()).toEqual(['ha-heartbeat', 'ha-heartbeat', 'ha-heartbeat']);
  });

  it('waiting → partner-down for a server that starts alone', async () => {
    // 1. The partner never answers; DHCP is off in waiting, so no unacked clients are needed.
    // 2. Once max-response-delay (3 s) has passed since start-up, the next heartbeat (at 4 s)
    //    moves to partner-down.
    const { service, partner, networkState } = run(startHa(haConfig()));
    partner.isDown = true;
    await heartbeats(3);
    expect(service.state).toBe('waiting');
    expect(networkState.isEnabled()).toBe(false);

    await heartbeats(1);
    expect(service.state).toBe('partner-down');
    expect(networkState.isEnabled()).toBe(true);
    expect(service.servedScopeNames).toEqual(['server1', 'server2']);
    expect(acceptedBuckets(service).all).toBe(true);
  });
});

describe('HA state machine: failure detection in load-balancing', () => {
  it('load-balancing → communication-recovery → partner-down after unacked clients', async () => {
    // 1. In load-balancing the partner stops answering: the first failed heartbeat moves to communication-recovery.
    // 2. Queries of the partner's scope are ignored while communication is not yet interrupted.
    // 3. After max-response-delay, clients with secs*1000 > max-ack-delay count as unacked.
    // 4. secs 256 (low byte 0) is swapped to 1 and counts as connecting; 257 is not swapped.
    // 5. Two unacked clients are not enough (max-unacked-clients 2); the third one is.
    // 6. The next heartbeat moves to partner-down, which serves both scopes.
    const { service, partner } = run(startHa(haConfig()));
    await reachNormal(h!);
    partner.isDown = true;
    await heartbeats(1);
    expect(service.state).toBe('communication-recovery');
    expect(remote(h!)).toMatchObject({ 'last-state': 'unavailable', 'communication-interrupted': false, 'unacked-clients-left': 0 });

    expect(service.wantsAnalysis()).toBe(false);
    for (let n = 1; n <= 3; n++) service.analyze(query(n, 10));
    expect(remote(h!)).toMatchObject({ 'analyzed-packets': 0, 'unacked-clients': 0 });

    await heartbeats(2);
    expect(service.state).toBe('communication-recovery');
    expect(remote(h!)['communication-interrupted']).toBe(false);
    await heartbeats(1);
    expect(service.state).toBe('communication-recovery');
    expect(service.wantsAnalysis()).toBe(true);
    expect(remote(h!)).toMatchObject({ 'communication-interrupted': true, 'unacked-clients': 0, 'unacked-clients-left': 3, 'connecting-clients': 0 });

    service.analyze(query(1, 3));
    service.analyze(query(2, 1));
    service.analyze(query(3, 0x0100));
    service.analyze(query(4, 0x0101));
    expect(remote(h!)).toMatchObject({ 'unacked-clients': 2, 'unacked-clients-left': 1, 'connecting-clients': 2, 'analyzed-packets': 4 });

    await heartbeats(1);
    expect(service.state).toBe('communication-recovery');

    service.analyze(query(5, 0x0300));
    expect(remote(h!)).toMatchObject({ 'unacked-clients': 3, 'unacked-clients-left': 0 });
    await heartbeats(1);
    expect(service.state).toBe('partner-down');
    expect(service.servedScopeNames).toEqual(['server1', 'server2']);
    expect(acceptedBuckets(service).all).toBe(true);
    expect(h!.transitions().slice(-2)).toEqual(['load-balancing → communication-recovery', 'communication-recovery → partner-down']);
  });

  it('communication-recovery counts a client once and moves it from connecting to unacked', async () => {
    // 1. Communication is interrupted in communication-recovery.
    // 2. One client retransmits with growing secs: it is counted once, first connecting, then unacked.
    const { service, partner } = run(startHa(haConfig()));
    await reachNormal(h!);
    partner.isDown = true;
    await heartbeats(4);
    expect(service.wantsAnalysis()).toBe(true);

    service.analyze(query(7, 1));
    expect(remote(h!)).toMatchObject({ 'connecting-clients': 1, 'unacked-clients': 0 });
    service.analyze(query(7, 3));
    service.analyze(query(7, 4));
    expect(remote(h!)).toMatchObject({ 'connecting-clients': 0, 'unacked-clients': 1, 'analyzed-packets': 3 });
  });

  it('communication-recovery → partner-down at interruption when max-unacked-clients is 0', async () => {
    // 1. max-unacked-clients 0 means no client evidence is needed.
    // 2. The first heartbeat after max-response-delay moves to partner-down.
    const { service, partner } = run(startHa(haConfig({ parameters: { 'max-unacked-clients': 0 } })));
    await reachNormal(h!);
    partner.isDown = true;
    await heartbeats(3);
    expect(service.state).toBe('communication-recovery');
    await heartbeats(1);
    expect(service.state).toBe('partner-down');
  });

  it('communication-recovery → load-balancing clears the unacked clients', async () => {
    // 1. Communication is interrupted and two clients are unacked.
    // 2. The partner answers again: the counters reset and the server returns to load-balancing.
    const { service, partner } = run(startHa(haConfig()));
    await reachNormal(h!);
    partner.isDown = true;
    await heartbeats(4);
    service.analyze(query(1, 5));
    service.analyze(query(2, 5));

    partner.isDown = false;
    await heartbeats(1);
    expect(service.state).toBe('load-balancing');
    expect(remote(h!)).toMatchObject({ 'communication-interrupted': false, 'unacked-clients': 0, 'connecting-clients': 0, 'analyzed-packets': 0, 'last-state': 'load-balancing' });
  });
});

describe('HA state machine: unreachable partner logs', () => {
  it('logs again when the failure reason changes', async () => {
    // 1. The partner stops: one HA_PARTNER_UNREACHABLE with the refused connection, not repeated.
    // 2. It comes back with credentials this server lacks: its heartbeats now fail with HTTP 401,
    //    which is logged once more, so the log names the real cause.
    const harness = run(startHa(haConfig()));
    await reachNormal(harness);
    harness.partner.isDown = true;
    await heartbeats(3);
    harness.partner.isDown = false;
    harness.partner.answerWith('ha-heartbeat', 401, 'Unauthorized');
    await heartbeats(2);
    const reasons = harness.logs.filter((e) => e.msgId === 'HA_PARTNER_UNREACHABLE').map((e) => String(e.fields['err']));
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toMatch(/ECONNREFUSED/);
    expect(reasons[1]).toMatch(/401/);
  });
});

describe('HA state machine: communication-recovery backlog', () => {
  it('load-balancing → communication-recovery → load-balancing when the partner returns', async () => {
    // 1. The partner stops answering: communication-recovery at the first failed heartbeat.
    // 2. Two batches are committed: their replies are not held and the changes are queued, not sent.
    // 3. The partner answers again in load-balancing: the backlog is replayed as
    //    lease4-update / lease4-del in commit order, then the server returns to load-balancing.
    const { service, partner } = run(startHa(haConfig()));
    await reachNormal(h!);
    expect(service.needsAcknowledgement()).toBe(true);
    partner.isDown = true;
    await heartbeats(1);
    expect(service.state).toBe('communication-recovery');
    expect(service.needsAcknowledgement()).toBe(false);

    const first = await service.replicate([{ kind: 'update', lease: lease(10) }, { kind: 'delete', lease: lease(11) }], [0, 0]);
    const second = await service.replicate([{ kind: 'update', lease: lease(12) }], [0]);
    expect(first.failedReplies.size).toBe(0);
    expect(second.failedReplies.size).toBe(0);
    expect(partner.sent('lease4-update')).toHaveLength(0);
    expect(partner.sent('lease4-del')).toHaveLength(0);

    partner.isDown = false;
    await heartbeats(1);
    expect(service.state).toBe('load-balancing');
    expect(partner.leaseCommands()).toEqual(['lease4-update 198.18.0.10', 'lease4-del 198.18.0.11', 'lease4-update 198.18.0.12']);
    expect(service.heartbeatArguments()['unsent-update-count']).toBe(0);
    expect(h!.transitions().slice(-2)).toEqual(['load-balancing → communication-recovery', 'communication-recovery → load-balancing']);
  });

  it('communication-recovery → load-balancing replays a backlog of exactly delayed-updates-limit changes', async () => {
    // 1. delayed-updates-limit is 3 and exactly three changes are queued.
    // 2. The backlog did not overflow, so it is replayed and no ha-reset is sent.
    const { service, partner } = run(startHa(haConfig({ parameters: { 'delayed-updates-limit': 3 } })));
    await reachNormal(h!);
    partner.isDown = true;
    await heartbeats(1);
    await service.replicate([1, 2, 3].map((host) => ({ kind: 'update' as const, lease: lease(host) })), [0, 1, 2]);

    partner.isDown = false;
    await heartbeats(1);
    expect(service.state).toBe('load-balancing');
    expect(partner.sent('lease4-update')).toHaveLength(3);
    expect(partner.sent('ha-reset')).toHaveLength(0);
  });

  it('communication-recovery → waiting with ha-reset when the backlog overflows', async () => {
    // 1. delayed-updates-limit is 3; four changes are committed in communication-recovery.
    // 2. The partner answers again: the overflowed backlog is dropped, the partner gets ha-reset,
    //    and this server goes to waiting to resynchronise.
    const { service, partner } = run(startHa(haConfig({ parameters: { 'delayed-updates-limit': 3 } })));
    await reachNormal(h!);
    partner.isDown = true;
    await heartbeats(1);
    await service.replicate([{ kind: 'update', lease: lease(1) }, { kind: 'update', lease: lease(2) }], [0, 1]);
    await service.replicate([{ kind: 'update', lease: lease(3) }, { kind: 'delete', lease: lease(4) }], [0, 1]);

    partner.isDown = false;
    await heartbeats(1);
    expect(partner.sent('ha-reset')).toHaveLength(1);
    expect(partner.sent('ha-reset')[0]!.args).toBeUndefined();
    expect(partner.sent('lease4-update')).toHaveLength(0);
    expect(partner.sent('lease4-del')).toHaveLength(0);
    expect(h!.transitions()).toContain('communication-recovery → waiting');
    expect(h!.transitions().indexOf('communication-recovery → waiting')).toBeGreaterThan(h!.transitions().indexOf('load-balancing → communication-recovery'));
  });

  it('communication-recovery → waiting when the backlog overflowed and the partner is waiting', async () => {
    // 1. The backlog overflows while the partner is away.
    // 2. The partner returns in waiting (it restarted): this server resynchronises without ha-reset.
    const { service, partner } = run(startHa(haConfig({ parameters: { 'delayed-updates-limit': 1 } })));
    await reachNormal(h!);
    partner.isDown = true;
    await heartbeats(1);
    await service.replicate([{ kind: 'update', lease: lease(1) }, { kind: 'update', lease: lease(2) }], [0, 1]);

    partner.isDown = false;
    partner.state = 'waiting';
    await heartbeats(1);
    expect(h!.transitions()).toContain('communication-recovery → waiting');
    expect(partner.sent('ha-reset')).toHaveLength(0);
  });
});

describe('HA state machine: hot-standby', () => {
  it('hot-standby → partner-down for the primary as soon as communication is interrupted', async () => {
    // 1. The primary serves every query in hot-standby.
    // 2. The standby stops answering; hot-standby has no communication-recovery.
    // 3. After max-response-delay the primary goes partner-down without any unacked client.
    const { service, partner, networkState } = run(startHa(haConfig({ mode: 'hot-standby' })));
    await reachNormal(h!, 'hot-standby');
    expect(service.servedScopeNames).toEqual(['server1']);
    expect(acceptedBuckets(service).all).toBe(true);
    expect(networkState.isEnabled()).toBe(true);

    partner.isDown = true;
    await heartbeats(3);
    expect(service.state).toBe('hot-standby');
    await heartbeats(1);
    expect(service.state).toBe('partner-down');
    expect(service.servedScopeNames).toEqual(['server1']);
    expect(acceptedBuckets(service).all).toBe(true);
  });

  it('hot-standby → partner-down for the standby only after unacked clients', async () => {
    // 1. The standby serves no scope but keeps DHCP on, so it sees the primary's traffic.
    // 2. The primary stops answering; after max-response-delay the standby still waits for evidence.
    // 3. Three unacked clients of the primary's scope: the next heartbeat moves to partner-down,
    //    where the standby serves the primary's scope (every query).
    const { service, partner, networkState } = run(startHa(haConfig({ mode: 'hot-standby', thisServer: 'server2' })));
    await reachNormal(h!, 'hot-standby');
    expect(service.servedScopeNames).toEqual([]);
    expect(acceptedBuckets(service).none).toBe(true);
    expect(networkState.isEnabled()).toBe(true);

    partner.isDown = true;
    await heartbeats(5);
    expect(service.state).toBe('hot-standby');
    for (let n = 1; n <= 3; n++) service.analyze(query(n, 10));
    await heartbeats(1);
    expect(service.state).toBe('partner-down');
    expect(service.servedScopeNames).toEqual(['server1']);
    expect(acceptedBuckets(service).all).toBe(true);
  });
});

describe('HA state machine: partner-down', () => {
  /** Starts server1 with the partner down and waits until partner-down. */
  async function reachPartnerDown(): Promise<HaHarness> {
    const harness = run(startHa(haConfig()));
    harness.partner.isDown = true;
    await heartbeats(4);
    expect(harness.service.state).toBe('partner-down');
    return harness;
  }

  for (const reported of ['partner-down', 'communication-recovery', 'partner-in-maintenance'] as const) {
    it(`partner-down → waiting when the partner reports ${reported}`, async () => {
      // 1. This server is in partner-down.
      // 2. The partner answers again in a state that means it served clients on its own too.
      // 3. This server goes to waiting to resynchronise.
      const { partner, transitions } = await reachPartnerDown();
      partner.isDown = false;
      partner.state = reported;
      await heartbeats(1);
      expect(transitions()).toContain('partner-down → waiting');
    });
  }

  for (const reported of ['waiting', 'syncing'] as const) {
    it(`partner-down stays while the partner is ${reported}`, async () => {
      // 1. This server is in partner-down; the partner restarted and reports an early state.
      // 2. This server keeps serving both scopes.
      const { service, partner } = await reachPartnerDown();
      partner.isDown = false;
      partner.state = reported;
      await heartbeats(2);
      expect(service.state).toBe('partner-down');
    });
  }

  it('partner-down → load-balancing when the partner is ready with no unsent updates', async () => {
    // 1. This server is in partner-down.
    // 2. The partner reports ready with unsent-update-count 0: it allocated nothing on its own.
    const { service, partner } = await reachPartnerDown();
    partner.isDown = false;
    partner.state = 'ready';
    await heartbeats(1);
    expect(service.state).toBe('load-balancing');
    expect(service.servedScopeNames).toEqual(['server1']);
  });

  it('partner-down → waiting when the partner is ready with a new unsent-update-count', async () => {
    // 1. The partner last reported unsent-update-count 0.
    // 2. It returns ready with count 4: it allocated leases this server never saw, so resync.
    const { partner, transitions } = await reachPartnerDown();
    partner.isDown = false;
    partner.state = 'ready';
    partner.unsentUpdateCount = 4;
    await heartbeats(1);
    expect(transitions()).toContain('partner-down → waiting');
  });

  it('partner-down → waiting on a count grown during the outage', async () => {
    // 1. This server is in partner-down; the partner served clients alone meanwhile (count 0 → 6).
    // 2. The first heartbeat after the outage finds the partner in waiting with count 6: stay.
    // 3. The next finds it ready with the same count 6. Kea 2.2 compares only with the previous
    //    heartbeat and would go to load-balancing, missing the partner's leases. nestor also compares
    //    with the count at partner-down entry, so it resynchronises.
    const { partner, transitions } = await reachPartnerDown();
    partner.isDown = false;
    partner.state = 'waiting';
    partner.unsentUpdateCount = 6;
    await heartbeats(1);
    expect(transitions()).not.toContain('partner-down → waiting');
    partner.state = 'ready';
    await heartbeats(1);
    expect(transitions()).toContain('partner-down → waiting');
  });

  it('partner-down → load-balancing when the partner is ready with an unchanged unsent-update-count', async () => {
    // 1. The partner reports syncing with unsent-update-count 4, then stops answering.
    // 2. The heartbeat at 0.5 s succeeds and those at 1 s, 2 s, 3 s and 4 s fail. The one at 4 s is
    //    the first more than 3 s after the last contact, so this server goes partner-down there.
    // 3. The partner returns ready with the same count 4: nothing new, back to load-balancing.
    const { service, partner } = run(startHa(haConfig()));
    partner.state = 'syncing';
    partner.unsentUpdateCount = 4;
    await firstHeartbeat();
    expect(service.state).toBe('waiting');

    partner.isDown = true;
    await heartbeats(3);
    expect(service.state).toBe('waiting');
    await startupBeats(1);
    expect(service.state).toBe('partner-down');

    partner.isDown = false;
    partner.state = 'ready';
    await heartbeats(1);
    expect(service.state).toBe('load-balancing');
  });
});

describe('HA state machine: clock skew', () => {
  it('load-balancing → terminated → waiting → load-balancing across a clock fix', async () => {
    // 1. The partner's clock is 45 s ahead: one warning, the server stays in load-balancing.
    // 2. The partner's clock is 75 s behind: terminated, DHCP on with the own scope, no more heartbeats.
    // 3. The clocks are fixed and ha-reset moves to waiting; nestor forgets the stale skew
    //    (Kea 2.2 would fall back to terminated), so the pair returns to load-balancing.
    const { service, partner, networkState, messageIds } = run(startHa(haConfig()));
    await reachNormal(h!);

    partner.clockOffsetMs = 45_000;
    await heartbeats(2);
    expect(service.state).toBe('load-balancing');
    expect(messageIds().filter((id) => id === 'HA_HIGH_CLOCK_SKEW')).toHaveLength(1);
    expect(h!.logs.find((e) => e.msgId === 'HA_HIGH_CLOCK_SKEW')?.level).toBe('warn');
    expect(remote(h!)['clock-skew']).toBe(45);

    partner.clockOffsetMs = -75_000;
    await heartbeats(1);
    expect(service.state).toBe('terminated');
    expect(messageIds()).toContain('HA_CLOCK_SKEW_TERMINATED');
    expect(networkState.isEnabled()).toBe(true);
    expect(service.servedScopeNames).toEqual(['server1']);
    const sentBefore = partner.sent('ha-heartbeat').length;
    await heartbeats(10);
    expect(partner.sent('ha-heartbeat')).toHaveLength(sentBefore);
    expect(service.state).toBe('terminated');

    partner.clockOffsetMs = 0;
    expect(service.reset()).toBe(true);
    await heartbeats(3);
    expect(partner.sent('ha-heartbeat').length).toBeGreaterThan(sentBefore);
    expect(service.state).toBe('load-balancing');
    expect(h!.transitions()).toContain('load-balancing → terminated');
    expect(h!.transitions()).toContain('terminated → waiting');
  });

  it('waiting → terminated when the first heartbeat shows a skew over 60 s', async () => {
    // 1. The partner's clock is 61 s ahead from the start.
    // 2. The skew check comes before any other rule, so waiting goes to terminated.
    const { service, partner } = run(startHa(haConfig()));
    partner.clockOffsetMs = 61_000;
    await firstHeartbeat();
    expect(service.state).toBe('terminated');
  });
});

describe('HA state machine: pausing', () => {
  it('waiting → ready pauses until ha-continue, once', async () => {
    // 1. state-machine pauses 'ready' once; the partner reports load-balancing.
    // 2. The machine stops in ready and keeps heartbeating, with no transition.
    // 3. ha-continue resumes it: ready → load-balancing.
    // 4. After ha-reset the machine passes through ready again without pausing.
    const config = haConfig({ parameters: { 'sync-leases': false, 'state-machine': { states: [{ state: 'ready', pause: 'once' }] } } });
    const { service, partner } = run(startHa(config));
    partner.state = 'load-balancing';
    await firstHeartbeat();
    expect(service.state).toBe('ready');
    await heartbeats(3);
    expect(service.state).toBe('ready');
    expect(service.isPaused).toBe(true);
    expect(partner.sent('ha-heartbeat').length).toBeGreaterThan(3);

    expect(service.resume()).toBe(true);
    expect(service.state).toBe('load-balancing');
    expect(service.isPaused).toBe(false);

    expect(service.reset()).toBe(true);
    expect(service.state).toBe('load-balancing');
    expect(service.isPaused).toBe(false);
    expect(h!.transitions()).toEqual(['waiting → ready', 'ready → load-balancing', 'load-balancing → waiting', 'waiting → ready', 'ready → load-balancing']);
  });
});

describe('HA state machine: passive-backup and backup servers', () => {
  it('waiting → passive-backup for the primary, without heartbeats', async () => {
    // 1. In passive-backup mode the primary goes straight to passive-backup.
    // 2. It serves every query and never sends a heartbeat to its backup.
    const { service, peers, networkState } = run(startHa(haConfig({ mode: 'passive-backup' })));
    expect(service.state).toBe('passive-backup');
    expect(networkState.isEnabled()).toBe(true);
    expect(acceptedBuckets(service).all).toBe(true);
    await heartbeats(5);
    expect(peers.get('server3')!.requests).toHaveLength(0);
  });

  for (const mode of ['passive-backup', 'load-balancing'] as const) {
    it(`waiting → backup for a backup server in ${mode}`, async () => {
      // 1. server3 is a backup: it goes to backup at once.
      // 2. It serves nothing, keeps DHCP off and sends nothing to any peer.
      const { service, peers, networkState } = run(startHa(haConfig({ mode, thisServer: 'server3', withBackup: true })));
      expect(service.state).toBe('backup');
      expect(networkState.isEnabled()).toBe(false);
      expect(acceptedBuckets(service).none).toBe(true);
      await heartbeats(5);
      for (const peer of peers.values()) expect(peer.requests).toHaveLength(0);
    });
  }
});

describe('HA state machine: heartbeat timing', () => {
  it('waiting → ready → load-balancing heartbeat periods', async () => {
    // 1. The first heartbeat goes at start; while the pair starts up and the partner answers,
    //    heartbeats follow every 500 ms (Kea uses heartbeat-delay throughout).
    // 2. In load-balancing the period is heartbeat-delay (1000 ms).
    const { service, partner } = run(startHa(haConfig({ parameters: { 'sync-leases': false } })));
    partner.state = 'waiting';
    await firstHeartbeat();
    expect(service.state).toBe('ready');

    partner.state = 'ready';
    await startupBeats(1);
    expect(service.state).toBe('load-balancing');
    await heartbeats(2);
    expect(partner.sent('ha-heartbeat').map((r) => r.atMs - T0)).toEqual([0, 500, 1500, 2500]);
  });

  it('waiting heartbeats every 500 ms without a partner', async () => {
    // 1. The partner is down from the start; the server keeps the start-up period in waiting.
    // 2. The partner starts at 1.2 s: the next heartbeat (1.5 s) finds it, not one heartbeat-delay later.
    const { partner } = run(startHa(haConfig()));
    partner.isDown = true;
    await vi.advanceTimersByTimeAsync(1_200);
    partner.isDown = false;
    await vi.advanceTimersByTimeAsync(300);
    expect(partner.sent('ha-heartbeat').map((r) => r.atMs - T0)).toEqual([0, 500, 1000, 1500]);
  });
});
