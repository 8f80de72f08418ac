// Real clients behind ISC dhcrelay: dhclient (ISC) and udhcpc (BusyBox) each get a lease through the
// relay, renew it by unicast to the server at T1, and release it. The client namespace reaches the
// server through the relay namespace, which also routes their unicast renewals.
//
//   client ns (eth0) ── relay ns (eth1 198.18.1.1 | eth0 198.18.0.2, dhcrelay) ── server ns (eth0 198.18.0.1)

import { chmodSync, readFileSync, writeFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Lab, requireProgram, skipUnlessLab } from './support/lab.js';
import type { LabProcess } from './support/lab.js';
import { listLeases, startNestor, writeConfig } from './support/nestor.js';

const skip = skipUnlessLab();

/** A client script (dhclient-script and udhcpc script in one) that logs each event and applies the address inside the namespace. */
function writeClientScript(lab: Lab, name: string, log: string): string {
  const path = lab.path(name);
  writeFileSync(path, `#!/bin/sh
# dhclient passes $reason and new_*; udhcpc passes the event as $1 and ip/subnet/router.
event="\${reason:-$1}"
addr="\${new_ip_address:-$ip}"
mask="\${new_subnet_mask:-$subnet}"
gw="\${new_routers:-$router}"
echo "$event $addr" >> ${log}
case "$event" in
  BOUND|RENEW|REBIND|REBOOT|bound|renew)
    ip addr flush dev "$interface" 2>/dev/null
    ip addr add "$addr/$mask" dev "$interface"
    ip route replace default via "\${gw%% *}" dev "$interface" ;;
  RELEASE|EXPIRE|STOP|deconfig)
    ip addr flush dev "$interface" 2>/dev/null ;;
esac
exit 0
`);
  chmodSync(path, 0o755);
  return path;
}

async function waitForLine(file: string, re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let text = '';
    try { text = readFileSync(file, 'utf8'); } catch { /* not written yet */ }
    const m = text.match(re);
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} in ${file}:\n${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(skip)('relay path: dhclient and udhcpc behind dhcrelay', () => {
  let lab: Lab;
  let configPath: string;
  let nsServer: string;
  let nsRelay: string;
  let nsClient: string;
  let relay: LabProcess;

  beforeAll(async () => {
    requireProgram('/usr/sbin/dhcrelay', 'isc-dhcp-relay');
    requireProgram('/sbin/dhclient', 'isc-dhcp-client');
    requireProgram('/sbin/udhcpc', 'udhcpc');
    lab = new Lab('rc');
    nsServer = lab.addNamespace('srv');
    nsRelay = lab.addNamespace('rly');
    nsClient = lab.addNamespace('cli');
    lab.link(nsServer, 'eth0', nsRelay, 'eth0');
    lab.link(nsRelay, 'eth1', nsClient, 'eth0');
    lab.address(nsServer, 'eth0', '198.18.0.1/24');
    lab.address(nsRelay, 'eth0', '198.18.0.2/24');
    lab.address(nsRelay, 'eth1', '198.18.1.1/24');
    lab.route(nsServer, '198.18.1.0/24', '198.18.0.2');
    lab.exec(nsRelay, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);

    configPath = writeConfig(lab, 'nestor.json', {
      Dhcp4: {
        'interfaces-config': { interfaces: ['eth0'], 'dhcp-socket-type': 'udp' },
        'lease-database': { type: 'lmdb', name: lab.path('leases4.lmdb') },
        'valid-lifetime': 60,
        'renew-timer': 4,
        'rebind-timer': 45,
        subnet4: [{
          id: 1, subnet: '198.18.1.0/24', pools: [{ pool: '198.18.1.100 - 198.18.1.199' }],
          'option-data': [{ name: 'routers', data: '198.18.1.1' }],
        }],
      },
    });
    await startNestor(lab, nsServer, configPath);
    relay = lab.spawn(nsRelay, '/usr/sbin/dhcrelay', ['-4', '-d', '--no-pid', '-id', 'eth1', '-iu', 'eth0', '198.18.0.1']);
    await new Promise((r) => setTimeout(r, 500));
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('dhclient gets, renews by unicast and releases a lease', async () => {
    const log = lab.path('dhclient.events');
    const script = writeClientScript(lab, 'dhclient-script', log);
    const leaseFile = lab.path('dhclient.leases');
    const pidFile = lab.path('dhclient.pid');
    const client = lab.spawn(nsClient, '/sbin/dhclient', ['-4', '-d', '-v', '-sf', script, '-lf', leaseFile, '-pf', pidFile, 'eth0']);

    const bound = await waitForLine(log, /BOUND (198\.18\.1\.\d+)/, 30_000);
    const address = bound[1];
    const afterBind = listLeases(lab, nsServer, configPath).find((l) => l['ip-address'] === address);
    expect(afterBind, relay.output).toBeDefined();
    expect(afterBind!.state).toBe(0);

    // RFC 2131 §4.4.5: at T1 (renew-timer 4 s) the client unicasts a REQUEST to the server. The
    // relay routes it, and dhcrelay, which listens on a packet socket, also relays a copy; the server
    // answers both with an ACK for the same lease.
    await waitForLine(log, new RegExp(`RENEW ${address.replace(/\./g, '\\.')}`), 20_000);
    const afterRenew = listLeases(lab, nsServer, configPath).find((l) => l['ip-address'] === address);
    expect(afterRenew!.cltt).toBeGreaterThan(afterBind!.cltt);

    lab.exec(nsClient, '/sbin/dhclient', ['-4', '-r', '-sf', script, '-lf', leaseFile, '-pf', pidFile, 'eth0'], 20_000);
    await client.exited;
    const afterRelease = listLeases(lab, nsServer, configPath).find((l) => l['ip-address'] === address);
    const released = afterRelease === undefined || afterRelease.state === 2 || afterRelease['valid-lft'] === 0;
    expect(released, JSON.stringify(afterRelease)).toBe(true);
  });

  it('udhcpc gets, renews by unicast and releases a lease', async () => {
    const log = lab.path('udhcpc.events');
    const script = writeClientScript(lab, 'udhcpc-script', log);
    const client = lab.spawn(nsClient, '/sbin/udhcpc', ['-f', '-R', '-i', 'eth0', '-s', script, '-t', '5', '-T', '2']);

    const bound = await waitForLine(log, /bound (198\.18\.1\.\d+)/, 30_000);
    const address = bound[1];
    const lease = listLeases(lab, nsServer, configPath).find((l) => l['ip-address'] === address);
    expect(lease).toBeDefined();
    expect(lease!['client-id']).toBeDefined();

    // BusyBox udhcpc renews at half the lease and ignores option 58; SIGUSR1 makes it renew now,
    // by unicast to the server identifier, which is the same RENEWING exchange.
    await new Promise((r) => setTimeout(r, 1100));
    client.kill('SIGUSR1');
    await waitForLine(log, new RegExp(`renew ${address.replace(/\./g, '\\.')}`), 20_000);
    const renewed = listLeases(lab, nsServer, configPath).find((l) => l['ip-address'] === address);
    expect(renewed!.cltt).toBeGreaterThan(lease!.cltt);

    // -R: udhcpc sends a RELEASE when it is terminated.
    client.kill('SIGTERM');
    await client.exited;
    await new Promise((r) => setTimeout(r, 500));
    const afterRelease = listLeases(lab, nsServer, configPath).find((l) => l['ip-address'] === address);
    const released = afterRelease === undefined || afterRelease.state === 2 || afterRelease['valid-lft'] === 0;
    expect(released, JSON.stringify(afterRelease)).toBe(true);
  });
});
