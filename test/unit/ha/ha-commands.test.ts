// Scenario tests of the HA commands (src/ha/commands.ts) through a CommandTable: the answers a
// partner or an operator gets, argument checks, the sync notification in partner-down, and the
// maintenance exchange with a scripted partner.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { CommandTable } from '../../../src/control/commands.js';
import { registerHaCommands } from '../../../src/ha/commands.js';
import { T0, acceptedBuckets, firstHeartbeat, haConfig, heartbeats, startHa } from './fake-partner.js';
import type { ConfigOptions, HaHarness } from './fake-partner.js';

let h: HaHarness | undefined;
let table: CommandTable;

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});

afterEach(() => {
  h?.stop();
  h = undefined;
  vi.useRealTimers();
  vi.restoreAllMocks();
});

function begin(options: ConfigOptions = {}): HaHarness {
  h = startHa(haConfig(options));
  table = new CommandTable(h.log);
  registerHaCommands(table, h.service);
  return h;
}

async function execute(command: string, args?: Record<string, unknown>) {
  return table.execute({ command, arguments: args, service: ['dhcp4'] });
}

async function reachLoadBalancing(options: ConfigOptions = {}): Promise<HaHarness> {
  const harness = begin(options);
  harness.partner.state = 'load-balancing';
  await firstHeartbeat();
  expect(harness.service.state).toBe('load-balancing');
  return harness;
}

/** Starts server1 with its partner down and waits until partner-down (3.5 s). */
async function reachPartnerDown(): Promise<HaHarness> {
  const harness = begin();
  harness.partner.isDown = true;
  await heartbeats(4);
  expect(harness.service.state).toBe('partner-down');
  return harness;
}

describe('HA commands: answers and argument checks', () => {
  it('ha-heartbeat returns state, date-time, scopes and unsent-update-count', async () => {
    await reachLoadBalancing();
    const reply = await execute('ha-heartbeat');

    expect(reply.result).toBe(0);
    expect(reply.text).toBe('HA peer status returned.');
    const args = reply.arguments as Record<string, unknown>;
    expect(Object.keys(args).sort()).toEqual(['date-time', 'scopes', 'state', 'unsent-update-count']);
    expect(args['state']).toBe('load-balancing');
    expect(args['date-time']).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    expect(args['date-time']).toBe(new Date(Date.now()).toUTCString());
    expect(args['scopes']).toEqual(['server1']);
    expect(args['unsent-update-count']).toBe(0);
  });

  it('ha-heartbeat returns empty scopes in waiting', async () => {
    begin();
    const reply = await execute('ha-heartbeat');
    expect(reply.arguments).toMatchObject({ state: 'waiting', scopes: [] });
  });

  it('ha-scopes rejects a class name and sets peer names', async () => {
    const { service } = await reachLoadBalancing();

    const rejected = await execute('ha-scopes', { scopes: ['HA_server1'] });
    expect(rejected.result).toBe(1);
    expect(rejected.text).toMatch(/invalid server name/);
    expect(service.servedScopeNames).toEqual(['server1']);

    const both = await execute('ha-scopes', { scopes: ['server1', 'server2'] });
    expect(both).toEqual({ result: 0, text: 'New HA scopes configured.' });
    expect(acceptedBuckets(service).all).toBe(true);

    await execute('ha-scopes', { scopes: [] });
    expect(acceptedBuckets(service).none).toBe(true);
  });

  it('ha-sync without arguments returns result 1', async () => {
    begin();
    expect(await execute('ha-sync')).toEqual({ result: 1, text: "arguments not found in the 'ha-sync' command" });
  });

  it('ha-sync pulls leases with the given max-period', async () => {
    // 1. An operator runs ha-sync against server2 with max-period 30.
    // 2. dhcp-disable carries max-period 30; without max-period it carries none.
    const { partner } = begin();
    partner.addLease({ 'ip-address': '198.18.0.40', 'hw-address': '00:0c:01:02:03:28', cltt: 1_000, 'valid-lft': 600, 'subnet-id': 1 });

    expect(await execute('ha-sync', { 'server-name': 'server2', 'max-period': 30 })).toEqual({ result: 0, text: 'Lease database synchronization complete.' });
    expect(partner.sent('dhcp-disable')[0]!.args).toEqual({ origin: 'ha-partner', 'max-period': 30 });
    expect(h!.store.count()).toBe(1);

    expect((await execute('ha-sync', { 'server-name': 'server2' })).result).toBe(0);
    expect(partner.sent('dhcp-disable')[1]!.args).toEqual({ origin: 'ha-partner' });
  });

  it('ha-sync with an unknown server name returns result 1', async () => {
    const { partner } = begin();
    const reply = await execute('ha-sync', { 'server-name': 'server9' });
    expect(reply.result).toBe(1);
    expect(reply.text).toContain('server9');
    expect(partner.sent('dhcp-disable')).toHaveLength(0);
  });

  it('ha-continue reports a machine that is not paused', async () => {
    begin();
    expect(await execute('ha-continue')).toEqual({ result: 0, text: 'HA state machine is not paused.' });
  });

  it('ha-reset in waiting reports it is already waiting', async () => {
    begin();
    expect(await execute('ha-reset')).toEqual({ result: 0, text: 'HA state machine already in WAITING state.' });
  });

  it('load-balancing → waiting on ha-reset', async () => {
    await reachLoadBalancing();
    expect(await execute('ha-reset')).toEqual({ result: 0, text: 'HA state machine reset.' });
    expect(h!.transitions()).toContain('load-balancing → waiting');
  });

  const badArguments: [string, Record<string, unknown>][] = [
    ['ha-heartbeat', { 'server-name': 7 }],
    ['ha-heartbeat', { 'server-name': 'server9' }],
    ['ha-scopes', { scopes: 'server1' }],
    ['ha-scopes', { scopes: [1] }],
    ['ha-scopes', {}],
    ['ha-sync', { 'server-name': 5 }],
    ['ha-sync', { 'server-name': 'server2', 'max-period': 'soon' }],
    ['ha-sync', { 'server-name': 'server2', 'max-period': 0 }],
    ['ha-maintenance-notify', { cancel: 'yes' }],
    ['ha-maintenance-notify', {}],
    ['ha-reset', { unexpected: 1 }],
    ['ha-continue', { unexpected: true }],
    ['ha-sync-complete-notify', { unexpected: null }],
    ['ha-maintenance-start', { unexpected: 1 }],
    ['ha-maintenance-cancel', { unexpected: 1 }],
  ];
  for (const [command, args] of badArguments) {
    it(`${command} ${JSON.stringify(args)} returns result 1`, async () => {
      const { service } = begin();
      const reply = await execute(command, args);
      expect(reply.result).toBe(1);
      expect(typeof reply.text).toBe('string');
      expect(service.state).toBe('waiting');
    });
  }
});

describe('HA commands: ha-sync-complete-notify', () => {
  it('partner-down keeps DHCP disabled after the notification until a failed heartbeat', async () => {
    // 1. This server is in partner-down; the partner syncs from it and disables its service.
    // 2. ha-sync-complete-notify arrives: the service stays disabled.
    // 3. The next heartbeat fails: the server stays in partner-down and serves again.
    const { service, networkState } = await reachPartnerDown();
    networkState.disable('ha', 60);
    const reply = await execute('ha-sync-complete-notify');
    expect(reply).toEqual({ result: 0, text: 'Server successfully notified about the synchronization completion.' });
    expect(networkState.isEnabled()).toBe(false);

    await heartbeats(1);
    expect(service.state).toBe('partner-down');
    expect(networkState.isEnabled()).toBe(true);
  });

  it('partner-down → load-balancing after the notification when the partner is ready', async () => {
    // 1. The partner synced from this server, notified it and reports ready.
    // 2. The next heartbeat moves to load-balancing, which enables the service.
    const { service, partner, networkState } = await reachPartnerDown();
    networkState.disable('ha', 60);
    await execute('ha-sync-complete-notify');
    expect(networkState.isEnabled()).toBe(false);

    partner.isDown = false;
    partner.state = 'ready';
    await heartbeats(1);
    expect(service.state).toBe('load-balancing');
    expect(networkState.isEnabled()).toBe(true);
  });

  it('load-balancing enables DHCP at once on the notification', async () => {
    const { networkState } = await reachLoadBalancing();
    networkState.disable('ha', 60);
    await execute('ha-sync-complete-notify');
    expect(networkState.isEnabled()).toBe(true);
  });
});

describe('HA commands: maintenance', () => {
  it('load-balancing → partner-in-maintenance on ha-maintenance-start', async () => {
    // 1. An operator sends ha-maintenance-start; the partner gets ha-maintenance-notify {cancel: false}.
    // 2. The partner answers 0 and reports in-maintenance from then on.
    // 3. This server serves both scopes and keeps heartbeating.
    const { service, partner, networkState } = await reachLoadBalancing();

    const started = await execute('ha-maintenance-start');
    expect(started.result).toBe(0);
    expect(started.text).toMatch(/partner-in-maintenance state/);
    expect(partner.sent('ha-maintenance-notify')[0]!.args).toEqual({ cancel: false });
    expect(partner.state).toBe('in-maintenance');
    expect(service.state).toBe('partner-in-maintenance');
    expect(service.servedScopeNames).toEqual(['server1', 'server2']);
    expect(acceptedBuckets(service).all).toBe(true);
    expect(networkState.isEnabled()).toBe(true);

    const beats = partner.sent('ha-heartbeat').length;
    await heartbeats(2);
    expect(partner.sent('ha-heartbeat').length).toBe(beats + 2);
    expect(service.state).toBe('partner-in-maintenance');
  });

  it('partner-in-maintenance → load-balancing on ha-maintenance-cancel', async () => {
    // 1. The pair is in maintenance: this server in partner-in-maintenance, the partner in-maintenance.
    // 2. ha-maintenance-cancel sends {cancel: true}; the partner returns to load-balancing.
    // 3. This server returns to load-balancing and stays there after the next heartbeat.
    const { service, partner } = await reachLoadBalancing();
    await execute('ha-maintenance-start');
    await heartbeats(1);
    expect(service.state).toBe('partner-in-maintenance');

    expect(await execute('ha-maintenance-cancel')).toEqual({ result: 0, text: 'Server maintenance successfully canceled.' });
    expect(partner.sent('ha-maintenance-notify')[1]!.args).toEqual({ cancel: true });
    expect(partner.state).toBe('load-balancing');
    expect(service.state).toBe('load-balancing');
    await heartbeats(1);
    expect(service.state).toBe('load-balancing');
    expect(service.servedScopeNames).toEqual(['server1']);
  });

  it('load-balancing stays when the partner refuses maintenance', async () => {
    // 1. The partner answers ha-maintenance-notify with 1001.
    // 2. ha-maintenance-start returns result 1 with the partner's text; the state is unchanged.
    const { service, partner } = await reachLoadBalancing();
    partner.answerWith('ha-maintenance-notify', 1001, 'Unable to transition the server from the terminated to in-maintenance state.');

    const reply = await execute('ha-maintenance-start');
    expect(reply).toEqual({ result: 1, text: 'Unable to transition the server from the terminated to in-maintenance state.' });
    expect(service.state).toBe('load-balancing');
  });

  it('load-balancing → partner-down when ha-maintenance-notify fails', async () => {
    // 1. The request carrying ha-maintenance-notify fails in transport.
    // 2. The partner is taken as offline: partner-down, result 0.
    const { service, partner } = await reachLoadBalancing();
    partner.failOn('ha-maintenance-notify');

    const reply = await execute('ha-maintenance-start');
    expect(reply.result).toBe(0);
    expect(reply.text).toMatch(/partner-down state/);
    expect(service.state).toBe('partner-down');
    expect(service.communication.partnerState).toBe('unavailable');
  });

  it('partner-in-maintenance → partner-down on the first failed heartbeat', async () => {
    // 1. The partner entered in-maintenance and is then shut down.
    // 2. The first failed heartbeat moves to partner-down, with no max-response-delay wait.
    // 3. auto-failover is false, but partner-down entered from maintenance serves both scopes.
    const { service, partner } = await reachLoadBalancing({ autoFailover: false });
    await execute('ha-maintenance-start');
    expect(service.state).toBe('partner-in-maintenance');

    partner.isDown = true;
    await heartbeats(1);
    expect(service.state).toBe('partner-down');
    expect(service.servedScopeNames).toEqual(['server1', 'server2']);
  });

  it('partner-in-maintenance rejects a second ha-maintenance-start', async () => {
    const { service } = await reachLoadBalancing();
    await execute('ha-maintenance-start');
    const reply = await execute('ha-maintenance-start');
    expect(reply.result).toBe(1);
    expect(service.state).toBe('partner-in-maintenance');
  });

  it('load-balancing → in-maintenance on a notification from the partner', async () => {
    // 1. The partner sends ha-maintenance-notify {cancel: false} and then reports partner-in-maintenance.
    // 2. This server is in-maintenance: DHCP off, no scope, heartbeats go on.
    const { service, partner, networkState } = await reachLoadBalancing();

    expect(await execute('ha-maintenance-notify', { cancel: false })).toEqual({ result: 0, text: 'Server is in-maintenance state.' });
    partner.state = 'partner-in-maintenance';
    expect(service.state).toBe('in-maintenance');
    expect(networkState.isEnabled()).toBe(false);
    expect(service.servedScopeNames).toEqual([]);

    const beats = partner.sent('ha-heartbeat').length;
    await heartbeats(2);
    expect(partner.sent('ha-heartbeat').length).toBe(beats + 2);
    expect(service.state).toBe('in-maintenance');
  });

  it('in-maintenance → load-balancing on a cancel from the partner', async () => {
    // 1. This server is in-maintenance and the partner reports partner-in-maintenance.
    // 2. The partner sends {cancel: true} and then returns to load-balancing.
    // 3. This server returns to load-balancing and stays there after the next heartbeat.
    const { service, partner, networkState } = await reachLoadBalancing();
    await execute('ha-maintenance-notify', { cancel: false });
    partner.state = 'partner-in-maintenance';
    await heartbeats(1);

    expect(await execute('ha-maintenance-notify', { cancel: true })).toEqual({ result: 0, text: 'Server maintenance successfully canceled.' });
    partner.state = 'load-balancing';
    expect(service.state).toBe('load-balancing');
    await heartbeats(1);
    expect(service.state).toBe('load-balancing');
    expect(networkState.isEnabled()).toBe(true);
  });

  it('load-balancing rejects a maintenance cancel it is not in', async () => {
    await reachLoadBalancing();
    expect(await execute('ha-maintenance-notify', { cancel: true })).toEqual({
      result: 1,
      text: 'Unable to cancel the maintenance for the server not in the in-maintenance state.',
    });
  });

  it('terminated answers ha-maintenance-notify with 1001', async () => {
    // 1. The partner's clock is 75 s ahead: this server goes to terminated.
    // 2. A maintenance notification is rejected with result 1001 and Kea's text.
    const { service, partner } = begin();
    partner.clockOffsetMs = 75_000;
    await firstHeartbeat();
    expect(service.state).toBe('terminated');

    expect(await execute('ha-maintenance-notify', { cancel: false })).toEqual({
      result: 1001,
      text: 'Unable to transition the server from the terminated to in-maintenance state.',
    });
    expect(service.state).toBe('terminated');
  });
});
