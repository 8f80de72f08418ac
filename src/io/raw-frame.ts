// TypeScript twin of the frame code in native/raw_tx.cc and native/raw_rx.cc: the RFC 1071
// internet checksum, a builder for Ethernet/IPv4/UDP frames and a parser that checks them. The
// server does not call these on its hot path. Tests use them to build frames to inject and to
// check frames that the native code sent.

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_VLAN = 0x8100;
const PROTOCOL_UDP = 17;
const IP_HEADER_BYTES = 20;
const UDP_HEADER_BYTES = 8;

/** Returns the one's complement sum of bytes[start, end) as 16-bit big-endian words, folded to 16 bits. */
export function onesComplementSum(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) sum += bytes[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** Returns the internet checksum (RFC 1071) of bytes[start, end): the complement of their sum. */
export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  return ~onesComplementSum(bytes, start, end, initial) & 0xffff;
}

/** Returns the sum of the UDP pseudo-header (RFC 768): both addresses, protocol 17 and the UDP length. */
export function pseudoHeaderSum(source: number, destination: number, udpLength: number): number {
  return (source >>> 16) + (source & 0xffff) + (destination >>> 16) + (destination & 0xffff) + PROTOCOL_UDP + udpLength;
}

export interface UdpFrameSpec {
  dstMac: Uint8Array;
  srcMac: Uint8Array;
  /** 802.1Q tag control information; no tag when undefined. */
  vlanTci?: number;
  srcAddr: number;
  dstAddr: number;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
  /** Bytes of IPv4 options (a multiple of 4, at most 40). */
  ipOptions?: Uint8Array;
  ttl?: number;
  id?: number;
  /** IPv4 flags and fragment offset word (MF is 0x2000, DF 0x4000). */
  fragment?: number;
  /** Writes 0 as UDP checksum (no checksum). */
  noUdpChecksum?: boolean;
}

/** Builds an Ethernet frame carrying one IPv4 UDP datagram with correct checksums. */
export function buildUdpFrame(spec: UdpFrameSpec): Uint8Array {
  const options = spec.ipOptions ?? new Uint8Array(0);
  const tagBytes = spec.vlanTci === undefined ? 0 : 4;
  const ip = 14 + tagBytes;
  const ipHeaderBytes = IP_HEADER_BYTES + options.length;
  const udp = ip + ipHeaderBytes;
  const udpLength = UDP_HEADER_BYTES + spec.payload.length;
  const frame = new Uint8Array(udp + udpLength);
  const view = new DataView(frame.buffer);

  frame.set(spec.dstMac, 0);
  frame.set(spec.srcMac, 6);
  if (spec.vlanTci !== undefined) {
    view.setUint16(12, ETHERTYPE_VLAN);
    view.setUint16(14, spec.vlanTci);
  }
  view.setUint16(ip - 2, ETHERTYPE_IPV4);

  frame[ip] = 0x40 | (ipHeaderBytes / 4);
  view.setUint16(ip + 2, ipHeaderBytes + udpLength);
  view.setUint16(ip + 4, spec.id ?? 0);
  view.setUint16(ip + 6, spec.fragment ?? 0);
  frame[ip + 8] = spec.ttl ?? 64;
  frame[ip + 9] = PROTOCOL_UDP;
  view.setUint32(ip + 12, spec.srcAddr >>> 0);
  view.setUint32(ip + 16, spec.dstAddr >>> 0);
  frame.set(options, ip + IP_HEADER_BYTES);
  view.setUint16(ip + 10, internetChecksum(frame, ip, udp));

  view.setUint16(udp, spec.srcPort);
  view.setUint16(udp + 2, spec.dstPort);
  view.setUint16(udp + 4, udpLength);
  frame.set(spec.payload, udp + UDP_HEADER_BYTES);
  if (!spec.noUdpChecksum) {
    const checksum = internetChecksum(frame, udp, udp + udpLength, pseudoHeaderSum(spec.srcAddr >>> 0, spec.dstAddr >>> 0, udpLength));
    view.setUint16(udp + 6, checksum === 0 ? 0xffff : checksum);
  }
  return frame;
}

export interface ParsedUdpFrame {
  dstMac: Uint8Array;
  srcMac: Uint8Array;
  vlanTci: number | undefined;
  ttl: number;
  id: number;
  fragment: number;
  srcAddr: number;
  dstAddr: number;
  srcPort: number;
  dstPort: number;
  ipChecksumValid: boolean;
  /** The UDP checksum field as sent (0 means none). */
  udpChecksum: number;
  udpChecksumValid: boolean;
  payload: Uint8Array;
}

/** Parses an Ethernet frame carrying an IPv4 UDP datagram, or returns undefined when it is not one. */
export function parseUdpFrame(frame: Uint8Array): ParsedUdpFrame | undefined {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame.length < 14 + IP_HEADER_BYTES + UDP_HEADER_BYTES) return undefined;

  let ip = 14;
  let vlanTci: number | undefined;
  if (view.getUint16(12) === ETHERTYPE_VLAN) {
    vlanTci = view.getUint16(14);
    ip = 18;
  }
  if (view.getUint16(ip - 2) !== ETHERTYPE_IPV4 || frame[ip]! >> 4 !== 4 || frame[ip + 9] !== PROTOCOL_UDP) return undefined;
  const ipHeaderBytes = (frame[ip]! & 0x0f) * 4;
  const udp = ip + ipHeaderBytes;
  const ipTotal = view.getUint16(ip + 2);
  if (ipHeaderBytes < IP_HEADER_BYTES || ip + ipTotal > frame.length || ipTotal < ipHeaderBytes + UDP_HEADER_BYTES) return undefined;
  const udpLength = view.getUint16(udp + 4);
  if (udpLength < UDP_HEADER_BYTES || udpLength > ipTotal - ipHeaderBytes) return undefined;

  const srcAddr = view.getUint32(ip + 12);
  const dstAddr = view.getUint32(ip + 16);
  const udpChecksum = view.getUint16(udp + 6);
  const udpSum = onesComplementSum(frame, udp, udp + udpLength, pseudoHeaderSum(srcAddr, dstAddr, udpLength));
  return {
    dstMac: frame.slice(0, 6),
    srcMac: frame.slice(6, 12),
    vlanTci,
    ttl: frame[ip + 8]!,
    id: view.getUint16(ip + 4),
    fragment: view.getUint16(ip + 6),
    srcAddr,
    dstAddr,
    srcPort: view.getUint16(udp),
    dstPort: view.getUint16(udp + 2),
    ipChecksumValid: onesComplementSum(frame, ip, udp) === 0xffff,
    udpChecksum,
    udpChecksumValid: udpChecksum === 0 || udpSum === 0xffff,
    payload: frame.slice(udp + UDP_HEADER_BYTES, udp + udpLength),
  };
}
