import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

import { afterEach, describe, expect, it } from 'vitest';

import {
  META_WORDS,
  RX_BUCKET,
  RX_DST_ADDR,
  RX_FLAG_TRUNCATED,
  RX_FLAGS,
  RX_IFINDEX,
  RX_LENGTH,
  RX_OFFSET,
  RX_SRC_ADDR,
  RX_SRC_PORT,
  TxBatchBuilder,
} from '../../../src/io/batch.js';
import type { RxBatch } from '../../../src/io/batch.js';
import { interfaceByName } from '../../../src/io/interfaces.js';
import { loadNative, nativeLoadFailure } from '../../../src/io/native.js';
import { packetBucket } from '../../../src/io/rfc3074.js';
import { UdpBatchSocket } from '../../../src/io/udp.js';
import type { UdpOpenOptions } from '../../../src/io/udp.js';
import { buildPacket, clientIdOption, seededRandom } from './packets.js';

const LOOPBACK = 0x7f000001;
const NOT_LOCAL = 0xc612fffe; // 198.18.255.254, assigned to no interface here

interface Received {
  payload: number[];
  length: number;
  srcAddr: number;
  srcPort: number;
  dstAddr: number;
  ifindex: number;
  bucket: number;
  flags: number;
}

const opened: UdpBatchSocket[] = [];
const usedPorts = new Set<number>();
const random = seededRandom(Date.now() ^ (process.pid << 8));

afterEach(() => {
  for (const socket of opened.splice(0)) socket.close();
});

function requireAddon(): void {
  if (!loadNative()) {
    throw new Error(
      `native addon not built (build/Release/nestor_native.node): run 'npm run build'; ${nativeLoadFailure()?.message ?? ''}`,
    );
  }
}

// Opens a socket on 127.0.0.1 at a random unprivileged port, trying again when the port is taken.
// Ports are never reused within the file: SO_REUSEADDR would let two of our sockets share one.
function openLoopback(options: Partial<UdpOpenOptions> = {}): { socket: UdpBatchSocket; port: number } {
  for (let attempt = 0; ; attempt++) {
    const port = 20000 + Math.floor(random() * 40000);
    if (usedPorts.has(port)) continue;
    usedPorts.add(port);
    try {
      const socket = UdpBatchSocket.open({ bindAddress: LOOPBACK, port, ...options });
      opened.push(socket);
      return { socket, port };
    } catch (err) {
      if (attempt >= 5 || (err as { data?: { errno?: string } }).data?.errno !== 'EADDRINUSE') throw err;
    }
  }
}

// Copies every datagram out of the reused batch while the callback runs.
function collect(socket: UdpBatchSocket, into: Received[]): void {
  socket.start((batch: RxBatch) => {
    for (let i = 0; i < batch.count; i++) {
      const base = i * META_WORDS;
      const offset = batch.meta[base + RX_OFFSET]!;
      const length = batch.meta[base + RX_LENGTH]!;
      into.push({
        payload: Array.from(batch.data.subarray(offset, offset + length)),
        length,
        srcAddr: batch.meta[base + RX_SRC_ADDR]!,
        srcPort: batch.meta[base + RX_SRC_PORT]!,
        dstAddr: batch.meta[base + RX_DST_ADDR]!,
        ifindex: batch.meta[base + RX_IFINDEX]!,
        bucket: batch.meta[base + RX_BUCKET]!,
        flags: batch.meta[base + RX_FLAGS]!,
      });
    }
  });
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
}

// A DHCP-like datagram: even ones carry a client identifier, odd ones are keyed by chaddr.
function datagram(i: number): Uint8Array {
  const chaddr = [0x02, 0, 0, 0, (i >> 8) & 0xff, i & 0xff];
  const padding = new Array<number>(i % 50).fill(0);
  const options = i % 2 === 0 ? [...clientIdOption([1, ...chaddr]), ...padding, 255] : [...padding, 255];
  return buildPacket({ chaddr, options });
}

describe('UdpBatchSocket: loopback batch', () => {
  it('receives 200 datagrams sent in one batch with payload, addresses and buckets', async () => {
    requireAddon();
    const { socket: receiver, port: receiverPort } = openLoopback({ batchSize: 64 });
    const { socket: sender, port: senderPort } = openLoopback();
    const lo = interfaceByName('lo');
    expect(lo).toBeDefined();
    const received: Received[] = [];
    collect(receiver, received);

    const builder = new TxBatchBuilder(200, 200 * 400);
    const packets = Array.from({ length: 200 }, (_, i) => datagram(i));
    packets.forEach((packet, i) => {
      const space = builder.reserve(packet.length);
      expect(space).toBeDefined();
      space!.buf.set(packet, space!.offset);
      // Every fourth datagram names its source address and interface through IP_PKTINFO.
      const withPktinfo = i % 4 === 0;
      builder.commit(packet.length, LOOPBACK, receiverPort, withPktinfo ? LOOPBACK : 0, withPktinfo ? lo!.index : 0);
    });

    expect(sender.send(builder)).toBe(200);
    await waitFor(() => received.length >= 200, 5000);

    expect(received).toHaveLength(200);
    expect(receiver.received).toBe(200);
    expect(receiver.truncated).toBe(0);
    expect(sender.sent).toBe(200);
    expect(sender.sendErrors).toBe(0);
    received.forEach((datagramSeen, i) => {
      const packet = packets[i]!;
      expect(datagramSeen.payload).toEqual(Array.from(packet));
      expect(datagramSeen.srcAddr).toBe(LOOPBACK);
      expect(datagramSeen.srcPort).toBe(senderPort);
      expect(datagramSeen.dstAddr).toBe(LOOPBACK);
      expect(datagramSeen.ifindex).toBe(lo!.index);
      expect(datagramSeen.bucket).toBe(packetBucket(packet, 0, packet.length));
      expect(datagramSeen.flags).toBe(0);
    });
  });

  it('flags a datagram longer than the slot as truncated', async () => {
    requireAddon();
    const { socket: receiver, port } = openLoopback({ slotBytes: 600 });
    const { socket: sender } = openLoopback();
    const received: Received[] = [];
    collect(receiver, received);

    const builder = new TxBatchBuilder(2, 2000);
    for (const length of [1000, 300]) {
      const space = builder.reserve(length)!;
      space.buf.fill(7, space.offset, space.offset + length);
      builder.commit(length, LOOPBACK, port, 0, 0);
    }
    expect(sender.send(builder)).toBe(2);
    await waitFor(() => received.length >= 2, 5000);

    expect(received.map((r) => r.length)).toEqual([600, 300]);
    expect(received.map((r) => r.flags & RX_FLAG_TRUNCATED)).toEqual([RX_FLAG_TRUNCATED, 0]);
    expect(receiver.truncated).toBe(1);
  });

  it('stops delivering after close', async () => {
    requireAddon();
    const { socket: receiver, port } = openLoopback();
    const { socket: sender } = openLoopback();
    const received: Received[] = [];
    collect(receiver, received);
    receiver.close();

    const builder = new TxBatchBuilder(1, 500);
    builder.reserve(300);
    builder.commit(300, LOOPBACK, port, 0, 0);
    sender.send(builder);
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(received).toHaveLength(0);
    expect(() => receiver.start(() => undefined)).toThrow(/after close/);
  });
});

// Sends `count` datagrams of 300 bytes from sender to port, each in its own send call.
function sendEach(sender: UdpBatchSocket, port: number, count: number): void {
  for (let i = 0; i < count; i++) {
    const builder = new TxBatchBuilder(1, 500);
    const space = builder.reserve(300)!;
    space.buf.fill(i & 0xff, space.offset, space.offset + 300);
    builder.commit(300, LOOPBACK, port, 0, 0);
    expect(sender.send(builder)).toBe(1);
  }
}

// Opens a receiver with `options` and a sender; the receiver records the size of each batch it gets.
function openReceiverAndSender(options: Partial<UdpOpenOptions> = {}): { receiver: UdpBatchSocket; sender: UdpBatchSocket; port: number; batches: number[] } {
  requireAddon();
  const { socket: receiver, port } = openLoopback(options);
  const { socket: sender } = openLoopback();
  const batches: number[] = [];
  receiver.start((batch) => batches.push(batch.count));
  return { receiver, sender, port, batches };
}

describe('UdpBatchSocket: receive interval', () => {
  it('batches datagrams until the next tick', async () => {
    const { receiver, sender, port, batches } = openReceiverAndSender({ receiveIntervalMs: 100 });

    // The first datagram is read when it arrives. The next four, sent 5 ms apart while the socket
    // is read on the timer, come together at the next tick instead of one wakeup each.
    sendEach(sender, port, 1);
    await waitFor(() => batches.length >= 1, 2000);
    expect(batches).toEqual([1]);
    for (let i = 0; i < 4; i++) {
      sendEach(sender, port, 1);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await waitFor(() => batches.length >= 2, 2000);
    expect(batches).toEqual([1, 4]);

    // The tick after that finds nothing and the socket is watched again, so a lone datagram is read
    // when it arrives rather than at the next tick.
    await new Promise((resolve) => setTimeout(resolve, 250));
    const sentAt = Date.now();
    sendEach(sender, port, 1);
    await waitFor(() => batches.length >= 3, 2000);
    expect(batches).toEqual([1, 4, 1]);
    expect(Date.now() - sentAt).toBeLessThan(80);
    expect(receiver.received).toBe(6);
  });

  it('returns to readiness after a full batch', async () => {
    const { receiver, sender, port, batches } = openReceiverAndSender({ receiveIntervalMs: 100, batchSize: 4 });

    sendEach(sender, port, 1);
    await waitFor(() => batches.length >= 1, 2000);
    for (let i = 0; i < 6; i++) {
      sendEach(sender, port, 1);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // The tick reads a full batch of 4 and then the other 2, which is heavy traffic for a batch
    // size of 4, so the socket is watched again instead of read on the timer.
    await waitFor(() => batches.length >= 3, 2000);
    expect(batches).toEqual([1, 4, 2]);

    const sentAt = Date.now();
    sendEach(sender, port, 1);
    await waitFor(() => batches.length >= 4, 2000);
    expect(batches).toEqual([1, 4, 2, 1]);
    expect(Date.now() - sentAt).toBeLessThan(80);
  });

  it('reads each datagram as it arrives with interval 0', async () => {
    const { receiver, sender, port, batches } = openReceiverAndSender();
    for (let i = 0; i < 3; i++) {
      sendEach(sender, port, 1);
      await waitFor(() => batches.length > i, 2000);
    }
    expect(batches).toEqual([1, 1, 1]);
  });

  it('stops reading on the timer after close', async () => {
    const { receiver, sender, port, batches } = openReceiverAndSender({ receiveIntervalMs: 20 });
    sendEach(sender, port, 1);
    await waitFor(() => batches.length >= 1, 2000);
    receiver.close();
    sendEach(sender, port, 2);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(batches).toEqual([1]);
  });
});

describe('pollStart: worker exit', () => {
  it('survives a worker terminated with an active watch', async () => {
    requireAddon();
    // The addon is unloaded when the worker's environment ends, so no libuv close callback may
    // still point into it. A failure here crashes the test process.
    const addonPath = join(process.cwd(), 'build', 'Release', 'nestor_native.node');
    const code = `
      const addon = require(${JSON.stringify(addonPath)});
      const fd = addon.udpOpen(0x7f000001, 0, '', 0);
      const id = addon.pollStart(fd, () => undefined);
      require('node:worker_threads').parentPort.postMessage({ fd, id });
    `;
    for (let round = 0; round < 3; round++) {
      const worker = new Worker(code, { eval: true });
      const started = await new Promise<{ fd: number; id: number }>((resolve) => worker.once('message', resolve));
      expect(started.fd).toBeGreaterThan(0);
      expect(started.id).toBeGreaterThan(0);
      expect(await worker.terminate()).toBe(1);
      expect(loadNative()!.closeFd(started.fd)).toBe(0); // the descriptor belongs to the process
    }
  });
});

describe('UdpBatchSocket: open errors', () => {
  it('maps EADDRNOTAVAIL for an address that is not local', () => {
    requireAddon();
    let thrown: unknown;
    try {
      opened.push(UdpBatchSocket.open({ bindAddress: NOT_LOCAL, port: 20067 }));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: 'NESTOR_ERR_NATIVE_SOCKET', data: { errno: 'EADDRNOTAVAIL' } });
    expect((thrown as Error).message).toContain("udp socket '198.18.255.254:20067'");
    expect((thrown as Error).message).toContain('not assigned to any local interface');
  });

  it('maps ENODEV for an interface that does not exist', () => {
    requireAddon();
    let thrown: unknown;
    try {
      opened.push(UdpBatchSocket.open({ bindAddress: LOOPBACK, port: 20068, ifname: 'nestor-none0' }));
    } catch (err) {
      thrown = err;
    }
    // Without CAP_NET_RAW, kernels before 5.7 refuse SO_BINDTODEVICE with EPERM before the lookup.
    expect(thrown).toMatchObject({ code: 'NESTOR_ERR_NATIVE_SOCKET' });
    expect(['ENODEV', 'EPERM']).toContain((thrown as { data: { errno: string } }).data.errno);
  });

  it.each([
    { name: 'port above 65535', options: { bindAddress: LOOPBACK, port: 70000 }, text: 'port 70000 is invalid' },
    { name: 'batch size 0', options: { bindAddress: LOOPBACK, port: 1, batchSize: 0 }, text: 'batch size 0 is invalid' },
    { name: 'batch size above the maximum', options: { bindAddress: LOOPBACK, port: 1, batchSize: 5000 }, text: 'batch size 5000' },
    { name: 'slot too small for DHCP', options: { bindAddress: LOOPBACK, port: 1, slotBytes: 100 }, text: 'slot size 100' },
    { name: 'long interface name', options: { bindAddress: LOOPBACK, port: 1, ifname: 'x'.repeat(16) }, text: 'too long' },
    { name: 'receive interval above the maximum', options: { bindAddress: LOOPBACK, port: 1, receiveIntervalMs: 101 }, text: 'receive interval 101 ms is invalid' },
    { name: 'fractional receive interval', options: { bindAddress: LOOPBACK, port: 1, receiveIntervalMs: 0.5 }, text: 'receive interval 0.5 ms' },
  ])('rejects $name before opening', ({ options, text }) => {
    expect(() => UdpBatchSocket.open(options)).toThrow(text);
  });
});
