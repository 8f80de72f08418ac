// AF_PACKET receive and send (RawPacketSocket) on a veth pair between two namespaces. The socket
// runs in the server namespace inside raw-io-agent.mjs. The client namespace sends datagrams with
// node:dgram, injects hand-made frames with a small C program and captures replies with tcpdump.
//
//   server ns (veth0 198.18.0.2, 02:00:00:00:00:02) ── client ns (veth1 198.18.0.1, 02:00:00:00:00:01)

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  MAC_BROADCAST_HI,
  MAC_BROADCAST_LO,
  RX_BUCKET,
  RX_DST_ADDR,
  RX_FLAG_CHECKSUM_UNVERIFIED,
  RX_FLAG_RAW,
  RX_FLAGS,
  RX_IFINDEX,
  RX_SRC_ADDR,
  RX_SRC_MAC_HI,
  RX_SRC_MAC_LO,
  RX_SRC_PORT,
  RX_VLAN,
  VLAN_PRESENT,
} from '../../src/io/batch.js';
import { buildUdpFrame, parseUdpFrame } from '../../src/io/raw-frame.js';
import type { UdpFrameSpec } from '../../src/io/raw-frame.js';
import { packetBucket } from '../../src/io/rfc3074.js';
import type { RawStats } from '../../src/io/raw.js';
import { buildPacket, clientIdOption, seededRandom } from '../unit/io/packets.js';
import { Lab, requireProgram, skipUnlessLab } from './support/lab.js';
import { buildInjector, RawAgent, readPcapFrames } from './support/raw-io.js';

const skip = skipUnlessLab();

const SERVER_MAC = '02:00:00:00:00:02';
const CLIENT_MAC = '02:00:00:00:00:01';
const SERVER_IP = 0xc6120002; // 198.18.0.2
const CLIENT_IP = 0xc6120001; // 198.18.0.1
const BROADCAST = 0xffffffff;

const mac = (text: string): Uint8Array => new Uint8Array(text.split(':').map((b) => Number.parseInt(b, 16)));
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

type Received = Array<{ payload: string; meta: number[] }>;

describe.skipIf(skip)('RawPacketSocket on a veth pair', () => {
  let lab: Lab;
  let nsServer: string;
  let nsClient: string;
  let server: RawAgent;
  let client: RawAgent;
  let injector: string;
  let socket: number;
  let ifindex: number;

  beforeAll(async () => {
    requireProgram('/usr/bin/tcpdump', 'tcpdump');
    lab = new Lab('raw');
    nsServer = lab.addNamespace('srv');
    nsClient = lab.addNamespace('cli');
    lab.link(nsServer, 'veth0', nsClient, 'veth1');
    lab.exec(nsServer, 'ip', ['link', 'set', 'veth0', 'address', SERVER_MAC]);
    lab.exec(nsClient, 'ip', ['link', 'set', 'veth1', 'address', CLIENT_MAC]);
    lab.address(nsServer, 'veth0', '198.18.0.2/24');
    lab.address(nsClient, 'veth1', '198.18.0.1/24');
    lab.exec(nsClient, 'ip', ['route', 'add', 'default', 'dev', 'veth1']); // for 255.255.255.255
    injector = buildInjector(lab);
    server = await RawAgent.start(lab, nsServer);
    client = await RawAgent.start(lab, nsClient);

    const opened = await server.request<{ socket: number; ifindex: number; mac: string; error?: unknown }>('open', { ifname: 'veth0' });
    expect(opened.error).toBeUndefined();
    socket = opened.socket;
    ifindex = opened.ifindex;
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  async function stats(): Promise<RawStats> {
    return (await server.request<{ stats: RawStats }>('stats', { socket })).stats;
  }

  function inject(frames: Uint8Array[]): void {
    lab.exec(nsClient, injector, ['veth1', ...frames.map(hex)]);
  }

  function dhcpFrame(overrides: Partial<UdpFrameSpec> = {}): Uint8Array {
    return buildUdpFrame({
      dstMac: mac('ff:ff:ff:ff:ff:ff'),
      srcMac: mac(CLIENT_MAC),
      srcAddr: 0,
      dstAddr: BROADCAST,
      srcPort: 68,
      dstPort: 67,
      payload: buildPacket({ options: [...clientIdOption([1, 2, 0, 0, 0, 0, 9]), 255] }),
      ...overrides,
    });
  }

  // Waits until the socket has read at least `frames` more frames than in `before`, or 500 ms.
  async function statsAfter(before: RawStats, frames: number): Promise<RawStats> {
    const deadline = Date.now() + 500;
    for (;;) {
      const now = await stats();
      if (now.seen >= before.seen + frames || Date.now() > deadline) return now;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('reports the interface index and MAC address', async () => {
    expect(ifindex).toBe(Number(lab.exec(nsServer, 'cat', ['/sys/class/net/veth0/ifindex']).trim()));
    const again = await server.request<{ socket: number; mac: string; mtu: number }>('open', { ifname: 'veth0' });
    expect(again.mac).toBe(SERVER_MAC.replaceAll(':', ''));
    expect(again.mtu).toBe(1500);
    await server.request('close', { socket: again.socket });
  });

  it('shows the socket and its mapped ring in /proc', async () => {
    const proc = await server.request<{ packet: string; maps: string }>('proc');
    // /proc/net/packet: sk RefCnt Type Proto Iface R Rmem User Inode; protocol 0003 is ETH_P_ALL.
    const row = proc.packet.split('\n').map((l) => l.trim().split(/\s+/)).find((c) => c[3] === '0003' && Number(c[4]) === ifindex);
    expect(row).toBeDefined();
    const inode = row![8];
    const mapping = proc.maps.split('\n').find((l) => l.includes(`socket:[${inode}]`));
    expect(mapping).toBeDefined();
    const [start, end] = mapping!.split(' ')[0]!.split('-').map((a) => Number.parseInt(a, 16));
    expect(end! - start!).toBe(8 * 256 * 1024);
  });

  it.each([
    { kind: 'broadcast', to: '255.255.255.255', dstAddr: BROADCAST },
    { kind: 'unicast', to: '198.18.0.2', dstAddr: SERVER_IP },
  ])('delivers $kind datagrams from node:dgram with their meta', async ({ to, dstAddr }) => {
    const payloads = [0x10, 0x11, 0x12].map((last) =>
      buildPacket({ chaddr: [0x02, 0xaa, 0, 0, 1, last], options: [...clientIdOption([1, 0x02, 0xaa, 0, 0, 1, last]), 255] }),
    );
    await client.request('udp', { to, port: 67, srcPort: 68, broadcast: dstAddr === BROADCAST, payloads: payloads.map(hex) });
    const received: Received = await server.collect(socket, 3);

    expect(received.map((r) => r.payload)).toEqual(payloads.map(hex));
    for (const [i, { meta }] of received.entries()) {
      expect(meta[RX_SRC_ADDR]).toBe(CLIENT_IP);
      expect(meta[RX_SRC_PORT]).toBe(68);
      expect(meta[RX_DST_ADDR]).toBe(dstAddr);
      expect(meta[RX_IFINDEX]).toBe(ifindex);
      expect(meta[RX_SRC_MAC_HI]).toBe(0x0200);
      expect(meta[RX_SRC_MAC_LO]).toBe(0x00000001);
      expect(meta[RX_VLAN]).toBe(0);
      expect(meta[RX_FLAGS]! & RX_FLAG_RAW).toBe(RX_FLAG_RAW);
      expect(meta[RX_BUCKET]).toBe(packetBucket(payloads[i]!, 0, payloads[i]!.length));
    }
  });

  describe('malformed frames', () => {
    const cases: Array<{ name: string; frame: () => Uint8Array; counter?: keyof RawStats }> = [
      {
        name: 'bad IPv4 header checksum',
        frame: () => { const f = dhcpFrame(); f[24]! ^= 0x5a; return f; },
        counter: 'badIpChecksum',
      },
      {
        name: 'bad UDP checksum',
        frame: () => { const f = dhcpFrame(); f[40]! ^= 0x5a; return f; },
        counter: 'badUdpChecksum',
      },
      { name: 'first fragment', frame: () => dhcpFrame({ fragment: 0x2000 }), counter: 'fragment' },
      { name: 'IPv6 version in an IPv4 frame', frame: () => { const f = dhcpFrame(); f[14] = 0x65; return f; }, counter: 'notDhcp' },
      { name: 'UDP header cut short', frame: () => dhcpFrame().slice(0, 14 + 20 + 6), counter: 'truncated' },
      {
        name: 'IPv4 total length past the frame',
        frame: () => { const f = dhcpFrame(); new DataView(f.buffer).setUint16(16, f.length); return f; },
        counter: 'truncated',
      },
      {
        name: 'UDP length past the IPv4 payload',
        frame: () => { const f = dhcpFrame(); new DataView(f.buffer).setUint16(38, f.length); return f; },
        counter: 'truncated',
      },
      { name: '802.1Q-tagged frame', frame: () => dhcpFrame({ vlanTci: 100 }), counter: 'vlanTagged' },
      { name: 'later fragment', frame: () => dhcpFrame({ fragment: 0x0010 }) },
      { name: 'destination port 68', frame: () => dhcpFrame({ dstPort: 68 }) },
      { name: 'ARP ethertype', frame: () => { const f = dhcpFrame(); f[12] = 0x08; f[13] = 0x06; return f; } },
    ];

    it.each(cases)('drops $name and keeps receiving', async ({ frame, counter }) => {
      const before = await stats();
      inject([frame()]);
      const after = await statsAfter(before, counter ? 1 : 0);

      expect(after.delivered).toBe(before.delivered);
      if (counter) {
        expect(after[counter]).toBe(before[counter] + 1);
        expect(after.seen).toBe(before.seen + 1);
      } else {
        expect(after.seen).toBe(before.seen); // the kernel filter dropped it
      }

      inject([dhcpFrame()]);
      expect(await server.collect(socket, 1)).toHaveLength(1);
    });

    it.each([
      { name: 'IPv4 options (IHL 6)', frame: () => dhcpFrame({ ipOptions: Uint8Array.of(1, 1, 1, 0) }), flags: RX_FLAG_RAW },
      { name: 'no UDP checksum', frame: () => dhcpFrame({ noUdpChecksum: true }), flags: RX_FLAG_RAW | RX_FLAG_CHECKSUM_UNVERIFIED },
    ])('delivers a frame with $name', async ({ frame, flags }) => {
      inject([frame()]);
      const received = await server.collect(socket, 1);
      expect(received).toHaveLength(1);
      expect(received[0]!.payload).toBe(hex(buildPacket({ options: [...clientIdOption([1, 2, 0, 0, 0, 0, 9]), 255] })));
      expect(received[0]!.meta[RX_FLAGS]).toBe(flags);
    });

    it('counts every frame of a random flood exactly once', async () => {
      const random = seededRandom(20240611);
      const byte = (): number => Math.floor(random() * 256);
      const frames: Uint8Array[] = [];
      for (let i = 0; i < 60; i++) {
        const f = dhcpFrame({ payload: Uint8Array.from({ length: Math.floor(random() * 400) }, byte) });
        // Corrupt a few bytes anywhere after the Ethernet addresses, keeping the frame IPv4 UDP to
        // port 67 in about half of the cases.
        const corruptions = 1 + Math.floor(random() * 4);
        for (let j = 0; j < corruptions; j++) f[14 + Math.floor(random() * (f.length - 14))] = byte();
        frames.push(random() < 0.2 ? f.slice(0, 14 + Math.floor(random() * 40)) : f);
      }
      const before = await stats();
      inject(frames);
      await new Promise((r) => setTimeout(r, 300));
      await server.collect(socket, 60, 300);
      const after = await stats();

      const dropped = (s: RawStats): number =>
        s.badIpChecksum + s.badUdpChecksum + s.fragment + s.notDhcp + s.truncated + s.vlanTagged;
      expect(after.seen - before.seen).toBe(after.delivered - before.delivered + dropped(after) - dropped(before));
      expect(after.seen - before.seen).toBeLessThanOrEqual(60);

      inject([dhcpFrame()]);
      expect(await server.collect(socket, 1)).toHaveLength(1);
    });
  });

  it('delivers tagged frames with their tag when acceptVlan is set', async () => {
    const tagged = await server.request<{ socket: number }>('open', { ifname: 'veth0', acceptVlan: true });
    inject([dhcpFrame({ vlanTci: 0x2064 })]); // priority 1, VLAN 100
    const received = await server.collect(tagged.socket, 1);
    await server.request('close', { socket: tagged.socket });
    await server.collect(socket, 1, 200); // the default socket drops it; empty its queue anyway

    expect(received).toHaveLength(1);
    expect(received[0]!.meta[RX_VLAN]).toBe(VLAN_PRESENT | 0x2064);
  });

  it('sends the frames requested with valid checksums', async () => {
    const capture = lab.path('replies.pcap');
    const tcpdump = lab.spawn(nsClient, 'tcpdump', ['-i', 'veth1', '-n', '-U', '-w', capture, '-c', '3', 'udp dst port 68 or (vlan and udp dst port 68)']);
    await tcpdump.waitFor(/listening on/, 10_000);

    const payload = (n: number): string => hex(buildPacket({ chaddr: [0x02, 0, 0, 0, 0, n], options: [53, 1, 2, 255] }));
    const frames = [
      { payload: payload(0x42), dstAddr: 0xc612004d, dstPort: 68, srcAddr: SERVER_IP, srcPort: 67, dstMacHi: 0x0200, dstMacLo: 0x00000042 },
      { payload: payload(0x43), dstAddr: BROADCAST, dstPort: 68, srcAddr: SERVER_IP, srcPort: 67, dstMacHi: MAC_BROADCAST_HI, dstMacLo: MAC_BROADCAST_LO },
      { payload: payload(0x44), dstAddr: BROADCAST, dstPort: 68, srcAddr: SERVER_IP, srcPort: 67, dstMacHi: MAC_BROADCAST_HI, dstMacLo: MAC_BROADCAST_LO, vlan: VLAN_PRESENT | 7 },
    ];
    const sent = await server.request<{ sent: number }>('send', { socket, frames });
    expect(sent.sent).toBe(3);
    const exit = await Promise.race([tcpdump.exited, new Promise((r) => setTimeout(() => r('timeout'), 10_000))]);
    expect(exit).not.toBe('timeout');

    const parsed = readPcapFrames(capture).map((f) => parseUdpFrame(f));
    expect(parsed).toHaveLength(3);
    const expectedMacs = ['02:00:00:00:00:42', 'ff:ff:ff:ff:ff:ff', 'ff:ff:ff:ff:ff:ff'];
    for (const [i, frame] of parsed.entries()) {
      expect(frame).toBeDefined();
      expect(hex(frame!.dstMac)).toBe(expectedMacs[i]!.replaceAll(':', ''));
      expect(hex(frame!.srcMac)).toBe(SERVER_MAC.replaceAll(':', ''));
      expect(frame!.dstAddr).toBe(frames[i]!.dstAddr);
      expect(frame!.srcAddr).toBe(SERVER_IP);
      expect(frame!.srcPort).toBe(67);
      expect(frame!.dstPort).toBe(68);
      expect(frame!.ttl).toBe(64);
      expect(frame!.fragment).toBe(0); // DF clear, not a fragment
      expect(frame!.ipChecksumValid).toBe(true);
      expect(frame!.udpChecksum).not.toBe(0);
      expect(frame!.udpChecksumValid).toBe(true);
      expect(hex(frame!.payload)).toBe(frames[i]!.payload);
    }
    expect(parsed[0]!.vlanTci).toBeUndefined();
    expect(parsed[2]!.vlanTci).toBe(7);
    expect(parsed[1]!.id).toBe((parsed[0]!.id + 1) & 0xffff);
  });

  it.each([
    { ifname: 'nosuch0', errno: 'ENODEV', hint: 'interface not found' },
    { ifname: 'lo', errno: 'EPROTONOSUPPORT', hint: 'not an Ethernet interface' },
  ])('rejects $ifname with $errno', async ({ ifname, errno, hint }) => {
    const answer = await server.request<{ error: { code: string; message: string } }>('open', { ifname });
    expect(answer.error.code).toBe('NESTOR_ERR_NATIVE_SOCKET');
    expect(answer.error.message).toContain(`raw socket on interface '${ifname}': open failed with ${errno}`);
    expect(answer.error.message).toContain(hint);
  });

  it('reports a broken socket when the interface goes down', async () => {
    lab.exec(nsServer, 'ip', ['link', 'set', 'veth0', 'down']);
    const deadline = Date.now() + 5000;
    let state = await server.request<{ isBroken: boolean; error?: { message: string } }>('state', { socket });
    while (!state.isBroken && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      state = await server.request('state', { socket });
    }
    expect(state.isBroken).toBe(true);
    expect(state.error?.message).toContain('ENETDOWN');

    const reopen = await server.request<{ error?: { message: string } }>('open', { ifname: 'veth0' });
    expect(reopen.error?.message).toContain('the interface is down');

    lab.exec(nsServer, 'ip', ['link', 'set', 'veth0', 'up']);
    await server.request('close', { socket });
    const fresh = await server.request<{ socket: number; error?: unknown }>('open', { ifname: 'veth0' });
    expect(fresh.error).toBeUndefined();
    await new Promise((r) => setTimeout(r, 1500)); // veth carrier and the client side settle
    inject([dhcpFrame()]);
    expect(await server.collect(fresh.socket, 1, 3000)).toHaveLength(1);
  });
});
