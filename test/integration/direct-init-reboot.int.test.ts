// INIT-REBOOT REQUESTs (option 50, no server identifier, ciaddr 0) from directly attached clients,
// sent as hand-built frames (RFC 2131 §4.3.2). A client with a lease gets an ACK for its address and
// a NAK for any other. A client the server does not know, asking for an address of a foreign network,
// gets a NAK only when the server is authoritative, and silence otherwise. A NAK always goes to
// ff:ff:ff:ff:ff:ff and 255.255.255.255 (RFC 2131 §4.1).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildRequest } from '../../src/codec/request-builder.js';
import { requireProgram, skipUnlessLab } from './support/lab.js';
import type { LabProcess } from './support/lab.js';
import { startNestor, writeConfig } from './support/nestor.js';
import {
  BROADCAST_IP, BROADCAST_MAC, DirectLab, SERVER_IP, SERVER_MAC, SOCKET_TYPE, waitForLine, writeClientScript,
} from './support/direct-lab.js';
import { DHCPACK, DHCPNAK, DHCPREQUEST, buildUdpFrame, ipBytes, macBytes } from './support/frames.js';

const ipNumber = (text: string): number => text.split('.').reduce((n, part) => ((n << 8) | Number(part)) >>> 0, 0);
import type { DhcpFrame } from './support/frames.js';

const skip = skipUnlessLab();

const KNOWN_MAC = '02:00:00:00:30:01';
const STRANGER_MAC = '02:00:00:00:30:02';
const OTHER_IN_SUBNET = '198.18.0.250';
const FOREIGN = '198.19.99.5';

interface RebootCase {
  authoritative: boolean;
  from: 'known' | 'stranger';
  /** 'lease' stands for the address the known client holds. */
  requested: 'lease' | string;
  reply: 'ACK' | 'NAK' | 'no reply';
}

// Ordered by authoritative, so the server restarts once.
const CASES: RebootCase[] = [
  { authoritative: true, from: 'known', requested: 'lease', reply: 'ACK' },
  { authoritative: true, from: 'known', requested: OTHER_IN_SUBNET, reply: 'NAK' },
  { authoritative: true, from: 'stranger', requested: FOREIGN, reply: 'NAK' },
  { authoritative: false, from: 'stranger', requested: FOREIGN, reply: 'no reply' },
  { authoritative: false, from: 'known', requested: FOREIGN, reply: 'NAK' },
  { authoritative: false, from: 'known', requested: 'lease', reply: 'ACK' },
];

describe.skipIf(skip)(`INIT-REBOOT from direct clients (${SOCKET_TYPE} socket)`, () => {
  let lab: DirectLab;
  let knownNs: string;
  let strangerNs: string;
  let lease: string;
  let server: LabProcess | undefined;
  let serverAuthoritative: boolean | undefined;
  let nextXid = 0x30000001;

  async function startServer(authoritative: boolean): Promise<void> {
    if (server !== undefined) {
      server.kill('SIGTERM');
      await server.exited;
    }
    const configPath = writeConfig(lab.lab, `nestor-${authoritative}.json`, {
      Dhcp4: {
        'interfaces-config': { interfaces: ['eth0'], 'dhcp-socket-type': SOCKET_TYPE },
        'lease-database': { type: 'lmdb', name: lab.path('leases4.lmdb') },
        'valid-lifetime': 600,
        authoritative,
        subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.199' }] }],
      },
    });
    server = await startNestor(lab.lab, lab.serverNs, configPath);
    serverAuthoritative = authoritative;
  }

  /** Broadcasts an INIT-REBOOT REQUEST from ns and returns the server's reply, or undefined after 1.5 s. */
  async function requestAddress(ns: string, mac: string, requested: string): Promise<DhcpFrame | undefined> {
    const xid = nextXid++;
    const payload = buildRequest({
      messageType: DHCPREQUEST,
      xid,
      chaddr: mac,
      options: [[61, [1, ...macBytes(mac)]], [50, ipBytes(requested)]],
    });
    const frame = buildUdpFrame({
      dstMac: BROADCAST_MAC, srcMac: mac, srcIp: '0.0.0.0', dstIp: BROADCAST_IP, srcPort: 68, dstPort: 67, payload,
    });
    return lab.exchange(ns, frame, xid);
  }

  beforeAll(async () => {
    requireProgram('/sbin/udhcpc', 'udhcpc');
    requireProgram('/usr/bin/tcpdump', 'tcpdump');
    lab = new DirectLab('ir');
    knownNs = lab.addClient('known', KNOWN_MAC);
    strangerNs = lab.addClient('stranger', STRANGER_MAC);
    await startServer(true);

    // The known client takes a lease with udhcpc (client identifier 01 + MAC) and leaves without
    // releasing it, like a host that is switched off.
    const log = lab.path('udhcpc.events');
    const script = writeClientScript(lab, 'udhcpc-script', log, false);
    const client = lab.lab.spawn(knownNs, '/sbin/udhcpc', ['-f', '-n', '-q', '-i', 'eth0', '-s', script, '-t', '5', '-T', '1']);
    lease = (await waitForLine(log, /^bound (198\.18\.0\.\d+)$/m, 30_000))[1]!;
    await client.exited;
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it.each(CASES)('authoritative $authoritative, $from client asks for $requested: $reply', async (testCase) => {
    if (serverAuthoritative !== testCase.authoritative) await startServer(testCase.authoritative);
    const requested = testCase.requested === 'lease' ? lease : testCase.requested;
    const [ns, mac] = testCase.from === 'known' ? [knownNs, KNOWN_MAC] : [strangerNs, STRANGER_MAC];

    const reply = await requestAddress(ns, mac, requested);

    if (testCase.reply === 'no reply') {
      expect(reply, JSON.stringify(reply)).toBeUndefined();
      return;
    }
    expect(reply, 'no reply within 1.5 s').toBeDefined();
    expect(reply!.messageType).toBe(testCase.reply === 'ACK' ? DHCPACK : DHCPNAK);
    expect(reply!.srcMac).toBe(SERVER_MAC);
    expect(reply!.srcIp).toBe(SERVER_IP);
    expect(reply!.dstPort).toBe(68);
    if (testCase.reply === 'NAK') {
      expect(reply!.yiaddr).toBe('0.0.0.0');
      expect(reply!.dstMac).toBe(BROADCAST_MAC);
      expect(reply!.dstIp).toBe(BROADCAST_IP);
      return;
    }
    // ACK to a client without an address and with the broadcast flag clear: a unicast frame to
    // chaddr and yiaddr on a raw socket, a broadcast through a UDP socket.
    expect(reply!.yiaddr).toBe(requested);
    expect(reply!.dstMac).toBe(SOCKET_TYPE === 'raw' ? mac : BROADCAST_MAC);
    expect(reply!.dstIp).toBe(SOCKET_TYPE === 'raw' ? requested : BROADCAST_IP);
  });

  // RFC 2131 §4.1: with giaddr 0 a NAK is broadcast even when ciaddr is set, because ciaddr may
  // belong to another host, as here.
  it('NAK for a renewal of another client lease is broadcast', async () => {
    if (serverAuthoritative !== true) await startServer(true);
    const xid = nextXid++;
    const payload = buildRequest({
      messageType: DHCPREQUEST,
      xid,
      chaddr: STRANGER_MAC,
      ciaddr: ipNumber(lease),
      options: [[61, [1, ...macBytes(STRANGER_MAC)]]],
    });
    const frame = buildUdpFrame({
      dstMac: SERVER_MAC, srcMac: STRANGER_MAC, srcIp: lease, dstIp: SERVER_IP, srcPort: 68, dstPort: 67, payload,
    });

    const reply = await lab.exchange(strangerNs, frame, xid);

    expect(reply, 'no reply within 1.5 s').toBeDefined();
    expect(reply!.messageType).toBe(DHCPNAK);
    expect(reply!.dstMac).toBe(BROADCAST_MAC);
    expect(reply!.dstIp).toBe(BROADCAST_IP);
  });
});
