import { describe, expect, it } from 'vitest';

import { buildUdpFrame, internetChecksum, onesComplementSum, parseUdpFrame } from '../../../src/io/raw-frame.js';
import type { UdpFrameSpec } from '../../../src/io/raw-frame.js';

const hexBytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text.replaceAll(' ', ''), 'hex'));

function spec(overrides: Partial<UdpFrameSpec> = {}): UdpFrameSpec {
  return {
    dstMac: hexBytes('ffffffffffff'),
    srcMac: hexBytes('020000000001'),
    srcAddr: 0xc6120002,
    dstAddr: 0xc612004d,
    srcPort: 67,
    dstPort: 68,
    payload: Uint8Array.from({ length: 301 }, (_, i) => (i * 7) & 0xff),
    ...overrides,
  };
}

describe('internetChecksum: known values', () => {
  it('computes the checksum of an IPv4 header', () => {
    // 192.168.0.1 → 192.168.0.199, total length 115, DF, TTL 64, UDP; checksum field zeroed.
    const header = hexBytes('4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7');
    expect(internetChecksum(header)).toBe(0xb861);
  });

  it('pads an odd last byte with zero', () => {
    expect(onesComplementSum(Uint8Array.of(0x01, 0x02, 0x03))).toBe(0x0102 + 0x0300);
  });

  it('folds the carry back in', () => {
    expect(onesComplementSum(Uint8Array.of(0xff, 0xff, 0x00, 0x02))).toBe(0x0002);
  });
});

describe('buildUdpFrame and parseUdpFrame: round trip', () => {
  it.each([
    { name: 'plain frame', overrides: {} },
    { name: 'VLAN tag', overrides: { vlanTci: 0x2064 } },
    { name: 'IPv4 options', overrides: { ipOptions: Uint8Array.of(1, 1, 1, 0) } },
    { name: 'empty payload', overrides: { payload: new Uint8Array(0) } },
  ])('keeps every field with $name', ({ overrides }) => {
    const input = spec(overrides);
    const parsed = parseUdpFrame(buildUdpFrame(input))!;
    expect(parsed).toBeDefined();
    expect(Array.from(parsed.dstMac)).toEqual(Array.from(input.dstMac));
    expect(Array.from(parsed.srcMac)).toEqual(Array.from(input.srcMac));
    expect(parsed.vlanTci).toBe(input.vlanTci);
    expect(parsed.srcAddr).toBe(input.srcAddr);
    expect(parsed.dstAddr).toBe(input.dstAddr);
    expect(parsed.srcPort).toBe(67);
    expect(parsed.dstPort).toBe(68);
    expect(parsed.ttl).toBe(64);
    expect(parsed.ipChecksumValid).toBe(true);
    expect(parsed.udpChecksumValid).toBe(true);
    expect(parsed.udpChecksum).not.toBe(0);
    expect(Array.from(parsed.payload)).toEqual(Array.from(input.payload));
  });

  it.each([
    { name: 'IPv4 header checksum', at: 24, field: 'ipChecksumValid' as const },
    { name: 'UDP payload', at: 60, field: 'udpChecksumValid' as const },
  ])('detects a flipped bit in the $name', ({ at, field }) => {
    const frame = buildUdpFrame(spec());
    frame[at]! ^= 0x10;
    expect(parseUdpFrame(frame)![field]).toBe(false);
  });

  it('writes 0 as UDP checksum when asked for none', () => {
    const parsed = parseUdpFrame(buildUdpFrame(spec({ noUdpChecksum: true })))!;
    expect(parsed.udpChecksum).toBe(0);
    expect(parsed.udpChecksumValid).toBe(true);
  });

  it.each([
    { name: 'a cut frame', frame: () => buildUdpFrame(spec()).slice(0, 40) },
    { name: 'an ARP frame', frame: () => { const f = buildUdpFrame(spec()); f[13] = 0x06; return f; } },
    { name: 'a TCP packet', frame: () => { const f = buildUdpFrame(spec()); f[23] = 6; return f; } },
  ])('returns undefined for $name', ({ frame }) => {
    expect(parseUdpFrame(frame())).toBeUndefined();
  });
});
