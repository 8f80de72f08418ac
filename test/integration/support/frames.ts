// Ethernet/IPv4/UDP frames for the direct-client tests: a pcap reader and a DHCP frame parser for
// tcpdump captures, a frame builder with correct checksums, and a seeded generator of broken
// frames for the fuzz test. Offsets follow RFC 791 (IPv4), RFC 768 (UDP) and RFC 2131 §2 (DHCP).

import { readFileSync, writeFileSync } from 'node:fs';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_VLAN = 0x8100;
const IPPROTO_UDP = 17;
const DHCP_COOKIE = 0x63825363;
const OPTION_MESSAGE_TYPE = 53;

export const DHCPDISCOVER = 1;
export const DHCPOFFER = 2;
export const DHCPREQUEST = 3;
export const DHCPACK = 5;
export const DHCPNAK = 6;
export const DHCPRELEASE = 7;

/** The fields of one captured DHCP frame that the tests check; addresses as text. */
export interface DhcpFrame {
  dstMac: string;
  srcMac: string;
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  op: number;
  xid: number;
  flags: number;
  ciaddr: string;
  yiaddr: string;
  giaddr: string;
  chaddr: string;
  /** Option 53, or undefined for BOOTP or when the options cannot be read. */
  messageType: number | undefined;
}

/** Returns the frames of a classic pcap file (either byte order); an empty or missing file has none. */
export function readPcap(path: string): Uint8Array[] {
  let file: Buffer;
  try { file = readFileSync(path); } catch { return []; }
  if (file.length < 24) return [];
  const magic = file.readUInt32LE(0);
  const littleEndian = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const read32 = (at: number): number => (littleEndian ? file.readUInt32LE(at) : file.readUInt32BE(at));
  const frames: Uint8Array[] = [];
  for (let at = 24; at + 16 <= file.length; ) {
    const captured = read32(at + 8);
    frames.push(new Uint8Array(file.subarray(at + 16, at + 16 + captured)));
    at += 16 + captured;
  }
  return frames;
}

/** Parses an Ethernet frame carrying an unfragmented IPv4/UDP DHCP message; undefined for anything else. */
export function parseDhcpFrame(frame: Uint8Array): DhcpFrame | undefined {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame.length < 14) return undefined;
  let ip = 14;
  let ethertype = view.getUint16(12);
  if (ethertype === ETHERTYPE_VLAN && frame.length >= 18) {
    ethertype = view.getUint16(16);
    ip = 18;
  }
  if (ethertype !== ETHERTYPE_IPV4 || frame.length < ip + 20) return undefined;
  const headerLength = (frame[ip]! & 0x0f) * 4;
  if (frame[ip + 9] !== IPPROTO_UDP || (view.getUint16(ip + 6) & 0x3fff) !== 0) return undefined;
  const udp = ip + headerLength;
  const dhcp = udp + 8;
  if (frame.length < dhcp + 240) return undefined;

  return {
    dstMac: macText(frame, 0),
    srcMac: macText(frame, 6),
    srcIp: ipText(frame, ip + 12),
    dstIp: ipText(frame, ip + 16),
    srcPort: view.getUint16(udp),
    dstPort: view.getUint16(udp + 2),
    op: frame[dhcp]!,
    xid: view.getUint32(dhcp + 4),
    flags: view.getUint16(dhcp + 10),
    ciaddr: ipText(frame, dhcp + 12),
    yiaddr: ipText(frame, dhcp + 16),
    giaddr: ipText(frame, dhcp + 24),
    chaddr: macText(frame, dhcp + 28),
    messageType: view.getUint32(dhcp + 236) === DHCP_COOKIE ? findMessageType(frame, dhcp + 240) : undefined,
  };
}

function findMessageType(frame: Uint8Array, at: number): number | undefined {
  while (at < frame.length) {
    const code = frame[at]!;
    if (code === 255) return undefined;
    if (code === 0) { at++; continue; }
    if (at + 1 >= frame.length) return undefined;
    const length = frame[at + 1]!;
    if (code === OPTION_MESSAGE_TYPE && length >= 1 && at + 2 < frame.length) return frame[at + 2];
    at += 2 + length;
  }
  return undefined;
}

/** Counts the frames per key; the tests use it to find duplicate replies. */
export function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

/** Fields of a frame to build; checksums are computed unless asked to be wrong. */
export interface UdpFrameFields {
  dstMac: string;
  srcMac: string;
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
  /** IPv4 flags and fragment offset word (RFC 791); default 0 (no fragmentation). */
  fragment?: number;
}

/** Builds an Ethernet II frame with an IPv4 header (no options) and a UDP datagram, checksums set. */
export function buildUdpFrame(fields: UdpFrameFields): Uint8Array {
  const frame = new Uint8Array(14 + 20 + 8 + fields.payload.length);
  const view = new DataView(frame.buffer);
  frame.set(macBytes(fields.dstMac), 0);
  frame.set(macBytes(fields.srcMac), 6);
  view.setUint16(12, ETHERTYPE_IPV4);

  const ip = 14;
  frame[ip] = 0x45;
  view.setUint16(ip + 2, 20 + 8 + fields.payload.length);
  view.setUint16(ip + 4, 1);
  view.setUint16(ip + 6, fields.fragment ?? 0);
  frame[ip + 8] = 64;
  frame[ip + 9] = IPPROTO_UDP;
  frame.set(ipBytes(fields.srcIp), ip + 12);
  frame.set(ipBytes(fields.dstIp), ip + 16);
  view.setUint16(ip + 10, internetChecksum(frame.subarray(ip, ip + 20), 0));

  const udp = ip + 20;
  view.setUint16(udp, fields.srcPort);
  view.setUint16(udp + 2, fields.dstPort);
  view.setUint16(udp + 4, 8 + fields.payload.length);
  frame.set(fields.payload, udp + 8);
  setUdpChecksum(frame);
  return frame;
}

/** Recomputes the UDP checksum of a frame built by buildUdpFrame (IPv4 header without options). */
export function setUdpChecksum(frame: Uint8Array): void {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const udp = 34;
  const udpLength = frame.length - udp;
  view.setUint16(udp + 6, 0);
  let pseudo = 0;
  for (let i = 26; i < 34; i += 2) pseudo += view.getUint16(i);
  pseudo += IPPROTO_UDP + udpLength;
  const sum = internetChecksum(frame.subarray(udp), pseudo);
  view.setUint16(udp + 6, sum === 0 ? 0xffff : sum);
}

function internetChecksum(bytes: Uint8Array, initial: number): number {
  let sum = initial;
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (bytes.length % 2 === 1) sum += bytes[bytes.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Writes frames as a file of (2-byte big-endian length, bytes) records for send-frames.py. */
export function writeFrameFile(path: string, frames: readonly Uint8Array[]): void {
  const total = frames.reduce((n, f) => n + 2 + f.length, 0);
  const out = Buffer.alloc(total);
  let at = 0;
  for (const frame of frames) {
    out.writeUInt16BE(frame.length, at);
    out.set(frame, at + 2);
    at += 2 + frame.length;
  }
  writeFileSync(path, out);
}

/** Sends the frames of a file written by writeFrameFile through an AF_PACKET socket on one interface. */
export const SEND_FRAMES_PY = `import socket, struct, sys, time
ifname, path, gap = sys.argv[1], sys.argv[2], float(sys.argv[3])
data = open(path, 'rb').read()
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
at = sent = failed = 0
while at + 2 <= len(data):
    (n,) = struct.unpack_from('>H', data, at)
    frame = data[at + 2:at + 2 + n]
    at += 2 + n
    try:
        s.send(frame)
        sent += 1
    except OSError:
        failed += 1
    if gap > 0:
        time.sleep(gap)
print(f'sent {sent} failed {failed}')
`;

/** A deterministic generator (mulberry32) so a failing fuzz run can be repeated from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function macBytes(text: string): Uint8Array {
  return Uint8Array.from(text.split(':').map((b) => Number.parseInt(b, 16)));
}

export function ipBytes(text: string): Uint8Array {
  return Uint8Array.from(text.split('.').map(Number));
}

export function macText(bytes: Uint8Array, at = 0): string {
  return Array.from(bytes.subarray(at, at + 6), (b) => b.toString(16).padStart(2, '0')).join(':');
}

function ipText(bytes: Uint8Array, at: number): string {
  return Array.from(bytes.subarray(at, at + 4)).join('.');
}
