// The rest of Kea 2.2's transition table (spec §5.1), one row per test: the server is brought to a
// state against a scripted partner, the partner then reports a state, and the next heartbeat
// decides. Longer scenarios are in state-machine.test.ts.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { HaState } from '../../../src/ha/types.js';
import { T0, firstHeartbeat, haConfig, heartbeats, startHa } from './fake-partner.js';
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

type Start = 'waiting' | 'ready' | 'load-balancing' | 'communication-recovery' | 'partner-down';

/** Brings a primary in load-balancing mode to the start state. */
async function reach(start: Start): Promise<HaHarness> {
  h = startHa(haConfig());
  const { partner, service } = h;
  switch (start) {
    case 'waiting':
      partner.state = 'syncing';
      await firstHeartbeat();
      break;
    case 'ready':
      // The primary syncs while the partner waits, then stays in ready until the partner is ready.
      partner.state = 'waiting';
      await firstHeartbeat();
      break;
    case 'load-balancing':
      partner.state = 'load-balancing';
      await firstHeartbeat();
      break;
    case 'communication-recovery':
      partner.state = 'load-balancing';
      await firstHeartbeat();
      partner.isDown = true;
      await heartbeats(1);
      partner.isDown = false;
      break;
    case 'partner-down':
      partner.isDown = true;
      await heartbeats(4);
      partner.isDown = false;
      break;
  }
  expect(service.state).toBe(start);
  return h;
}

const ROWS: ReadonlyArray<[Start, HaState, HaState]> = [
  ['waiting', 'terminated', 'waiting'],
  ['waiting', 'hot-standby', 'waiting'],
  ['ready', 'in-maintenance', 'partner-in-maintenance'],
  ['ready', 'partner-in-maintenance', 'in-maintenance'],
  ['ready', 'terminated', 'terminated'],
  ['ready', 'partner-down', 'ready'],
  ['ready', 'communication-recovery', 'load-balancing'],
  ['load-balancing', 'partner-down', 'waiting'],
  ['load-balancing', 'terminated', 'terminated'],
  ['load-balancing', 'in-maintenance', 'partner-in-maintenance'],
  ['load-balancing', 'partner-in-maintenance', 'in-maintenance'],
  ['load-balancing', 'hot-standby', 'waiting'],
  ['load-balancing', 'syncing', 'load-balancing'],
  ['communication-recovery', 'partner-down', 'waiting'],
  ['communication-recovery', 'terminated', 'terminated'],
  ['communication-recovery', 'in-maintenance', 'partner-in-maintenance'],
  ['partner-down', 'terminated', 'terminated'],
  ['partner-down', 'waiting', 'partner-down'],
  ['partner-down', 'syncing', 'partner-down'],
];

describe('HA state machine: transition table rows', () => {
  for (const [start, reported, expected] of ROWS) {
    it(`${start} → ${expected} when the partner reports ${reported}`, async () => {
      // 1. The server reaches the start state. 2. The partner reports a state. 3. The next heartbeat decides.
      const { service, partner, transitions } = await reach(start);
      const before = transitions().length;
      partner.state = reported;
      await heartbeats(1);
      // A transition may run on at once (waiting syncs straight away), so the first step is checked.
      if (expected === start) expect(service.state).toBe(start);
      else expect(transitions()[before]).toBe(`${start} → ${expected}`);
    });
  }

  it('ready → partner-down when the partner stops answering for max-response-delay', async () => {
    // 1. The server is in ready with DHCP off. 2. The partner stops answering. 3. Once
    //    max-response-delay passes, partner-down follows at once, because a server that does not
    //    serve cannot watch for unacked clients.
    const { service, partner } = await reach('ready');
    partner.isDown = true;
    await heartbeats(2);
    expect(service.state).toBe('ready');
    await heartbeats(3);
    expect(service.state).toBe('partner-down');
  });

  it('partner-down → load-balancing right after ha-sync-complete-notify, not a heartbeat-delay later', async () => {
    // 1. The server is in partner-down; the partner restarted, synced from it and is ready.
    // 2. The partner's ha-sync-complete-notify makes the server heartbeat at once, so it serves
    //    again without waiting up to heartbeat-delay with DHCP off (Kea waits).
    const { service, partner, networkState } = await reach('partner-down');
    networkState.disable('ha');
    partner.state = 'ready';
    service.notifySyncComplete();
    await vi.advanceTimersByTimeAsync(10);
    expect(service.state).toBe('load-balancing');
    expect(networkState.isEnabled()).toBe(true);
  });

  it('syncing → partner-down when the partner vanishes during the sync', async () => {
    // 1. The partner reports waiting, so the primary syncs, but every page request fails.
    // 2. The partner then stops answering heartbeats; after max-response-delay: partner-down.
    h = startHa(haConfig());
    const { service, partner } = h;
    partner.state = 'waiting';
    partner.failOn('lease4-get-page');
    await firstHeartbeat();
    expect(service.state).toBe('syncing');
    partner.isDown = true;
    await heartbeats(5);
    expect(service.state).toBe('partner-down');
  });
});
