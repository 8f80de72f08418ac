import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { runCtl } from '../../../src/cli/ctl.js';
import { ControlChannel } from '../../../src/control/channel.js';
import { UnixControlSocket } from '../../../src/control/unix-socket.js';
import { MemoryLeaseStore } from '../../../src/leases/memory-store.js';
import { lease, net0, testConfig } from './helpers.js';

/** Sends raw text in the given chunks and resolves with everything read until the server closes. */
function exchange(path: string, chunks: string[], halfClose = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        socket.write(chunk);
        await new Promise((r) => setTimeout(r, 5));
      }
      if (halfClose) socket.end();
    });
    socket.on('data', (data: string) => { text += data; });
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

describe('control: UNIX socket', () => {
  let folder: string;
  let path: string;
  let channel: ControlChannel;
  let store: MemoryLeaseStore;

  beforeEach(async () => {
    folder = mkdtempSync(join(tmpdir(), 'nestor-ctl-'));
    path = join(folder, 'kea4-ctrl-socket');
    store = new MemoryLeaseStore();
    channel = new ControlChannel({
      config: testConfig({ 'control-socket': { 'socket-type': 'unix', 'socket-name': path } }),
      store,
      log: pino({ level: 'silent' }),
      setServiceEnabled: () => {},
      shutdown: () => {},
    });
    await channel.start();
  });

  afterEach(async () => {
    await channel.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  it('answers one command with one JSON map and closes', async () => {
    const reply = JSON.parse(await exchange(path, ['{ "command": "lease4-get", "arguments": { "ip-address": "198.18.0.10" } }']));
    expect(reply).toEqual({ result: 3, text: 'Lease not found.' });
  });

  it('reads a command split over several writes', async () => {
    store.transact((tx) => tx.put(lease(net0(10))));
    const reply = JSON.parse(await exchange(path, ['{ "command": "lease4-get",', ' "arguments": { "ip-address": ', '"198.18.0.10" } }']));
    expect(reply.text).toBe('IPv4 lease found.');
  });

  it('answers text that is not a map with result 1', async () => {
    const reply = JSON.parse(await exchange(path, ['list-commands\n']));
    expect(reply).toEqual({ result: 1, text: "invalid first character 'l' (a command is a JSON map starting with '{')" });
  });

  it('answers a truncated command with result 1 when the client half-closes', async () => {
    const reply = JSON.parse(await exchange(path, ['{ "command": "list-'], true));
    expect(reply.result).toBe(1);
    expect(reply.text).toMatch(/^invalid JSON in the command/);
  });

  it('answers an oversized command with result 1', async () => {
    const big = `{ "command": "list-commands", "arguments": { "x": "${'a'.repeat(1024 * 1024 + 10)}" } }`;
    const reply = JSON.parse(await exchange(path, [big]));
    expect(reply).toEqual({ result: 1, text: 'command is too large: more than 1048576 bytes' });
  });

  it('creates the socket with mode 0600', () => {
    const stat = lstatSync(path);
    expect(stat.isSocket()).toBe(true);
    expect(stat.mode & 0o777).toBe(0o600);
  });

  it('removes the socket file at stop', async () => {
    await channel.stop();
    expect(existsSync(path)).toBe(false);
  });

  it('refuses to start where another process listens', async () => {
    const second = new UnixControlSocket({ path, log: pino({ level: 'silent' }), handler: async () => ({ result: 0 }) });
    await expect(second.start()).rejects.toMatchObject({ code: 'NESTOR_ERR_CONTROL_SOCKET', message: expect.stringContaining('another process listens') });
    expect(lstatSync(path).isSocket()).toBe(true);
  });

  it('refuses a path that is a regular file', async () => {
    const file = join(folder, 'plain-file');
    writeFileSync(file, 'x');
    const other = new UnixControlSocket({ path: file, log: pino({ level: 'silent' }), handler: async () => ({ result: 0 }) });
    await expect(other.start()).rejects.toMatchObject({ code: 'NESTOR_ERR_CONTROL_SOCKET', message: expect.stringContaining('is not a socket') });
  });

  it('replaces a stale socket file nobody listens on', async () => {
    const stalePath = join(folder, 'stale-socket');
    // A child process that listens and is then killed leaves the socket file behind, as a crashed server would.
    const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(stalePath)}, () => console.log('up'))`]);
    await new Promise((resolve) => child.stdout.once('data', resolve));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(lstatSync(stalePath).isSocket()).toBe(true);

    const fresh = new UnixControlSocket({ path: stalePath, log: pino({ level: 'silent' }), handler: async () => ({ result: 0, text: 'fresh' }) });
    await fresh.start();
    expect(JSON.parse(await exchange(stalePath, ['{"command": "x"}']))).toEqual({ result: 0, text: 'fresh' });
    await fresh.stop();
  });
});

describe('nestor ctl', () => {
  let folder: string;
  let path: string;
  let configPath: string;
  let channel: ControlChannel;
  let output: string;
  let errors: string;

  beforeEach(async () => {
    folder = mkdtempSync(join(tmpdir(), 'nestor-ctl-cli-'));
    path = join(folder, 'ctrl.sock');
    const dhcp4 = { ...testConfig().raw, 'control-socket': { 'socket-type': 'unix', 'socket-name': path } };
    configPath = join(folder, 'nestor.json');
    writeFileSync(configPath, JSON.stringify({ Dhcp4: dhcp4 }));
    const store = new MemoryLeaseStore();
    store.transact((tx) => tx.put(lease(net0(10))));
    channel = new ControlChannel({
      config: testConfig({ 'control-socket': { 'socket-type': 'unix', 'socket-name': path } }),
      store,
      log: pino({ level: 'silent' }),
      setServiceEnabled: () => {},
      shutdown: () => {},
    });
    await channel.start();
    output = '';
    errors = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => { output += String(chunk); return true; });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => { errors += String(chunk); return true; });
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await channel.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  it('prints the answer pretty and exits 0 on result 0', async () => {
    expect(await runCtl(['lease4-get', '--args', '{"ip-address": "198.18.0.10"}', '-c', configPath])).toBe(0);
    expect(output).toContain('\n  "text": "IPv4 lease found."');
    expect(JSON.parse(output).arguments['ip-address']).toBe('198.18.0.10');
  });

  it('exits 0 on result 3', async () => {
    expect(await runCtl(['lease4-get', '-a', '{"ip-address": "198.18.0.99"}', '--socket', path])).toBe(0);
    expect(JSON.parse(output).result).toBe(3);
  });

  it('exits 1 on result 2', async () => {
    expect(await runCtl(['config-set', '--socket', path])).toBe(1);
    expect(JSON.parse(output)).toEqual({ result: 2, text: "'config-set' command not supported." });
  });

  it.each([
    ['no command', ['--socket', 'x'], /expected one COMMAND, got 0/],
    ['args that are not JSON', ['status-get', '--args', '{', '--socket', 'x'], /--args is not valid JSON/],
    ['args that are a list', ['status-get', '--args', '[1]', '--socket', 'x'], /--args must be a JSON map/],
    ['both -c and --socket', ['status-get', '-c', 'a', '--socket', 'b'], /either -c FILE or --socket PATH, not both/],
    ['neither -c nor --socket', ['status-get'], /missing -c FILE or --socket PATH/],
  ])('throws a usage error for %s', async (_name, argv, pattern) => {
    await expect(runCtl(argv)).rejects.toMatchObject({ code: 'NESTOR_ERR_CLI_USAGE', message: expect.stringMatching(pattern) });
  });

  it('names the missing socket', async () => {
    const missing = join(folder, 'absent.sock');
    await expect(runCtl(['status-get', '--socket', missing])).rejects.toMatchObject({
      code: 'NESTOR_ERR_CONTROL_CONNECT',
      message: `${missing}: no control socket here (the server is not running, or it uses another socket-name)`,
    });
  });

  it('explains a configuration without control-socket', async () => {
    const plain = join(folder, 'plain.json');
    writeFileSync(plain, JSON.stringify({ Dhcp4: testConfig().raw }));
    await expect(runCtl(['status-get', '-c', plain])).rejects.toMatchObject({
      code: 'NESTOR_ERR_CONTROL_CONNECT',
      message: expect.stringContaining('Dhcp4.control-socket is not configured'),
    });
  });
});
