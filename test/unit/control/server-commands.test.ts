import { afterEach, describe, expect, it, vi } from 'vitest';

import { TEST_DHCP4, harness, testConfig } from './helpers.js';

describe('control: command envelope', () => {
  it.each([
    ['text that is not JSON', '{"command": ', /^invalid JSON in the command: /],
    ['a list', '["list-commands"]', /^Invalid command Element specified, expected map$/],
    ['a map without command', '{"arguments": {}}', /^Invalid command specified, does not contain mandatory 'command'$/],
    ['a non-string command', '{"command": 5}', /^'command' element in command message is not a string$/],
    ['an unknown top-level key', '{"command": "list-commands", "argument": {}}', /^Received command contains unsupported parameter 'argument'$/],
    ['arguments that are not a map', '{"command": "lease4-get", "arguments": [1]}', /^arguments specified for the 'lease4-get' command are not a map$/],
    ['service dhcp6', '{"command": "list-commands", "service": ["dhcp6"]}', /^'service' \["dhcp6"\] of the 'list-commands' command is not served here \(expected \["dhcp4"\]\)$/],
    ['service that is not a list', '{"command": "list-commands", "service": "dhcp4"}', /must be a list of strings/],
  ])('answers %s with result 1', async (_name, text, pattern) => {
    const reply = await harness().channel.executeText(text);
    expect(reply.result).toBe(1);
    expect(reply.text).toMatch(pattern);
  });

  it('answers an oversized command with result 1', async () => {
    const reply = await harness().channel.executeText(`{"command": "list-commands", "arguments": {"x": "${'a'.repeat(1024 * 1024)}"}}`);
    expect(reply).toEqual({ result: 1, text: expect.stringMatching(/^command is too large: \d+ bytes \(the limit is 1048576\)$/) });
  });

  it('answers an unknown command with result 2', async () => {
    expect(await harness().send('config-set', {})).toEqual({ result: 2, text: "'config-set' command not supported." });
  });

  it('accepts service ["dhcp4"] and comments in the command', async () => {
    const text = '{ # a comment\n "command": "version-get", // another\n "service": [ "dhcp4" ] /* last */ }';
    expect((await harness().channel.executeText(text)).result).toBe(0);
  });

  it('turns an internal fault into result 1 naming the command', async () => {
    const h = harness();
    h.channel.commands.register('explode', () => {
      throw new Error('boom');
    });
    expect(await h.send('explode')).toEqual({ result: 1, text: "error while running the 'explode' command: boom" });
  });
});

describe('control: list-commands, version-get, config-get', () => {
  it('lists every command in alphabetical order', async () => {
    const reply = await harness().send('list-commands');
    expect(reply).toEqual({
      result: 0,
      arguments: [
        'config-get', 'config-test', 'dhcp-disable', 'dhcp-enable', 'lease4-add', 'lease4-del', 'lease4-get', 'lease4-get-all',
        'lease4-get-page', 'lease4-update', 'lease4-wipe', 'leases-reclaim', 'list-commands', 'shutdown', 'status-get', 'version-get',
      ],
    });
  });

  it('returns the version as text and an extended form', async () => {
    const reply = await harness().send('version-get');
    expect(reply.result).toBe(0);
    expect(reply.text).toMatch(/^\d+\.\d+\.\d+/);
    expect((reply.arguments as { extended: string }).extended).toContain(reply.text);
  });

  it('returns the Dhcp4 object as loaded', async () => {
    const reply = await harness().send('config-get');
    expect(reply).toEqual({ result: 0, arguments: { Dhcp4: TEST_DHCP4 } });
  });
});

describe('control: status-get', () => {
  it('returns Kea 2.2 runtime fields without text', async () => {
    const reply = await harness().send('status-get');
    expect(reply).toEqual({
      result: 0,
      arguments: { pid: process.pid, uptime: 90, reload: 30, 'multi-threading-enabled': false, sockets: { status: 'ready' } },
    });
  });

  it('includes parts added by other modules', async () => {
    const h = harness();
    h.channel.addStatusPart(() => ({ 'high-availability': [{ 'ha-mode': 'hot-standby' }] }));
    const reply = await h.send('status-get');
    expect((reply.arguments as Record<string, unknown>)['high-availability']).toEqual([{ 'ha-mode': 'hot-standby' }]);
  });
});

describe('control: config-test', () => {
  it('accepts a valid configuration with Kea\'s text', async () => {
    const reply = await harness().send('config-test', { Dhcp4: TEST_DHCP4 });
    expect(reply).toEqual({ result: 0, text: 'Configuration seems sane. Control-socket, hook-libraries, and D2 configuration were sanity checked, but not applied.' });
  });

  it('reports loader errors with their paths', async () => {
    const bad = { ...TEST_DHCP4, subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.200 - 198.18.0.10' }] }] };
    const reply = await harness().send('config-test', { Dhcp4: bad });
    expect(reply.result).toBe(1);
    expect(reply.text).toContain('Dhcp4.subnet4[0].pools[0].pool');
  });

  it.each([
    ['no arguments', undefined, "Missing mandatory 'Dhcp4' parameter."],
    ['a Dhcp4 that is not a map', { Dhcp4: [] }, "'Dhcp4' parameter expected to be a map."],
  ])('rejects %s with result 1', async (_name, args, text) => {
    expect(await harness().send('config-test', args)).toEqual({ result: 1, text });
  });
});

describe('control: dhcp-disable and dhcp-enable', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('disables and enables the service', async () => {
    const h = harness();
    expect(await h.send('dhcp-disable')).toEqual({ result: 0, text: 'DHCPv4 service disabled' });
    expect(h.channel.networkState.isEnabled()).toBe(false);
    expect(await h.send('dhcp-enable')).toEqual({ result: 0, text: 'DHCP service successfully enabled' });
    expect(h.serviceChanges).toEqual([{ enabled: false, reason: 'user' }, { enabled: true, reason: 'user' }]);
  });

  it('keeps the service off until every origin has enabled it', async () => {
    const h = harness();
    await h.send('dhcp-disable', { origin: 'ha-partner' });
    await h.send('dhcp-disable', { origin: 'user' });
    await h.send('dhcp-enable', { origin: 'ha-partner' });
    expect(h.channel.networkState.disabledOrigins()).toEqual(['user']);
    expect(h.serviceChanges).toEqual([{ enabled: false, reason: 'ha' }]);
    await h.send('dhcp-enable');
    expect(h.serviceChanges.at(-1)).toEqual({ enabled: true, reason: 'user' });
  });

  it('re-enables itself after max-period seconds', async () => {
    vi.useFakeTimers();
    const h = harness();
    expect(await h.send('dhcp-disable', { 'max-period': 60, origin: 'ha-partner' })).toEqual({ result: 0, text: 'DHCPv4 service disabled for 60 seconds' });
    vi.advanceTimersByTime(59_000);
    expect(h.channel.networkState.isEnabled()).toBe(false);
    vi.advanceTimersByTime(1_000);
    expect(h.channel.networkState.isEnabled()).toBe(true);
    expect(h.serviceChanges.at(-1)).toEqual({ enabled: true, reason: 'max-period' });
  });

  it('accepts the numeric origin-id of Kea 2.6 and later', async () => {
    const h = harness();
    await h.send('dhcp-disable', { origin: 'ha-partner', 'origin-id': 2000 });
    expect(h.channel.networkState.disabledOrigins()).toEqual(['ha']);
  });

  it.each([
    ['dhcp-disable', { 'max-period': 'x' }, "'max-period' argument must be a number"],
    ['dhcp-disable', { 'max-period': 0 }, "'max-period' must be positive integer"],
    ['dhcp-disable', { origin: 'partner' }, "invalid value used for 'origin' parameter: partner"],
    ['dhcp-enable', { origin: true }, "'origin' argument must be a string (in the 'dhcp-enable' command)"],
    ['dhcp-enable', { 'origin-id': 5 }, "invalid value used for 'origin' parameter: 5"],
    ['dhcp-disable', { period: 5 }, "unknown argument 'period' in the 'dhcp-disable' command (expected 'max-period', 'origin', 'origin-id')"],
  ])('%s rejects %j with result 1', async (command, args, text) => {
    const h = harness();
    expect(await h.send(command, args)).toEqual({ result: 1, text });
    expect(h.serviceChanges).toEqual([]);
  });
});

describe('control: shutdown', () => {
  it('answers first and then calls the shutdown hook with the exit value', async () => {
    const h = harness();
    expect(await h.send('shutdown', { 'exit-value': 3 })).toEqual({ result: 0, text: 'Shutting down.' });
    expect(h.shutdowns).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.shutdowns).toEqual([3]);
  });

  it('rejects a non-integer exit-value', async () => {
    const h = harness(testConfig());
    expect(await h.send('shutdown', { 'exit-value': 'x' })).toEqual({ result: 1, text: "parameter 'exit-value' is not an integer" });
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.shutdowns).toEqual([]);
  });
});
