// Real clients on the server's own segment (no relay): dhclient (ISC 4.4), udhcpc (BusyBox 1.35)
// and dhcpcd (9.4) each get a lease, renew it by unicast, rebind it by broadcast, and release it.
// For the rebinding the client's bridge port is taken away until the client broadcasts. A capture
// in the client namespace shows how each REQUEST was sent and that no request got two ACKs.

import { writeFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { requireProgram, skipUnlessLab } from './support/lab.js';
import type { LabProcess } from './support/lab.js';
import { listLeases, startNestor, writeConfig } from './support/nestor.js';
import type { LeaseJson } from './support/nestor.js';
import {
  BROADCAST_IP, DirectLab, SERVER_IP, SOCKET_TYPE, countLines, escapeRegExp, waitForLine, waitForLines, writeClientScript,
} from './support/direct-lab.js';
import { DHCPACK, DHCPREQUEST, countBy } from './support/frames.js';
import type { DhcpFrame } from './support/frames.js';

const skip = skipUnlessLab();

const RENEW_TIMER_S = 4;
const REBIND_TIMER_S = 8;

/** How one client program is started, made to renew, and made to release. */
interface ClientDriver {
  name: string;
  mac: string;
  /** Script event names for a bound lease, a renewal and a rebinding. */
  events: { bound: string; renew: string; rebind: string };
  /** Whether the test has to set the address itself (in the client script). */
  applyAddress: boolean;
  start(lab: DirectLab, ns: string, script: string): LabProcess;
  /** Makes the client renew now; undefined when it renews at T1 by itself. */
  triggerRenew?(client: LabProcess): void;
  release(lab: DirectLab, ns: string, client: LabProcess, script: string): Promise<void>;
}

const DRIVERS: ClientDriver[] = [
  {
    name: 'dhclient',
    mac: '02:00:00:00:10:01',
    // dhclient 4.4 keeps its RENEWING state after T2 (it only switches to broadcast), so its script
    // reports a rebinding as RENEW too.
    events: { bound: 'BOUND', renew: 'RENEW', rebind: 'RENEW' },
    applyAddress: true,
    start(lab, ns, script) {
      // Short retransmission intervals, so a lost unicast renewal is retried, by broadcast once T2
      // has passed, within a second or two.
      const conf = lab.path('dhclient.conf');
      writeFileSync(conf, 'initial-interval 1;\nbackoff-cutoff 2;\n');
      return lab.lab.spawn(ns, '/sbin/dhclient', ['-4', '-d', '-v', '-cf', conf, '-sf', script,
        '-lf', lab.path('dhclient.leases'), '-pf', lab.path('dhclient.pid'), 'eth0']);
    },
    async release(lab, ns, client, script) {
      lab.lab.exec(ns, '/sbin/dhclient', ['-4', '-r', '-cf', lab.path('dhclient.conf'), '-sf', script,
        '-lf', lab.path('dhclient.leases'), '-pf', lab.path('dhclient.pid'), 'eth0'], 20_000);
      await client.exited;
    },
  },
  {
    name: 'udhcpc',
    mac: '02:00:00:00:10:02',
    events: { bound: 'bound', renew: 'renew', rebind: 'renew' },
    applyAddress: true,
    start(lab, ns, script) {
      return lab.lab.spawn(ns, '/sbin/udhcpc', ['-f', '-R', '-i', 'eth0', '-s', script, '-t', '5', '-T', '1']);
    },
    // BusyBox udhcpc ignores options 58 and 59 and renews at half the lease, so SIGUSR1 starts the
    // same RENEWING exchange now. When the unicast renewal gets no reply, it goes on to REBINDING.
    triggerRenew(client) {
      client.kill('SIGUSR1');
    },
    async release(_lab, _ns, client) {
      client.kill('SIGTERM'); // -R: release on exit
      await client.exited;
    },
  },
  {
    name: 'dhcpcd',
    mac: '02:00:00:00:10:03',
    events: { bound: 'BOUND', renew: 'RENEW', rebind: 'REBIND' },
    applyAddress: false,
    start(lab, ns, script) {
      // dhcpcd keeps its lease in /var/lib/dhcpcd and its pid file and socket in /run/dhcpcd. The
      // tmpfs mounts keep them off the host: `ip netns exec` runs the command in a mount namespace
      // of its own whose mounts do not propagate back.
      const conf = lab.path('dhcpcd.conf');
      writeFileSync(conf, 'noipv4ll\nnoarp\nnohook resolv.conf\n');
      const daemon = lab.lab.spawn(ns, '/bin/sh', ['-c',
        'mount -t tmpfs tmpfs /var/lib/dhcpcd && mount -t tmpfs tmpfs /run && ' +
        `exec /usr/sbin/dhcpcd -4 -B -d -c ${script} --config ${conf} eth0`]);
      lab.trackTree(daemon); // its privilege-separation helpers outlive a SIGKILL of the daemon
      return daemon;
    },
    async release(_lab, _ns, client) {
      client.kill('SIGALRM'); // dhcpcd releases its lease and exits on SIGALRM (what `dhcpcd -k` sends)
      await client.exited;
    },
  },
];

function leaseOf(leases: LeaseJson[], address: string): LeaseJson | undefined {
  return leases.find((l) => l['ip-address'] === address);
}

function isRequestFrom(frame: DhcpFrame, mac: string): boolean {
  return frame.op === 1 && frame.chaddr === mac && frame.messageType === DHCPREQUEST;
}

describe.skipIf(skip)(`direct clients on a bridge (${SOCKET_TYPE} socket)`, () => {
  let lab: DirectLab;
  let configPath: string;
  let server: LabProcess;

  beforeAll(async () => {
    requireProgram('/sbin/dhclient', 'isc-dhcp-client');
    requireProgram('/sbin/udhcpc', 'udhcpc');
    requireProgram('/usr/sbin/dhcpcd', 'dhcpcd-base');
    requireProgram('/usr/bin/tcpdump', 'tcpdump');
    lab = new DirectLab('dc');
    configPath = writeConfig(lab.lab, 'nestor.json', {
      Dhcp4: {
        'interfaces-config': { interfaces: ['eth0'], 'dhcp-socket-type': SOCKET_TYPE },
        'lease-database': { type: 'lmdb', name: lab.path('leases4.lmdb') },
        'valid-lifetime': 30,
        'renew-timer': RENEW_TIMER_S,
        'rebind-timer': REBIND_TIMER_S,
        subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.199' }] }],
      },
    });
    server = await startNestor(lab.lab, lab.serverNs, configPath);
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it.each(DRIVERS)('$name gets, renews, rebinds and releases a lease', async (driver) => {
    const ns = lab.addClient(driver.name, driver.mac);
    const capture = await lab.startCapture(ns, driver.name);
    const log = lab.path(`${driver.name}.events`);
    const script = writeClientScript(lab, `${driver.name}-script`, log, driver.applyAddress);
    const client = driver.start(lab, ns, script);
    const eventLine = (event: string, address: string): RegExp => new RegExp(`^${event} ${escapeRegExp(address)}$`, 'm');

    // Bound: the lease is active (state 0) in the database.
    const bound = await waitForLine(log, new RegExp(`^${driver.events.bound} (198\\.18\\.0\\.\\d+)$`, 'm'), 30_000);
    const address = bound[1]!;
    const afterBind = leaseOf(listLeases(lab.lab, lab.serverNs, configPath), address);
    expect(afterBind, client.output).toBeDefined();
    expect(afterBind!.state).toBe(0);
    expect(afterBind!['hw-address']).toBe(driver.mac);

    // Renewing: a unicast REQUEST to the server at T1 (or on demand) extends the lease.
    await new Promise((r) => setTimeout(r, 1100)); // cltt counts in seconds
    driver.triggerRenew?.(client);
    await waitForLine(log, eventLine(driver.events.renew, address), 20_000);
    const afterRenew = leaseOf(listLeases(lab.lab, lab.serverNs, configPath), address);
    expect(afterRenew!.state).toBe(0);
    expect(afterRenew!.cltt).toBeGreaterThan(afterBind!.cltt);

    // Rebinding: the client's bridge port is taken away, so its unicast renewals go nowhere. Once
    // it broadcasts a REQUEST with ciaddr set (after T2, or at once for udhcpc), the port comes
    // back, and the retransmission of that broadcast reaches the server. Routes cannot do this:
    // dhclient sends its renewals through its packet socket, and udhcpc binds to the device.
    await new Promise((r) => setTimeout(r, 1100));
    const rebindLine = eventLine(driver.events.rebind, address);
    const rebindsBefore = countLines(log, rebindLine);
    const port = lab.portOf(ns);
    lab.lab.exec(lab.bridgeNs, 'ip', ['link', 'set', port, 'nomaster']);
    const detachedAt = Date.now();
    driver.triggerRenew?.(client);
    await capture.waitFor((f) => isRequestFrom(f, driver.mac) && f.ciaddr === address && f.dstIp === BROADCAST_IP, 30_000);
    lab.lab.exec(lab.bridgeNs, 'ip', ['link', 'set', port, 'master', 'br0']);
    const broadcastAfterMs = Date.now() - detachedAt;
    await waitForLines(log, rebindLine, rebindsBefore + 1, 30_000);
    const afterRebind = leaseOf(listLeases(lab.lab, lab.serverNs, configPath), address);
    expect(afterRebind!.state).toBe(0);
    expect(afterRebind!.cltt, `first broadcast ${broadcastAfterMs} ms after the port went`).toBeGreaterThan(afterRenew!.cltt);

    // Released: the server frees the lease (released state, or gone).
    await driver.release(lab, ns, client, script);
    await new Promise((r) => setTimeout(r, 500));
    const afterRelease = leaseOf(listLeases(lab.lab, lab.serverNs, configPath), address);
    const released = afterRelease === undefined || afterRelease.state === 2 || afterRelease['valid-lft'] === 0;
    expect(released, JSON.stringify(afterRelease)).toBe(true);

    // On the wire: renewals went by unicast to the server, rebinding by broadcast, both with ciaddr
    // set, and the server sent an ACK to the rebinding.
    const frames = await capture.stop();
    const requests = frames.filter((f) => isRequestFrom(f, driver.mac));
    const renewals = requests.filter((f) => f.ciaddr === address && f.dstIp === SERVER_IP);
    const rebinds = requests.filter((f) => f.ciaddr === address && f.dstIp === BROADCAST_IP);
    expect(renewals.length, JSON.stringify(requests)).toBeGreaterThan(0);
    expect(rebinds.length, JSON.stringify(requests)).toBeGreaterThan(0);
    const rebindXids = new Set(rebinds.map((f) => f.xid));
    expect(frames.some((f) => f.op === 2 && f.messageType === DHCPACK && rebindXids.has(f.xid) && f.yiaddr === address)).toBe(true);

    // A client with ciaddr set gets its ACK by unicast to ciaddr (RFC 2131 §4.1), whether it
    // renewed by unicast or rebound by broadcast. These clients keep one xid for the first REQUEST
    // and later renewals, so each ACK is matched to the last request with its xid before it.
    const lastRequest = new Map<number, DhcpFrame>();
    let ciaddrAcks = 0;
    for (const frame of frames) {
      if (isRequestFrom(frame, driver.mac)) lastRequest.set(frame.xid, frame);
      if (frame.op !== 2 || frame.chaddr !== driver.mac || frame.messageType !== DHCPACK) continue;
      const request = lastRequest.get(frame.xid);
      if (request?.ciaddr !== address) continue;
      ciaddrAcks++;
      const context = `ACK for xid ${frame.xid}, request sent to ${request.dstMac} ${request.dstIp}`;
      expect(frame.dstIp, context).toBe(address);
      expect(frame.dstMac, context).toBe(driver.mac);
    }
    expect(ciaddrAcks).toBeGreaterThan(0);

    // Every ACK has the xid of a request of this client, and no request got two ACKs.
    const acks = frames.filter((f) => f.op === 2 && f.chaddr === driver.mac && f.messageType === DHCPACK);
    const requestXids = new Set(requests.map((f) => f.xid));
    for (const ack of acks) expect(requestXids.has(ack.xid)).toBe(true);
    const acksPerXid = countBy(acks, (f) => String(f.xid));
    const requestsPerXid = countBy(requests, (f) => String(f.xid));
    for (const [xid, count] of acksPerXid) expect(count, `ACKs for xid ${xid}`).toBeLessThanOrEqual(requestsPerXid.get(xid)!);
    expect(server.child.exitCode).toBeNull();
  });
});
