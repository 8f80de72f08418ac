// The control socket of a running `nestor serve`, driven with `nestor ctl` as an operator would:
// status, lease commands against the real LMDB store, dhcp-disable stopping DHCP replies and
// dhcp-enable restoring them, and shutdown removing the socket. Needs root for the namespaces.

import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Lab, skipUnlessLab } from './support/lab.js';
import type { LabProcess } from './support/lab.js';
import { listLeases, startNestor, writeConfig } from './support/nestor.js';

const skip = skipUnlessLab();
const CLIENT_SCRIPT = resolve('test/integration/support/relay-client-run.mjs');
const CTL_MODULE = resolve('dist/cli/ctl.js');

interface CtlResult {
  code: number;
  reply: { result: number; text?: string; arguments?: Record<string, unknown> };
}

describe.skipIf(skip)('control socket of a running server', () => {
  let lab: Lab;
  let configPath: string;
  let socketPath: string;
  let nsServer: string;
  let nsClient: string;
  let server: LabProcess;

  /** Runs `nestor ctl` (from the build) in the server's namespace and returns its exit code and printed response. */
  function ctl(command: string, args?: unknown): CtlResult {
    const argv = [command, '-c', configPath, ...(args === undefined ? [] : ['--args', JSON.stringify(args)])];
    const script = `const { runCtl } = await import(${JSON.stringify(CTL_MODULE)}); process.exitCode = await runCtl(${JSON.stringify(argv)});`;
    let code = 0;
    let output: string;
    try {
      output = lab.exec(nsServer, process.execPath, ['--input-type=module', '-e', script], 30_000);
    } catch (err) {
      const failure = err as { status: number; stdout: string };
      code = failure.status;
      output = failure.stdout;
    }
    return { code, reply: JSON.parse(output) as CtlResult['reply'] };
  }

  function runClients(count: number, macBase: number): Promise<string> {
    const client = lab.spawn(nsClient, process.execPath, [CLIENT_SCRIPT, '198.18.0.1', '198.18.0.10', String(count), String(macBase)]);
    return client.waitFor(/\{"done":\{[^\n]*\}\}/, 30_000).then((m) => m[0]);
  }

  beforeAll(async () => {
    lab = new Lab('ctl');
    nsServer = lab.addNamespace('srv');
    nsClient = lab.addNamespace('cli');
    lab.link(nsServer, 'eth0', nsClient, 'eth0');
    lab.address(nsServer, 'eth0', '198.18.0.1/24');
    lab.address(nsClient, 'eth0', '198.18.0.10/24');
    socketPath = lab.path('kea4-ctrl-socket');
    configPath = writeConfig(lab, 'nestor.json', {
      Dhcp4: {
        'interfaces-config': { interfaces: ['eth0'], 'dhcp-socket-type': 'udp' },
        'lease-database': { type: 'lmdb', name: lab.path('leases4.lmdb') },
        'control-socket': { 'socket-type': 'unix', 'socket-name': socketPath },
        subnet4: [{ id: 1, subnet: '198.19.0.0/24', pools: [{ pool: '198.19.0.10 - 198.19.0.50' }], relay: { 'ip-addresses': ['198.18.0.10'] } }],
        nestor: { workers: 1 },
      },
    });
    server = await startNestor(lab, nsServer, configPath);
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('opens the socket with mode 0600 and reports status', () => {
    expect(statSync(socketPath).mode & 0o777).toBe(0o600);
    const { code, reply } = ctl('status-get');
    expect(code).toBe(0);
    expect(reply.result).toBe(0);
    expect(reply.arguments?.pid).toBe(server.child.pid);
  });

  it('adds, reads and deletes a lease in the real store', () => {
    const added = ctl('lease4-add', { 'ip-address': '198.19.0.200', 'hw-address': '1a:1b:1c:1d:1e:1f' });
    expect(added.reply).toEqual({ result: 0, text: 'Lease for address 198.19.0.200, subnet-id 1 added.' });
    expect(listLeases(lab, nsServer, configPath).map((l) => l['ip-address'])).toContain('198.19.0.200');

    const again = ctl('lease4-add', { 'ip-address': '198.19.0.200', 'hw-address': '1a:1b:1c:1d:1e:1f' });
    expect(again.code).toBe(1);
    expect(again.reply.text).toBe('IPv4 lease already exists.');

    expect(ctl('lease4-get-page', { from: 'start', limit: 10 }).reply.arguments?.count).toBe(1);
    expect(ctl('lease4-del', { 'ip-address': '198.19.0.200' }).reply.result).toBe(0);
    const gone = ctl('lease4-get', { 'ip-address': '198.19.0.200' });
    expect(gone.code).toBe(0);
    expect(gone.reply).toEqual({ result: 3, text: 'Lease not found.' });
  });

  it('stops answering clients after dhcp-disable and resumes after dhcp-enable', async () => {
    // 1. service disabled: two clients get no ACK; 2. service enabled: two other clients get theirs.
    expect(ctl('dhcp-disable').reply).toEqual({ result: 0, text: 'DHCPv4 service disabled' });
    expect(await runClients(2, 0x300000)).toContain('"acks":0');

    expect(ctl('dhcp-enable').reply).toEqual({ result: 0, text: 'DHCP service successfully enabled' });
    expect(await runClients(2, 0x310000)).toContain('"acks":2');
  });

  it('shuts the server down and removes the socket', async () => {
    expect(ctl('shutdown').reply).toEqual({ result: 0, text: 'Shutting down.' });
    const exit = await server.exited;
    expect(exit.code).toBe(0);
    expect(existsSync(socketPath)).toBe(false);
  });
});
