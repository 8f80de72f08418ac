// Server identity per interface: with raw sockets on two interfaces, each directly attached client
// gets an address from the subnet of its own link, with that interface's address as the server
// identifier, and no reply leaks onto the other link.
//
//   client A ns (eth0) ── eth0 198.18.0.1/24 ─┐
//                                             server ns
//   client B ns (eth0) ── eth1 198.18.1.1/24 ─┘

import { readFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Lab, requireProgram, skipUnlessLab } from './support/lab.js';
import { NESTOR_BIN, listLeases, startNestor, writeConfig } from './support/nestor.js';

const skip = skipUnlessLab();
// One lease and exit; udhcpc reports on stderr.
const UDHCPC = '/sbin/udhcpc -n -q -f -i eth0 -s /bin/true -t 5 -T 1 2>&1';

describe.skipIf(skip)('direct clients: two interfaces, raw sockets', () => {
  let lab: Lab;
  let configPath: string;
  let nsServer: string;
  let nsA: string;
  let nsB: string;
  let server: Awaited<ReturnType<typeof startNestor>>;

  beforeAll(async () => {
    requireProgram('/sbin/udhcpc', 'udhcpc');
    requireProgram('/usr/bin/tcpdump', 'tcpdump');
    lab = new Lab('two');
    nsServer = lab.addNamespace('srv');
    nsA = lab.addNamespace('a');
    nsB = lab.addNamespace('b');
    lab.link(nsServer, 'eth0', nsA, 'eth0');
    lab.link(nsServer, 'eth1', nsB, 'eth0');
    lab.address(nsServer, 'eth0', '198.18.0.1/24');
    lab.address(nsServer, 'eth1', '198.18.1.1/24');
    configPath = writeConfig(lab, 'nestor.json', {
      Dhcp4: {
        'interfaces-config': { interfaces: ['eth0', 'eth1'], 'dhcp-socket-type': 'raw' },
        'lease-database': { type: 'lmdb', name: lab.path('leases4.lmdb') },
        'control-socket': { 'socket-type': 'unix', 'socket-name': lab.path('ctrl4.sock') },
        subnet4: [
          { id: 10, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.199' }] },
          { id: 11, subnet: '198.18.1.0/24', pools: [{ pool: '198.18.1.100 - 198.18.1.199' }] },
        ],
      },
    });
    server = await startNestor(lab, nsServer, configPath);
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('serves each link from its own subnet and interface address', async () => {
    // Capture on B while A gets its lease: nothing of A's exchange may appear on B's link.
    const capture = lab.path('b.pcap');
    const tcpdump = lab.spawn(nsB, '/usr/bin/tcpdump', ['-i', 'eth0', '-n', '-U', '-w', capture, 'udp port 67 or udp port 68']);
    await new Promise((r) => setTimeout(r, 500));

    const a = lab.exec(nsA, 'sh', ['-c', UDHCPC], 30_000);
    expect(a).toMatch(/lease of 198\.18\.0\.\d+ obtained from 198\.18\.0\.1,/);

    tcpdump.kill('SIGTERM');
    await tcpdump.exited;
    expect(lab.exec(nsB, '/usr/bin/tcpdump', ['-r', capture, '-n'])).toBe('');
    expect(readFileSync(capture).length).toBeGreaterThan(0);

    const b = lab.exec(nsB, 'sh', ['-c', UDHCPC], 30_000);
    expect(b).toMatch(/lease of 198\.18\.1\.\d+ obtained from 198\.18\.1\.1,/);

    const subnets = listLeases(lab, nsServer, configPath).map((l) => [l['ip-address'].split('.').slice(0, 3).join('.'), l['subnet-id']]);
    expect(subnets).toContainEqual(['198.18.0', 10]);
    expect(subnets).toContainEqual(['198.18.1', 11]);
  });

  it('picks an interface up again after it went down', async () => {
    lab.exec(nsServer, 'ip', ['link', 'set', 'eth1', 'down']);
    await server.waitFor(/"msgId":"SERVER_IFACE_DOWN"[^\n]*"iface":"eth1"/, 10_000);
    const down = JSON.parse(lab.exec(nsServer, process.execPath, [NESTOR_BIN, 'ctl', 'status-get', '-c', configPath])) as { arguments: { sockets: { status: string; errors?: string[] } } };
    expect(down.arguments.sockets.status).toBe('retrying');
    expect(down.arguments.sockets.errors?.[0]).toContain("interface 'eth1'");
    lab.exec(nsServer, 'ip', ['link', 'set', 'eth1', 'up']);
    await server.waitFor(/"msgId":"SERVER_IFACE_RESTORED"[^\n]*"iface":"eth1"/, 10_000);

    const b = lab.exec(nsB, 'sh', ['-c', UDHCPC], 30_000);
    expect(b).toMatch(/lease of 198\.18\.1\.\d+ obtained from 198\.18\.1\.1,/);
  });
});
