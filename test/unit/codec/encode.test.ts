import { describe, expect, it } from 'vitest';

import {
  DecodeOutcome,
  DhcpView,
  buildRequest,
  encodeReply,
  type ReplyPlan,
  type RequestFields,
} from '../../../src/codec/index.js';
import { RELAYED_REQUEST, RELAYED_REQUEST_RAI } from '../../fixtures/packets/relayed-request.js';
import { joinedOption, readReplyOptions } from './reply-reader.js';

const MASK = Uint8Array.of(255, 255, 255, 0);
const SERVER_ID = Uint8Array.of(198, 18, 0, 1);
const LEASE = Uint8Array.of(0, 0, 0x0e, 0x10);

function viewOf(fields: RequestFields | Uint8Array): DhcpView {
  const bytes = fields instanceof Uint8Array ? fields : buildRequest(fields);
  const view = new DhcpView();
  const outcome = view.reset(bytes, 0, bytes.length);
  if (outcome !== DecodeOutcome.OK) throw new Error(`test request did not decode: outcome ${outcome}`);
  return view;
}

function planOf(overrides: Partial<ReplyPlan> = {}): ReplyPlan {
  return {
    messageType: 2,
    ciaddr: 0,
    yiaddr: 0xc6120064,
    siaddr: 0,
    flags: 0,
    sname: '',
    file: '',
    options: [
      [54, SERVER_ID],
      [51, LEASE],
      [1, MASK],
    ],
    echoRelayAgentInfo: true,
    maxMessageSize: 1500,
    ...overrides,
  };
}

function encode(view: DhcpView, plan: ReplyPlan, capacity = 1500): Uint8Array {
  const out = new Uint8Array(capacity);
  const length = encodeReply(view, plan, out, 0, capacity);
  return out.subarray(0, length);
}

function filled(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff);
}

function codesOf(reply: Uint8Array): number[] {
  return readReplyOptions(reply).map((o) => o.code);
}

describe('encodeReply: header', () => {
  it('copies the request fields and takes the rest from the plan', () => {
    const view = viewOf({ xid: 0xdeadbeef, hops: 17, giaddr: 0xc6120501, secs: 0x0100, htype: 1, chaddr: '02:00:00:00:02:01' });
    const plan = planOf({ ciaddr: 0xc6120509, yiaddr: 0xc6120564, siaddr: 0xc6120102, flags: 0x8000 });
    const reply = encode(view, plan);
    const data = new DataView(reply.buffer, reply.byteOffset);
    expect(reply[0]).toBe(2); // op BOOTREPLY
    expect(reply[1]).toBe(1); // htype
    expect(reply[2]).toBe(6); // hlen
    expect(reply[3]).toBe(17); // hops copied
    expect(data.getUint32(4)).toBe(0xdeadbeef);
    expect(data.getUint16(8)).toBe(0); // secs
    expect(data.getUint16(10)).toBe(0x8000);
    expect(data.getUint32(12)).toBe(0xc6120509);
    expect(data.getUint32(16)).toBe(0xc6120564);
    expect(data.getUint32(20)).toBe(0xc6120102);
    expect(data.getUint32(24)).toBe(0xc6120501);
    expect(data.getUint32(236)).toBe(0x63825363);
  });

  it('copies exactly hlen chaddr bytes into a zeroed 16-byte field', () => {
    // The request's chaddr field carries junk after the 6 hardware-address bytes.
    const view = viewOf({ chaddr: '02:00:00:00:00:c0:de:ad:be:ef', hlen: 6 });
    const reply = encode(view, planOf());
    expect(Array.from(reply.subarray(28, 44))).toEqual([2, 0, 0, 0, 0, 0xc0, ...new Array(10).fill(0)]);
  });

  it('echoes hlen 0 with an empty chaddr', () => {
    const view = viewOf({ hlen: 0, chaddr: new Uint8Array(0), options: [[61, [0, 0x6b]]] });
    const reply = encode(view, planOf());
    expect(reply[2]).toBe(0);
    expect(reply.subarray(28, 44).every((b) => b === 0)).toBe(true);
  });

  it('never copies the request sname or file', () => {
    const view = viewOf({ sname: 'client-junk', file: 'client-file' });
    const reply = encode(view, planOf());
    expect(reply.subarray(44, 236).every((b) => b === 0)).toBe(true);
  });

  it('writes the plan sname and file with a NUL terminator', () => {
    const reply = encode(viewOf({}), planOf({ sname: 'boot.example', file: 'x'.repeat(200) }));
    expect(Buffer.from(reply.subarray(44, 44 + 12)).toString()).toBe('boot.example');
    expect(reply[44 + 12]).toBe(0);
    expect(Buffer.from(reply.subarray(108, 108 + 127)).toString()).toBe('x'.repeat(127));
    expect(reply[235]).toBe(0);
  });
});

describe('encodeReply: options', () => {
  it('puts 53 first and END last', () => {
    const reply = encode(viewOf({}), planOf());
    expect(Array.from(reply.subarray(240, 243))).toEqual([53, 1, 2]);
    expect(codesOf(reply)).toEqual([53, 54, 51, 1]);
    expect(reply[240 + 3 + 6 + 6 + 6]).toBe(255);
  });

  it('keeps the plan order', () => {
    const plan = planOf({ options: [[54, SERVER_ID], [42, SERVER_ID], [15, Uint8Array.of(0x6b)], [6, SERVER_ID], [3, SERVER_ID]] });
    expect(codesOf(encode(viewOf({}), plan))).toEqual([53, 54, 42, 15, 6, 3]);
  });

  it('pads to 300 bytes with zeros', () => {
    const reply = encode(viewOf({}), planOf({ messageType: 6, options: [[54, SERVER_ID]] }));
    expect(reply.length).toBe(300);
    expect(reply[240 + 3 + 6]).toBe(255);
    expect(reply.subarray(240 + 3 + 6 + 1).every((b) => b === 0)).toBe(true);
  });

  it('grows past 300 bytes when the options need it', () => {
    const reply = encode(viewOf({}), planOf({ options: [[43, filled(100, 1)]] }));
    expect(reply.length).toBe(240 + 3 + 102 + 1);
  });

  it('splits a 300-byte option into 255 + 45', () => {
    const value = filled(300, 3);
    const reply = encode(viewOf({}), planOf({ options: [[43, value]] }));
    const instances = readReplyOptions(reply).filter((o) => o.code === 43);
    expect(instances.map((o) => o.value.length)).toEqual([255, 45]);
    expect(joinedOption(readReplyOptions(reply), 43)).toEqual(value);
  });

  it('writes a zero-length option as code and length 0', () => {
    const reply = encode(viewOf({}), planOf({ options: [[80, new Uint8Array(0)]] }));
    expect(Array.from(reply.subarray(243, 246))).toEqual([80, 0, 255]);
  });

  it('skips invalid codes in the plan', () => {
    const plan = planOf({ options: [[0, MASK], [53, Uint8Array.of(5)], [52, Uint8Array.of(1)], [255, MASK], [300, MASK], [1, MASK]] });
    expect(codesOf(encode(viewOf({}), plan))).toEqual([53, 1]);
  });
});

describe('encodeReply: option 82', () => {
  it('echoes 82 verbatim as the last option', () => {
    const reply = encode(viewOf(RELAYED_REQUEST), planOf({ messageType: 5 }));
    const options = readReplyOptions(reply);
    expect(options.map((o) => o.code)).toEqual([53, 54, 51, 1, 82]);
    expect(options[4]!.value).toEqual(RELAYED_REQUEST_RAI);
  });

  it('does not echo 82 when the plan says not to', () => {
    const reply = encode(viewOf(RELAYED_REQUEST), planOf({ echoRelayAgentInfo: false }));
    expect(codesOf(reply)).not.toContain(82);
  });

  it('does not echo an empty 82', () => {
    const reply = encode(viewOf({ options: [[82, []]] }), planOf());
    expect(codesOf(reply)).not.toContain(82);
  });

  it('does not add 82 to a request without it', () => {
    expect(codesOf(encode(viewOf({}), planOf()))).not.toContain(82);
  });

  it('echoes a split 82 once, joined', () => {
    const reply = encode(viewOf({ options: [[82, [1, 1, 0x70]], [82, [2, 1, 0x72]]] }), planOf());
    const instances = readReplyOptions(reply).filter((o) => o.code === 82);
    expect(instances.length).toBe(1);
    expect(Buffer.from(instances[0]!.value).toString('hex')).toBe('010170020172');
  });

  it('re-splits an 82 longer than 255 bytes', () => {
    const rai = filled(300, 9);
    const reply = encode(viewOf({ options: [[82, rai]] }), planOf());
    const options = readReplyOptions(reply);
    expect(options.filter((o) => o.code === 82).map((o) => o.value.length)).toEqual([255, 45]);
    expect(joinedOption(options, 82)).toEqual(rai);
    expect(options.at(-1)!.code).toBe(82);
  });
});

describe('encodeReply: size limit', () => {
  // 54, 51, 1 (18 bytes) plus ten 40-byte options (42 bytes each): 420 + 18 + 3 + 1 > 548 - 240.
  const bigOptions: Array<[number, Uint8Array]> = [
    [54, SERVER_ID],
    [51, LEASE],
    [1, MASK],
    ...Array.from({ length: 10 }, (_, i): [number, Uint8Array] => [200 + i, filled(40, i)]),
  ];

  it('fits without overload when the limit allows', () => {
    const reply = encode(viewOf({}), planOf({ options: bigOptions, maxMessageSize: 1500 }));
    expect(codesOf(reply)).not.toContain(52);
    expect(reply.length).toBe(240 + 3 + 18 + 420 + 1);
  });

  it('overloads file (52 = 1) at a 576-byte datagram cap', () => {
    // 548 - 240 leaves room for 53, 52, the three mandatory options and six 40-byte options.
    const plan = planOf({ options: bigOptions.slice(0, 11), maxMessageSize: 548 });
    const reply = encode(viewOf({}), plan);
    const options = readReplyOptions(reply);
    expect(reply.length).toBeLessThanOrEqual(548);
    expect(options.find((o) => o.code === 52)!.value[0]).toBe(1);
    expect(options[0]!.code).toBe(53);
    expect(options[1]!.code).toBe(52);
    expect(options[1]!.area).toBe('options');
    expect(options.some((o) => o.area === 'file')).toBe(true);
    for (const [code, value] of plan.options) expect(joinedOption(options, code)).toEqual(value);
  });

  it('ends every used area with END', () => {
    const reply = encode(viewOf({}), planOf({ options: bigOptions, maxMessageSize: 548 }));
    // readReplyOptions throws when an area has no END.
    expect(() => readReplyOptions(reply)).not.toThrow();
  });

  it('adds sname (52 = 3) when file is not enough', () => {
    // Six 40-byte options fit the options field, three fit file and the tenth goes to sname.
    const options = bigOptions;
    const reply = encode(viewOf({}), planOf({ options, maxMessageSize: 548 }));
    const found = readReplyOptions(reply);
    expect(found.find((o) => o.code === 52)!.value[0]).toBe(3);
    expect(found.some((o) => o.area === 'sname')).toBe(true);
    for (const [code, value] of options) expect(joinedOption(found, code)).toEqual(value);
  });

  it('uses sname alone (52 = 2) when the plan sets a file', () => {
    // The mandatory options and six 40-byte options fill the options field, so option 220 goes to sname.
    const options = bigOptions.slice(0, 9);
    const reply = encode(viewOf({}), planOf({ options: [...options, [220, filled(40, 30)]], file: 'pxelinux.0', maxMessageSize: 548 }));
    const found = readReplyOptions(reply);
    expect(found.find((o) => o.code === 52)!.value[0]).toBe(2);
    expect(found.some((o) => o.area === 'file')).toBe(false);
    expect(Buffer.from(reply.subarray(108, 118)).toString()).toBe('pxelinux.0');
  });

  it('drops options from the end of the plan when overload is not enough', () => {
    const many = Array.from({ length: 12 }, (_, i): [number, Uint8Array] => [100 + i, filled(40, i)]);
    // Mandatory 54, 51 and 1 come last, so they are passed over while dropping.
    const plan = planOf({ options: [...many, [54, SERVER_ID], [51, LEASE], [1, MASK]], maxMessageSize: 548 });
    const reply = encode(viewOf(RELAYED_REQUEST), plan);
    const codes = codesOf(reply);
    expect(reply.length).toBeLessThanOrEqual(548);
    expect(codes).toContain(54);
    expect(codes).toContain(51);
    expect(codes).toContain(1);
    expect(codes.at(-1)).toBe(82);
    const kept = codes.filter((c) => c >= 100 && c < 112);
    expect(kept.length).toBeLessThan(12);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => 100 + i)); // a prefix of the plan
  });

  it('honours both sname and file set by the plan', () => {
    const plan = planOf({ options: bigOptions, maxMessageSize: 548, sname: 'srv', file: 'boot' });
    const reply = encode(viewOf({}), plan);
    const codes = codesOf(reply);
    expect(reply.length).toBeLessThanOrEqual(548);
    expect(codes).not.toContain(52);
    expect(codes.slice(0, 4)).toEqual([53, 54, 51, 1]);
  });

  it('treats a plan maximum below 548 as 548', () => {
    const reply = encode(viewOf({}), planOf({ options: bigOptions, maxMessageSize: 100 }));
    expect(reply.length).toBeGreaterThan(300);
    expect(reply.length).toBeLessThanOrEqual(548);
  });

  it('stays within a capacity smaller than the plan maximum', () => {
    const out = new Uint8Array(1500);
    const length = encodeReply(viewOf({}), planOf({ options: bigOptions, maxMessageSize: 1500 }), out, 0, 560);
    expect(length).toBeGreaterThan(0);
    expect(length).toBeLessThanOrEqual(560);
  });

  it('returns 0 when mandatory options cannot fit', () => {
    const plan = planOf({ options: [[54, filled(700, 1)]], maxMessageSize: 548 });
    expect(encodeReply(viewOf({}), plan, new Uint8Array(1500), 0, 1500)).toBe(0);
  });

  it('returns 0 for a capacity below 300 bytes', () => {
    expect(encodeReply(viewOf({}), planOf(), new Uint8Array(1500), 0, 299)).toBe(0);
  });

  it('writes only inside [offset, offset + length)', () => {
    const out = new Uint8Array(2000).fill(0xaa);
    const length = encodeReply(viewOf(RELAYED_REQUEST), planOf(), out, 500, 1000);
    expect(length).toBe(300);
    expect(out.subarray(0, 500).every((b) => b === 0xaa)).toBe(true);
    expect(out.subarray(500 + length).every((b) => b === 0xaa)).toBe(true);
    expect(out[500]).toBe(2);
  });

  it('encodes the same bytes twice', () => {
    const view = viewOf(RELAYED_REQUEST);
    const plan = planOf({ options: bigOptions, maxMessageSize: 548 });
    expect(encode(view, plan)).toEqual(encode(view, plan));
  });
});

describe('encodeReply: round trip through DhcpView', () => {
  // The view only accepts requests, so the reply's op and message type are switched to a
  // BOOTREQUEST REQUEST before decoding. Every other byte is the encoder's.
  function decodeReplyAsRequest(reply: Uint8Array): DhcpView {
    const bytes = reply.slice();
    bytes[0] = 1;
    bytes[242] = 3;
    const view = new DhcpView();
    expect(view.reset(bytes, 0, bytes.length)).toBe(DecodeOutcome.OK);
    return view;
  }

  const cases: Array<[name: string, maxMessageSize: number, options: Array<[number, Uint8Array]>]> = [
    ['small reply', 1500, [[54, SERVER_ID], [51, LEASE], [1, MASK]]],
    ['split option', 1500, [[54, SERVER_ID], [43, filled(600, 5)], [15, Uint8Array.of(0x6b, 0x63)]]],
    ['overloaded reply', 548, Array.from({ length: 8 }, (_, i): [number, Uint8Array] => [150 + i, filled(45, i)])],
  ];

  it.each(cases)('%s decodes to the plan', (_name, maxMessageSize, options) => {
    const request = viewOf(RELAYED_REQUEST);
    const reply = encode(request, planOf({ options, maxMessageSize, yiaddr: 0xc6120564, flags: 0x8000 }));
    const view = decodeReplyAsRequest(reply);
    expect(view.xid).toBe(request.xid);
    expect(view.yiaddr).toBe(0xc6120564);
    expect(view.flags).toBe(0x8000);
    expect(view.giaddr).toBe(request.giaddr);
    expect(view.chaddr()).toEqual(request.chaddr());
    for (const [code, value] of options) expect(view.option(code)).toEqual(value);
    expect(view.relayAgentInfo()).toEqual(RELAYED_REQUEST_RAI);
  });
});
