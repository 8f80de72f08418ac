import { describe, expect, it } from 'vitest';

import { hexToString, ipToString, macToString, parseHex, parseIp } from '../../../src/codec/index.js';

describe('addr: dotted quads', () => {
  it.each([
    ['198.18.0.1', 0xc6120001],
    ['0.0.0.0', 0],
    ['255.255.255.255', 0xffffffff],
    ['128.0.0.1', 0x80000001],
  ])('parses and formats %s', (text, value) => {
    expect(parseIp(text)).toBe(value);
    expect(ipToString(value)).toBe(text);
  });

  it.each(['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '01.2.3.4', '1.2.3.-4', ' 1.2.3.4', '1.2.3.4 ', '1..3.4', 'a.b.c.d', '1.2.3.0x4', '1234.1.1.1'])(
    'rejects %j',
    (text) => {
      expect(parseIp(text)).toBeUndefined();
    },
  );

  it('formats a negative int32 as unsigned', () => {
    expect(ipToString(0xc6120001 | 0)).toBe('198.18.0.1');
  });
});

describe('addr: hex', () => {
  it.each([
    ['01:02:0a', '01020a'],
    ['1:2:a', '01020a'],
    ['01020a', '01020a'],
    ['0x01020a', '01020a'],
    ['102a', '102a'],
    ['0x1', '01'],
    ['123', '0123'],
    ['01-02-0A', '01020a'],
    ['01 02 0a', '01020a'],
    ['AA:bb:Cc', 'aabbcc'],
    ['', ''],
  ])('parses %j', (text, expected) => {
    expect(hexToString(parseHex(text)!)).toBe(expected);
  });

  it.each(['01::02', ':01', '01:', '001:02', '0g', '01:02-03', '0X12', '0x', 'zz', '01 :02'])('rejects %j', (text) => {
    expect(parseHex(text)).toBeUndefined();
  });

  it('formats a MAC in lower case with colons', () => {
    expect(macToString(Uint8Array.of(0x02, 0xab, 0, 0, 0x0f, 0xc0))).toBe('02:ab:00:00:0f:c0');
  });

  it('formats an empty MAC as an empty string', () => {
    expect(macToString(new Uint8Array(0))).toBe('');
  });

  it('formats with a separator', () => {
    expect(hexToString(Uint8Array.of(1, 2), ':')).toBe('01:02');
  });
});
