// A relayed client (behind ISC dhcrelay) and a directly attached client served at the same time on
// the same server interface. Both get their leases, and a capture on the server's eth0 shows one
// reply per request. With a raw socket the server also receives the relayed (unicast) requests
// on its packet socket, so this is where a request taken from both sockets would show up twice.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { requireProgram, skipUnlessLab } from './support/lab.js';
import { listLeases, startNestor, writeConfig } from './support/nestor.js';
import {
  DirectLab, RELAY_CLIENT_SIDE_IP, RELAY_IP, SERVER_MAC, SOCKET_TYPE, waitForLine, writeClientScript,
} from './support/direct-lab.js';
import type { RelayedSegment } from './support/direct-lab.js';
import { DHCPACK, DHCPDISCOVER, DHCPOFFER, DHCPREQUEST, countBy } from './support/frames.js';
import type { DhcpFrame } from './support/frames.js';

const skip = skipUnlessLab();

const DIRECT_MAC = '02:00:00:00:40:01';
const RELAYED_MAC = '02:00:00:00:40:02';
const REPLY_TYPE: Record<number, number> = { [DHCPDISCOVER]: DHCPOFFER, [DHCPREQUEST]: DHCPACK };

describe.skipIf(skip)(`relayed and direct clients together (${SOCKET_TYPE} socket)`, () => {
  let lab: DirectLab;
  let configPath: string;
  let directNs: string;
  let segment: RelayedSegment;

  beforeAll(async () => {
    requireProgram('/usr/sbin/dhcrelay', 'isc-dhcp-relay');
    requireProgram('/sbin/udhcpc', 'udhcpc');
    requireProgram('/usr/bin/tcpdump', 'tcpdump');
    lab = new DirectLab('mx');
    directNs = lab.addClient('direct', DIRECT_MAC);
    configPath = writeConfig(lab.lab, 'nestor.json', {
      Dhcp4: {
        'interfaces-config': { interfaces: ['eth0'], 'dhcp-socket-type': SOCKET_TYPE },
        'lease-database': { type: 'lmdb', name: lab.path('leases4.lmdb') },
        'valid-lifetime': 600,
        subnet4: [
          { id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.199' }] },
          { id: 2, subnet: '198.18.1.0/24', pools: [{ pool: '198.18.1.100 - 198.18.1.199' }] },
        ],
      },
    });
    await startNestor(lab.lab, lab.serverNs, configPath);
    segment = await lab.addRelay(RELAYED_MAC);
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('serves both clients once each', async () => {
    const capture = await lab.startCapture(lab.serverNs, 'server');
    const directLog = lab.path('direct.events');
    const relayedLog = lab.path('relayed.events');
    const directScript = writeClientScript(lab, 'direct-script', directLog, false);
    const relayedScript = writeClientScript(lab, 'relayed-script', relayedLog, false);
    const udhcpcArgs = ['-f', '-n', '-q', '-i', 'eth0', '-t', '5', '-T', '2'];
    const direct = lab.lab.spawn(directNs, '/sbin/udhcpc', [...udhcpcArgs, '-s', directScript]);
    const relayed = lab.lab.spawn(segment.clientNs, '/sbin/udhcpc', [...udhcpcArgs, '-s', relayedScript]);

    const directAddress = (await waitForLine(directLog, /^bound (198\.18\.0\.\d+)$/m, 30_000))[1]!;
    const relayedAddress = (await waitForLine(relayedLog, /^bound (198\.18\.1\.\d+)$/m, 30_000))[1]!;
    await direct.exited;
    await relayed.exited;
    const frames = await capture.stop();

    // Both leases are in the database, each in its own subnet.
    const leases = listLeases(lab.lab, lab.serverNs, configPath);
    const directLease = leases.find((l) => l['hw-address'] === DIRECT_MAC);
    const relayedLease = leases.find((l) => l['hw-address'] === RELAYED_MAC);
    expect(directLease?.['ip-address']).toBe(directAddress);
    expect(directLease?.['subnet-id']).toBe(1);
    expect(relayedLease?.['ip-address'], segment.relay.output).toBe(relayedAddress);
    expect(relayedLease?.['subnet-id']).toBe(2);

    // The relayed client's requests reach the server only through the relay (giaddr set), and the
    // direct client's only directly, so every request is in the capture once.
    const requests = frames.filter((f) => f.op === 1 && f.dstPort === 67);
    const relayedRequests = requests.filter((f) => f.chaddr === RELAYED_MAC);
    const directRequests = requests.filter((f) => f.chaddr === DIRECT_MAC);
    expect(relayedRequests.length).toBeGreaterThan(0);
    expect(directRequests.length).toBeGreaterThan(0);
    for (const request of relayedRequests) {
      expect(request.giaddr).toBe(RELAY_CLIENT_SIDE_IP);
      expect(request.srcIp).toBe(RELAY_IP);
    }
    for (const request of directRequests) expect(request.giaddr).toBe('0.0.0.0');

    // The server sends one reply of the matching type per request: no request is taken from both
    // the packet socket and the UDP socket.
    const replies = frames.filter((f) => f.op === 2 && f.srcMac === SERVER_MAC);
    const key = (f: DhcpFrame, type: number | undefined): string => `${f.chaddr} xid ${f.xid} type ${type}`;
    const expectedReplies = countBy(requests, (f) => key(f, REPLY_TYPE[f.messageType ?? 0]));
    const actualReplies = countBy(replies, (f) => key(f, f.messageType));
    expect(Object.fromEntries(actualReplies)).toEqual(Object.fromEntries(expectedReplies));

    // Replies to the relayed client go to the relay; replies to the direct client stay on the segment.
    for (const reply of replies.filter((f) => f.chaddr === RELAYED_MAC)) {
      expect(reply.dstIp).toBe(RELAY_CLIENT_SIDE_IP);
      expect(reply.dstPort).toBe(67);
    }
    for (const reply of replies.filter((f) => f.chaddr === DIRECT_MAC)) expect(reply.dstPort).toBe(68);
  });
});
