// Where the server sends OFFER and ACK to a directly attached client without an address (RFC 2131
// §4.1): with the broadcast flag set (udhcpc -B) to ff:ff:ff:ff:ff:ff and 255.255.255.255; with it
// clear (dhclient) by unicast to the client's MAC and yiaddr, built as a frame without ARP. That
// unicast needs a raw socket: through a UDP socket the server broadcasts instead.

import { writeFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { requireProgram, skipUnlessLab } from './support/lab.js';
import type { LabProcess } from './support/lab.js';
import { listLeases, startNestor, writeConfig } from './support/nestor.js';
import {
  BROADCAST_IP, BROADCAST_MAC, DirectLab, SERVER_IP, SERVER_MAC, SOCKET_TYPE, waitForLine, writeClientScript,
} from './support/direct-lab.js';
import { DHCPACK, DHCPDISCOVER, DHCPOFFER, DHCPREQUEST } from './support/frames.js';
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

function expectedDestination(testCase: FlagCase, address: string): { mac: string; ip: string } {
  if (testCase.broadcastFlag || SOCKET_TYPE === 'udp') return { mac: BROADCAST_MAC, ip: BROADCAST_IP };
  return { mac: testCase.mac, ip: address };
}

describe.skipIf(skip)(`reply destination by broadcast flag (${SOCKET_TYPE} socket)`, () => {
  let lab: DirectLab;
  let configPath: string;

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
});
