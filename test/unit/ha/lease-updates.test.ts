// Scenario tests of HaService.replicate(): the lease updates a server sends after each committed
// batch, to the active partner (held replies, Kea's per-lease commands, failure handling,
// unsent-update-count) and to backups (sent in every state, awaited only in passive-backup with
// wait-backup-ack).

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { CommandTable } from '../../../src/control/commands.js';
import { registerHaCommands } from '../../../src/ha/commands.js';
import { firstHeartbeat, haConfig, heartbeats, lease, startHa } from './fake-partner.js';
import type { HaHarness } from './fake-partner.js';

let h: HaHarness | undefined;

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2026, 11, 4, 19, 0, 0) });
});

afterEach(() => {
  h?.stop();
  h = undefined;
  vi.useRealTimers();
  vi.restoreAllMocks();
});

async function reachLoadBalancing(options: Parameters<typeof haConfig>[0] = {}): Promise<HaHarness> {
  h = startHa(haConfig(options));
  h.partner.state = 'load-balancing';
  await firstHeartbeat();
  expect(h.service.state).toBe('load-balancing');
  return h;
}

/** Returns the unsent-update-count of this server's ha-heartbeat answer. */
async function unsentUpdateCount(harness: HaHarness): Promise<unknown> {
  const table = new CommandTable(harness.log);
  registerHaCommands(table, harness.service);
  const reply = await table.execute({ command: 'ha-heartbeat', arguments: undefined, service: ['dhcp4'] });
  return (reply.arguments as Record<string, unknown>)['unsent-update-count'];
}

/** The lease of the Kea 2.2 lease4-update example: 198.18.0.100, expire 1796412803. */
const EXAMPLE = lease(100, {
  hwAddress: Uint8Array.of(0x00, 0x0c, 0x01, 0x02, 0x03, 0x04),
  clientId: Uint8Array.of(0x01, 0x00, 0x0c, 0x01, 0x02, 0x03, 0x04),
});

describe('HA lease updates: a backlog that is never sent', () => {
  it('communication-recovery → partner-down counts the dropped backlog as unsent updates', async () => {
    // 1. The partner stops answering: communication-recovery queues two queries' changes.
    // 2. max-response-delay passes and the unacked rule (max-unacked-clients 0) moves to partner-down.
    // 3. The backlog is dropped unsent, and unsent-update-count shows the two queries, so a partner
    //    that comes back knows it missed leases (Kea 2.2 drops them without counting).
    const harness = await reachLoadBalancing({ parameters: { 'max-unacked-clients': 0 } });
    harness.partner.isDown = true;
    await heartbeats(1);
    expect(harness.service.state).toBe('communication-recovery');
    await harness.service.replicate([{ kind: 'update', lease: lease(90) }, { kind: 'update', lease: lease(91) }], [0, 1]);
    expect(await unsentUpdateCount(harness)).toBe(0);
    await heartbeats(4);
    expect(harness.service.state).toBe('partner-down');
    expect(await unsentUpdateCount(harness)).toBe(2);
  });
});

describe('HA lease updates: to the active partner', () => {
  it('load-balancing sends Kea commands and holds replies until answered', async () => {
    // 1. In load-balancing a batch contains an update (query 0) and a delete (query 1).
    // 2. Each change goes out as its own command, in Kea 2.2's argument shape.
    // 3. replicate() resolves only once the partner has answered both (after 300 ms).
    const { service, partner } = await reachLoadBalancing();
    expect(service.needsAcknowledgement()).toBe(true);
    partner.addLease({ 'ip-address': '198.18.0.101', 'hw-address': '00:0c:01:02:03:65', cltt: 1, 'valid-lft': 600 });
    partner.delay('lease4-update', 300);
    partner.delay('lease4-del', 300);

    let isSettled = false;
    const outcome = service.replicate([{ kind: 'update', lease: EXAMPLE }, { kind: 'delete', lease: lease(101) }], [0, 1]).then((o) => {
      isSettled = true;
      return o;
    });
    await vi.advanceTimersByTimeAsync(299);
    expect(isSettled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(isSettled).toBe(true);
    expect((await outcome).failedReplies.size).toBe(0);

    expect(partner.sent('lease4-update').map((r) => r.args)).toEqual([
      {
        'ip-address': '198.18.0.100',
        'hw-address': '00:0c:01:02:03:04',
        'client-id': '01:00:0c:01:02:03:04',
        'subnet-id': 1,
        'valid-lft': 600,
        expire: 1796412803,
        'fqdn-fwd': false,
        'fqdn-rev': false,
        hostname: '',
        state: 0,
        'force-create': true,
      },
    ]);
    const deleted = partner.sent('lease4-del').map((r) => r.args);
    expect(deleted).toHaveLength(1);
    expect(deleted[0]).toMatchObject({ 'ip-address': '198.18.0.101', expire: 1796412803 });
    expect(deleted[0]).not.toHaveProperty('force-create');
    expect(deleted[0]).not.toHaveProperty('cltt');
    expect(partner.leases.has(0xc6120065)).toBe(false);
  });

  it('load-balancing → communication-recovery → load-balancing when one update is rejected', async () => {
    // 1. The partner answers result 1 to the update of 198.18.0.11 only.
    // 2. Only that query's reply (index 1) is dropped; the partner is marked unavailable and the
    //    machine moves to communication-recovery at once.
    // 3. The next heartbeat succeeds and the machine returns to load-balancing (Kea 2.2's flap).
    const { service, partner, transitions } = await reachLoadBalancing();
    partner.answerWith('lease4-update', 1, 'subnet-id 7 does not exist', { match: (args) => args?.['ip-address'] === '198.18.0.11' });

    const outcome = await service.replicate([10, 11, 12].map((host) => ({ kind: 'update' as const, lease: lease(host) })), [0, 1, 2]);
    expect([...outcome.failedReplies]).toEqual([1]);
    expect(service.communication.partnerState).toBe('unavailable');
    expect(service.state).toBe('communication-recovery');

    await heartbeats(1);
    expect(service.state).toBe('load-balancing');
    expect(transitions().slice(-2)).toEqual(['load-balancing → communication-recovery', 'communication-recovery → load-balancing']);
  });

  it('load-balancing drops the reply of a change whose request fails', async () => {
    // 1. The request carrying the delete of 198.18.0.21 fails in transport.
    // 2. The reply that owns it is dropped and the machine moves to communication-recovery.
    const { service, partner } = await reachLoadBalancing();
    partner.failOn('lease4-del');

    const outcome = await service.replicate([{ kind: 'update', lease: lease(20) }, { kind: 'delete', lease: lease(21) }], [0, 1]);
    expect([...outcome.failedReplies]).toEqual([1]);
    expect(service.state).toBe('communication-recovery');
  });

  it('load-balancing counts result 3 to lease4-del as success', async () => {
    // 1. The partner has no lease at 198.18.0.30 and answers lease4-del with result 3.
    // 2. No reply is dropped and the machine stays in load-balancing.
    const { service, partner } = await reachLoadBalancing();
    partner.answerWith('lease4-del', 3, 'IPv4 lease not found.');

    const outcome = await service.replicate([{ kind: 'delete', lease: lease(30) }], [0]);
    expect(outcome.failedReplies.size).toBe(0);
    expect(partner.sent('lease4-del')).toHaveLength(1);
    expect(service.state).toBe('load-balancing');
  });

  it('partner-down counts unsent updates per query, not per lease', async () => {
    // 1. The partner never answers and the server goes to partner-down.
    // 2. A batch with three changes of two queries, then one change without a reply, are committed.
    // 3. Nothing is sent to the partner, nothing is held, and unsent-update-count grows by 3.
    h = startHa(haConfig());
    const { service, partner } = h;
    partner.isDown = true;
    await heartbeats(4);
    expect(service.state).toBe('partner-down');
    expect(service.needsAcknowledgement()).toBe(false);
    expect(await unsentUpdateCount(h)).toBe(0);

    const first = await service.replicate([{ kind: 'update', lease: lease(1) }, { kind: 'delete', lease: lease(2) }, { kind: 'update', lease: lease(3) }], [0, 0, 1]);
    expect(first.failedReplies.size).toBe(0);
    expect(await unsentUpdateCount(h)).toBe(2);
    await service.replicate([{ kind: 'update', lease: lease(4) }], [-1]);
    expect(await unsentUpdateCount(h)).toBe(3);
    expect(partner.leaseCommands()).toEqual([]);
  });
});

describe('HA lease updates: to backups', () => {
  it('waiting sends updates to a backup without holding replies', async () => {
    // 1. server1 is in waiting because its partner is syncing; server3 is a backup.
    // 2. The backup gets the update at once but answers only after 5 s, with result 1.
    // 3. replicate() does not wait for it and drops no reply; the partner's count grows.
    h = startHa(haConfig({ withBackup: true }));
    const { service, partner, peers } = h;
    partner.state = 'syncing';
    await firstHeartbeat();
    const backup = peers.get('server3')!;
    backup.delay('lease4-update', 5_000);
    backup.answerWith('lease4-update', 1, 'database is read-only');
    expect(service.state).toBe('waiting');
    expect(service.needsAcknowledgement()).toBe(false);

    const outcome = await service.replicate([{ kind: 'update', lease: lease(5) }], [0]);
    expect(outcome.failedReplies.size).toBe(0);
    expect(backup.leaseCommands()).toEqual(['lease4-update 198.18.0.5']);
    expect(partner.leaseCommands()).toEqual([]);
    expect(await unsentUpdateCount(h)).toBe(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(service.state).toBe('waiting');
  });

  it('load-balancing waits for the partner but not for a backup', async () => {
    // 1. In load-balancing the backup answers after 5 s with result 1.
    // 2. replicate() resolves once the partner answered; the backup's failure drops nothing.
    const { service, peers } = await reachLoadBalancing({ withBackup: true });
    const backup = peers.get('server3')!;
    backup.delay('lease4-update', 5_000);
    backup.answerWith('lease4-update', 1, 'database is read-only');

    const outcome = await service.replicate([{ kind: 'update', lease: lease(6) }], [0]);
    expect(outcome.failedReplies.size).toBe(0);
    expect(backup.leaseCommands()).toEqual(['lease4-update 198.18.0.6']);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(service.state).toBe('load-balancing');
  });

  it('passive-backup with wait-backup-ack holds replies for backups', async () => {
    // 1. passive-backup with wait-backup-ack: the backup answers after 300 ms.
    // 2. replicate() resolves only then; the backup rejects 198.18.0.8, so that reply is dropped.
    h = startHa(haConfig({ mode: 'passive-backup', parameters: { 'wait-backup-ack': true } }));
    const { service, peers } = h;
    const backup = peers.get('server3')!;
    backup.delay('lease4-update', 300);
    backup.answerWith('lease4-update', 1, 'database is read-only', { match: (args) => args?.['ip-address'] === '198.18.0.8' });
    expect(service.state).toBe('passive-backup');
    expect(service.needsAcknowledgement()).toBe(true);

    let isSettled = false;
    const outcome = service.replicate([{ kind: 'update', lease: lease(7) }, { kind: 'update', lease: lease(8) }], [0, 1]).then((o) => {
      isSettled = true;
      return o;
    });
    await vi.advanceTimersByTimeAsync(299);
    expect(isSettled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect([...(await outcome).failedReplies]).toEqual([1]);
  });

  it('passive-backup without wait-backup-ack does not hold replies', async () => {
    // 1. passive-backup without wait-backup-ack: the backup answers after 300 ms with result 1.
    // 2. replicate() resolves at once and drops nothing.
    h = startHa(haConfig({ mode: 'passive-backup' }));
    const { service, peers } = h;
    const backup = peers.get('server3')!;
    backup.delay('lease4-update', 300);
    backup.answerWith('lease4-update', 1, 'database is read-only');
    expect(service.needsAcknowledgement()).toBe(false);

    const outcome = await service.replicate([{ kind: 'update', lease: lease(9) }], [0]);
    expect(outcome.failedReplies.size).toBe(0);
    expect(backup.leaseCommands()).toEqual(['lease4-update 198.18.0.9']);
  });

  it('backup sends no lease updates', async () => {
    // 1. server3 is the backup of a load-balancing pair.
    // 2. A committed batch is sent to no peer.
    h = startHa(haConfig({ thisServer: 'server3', withBackup: true }));
    const outcome = await h.service.replicate([{ kind: 'update', lease: lease(10) }], [0]);
    expect(outcome.failedReplies.size).toBe(0);
    for (const peer of h.peers.values()) expect(peer.requests).toHaveLength(0);
  });
});
