// lease4-bulk-update between nestor peers: the command's receiving side (one transaction, one
// result per change) and the sending side in HaService (one request per batch to a nestor peer,
// Kea's per-lease commands otherwise, per-change rejections as conflicts).

import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { CommandTable } from '../../../src/control/commands.js';
import { registerBulkUpdate } from '../../../src/ha/bulk.js';
import { CommitGroup } from '../../../src/leases/commit-group.js';
import { MemoryLeaseStore } from '../../../src/leases/memory-store.js';
import { makeConfig } from '../engine/helpers.js';
import { T0, firstHeartbeat, haConfig, heartbeats, lease, startHa } from './fake-partner.js';
import type { FakePartner, HaHarness } from './fake-partner.js';

const ip = (host: number): string => `198.18.0.${host}`;

/** Returns the lease-update commands the fake partner received, in order. */
function updateCommands(partner: FakePartner): string[] {
  return partner.requests.map((r) => r.command).filter((c) => c.startsWith('lease4-') && c !== 'lease4-get-page');
}

describe('lease4-bulk-update: receiving side', () => {
  function table(store: MemoryLeaseStore): CommandTable {
    const log = pino({ level: 'silent' });
    const commands = new CommandTable(log);
    registerBulkUpdate(commands, { config: makeConfig(), store, log, nowSec: () => 1_800_000_000 });
    return commands;
  }

  it('applies updates and deletes in one request with a result per change', async () => {
    const store = new MemoryLeaseStore();
    store.transact((tx) => tx.put(lease(20)));
    const reply = await table(store).execute({
      command: 'lease4-bulk-update',
      service: undefined,
      arguments: {
        leases: [
          { operation: 'update', 'ip-address': ip(10), 'hw-address': '02:00:00:00:00:0a', 'subnet-id': 1, 'valid-lft': 600, expire: 1_800_000_600 },
          { operation: 'delete', 'ip-address': ip(20) },
          { operation: 'delete', 'ip-address': ip(21) },
          { operation: 'update', 'ip-address': '198.51.100.1', 'hw-address': '02:00:00:00:00:0b' },
          { operation: 'rename', 'ip-address': ip(22) },
        ],
      },
    });
    expect(reply.result).toBe(0);
    const results = (reply.arguments as { results: { result: number; text?: string }[] }).results;
    expect(results.map((r) => r.result)).toEqual([0, 0, 3, 1, 1]);
    expect(results[3]!.text).toMatch(/^leases\[3\]: /);
    expect(results[4]!.text).toBe("leases[4].operation: \"rename\" is not 'update' or 'delete'");
    expect(store.get(0xc612000a)?.cltt).toBe(1_800_000_000);
    expect(store.get(0xc6120014)).toBeUndefined();
    expect(reply.text).toBe('3 IPv4 lease change(s) applied, 2 failed.');
  });

  it('rejects a request without a leases list and applies nothing', async () => {
    const store = new MemoryLeaseStore();
    for (const args of [undefined, {}, { leases: 'x' }, { leases: [], extra: 1 }]) {
      const reply = await table(store).execute({ command: 'lease4-bulk-update', service: undefined, arguments: args });
      expect(reply.result, JSON.stringify(args)).toBe(1);
    }
    expect(store.count()).toBe(0);
  });

  it('bulk update joins the group commit', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    try {
      const store = new MemoryLeaseStore();
      const log = pino({ level: 'silent' });
      const commits = new CommitGroup(store, { windowUs: 1000, maxQueued: 256, log, nowUs: () => Date.now() * 1000 });
      const commands = new CommandTable(log);
      registerBulkUpdate(commands, { config: makeConfig(), store, log, nowSec: () => 1_800_000_000 }, commits);
      const update = (host: number): Promise<{ result: number; text?: string }> => commands.execute({
        command: 'lease4-bulk-update',
        service: undefined,
        arguments: { leases: [{ operation: 'update', 'ip-address': ip(host), 'hw-address': '02:00:00:00:00:0a', 'subnet-id': 1, 'valid-lft': 600, expire: 1_800_000_600 }] },
      });

      // The first request commits at once; the second one waits for the window, then commits.
      expect((await update(10)).result).toBe(0);
      const second = update(11);
      await vi.advanceTimersByTimeAsync(0);
      expect(store.get(0xc612000b)).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      expect((await second).result).toBe(0);
      expect(store.get(0xc612000b)).toBeDefined();
      expect(commits.counters.commits).toBe(2);

      store.transact = () => { throw new Error('lease database full'); };
      await vi.advanceTimersByTimeAsync(1);
      const failed = await update(12);
      expect(failed.result).toBe(1);
      expect(failed.text).toContain('lease database full');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('HA lease updates: to a nestor partner', () => {
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

  async function reachLoadBalancingWithNestor(): Promise<HaHarness> {
    h = startHa(haConfig());
    h.partner.isNestor = true;
    h.partner.state = 'load-balancing';
    await firstHeartbeat();
    expect(h.service.state).toBe('load-balancing');
    return h;
  }

  it('load-balancing sends one lease4-bulk-update per batch once list-commands shows it', async () => {
    // 1. The first heartbeat finds the partner; list-commands shows lease4-bulk-update.
    // 2. A batch of three changes goes out as one request, in commit order.
    const { service, partner } = await reachLoadBalancingWithNestor();
    expect(partner.sent('list-commands')).toHaveLength(1);

    const outcome = await service.replicate([
      { kind: 'update', lease: lease(30) }, { kind: 'update', lease: lease(31) }, { kind: 'delete', lease: lease(32) },
    ], [0, 1, 2]);
    expect(outcome.failedReplies.size).toBe(0);
    expect(updateCommands(partner)).toEqual(['lease4-bulk-update']);
    const sent = partner.sent('lease4-bulk-update')[0]!.args as { leases: Record<string, unknown>[] };
    expect(sent.leases.map((l) => [l['operation'], l['ip-address']])).toEqual([['update', ip(30)], ['update', ip(31)], ['delete', ip(32)]]);
    expect(sent.leases[0]).not.toHaveProperty('cltt');
    expect(sent.leases[0]).not.toHaveProperty('force-create');
    expect(partner.leases.size).toBe(2);
  });

  it('load-balancing coalesces batches per task and window', async () => {
    // 1. The partner takes 100 ms per request. Five batches of one change arrive in one task (one
    //    group commit): they leave as one request.
    // 2. A batch in the next task leaves at once as the second request (the window is 2).
    // 3. Two batches in a later task wait for the window and leave together as the third request.
    // 4. Every batch resolves with its own result.
    const { service, partner } = await reachLoadBalancingWithNestor();
    partner.delay('lease4-bulk-update', 100);
    const replicate = (host: number) => service.replicate([{ kind: 'update', lease: lease(host) }], [0]);
    const outcomes = [100, 101, 102, 103, 104].map(replicate);
    await vi.advanceTimersByTimeAsync(0);
    outcomes.push(replicate(105));
    await vi.advanceTimersByTimeAsync(0);
    outcomes.push(replicate(106), replicate(107));
    await vi.advanceTimersByTimeAsync(0);
    expect(partner.sent('lease4-bulk-update')).toHaveLength(2);

    await vi.advanceTimersByTimeAsync(250);
    const results = await Promise.all(outcomes);
    expect(results.every((o) => o.failedReplies.size === 0)).toBe(true);
    const sizes = partner.sent('lease4-bulk-update').map((r) => (r.args as { leases: unknown[] }).leases.length);
    expect(sizes).toEqual([5, 1, 2]);
    expect(partner.leases.size).toBe(8);
  });

  it('load-balancing stays when the partner rejects one change: only its reply drops', async () => {
    // 1. The partner rejects the change of 198.18.0.41 (result 1 inside the bulk answer).
    // 2. Only reply 1 is dropped; a rejection is a conflict, so the partner is not marked unavailable.
    const { service, partner } = await reachLoadBalancingWithNestor();
    partner.answerWith('lease4-update', 1, 'no subnet', { match: (args) => args?.['ip-address'] === ip(41) });

    const outcome = await service.replicate([{ kind: 'update', lease: lease(40) }, { kind: 'update', lease: lease(41) }], [0, 1]);
    expect([...outcome.failedReplies]).toEqual([1]);
    await heartbeats(1);
    expect(service.state).toBe('load-balancing');
  });

  it('load-balancing → communication-recovery when a bulk request fails in transport', async () => {
    // 1. The whole request fails: every reply of the batch drops and the partner counts as unavailable (Kea's rule).
    const { service, partner } = await reachLoadBalancingWithNestor();
    partner.failOn('lease4-bulk-update', { times: 1 });
    const outcome = await service.replicate([{ kind: 'update', lease: lease(50) }, { kind: 'update', lease: lease(51) }], [0, 1]);
    expect([...outcome.failedReplies].sort()).toEqual([0, 1]);
    expect(service.state).toBe('communication-recovery');
  });

  it('keeps JSON when the stream is refused', async () => {
    // 1. The partner's listener refuses the lease stream (an older nestor): the batch goes as JSON.
    // 2. The refusal is remembered, so the next batch does not ask again.
    const { service, partner, logs } = await reachLoadBalancingWithNestor();
    const first = await service.replicate([{ kind: 'update', lease: lease(55) }], [0]);
    expect(first.failedReplies.size).toBe(0);
    expect(partner.upgradeRequests).toEqual(['nestor-lease-stream/1']);
    expect(updateCommands(partner)).toEqual(['lease4-bulk-update']);

    await service.replicate([{ kind: 'update', lease: lease(56) }], [0]);
    expect(partner.upgradeRequests).toHaveLength(1);
    expect(updateCommands(partner)).toEqual(['lease4-bulk-update', 'lease4-bulk-update']);
    const protocols = logs.filter((e) => e.msgId === 'HA_PEER_PROTOCOL').map((e) => e.fields['protocol']);
    expect(protocols).toEqual(['lease4-bulk-update']);
  });

  it('load-balancing → communication-recovery when the stream cannot open', async () => {
    // 1. The partner's listener cannot be reached for the upgrade: the batch fails in transport,
    //    as a failed HTTP request does, and nothing goes as JSON behind its back.
    const { service, partner } = await reachLoadBalancingWithNestor();
    partner.upgrade = () => Promise.reject(new Error('connect ECONNREFUSED'));
    const outcome = await service.replicate([{ kind: 'update', lease: lease(57) }], [0]);
    expect([...outcome.failedReplies]).toEqual([0]);
    expect(updateCommands(partner)).toEqual([]);
    expect(service.state).toBe('communication-recovery');
  });

  it('load-balancing falls back to per-lease commands when the partner answers result 2', async () => {
    // 1. The partner was replaced by a server without lease4-bulk-update (a Kea server in a migration).
    // 2. The batch is sent again as lease4-update commands, and later batches use them from the start.
    const { service, partner } = await reachLoadBalancingWithNestor();
    partner.isNestor = false;
    const first = await service.replicate([{ kind: 'update', lease: lease(60) }], [0]);
    expect(first.failedReplies.size).toBe(0);
    expect(updateCommands(partner)).toEqual(['lease4-bulk-update', 'lease4-update']);
    await service.replicate([{ kind: 'update', lease: lease(61) }], [0]);
    expect(updateCommands(partner)).toEqual(['lease4-bulk-update', 'lease4-update', 'lease4-update']);
  });

  it('load-balancing → communication-recovery → load-balancing with the backlog in one bulk request', async () => {
    // 1. The partner stops answering: communication-recovery, and changes are queued, not sent.
    // 2. The partner returns: the three queued changes go out as one lease4-bulk-update, in commit order.
    const { service, partner } = await reachLoadBalancingWithNestor();
    partner.isDown = true;
    await heartbeats(1);
    expect(service.state).toBe('communication-recovery');
    const outcome = await service.replicate([
      { kind: 'update', lease: lease(80) }, { kind: 'update', lease: lease(81) }, { kind: 'delete', lease: lease(82) },
    ], [0, 1, 2]);
    expect(outcome.failedReplies.size).toBe(0);

    partner.isDown = false;
    await heartbeats(1);
    expect(service.state).toBe('load-balancing');
    const bulk = partner.sent('lease4-bulk-update');
    expect(bulk).toHaveLength(1);
    expect((bulk[0]!.args as { leases: Record<string, unknown>[] }).leases.map((l) => l['ip-address'])).toEqual([ip(80), ip(81), ip(82)]);
  });

  it('communication-recovery → load-balancing only after changes made during the replay are sent too', async () => {
    // 1. Two changes wait in the backlog; the partner returns and takes 200 ms per request.
    // 2. While the first replay request is out, a third change is committed: it joins the backlog.
    // 3. The server returns to load-balancing only after a second request carried the third change.
    const { service, partner } = await reachLoadBalancingWithNestor();
    partner.isDown = true;
    await heartbeats(1);
    await service.replicate([{ kind: 'update', lease: lease(110) }, { kind: 'update', lease: lease(111) }], [0, 1]);
    partner.isDown = false;
    partner.delay('lease4-bulk-update', 200);
    await heartbeats(1);
    expect(service.state).toBe('communication-recovery');
    await service.replicate([{ kind: 'update', lease: lease(112) }], [0]);
    await vi.advanceTimersByTimeAsync(500);
    expect(service.state).toBe('load-balancing');
    const sent = partner.sent('lease4-bulk-update').map((r) => (r.args as { leases: Record<string, unknown>[] }).leases.map((l) => l['ip-address']));
    expect(sent).toEqual([[ip(110), ip(111)], [ip(112)]]);
    expect(partner.leases.size).toBe(3);
  });

  it('load-balancing → terminated after max-rejected-lease-updates rejected clients', async () => {
    // 1. max-rejected-lease-updates is 2; the partner rejects every change (its subnets differ).
    // 2. After two distinct clients are rejected, HA goes to terminated, as Kea 2.4 does.
    h = startHa(haConfig({ parameters: { 'max-rejected-lease-updates': 2 } }));
    h.partner.isNestor = true;
    h.partner.state = 'load-balancing';
    await firstHeartbeat();
    h.partner.answerWith('lease4-update', 1, 'no subnet', { match: () => true });
    await h.service.replicate([{ kind: 'update', lease: lease(70, { hwAddress: Uint8Array.of(2, 0, 0, 0, 0, 70) }) }], [0]);
    expect(h.service.state).toBe('load-balancing');
    await h.service.replicate([{ kind: 'update', lease: lease(71, { hwAddress: Uint8Array.of(2, 0, 0, 0, 0, 71) }) }], [0]);
    expect(h.service.state).toBe('terminated');
  });
});
