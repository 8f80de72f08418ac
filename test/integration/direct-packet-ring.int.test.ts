// With dhcp-socket-type raw, the serving process has an AF_PACKET socket on its interface with a
// receive ring mapped into its memory. /proc/net/packet (columns sk, RefCnt, Type, Proto, Iface, R,
// Rmem, User, Inode in Linux's af_packet.c) lists the socket, its interface index and whether it is
// running, but has no ring column. The ring is read from the kernel's packet diagnostics (`ss -0 -e`
// prints ring_rx) and from the process's memory map, where a mapped ring shows as socket:[inode].

import { readFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { skipUnlessLab } from './support/lab.js';
import type { LabProcess } from './support/lab.js';
import { startNestor, writeConfig } from './support/nestor.js';
import { DirectLab, SOCKET_TYPE } from './support/direct-lab.js';

const skip = skipUnlessLab();

interface ProcPacketLine {
  type: number;
  proto: number;
  ifindex: number;
  running: boolean;
  inode: string;
}

/** Parses /proc/net/packet; columns as printed by packet_seq_show() in Linux's net/packet/af_packet.c. */
function parseProcNetPacket(text: string): ProcPacketLine[] {
  const lines = text.trim().split('\n');
  const header = lines[0]!.trim().split(/\s+/);
  expect(header).toEqual(['sk', 'RefCnt', 'Type', 'Proto', 'Iface', 'R', 'Rmem', 'User', 'Inode']);
  return lines.slice(1).map((line) => {
    const columns = line.trim().split(/\s+/);
    return {
      type: Number(columns[2]),
      proto: Number.parseInt(columns[3]!, 16),
      ifindex: Number(columns[4]),
      running: columns[5] === '1',
      inode: columns[8]!,
    };
  });
}

describe.skipIf(skip || SOCKET_TYPE !== 'raw')('packet socket of a raw server', () => {
  let lab: DirectLab;
  let server: LabProcess;

  beforeAll(async () => {
    lab = new DirectLab('pr');
    const configPath = writeConfig(lab.lab, 'nestor.json', {
      Dhcp4: {
        'interfaces-config': { interfaces: ['eth0'], 'dhcp-socket-type': 'raw' },
        'lease-database': { type: 'lmdb', name: lab.path('leases4.lmdb') },
        subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.199' }] }],
      },
    });
    server = await startNestor(lab.lab, lab.serverNs, configPath);
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('has a running socket with a mapped ring', () => {
    const ifindex = Number(lab.lab.exec(lab.serverNs, 'cat', ['/sys/class/net/eth0/ifindex']).trim());
    const sockets = parseProcNetPacket(lab.lab.exec(lab.serverNs, 'cat', ['/proc/net/packet']));

    // The server is the only process in its namespace with packet sockets.
    const onEth0 = sockets.filter((s) => s.ifindex === ifindex);
    expect(onEth0.length, JSON.stringify(sockets)).toBeGreaterThan(0);
    const SOCK_RAW = 3;
    const serverSocket = onEth0.find((s) => s.type === SOCK_RAW && s.running);
    expect(serverSocket, JSON.stringify(onEth0)).toBeDefined();

    // Packet diagnostics of that socket: ring_rx(blk_size:B,blk_nr:N,...) with B*N > 0.
    const diag = lab.lab.exec(lab.serverNs, 'ss', ['-0', '-e', '-n']);
    const entry = diag.split(/\n(?=\S)/).find((block) => block.includes(`ino:${serverSocket!.inode} `) || block.endsWith(`ino:${serverSocket!.inode}`));
    expect(entry, diag).toBeDefined();
    const ring = entry!.match(/ring_rx\(blk_size:(\d+),blk_nr:(\d+)/);
    expect(ring, entry).not.toBeNull();
    expect(Number(ring![1]) * Number(ring![2])).toBeGreaterThan(0);

    // The serving process maps it: a shared mapping of socket:[inode] of the same size.
    const maps = readFileSync(`/proc/${server.child.pid}/maps`, 'utf8');
    const mapping = maps.split('\n').find((line) => line.endsWith(`socket:[${serverSocket!.inode}]`));
    expect(mapping, `no mapping of socket:[${serverSocket!.inode}] in the server's memory map`).toBeDefined();
    const [start, end] = mapping!.split(' ')[0]!.split('-').map((hex) => Number.parseInt(hex, 16));
    expect(mapping!.split(' ')[1]).toMatch(/^r.-s$/);
    expect(end! - start!).toBeGreaterThanOrEqual(Number(ring![1]) * Number(ring![2]));
  });
});
