import { describe, expect, it } from 'vitest';

import { DecodeOutcome, DhcpView, buildRequest, encodeOptionInstances } from '../../../src/codec/index.js';

describe('buildRequest: defaults', () => {
  it('builds a 300-byte DISCOVER that decodes', () => {
    const bytes = buildRequest();
    const view = new DhcpView();
    expect(bytes.length).toBe(300);
    expect(view.reset(bytes, 0, bytes.length)).toBe(DecodeOutcome.OK);
    expect(view.messageType).toBe(1);
    expect(view.hlen).toBe(6);
    expect(Buffer.from(view.chaddr()).toString('hex')).toBe('020000000001');
  });

  it('writes 53 first and END after the options', () => {
    const bytes = buildRequest({ messageType: 3, options: [[50, [198, 18, 0, 5]]] });
    expect(Array.from(bytes.subarray(240, 250))).toEqual([53, 1, 3, 50, 4, 198, 18, 0, 5, 255]);
  });

  it('splits values longer than 255 bytes', () => {
    const encoded = encodeOptionInstances([[43, new Uint8Array(256)]]);
    expect(encoded.length).toBe(2 + 255 + 2 + 1);
    expect(encoded[0]).toBe(43);
    expect(encoded[1]).toBe(255);
    expect(encoded[257]).toBe(43);
    expect(encoded[258]).toBe(1);
  });

  it('round-trips header fields through DhcpView', () => {
    const bytes = buildRequest({ xid: 0x01020304, secs: 9, flags: 0x8000, ciaddr: 0xc6120009, giaddr: 0xc6120501, hops: 2, htype: 6 });
    const view = new DhcpView();
    view.reset(bytes, 0, bytes.length);
    expect([view.xid, view.secs, view.flags, view.ciaddr, view.giaddr, view.hops, view.htype]).toEqual([
      0x01020304, 9, 0x8000, 0xc6120009, 0xc6120501, 2, 6,
    ]);
  });

  it.each([
    ['invalid chaddr text', { chaddr: 'xyz' }],
    ['17-byte chaddr', { chaddr: new Uint8Array(17) }],
    ['65-byte sname', { sname: 'x'.repeat(65) }],
    ['option code 256', { options: [[256, [1]] as const] }],
  ])('throws a RangeError for %s', (_name, fields) => {
    expect(() => buildRequest(fields)).toThrow(RangeError);
  });
});
