// Where the server sends OFFER and ACK to a directly attached client without an address (RFC 2131
// §4.1). With the broadcast flag set (udhcpc -B) they go to ff:ff:ff:ff:ff:ff and 255.255.255.255.
// With it clear (dhclient) they go by unicast to the client's MAC and yiaddr, as a frame built
// without ARP. That unicast needs a raw socket, so through a UDP socket the server broadcasts. Hand-built
// DISCOVERs check that the unicast goes to chaddr, not to the frame's source MAC, and that a
// client whose chaddr is unusable (hlen 0) gets a broadcast.

import { writeFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { requireProgram, skipUnlessLab } from './support/lab.js';
import type { LabProcess } from './support/lab.js';
import { listLeases, startNestor, writeConfig } from './support/nestor.js';
import {
  BROADCAST_IP, BROADCAST_MAC, DirectLab, SERVER_IP, SERVER_MAC, SOCKET_TYPE, waitForLine, writeClientScript,
} from './support/direct-lab.js';
import { buildRequest } from '../../src/codec/request-builder.js';
import { DHCPACK, DHCPDISCOVER, DHCPOFFER, DHCPREQUEST, buildUdpFrame, macBytes } from './support/frames.js';
import type { DhcpFrame } from './support/frames.js';

const skip = skipUnlessLab();

const BROADCAST_FLAG = 0x8000;

interface FlagCase {
  name: string;
  mac: string;
  broadcastFlag: boolean;
  start(lab: DirectLab, ns: string, script: string): LabProcess;
}

const CASES: FlagCase[] = [
  {
    name: 'udhcpc -B',
    mac: '02:00:00:00:20:01',
    broadcastFlag: true,
    start: (lab, ns, script) => lab.lab.spawn(ns, '/sbin/udhcpc', ['-f', '-n', '-q', '-B', '-i', 'eth0', '-s', script, '-t', '5', '-T', '1']),
  },
  {
    name: 'dhclient',
    mac: '02:00:00:00:20:02',
    broadcastFlag: false,
    start: (lab, ns, script) => {
      const conf = lab.path('dhclient.conf');
      writeFileSync(conf, 'initial-interval 1;\n');
      return lab.lab.spawn(ns, '/sbin/dhclient', ['-4', '-d', '-v', '-cf', conf, '-sf', script,
        '-lf', lab.path('dhclient.leases'), '-pf', lab.path('dhclient.pid'), 'eth0']);
    },
  },
];

interface HandBuiltCase {
  name: string;
  chaddr: string;
  hlen: number;
  /** Where the OFFER goes on a raw socket; a UDP socket always broadcasts to a client without an address. */
  rawDestination: 'chaddr' | 'broadcast';
}

const SENDER_MAC = '02:00:00:00:20:10';

const HAND_BUILT: HandBuiltCase[] = [
  { name: 'chaddr differs from the source MAC', chaddr: '02:00:00:00:20:11', hlen: 6, rawDestination: 'chaddr' },
  { name: 'hlen 0 with a client identifier', chaddr: '02:00:00:00:20:12', hlen: 0, rawDestination: 'broadcast' },
];

function expectedDestination(testCase: FlagCase, address: string): { mac: string; ip: string } {
  if (testCase.broadcastFlag || SOCKET_TYPE === 'udp') return { mac: BROADCAST_MAC, ip: BROADCAST_IP };
  return { mac: testCase.mac, ip: address };
}

describe.skipIf(skip)(`reply destination by broadcast flag (${SOCKET_TYPE} socket)`, () => {
  let lab: DirectLab;
  let configPath: string;
  let senderNs: string;

  beforeAll(async () => {
    requireProgram('/sbin/dhclient', 'isc-dhcp-client');
    requireProgram('/sbin/udhcpc', 'udhcpc');
    requireProgram('/usr/bin/tcpdump', 'tcpdump');
    lab = new DirectLab('bf');
    configPath = writeConfig(lab.lab, 'nestor.json', {
      Dhcp4: {
        'interfaces-config': { interfaces: ['eth0'], 'dhcp-socket-type': SOCKET_TYPE },
        'lease-database': { type: 'lmdb', name: lab.path('leases4.lmdb') },
        'valid-lifetime': 600,
        subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.199' }] }],
      },
    });
    await startNestor(lab.lab, lab.serverNs, configPath);
    senderNs = lab.addClient('sender', SENDER_MAC);
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it.each(CASES)('$name gets OFFER and ACK at the right destination', async (testCase) => {
    const ns = lab.addClient(testCase.name.replace(/\W/g, ''), testCase.mac);
    const capture = await lab.startCapture(ns, testCase.mac.replace(/:/g, ''));
    const log = lab.path(`${testCase.mac}.events`);
    const script = writeClientScript(lab, `${testCase.mac}.script`, log, true);
    const client = testCase.start(lab, ns, script);

    const bound = await waitForLine(log, /^(?:bound|BOUND) (198\.18\.0\.\d+)$/m, 30_000);
    const address = bound[1]!;
    client.kill('SIGTERM');
    await client.exited;
    const frames = await capture.stop();
    expect(listLeases(lab.lab, lab.serverNs, configPath).some((l) => l['ip-address'] === address)).toBe(true);

    // The client's requests carry the flag this case is about.
    const requests = frames.filter((f) => f.op === 1 && f.chaddr === testCase.mac);
    const discover = requests.find((f) => f.messageType === DHCPDISCOVER);
    const request = requests.find((f) => f.messageType === DHCPREQUEST);
    expect(discover, JSON.stringify(requests)).toBeDefined();
    expect(request, JSON.stringify(requests)).toBeDefined();
    expect((discover!.flags & BROADCAST_FLAG) !== 0).toBe(testCase.broadcastFlag);
    expect((request!.flags & BROADCAST_FLAG) !== 0).toBe(testCase.broadcastFlag);

    // Each OFFER and ACK for this client leaves the server at the destination RFC 2131 §4.1 sets.
    const expected = expectedDestination(testCase, address);
    for (const type of [DHCPOFFER, DHCPACK]) {
      const replies: DhcpFrame[] = frames.filter((f) => f.op === 2 && f.chaddr === testCase.mac && f.messageType === type);
      expect(replies.length, `message type ${type}: ${JSON.stringify(frames)}`).toBeGreaterThan(0);
      for (const reply of replies) {
        expect(reply.srcMac).toBe(SERVER_MAC);
        expect(reply.srcIp).toBe(SERVER_IP);
        expect(reply.srcPort).toBe(67);
        expect(reply.dstPort).toBe(68);
        expect(reply.yiaddr).toBe(address);
        expect(reply.flags & BROADCAST_FLAG).toBe(testCase.broadcastFlag ? BROADCAST_FLAG : 0);
        expect(reply.dstMac, `message type ${type}`).toBe(expected.mac);
        expect(reply.dstIp, `message type ${type}`).toBe(expected.ip);
      }
    }
  });

  it.each(HAND_BUILT)('OFFER for a DISCOVER with $name', async (testCase) => {
    const xid = 0x20000000 + testCase.chaddr.charCodeAt(testCase.chaddr.length - 1);
    const payload = buildRequest({
      messageType: DHCPDISCOVER,
      xid,
      chaddr: testCase.chaddr,
      hlen: testCase.hlen,
      options: [[61, [1, ...macBytes(testCase.chaddr)]]],
    });
    const frame = buildUdpFrame({
      dstMac: BROADCAST_MAC, srcMac: SENDER_MAC, srcIp: '0.0.0.0', dstIp: BROADCAST_IP, srcPort: 68, dstPort: 67, payload,
    });

    const offer = await lab.exchange(senderNs, frame, xid);

    expect(offer, 'no OFFER within 1.5 s').toBeDefined();
    expect(offer!.messageType).toBe(DHCPOFFER);
    expect(offer!.srcMac).toBe(SERVER_MAC);
    const unicast = SOCKET_TYPE === 'raw' && testCase.rawDestination === 'chaddr';
    expect(offer!.dstMac).toBe(unicast ? testCase.chaddr : BROADCAST_MAC);
    expect(offer!.dstIp).toBe(unicast ? offer!.yiaddr : BROADCAST_IP);
  });
});
