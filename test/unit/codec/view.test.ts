import { describe, expect, it } from 'vitest';

import {
  DecodeOutcome,
  DhcpView,
  buildRequest,
  encodeOptionInstances,
  type RequestFields,
} from '../../../src/codec/index.js';
import { DHCLIENT_CHADDR, DHCLIENT_DISCOVER, DHCLIENT_XID } from '../../fixtures/packets/dhclient-discover.js';
import { RELAYED_REQUEST, RELAYED_REQUEST_RAI } from '../../fixtures/packets/relayed-request.js';
import { UDHCPC_CLIENT_ID, UDHCPC_DISCOVER } from '../../fixtures/packets/udhcpc-discover.js';

function decode(bytes: Uint8Array): { view: DhcpView; outcome: DecodeOutcome } {
  const view = new DhcpView();
  const outcome = view.reset(bytes, 0, bytes.length);
  return { view, outcome };
}

function withByte(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const copy = bytes.slice();
  copy[at] = value;
  return copy;
}

function hex(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : Buffer.from(bytes).toString('hex');
}

describe('DhcpView: intake outcomes', () => {
  const cases: Array<[name: string, bytes: Uint8Array, outcome: DecodeOutcome]> = [
    ['dhclient DISCOVER', DHCLIENT_DISCOVER, DecodeOutcome.OK],
    ['empty buffer', new Uint8Array(0), DecodeOutcome.TOO_SHORT],
    ['DISCOVER cut to 200 bytes', DHCLIENT_DISCOVER.subarray(0, 200), DecodeOutcome.TOO_SHORT],
    ['header without the last cookie byte', DHCLIENT_DISCOVER.subarray(0, 239), DecodeOutcome.TOO_SHORT],
    ['cookie only, no options', DHCLIENT_DISCOVER.subarray(0, 240), DecodeOutcome.NO_MESSAGE_TYPE],
    ['cookie 63:82:53:64', withByte(DHCLIENT_DISCOVER, 239, 0x64), DecodeOutcome.BAD_COOKIE],
    ['op 2 (BOOTREPLY)', buildRequest({ op: 2 }), DecodeOutcome.NOT_BOOTREQUEST],
    ['op 0', buildRequest({ op: 0 }), DecodeOutcome.NOT_BOOTREQUEST],
    ['bad cookie checked before op', buildRequest({ op: 2, cookie: 0 }), DecodeOutcome.BAD_COOKIE],
    ['hlen 16', buildRequest({ hlen: 16 }), DecodeOutcome.OK],
    ['hlen 17', buildRequest({ hlen: 17 }), DecodeOutcome.BAD_HLEN],
    ['hlen 200', buildRequest({ hlen: 200 }), DecodeOutcome.BAD_HLEN],
    ['op checked before hlen', buildRequest({ op: 2, hlen: 17 }), DecodeOutcome.NOT_BOOTREQUEST],
    ['BOOTP request, cookie, no options', buildRequest({ messageType: null }), DecodeOutcome.NO_MESSAGE_TYPE],
    ['type 1 DISCOVER', buildRequest({ messageType: 1 }), DecodeOutcome.OK],
    ['type 2 OFFER', buildRequest({ messageType: 2 }), DecodeOutcome.BAD_MESSAGE_TYPE],
    ['type 3 REQUEST', buildRequest({ messageType: 3 }), DecodeOutcome.OK],
    ['type 4 DECLINE', buildRequest({ messageType: 4 }), DecodeOutcome.OK],
    ['type 5 ACK', buildRequest({ messageType: 5 }), DecodeOutcome.BAD_MESSAGE_TYPE],
    ['type 6 NAK', buildRequest({ messageType: 6 }), DecodeOutcome.BAD_MESSAGE_TYPE],
    ['type 7 RELEASE', buildRequest({ messageType: 7 }), DecodeOutcome.OK],
    ['type 8 INFORM', buildRequest({ messageType: 8 }), DecodeOutcome.OK],
    ['type 9 FORCERENEW', buildRequest({ messageType: 9 }), DecodeOutcome.BAD_MESSAGE_TYPE],
    ['type 0', buildRequest({ messageType: 0 }), DecodeOutcome.BAD_MESSAGE_TYPE],
    ['type 13 (leasequery range)', buildRequest({ messageType: 13 }), DecodeOutcome.BAD_MESSAGE_TYPE],
    ['option 53 of 2 bytes', buildRequest({ messageType: null, options: [[53, [1, 1]]] }), DecodeOutcome.BAD_MESSAGE_TYPE],
    ['option 53 of 0 bytes', buildRequest({ messageType: null, options: [[53, []]] }), DecodeOutcome.BAD_MESSAGE_TYPE],
    ['option 53 twice (joined to 2 bytes)', buildRequest({ options: [[53, [1]]] }), DecodeOutcome.BAD_MESSAGE_TYPE],
    ['hlen 0 without client id', buildRequest({ hlen: 0, chaddr: new Uint8Array(0) }), DecodeOutcome.NO_CLIENT_KEY],
    ['hlen 0, 1-byte client id', buildRequest({ hlen: 0, chaddr: new Uint8Array(0), options: [[61, [0]]] }), DecodeOutcome.NO_CLIENT_KEY],
    ['hlen 0, 2-byte client id', buildRequest({ hlen: 0, chaddr: new Uint8Array(0), options: [[61, [0, 0x6b]]] }), DecodeOutcome.OK],
    ['htype 32 hlen 6', buildRequest({ htype: 32 }), DecodeOutcome.OK],
    ['53 after a truncated option', buildRequest({ messageType: null, options: [[12, 'a']], rawOptions: [15, 40, 1, 53, 1, 1] }), DecodeOutcome.NO_MESSAGE_TYPE],
    ['53 after END', buildRequest({ messageType: null, rawOptions: [255, 53, 1, 1], end: false }), DecodeOutcome.NO_MESSAGE_TYPE],
    ['53 in file without option 52', buildRequest({ messageType: null, file: encodeOptionInstances([[53, [1]]]) }), DecodeOutcome.NO_MESSAGE_TYPE],
    ['53 in file with option 52 = 1', buildRequest({ messageType: null, options: [[52, [1]]], file: encodeOptionInstances([[53, [1]]]) }), DecodeOutcome.OK],
    ['53 in sname with option 52 = 1', buildRequest({ messageType: null, options: [[52, [1]]], sname: encodeOptionInstances([[53, [1]]]) }), DecodeOutcome.NO_MESSAGE_TYPE],
    ['53 in sname with option 52 = 2', buildRequest({ messageType: null, options: [[52, [2]]], sname: encodeOptionInstances([[53, [3]]]) }), DecodeOutcome.OK],
    ['option 52 = 4 is ignored', buildRequest({ messageType: null, options: [[52, [4]]], file: encodeOptionInstances([[53, [1]]]) }), DecodeOutcome.NO_MESSAGE_TYPE],
  ];

  it.each(cases)('%s', (_name, bytes, outcome) => {
    expect(decode(bytes).outcome).toBe(outcome);
  });
});

describe('DhcpView: header fields', () => {
  it('reads every header field of a relayed REQUEST', () => {
    const { view, outcome } = decode(RELAYED_REQUEST);
    expect(outcome).toBe(DecodeOutcome.OK);
    expect(view.op).toBe(1);
    expect(view.htype).toBe(1);
    expect(view.hlen).toBe(6);
    expect(view.hops).toBe(1);
    expect(view.xid).toBe(0x3f5c13ee);
    expect(view.secs).toBe(3);
    expect(view.flags).toBe(0x8000);
    expect(view.ciaddr).toBe(0);
    expect(view.yiaddr).toBe(0);
    expect(view.siaddr).toBe(0);
    expect(view.giaddr).toBe(0xc6120501);
    expect(view.messageType).toBe(3);
    expect(hex(view.chaddr())).toBe('020000000201');
  });

  it('reads addresses above 2^31 as unsigned', () => {
    const { view } = decode(buildRequest({ ciaddr: 0xfffffffe, yiaddr: 0x80000000, siaddr: 0xc6120001, xid: 0xffffffff }));
    expect(view.ciaddr).toBe(0xfffffffe);
    expect(view.yiaddr).toBe(0x80000000);
    expect(view.siaddr).toBe(0xc6120001);
    expect(view.xid).toBe(0xffffffff);
  });

  it('returns hlen bytes of chaddr only', () => {
    const bytes = buildRequest({ chaddr: '02:00:00:00:00:01:aa:bb', hlen: 6 });
    expect(hex(decode(bytes).view.chaddr())).toBe('020000000001');
  });

  it('returns an empty chaddr for hlen 0', () => {
    const { view } = decode(buildRequest({ hlen: 0, options: [[61, [0, 1, 2]]] }));
    expect(view.chaddr().length).toBe(0);
  });

  it('reads the dhclient fixture', () => {
    const { view } = decode(DHCLIENT_DISCOVER);
    expect(view.xid).toBe(DHCLIENT_XID);
    expect(view.chaddr()).toEqual(DHCLIENT_CHADDR);
    expect(view.hostName()).toBe('vm');
    expect(Array.from(view.parameterRequestList()!)).toEqual([1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42]);
    expect(view.clientId()).toBeUndefined();
    expect(view.maxMessageSize()).toBeUndefined();
    expect(view.relayAgentInfo()).toBeUndefined();
  });

  it('reads the udhcpc fixture', () => {
    const { view } = decode(UDHCPC_DISCOVER);
    expect(view.maxMessageSize()).toBe(576);
    expect(view.clientId()).toEqual(UDHCPC_CLIENT_ID);
    expect(view.hostName()).toBe('kc-udhcpc');
    expect(view.vendorClass()).toBe('udhcp 1.35.0');
    expect(Array.from(view.parameterRequestList()!)).toEqual([1, 3, 6, 12, 15, 28, 42]);
  });

  it('reads the relayed REQUEST options', () => {
    const { view } = decode(RELAYED_REQUEST);
    expect(view.requestedIp()).toBe(0xc6120564);
    expect(view.serverId()).toBe(0xc6120101);
    expect(view.relayAgentInfo()).toEqual(RELAYED_REQUEST_RAI);
    expect(Buffer.from(view.relaySubOption(1)!).toString()).toBe('port9');
    expect(hex(view.relaySubOption(2))).toBe('001122334455');
    expect(view.relaySubOption(5)).toBeUndefined();
  });
});

describe('DhcpView: option getters', () => {
  const getterCases: Array<[name: string, fields: RequestFields, read: (v: DhcpView) => unknown, expected: unknown]> = [
    ['requested IP of 4 bytes', { options: [[50, [198, 18, 0, 7]]] }, (v) => v.requestedIp(), 0xc6120007],
    ['requested IP of 3 bytes', { options: [[50, [198, 18, 0]]] }, (v) => v.requestedIp(), undefined],
    ['requested IP of 5 bytes', { options: [[50, [198, 18, 0, 7, 1]]] }, (v) => v.requestedIp(), undefined],
    ['server id of 4 bytes', { options: [[54, [198, 18, 0, 1]]] }, (v) => v.serverId(), 0xc6120001],
    ['server id of 0 bytes', { options: [[54, []]] }, (v) => v.serverId(), undefined],
    ['lease time of 4 bytes', { options: [[51, [0, 0, 0x0e, 0x10]]] }, (v) => v.requestedLeaseTime(), 3600],
    ['infinite lease time', { options: [[51, [255, 255, 255, 255]]] }, (v) => v.requestedLeaseTime(), 0xffffffff],
    ['lease time of 3 bytes', { options: [[51, [0, 0x0e, 0x10]]] }, (v) => v.requestedLeaseTime(), undefined],
    ['max message size of 2 bytes', { options: [[57, [0x05, 0xc0]]] }, (v) => v.maxMessageSize(), 1472],
    ['max message size of 1 byte', { options: [[57, [0x05]]] }, (v) => v.maxMessageSize(), undefined],
    ['client id of 1 byte', { options: [[61, [1]]] }, (v) => v.clientId(), undefined],
    ['client id of 0 bytes', { options: [[61, []]] }, (v) => v.clientId(), undefined],
    ['client id of 2 bytes', { options: [[61, [0, 0x41]]] }, (v) => hex(v.clientId()), '0041'],
    ['255-byte client id', { options: [[61, new Uint8Array(255).fill(7)]] }, (v) => v.clientId()?.length, 255],
    ['zero-length host name', { options: [[12, []]] }, (v) => v.hostName(), undefined],
    ['host name with trailing NUL', { options: [[12, 'winbox\0']] }, (v) => v.hostName(), 'winbox'],
    ['host name of NULs only', { options: [[12, [0, 0]]] }, (v) => v.hostName(), undefined],
    ['vendor class', { options: [[60, 'MSFT 5.0']] }, (v) => v.vendorClass(), 'MSFT 5.0'],
    ['empty vendor class', { options: [[60, []]] }, (v) => v.vendorClass(), undefined],
    ['client FQDN', { options: [[81, [0x01, 0, 0, 3, 0x6b, 0x63, 0x31, 0]]] }, (v) => hex(v.clientFqdn()), '0100000'.concat('36b633100')],
    ['client FQDN of 2 bytes', { options: [[81, [1, 0]]] }, (v) => v.clientFqdn(), undefined],
    ['subnet selection', { options: [[118, [198, 18, 7, 0]]] }, (v) => v.subnetSelection(), 0xc6120700],
    ['subnet selection of 3 bytes', { options: [[118, [198, 18, 7]]] }, (v) => v.subnetSelection(), undefined],
    ['empty option 82', { options: [[82, []]] }, (v) => v.relayAgentInfo(), undefined],
    ['empty option 82 is still present', { options: [[82, []]] }, (v) => v.has(82), true],
    ['sub-option of empty 82', { options: [[82, []]] }, (v) => v.relaySubOption(1), undefined],
    ['truncated sub-option', { options: [[82, [1, 9, 0x70]]] }, (v) => v.relaySubOption(1), undefined],
    ['sub-option after a truncated one', { options: [[82, [2, 1, 7, 1, 5, 0x70]]] }, (v) => v.relaySubOption(1), undefined],
    ['repeated sub-code returns the first', { options: [[82, [1, 1, 0x61, 1, 1, 0x62]]] }, (v) => hex(v.relaySubOption(1)), '61'],
    ['zero-length sub-option', { options: [[82, [1, 0, 2, 1, 9]]] }, (v) => hex(v.relaySubOption(1)), ''],
    ['link selection sub-option', { options: [[82, [5, 4, 198, 18, 6, 0]]] }, (v) => hex(v.relaySubOption(5)), 'c6120600'],
  ];

  it.each(getterCases)('%s', (_name, fields, read, expected) => {
    const { view, outcome } = decode(buildRequest(fields));
    expect(outcome).toBe(DecodeOutcome.OK);
    expect(read(view)).toEqual(expected);
  });

  it('returns nothing for codes 0, 255 and out of range', () => {
    const { view } = decode(buildRequest({ rawOptions: [0, 0] }));
    for (const code of [0, 255, 256, -1, 1.5, Number.NaN]) {
      expect(view.has(code)).toBe(false);
      expect(view.option(code)).toBeUndefined();
    }
  });

  it('returns a subarray of the input for a single instance', () => {
    const bytes = buildRequest({ options: [[12, 'host']] });
    const { view } = decode(bytes);
    const value = view.option(12)!;
    expect(value.buffer).toBe(bytes.buffer);
    expect(value.byteOffset).toBe(240 + 3 + 2);
  });
});

describe('DhcpView: option walk', () => {
  it('keeps options before a truncated one', () => {
    // Option 12 claims 64 bytes but only 3 follow before the end of the packet.
    const bytes = buildRequest({ options: [[55, [1, 3]]], rawOptions: [12, 64, 0x61, 0x62, 0x63], end: false, minLength: 0 });
    const { view, outcome } = decode(bytes);
    expect(outcome).toBe(DecodeOutcome.OK);
    expect(view.has(12)).toBe(false);
    expect(hex(view.parameterRequestList())).toBe('0103');
  });

  it('stops at a length byte past the end', () => {
    const bytes = buildRequest({ rawOptions: [12], end: false, minLength: 0 });
    const { view, outcome } = decode(bytes);
    expect(outcome).toBe(DecodeOutcome.OK);
    expect(view.has(12)).toBe(false);
  });

  it('accepts a packet without END', () => {
    const bytes = buildRequest({ options: [[12, 'x']], end: false, minLength: 0 });
    const { view, outcome } = decode(bytes);
    expect(outcome).toBe(DecodeOutcome.OK);
    expect(view.hostName()).toBe('x');
  });

  it('ignores bytes after END', () => {
    const { view } = decode(buildRequest({ rawOptions: [255, 12, 2, 0x68, 0x69], end: false }));
    expect(view.has(12)).toBe(false);
  });

  it('skips PAD between and before options', () => {
    const { view, outcome } = decode(buildRequest({ messageType: null, rawOptions: [0, 0, 53, 1, 3, 0, 12, 1, 0x7a, 0, 0] }));
    expect(outcome).toBe(DecodeOutcome.OK);
    expect(view.messageType).toBe(3);
    expect(view.hostName()).toBe('z');
  });

  it('reads only `length` bytes from `offset`', () => {
    const packet = buildRequest({ options: [[12, 'in']], end: false, minLength: 0 });
    const buffer = new Uint8Array(packet.length + 200).fill(0xee);
    buffer.set(packet, 100);
    buffer.set([15, 3, 0x61, 0x62, 0x63], 100 + packet.length); // option 15 just past the end
    const view = new DhcpView();
    expect(view.reset(buffer, 100, packet.length)).toBe(DecodeOutcome.OK);
    expect(view.hostName()).toBe('in');
    expect(view.has(15)).toBe(false);
  });

  it('cuts a length beyond the buffer to the buffer', () => {
    const view = new DhcpView();
    expect(view.reset(DHCLIENT_DISCOVER, 0, 100_000)).toBe(DecodeOutcome.OK);
    expect(view.length).toBe(DHCLIENT_DISCOVER.length);
  });

  it.each([
    ['negative offset', -1, 300],
    ['offset past the end', 301, 300],
    ['fractional offset', 0.5, 300],
    ['negative length', 0, -5],
    ['NaN length', 0, Number.NaN],
  ])('treats %s as too short', (_name, offset, length) => {
    expect(new DhcpView().reset(DHCLIENT_DISCOVER, offset, length)).toBe(DecodeOutcome.TOO_SHORT);
  });
});

describe('DhcpView: RFC 3396 concatenation', () => {
  it('joins a PRL sent in two instances', () => {
    const { view } = decode(buildRequest({ options: [[55, [1, 3]], [12, 'h'], [55, [6, 15, 42]]] }));
    expect(Array.from(view.parameterRequestList()!)).toEqual([1, 3, 6, 15, 42]);
  });

  it('joins a split option 82 once', () => {
    const { view } = decode(buildRequest({ options: [[82, [1, 1, 0x70]], [82, [2, 1, 0x72]]] }));
    expect(hex(view.relayAgentInfo())).toBe('010170020172');
    expect(hex(view.relaySubOption(1))).toBe('70');
    expect(hex(view.relaySubOption(2))).toBe('72');
  });

  it('joins a sub-option split across instances of 82', () => {
    const { view } = decode(buildRequest({ options: [[82, [1, 4, 0x61, 0x62]], [82, [0x63, 0x64]]] }));
    expect(Buffer.from(view.relaySubOption(1)!).toString()).toBe('abcd');
  });

  it('returns the same joined array on each read', () => {
    const { view } = decode(buildRequest({ options: [[55, [1]], [55, [3]]] }));
    expect(view.option(55)).toBe(view.option(55));
  });

  it('joins in the order options, file, sname', () => {
    const bytes = buildRequest({
      options: [[52, [3]], [55, [1]]],
      file: encodeOptionInstances([[55, [2]]]),
      sname: encodeOptionInstances([[55, [3]]]),
    });
    const { view } = decode(bytes);
    expect(view.overload).toBe(3);
    expect(Array.from(view.parameterRequestList()!)).toEqual([1, 2, 3]);
  });

  it('joins a 600-byte option sent in three instances', () => {
    const value = Uint8Array.from({ length: 600 }, (_, i) => i & 0xff);
    const { view, outcome } = decode(buildRequest({ options: [[43, value]] }));
    expect(outcome).toBe(DecodeOutcome.OK);
    expect(view.option(43)).toEqual(value);
  });

  it('reads a PRL from sname with option 52 = 2', () => {
    const { view } = decode(buildRequest({ options: [[52, [2]]], sname: encodeOptionInstances([[55, [1, 3, 6]]]) }));
    expect(view.overload).toBe(2);
    expect(hex(view.parameterRequestList())).toBe('010306');
  });

  it('ignores option 52 found inside file', () => {
    const file = encodeOptionInstances([[52, [2]], [12, 'f']]);
    const sname = encodeOptionInstances([[55, [9]]]);
    const { view } = decode(buildRequest({ options: [[52, [1]]], file, sname }));
    expect(view.overload).toBe(1);
    expect(view.hostName()).toBe('f');
    expect(view.has(55)).toBe(false);
  });

  it('stops the file area at a truncated option', () => {
    const file = Uint8Array.of(12, 1, 0x66, 15, 200, 0x61);
    const { view } = decode(buildRequest({ options: [[52, [1]]], file }));
    expect(view.hostName()).toBe('f');
    expect(view.has(15)).toBe(false);
  });
});

describe('DhcpView: reuse', () => {
  it('forgets the previous packet on reset', () => {
    const view = new DhcpView();
    expect(view.reset(RELAYED_REQUEST, 0, RELAYED_REQUEST.length)).toBe(DecodeOutcome.OK);
    expect(view.reset(DHCLIENT_DISCOVER, 0, DHCLIENT_DISCOVER.length)).toBe(DecodeOutcome.OK);
    expect(view.relayAgentInfo()).toBeUndefined();
    expect(view.requestedIp()).toBeUndefined();
    expect(view.giaddr).toBe(0);
    expect(view.hops).toBe(0);
  });

  it('drops joined values on reset', () => {
    const view = new DhcpView();
    const first = buildRequest({ options: [[55, [1]], [55, [3]]] });
    const second = buildRequest({ options: [[55, [6]], [55, [15]]] });
    view.reset(first, 0, first.length);
    expect(hex(view.parameterRequestList())).toBe('0103');
    view.reset(second, 0, second.length);
    expect(hex(view.parameterRequestList())).toBe('060f');
  });

  it('clears header fields after a short packet', () => {
    const view = new DhcpView();
    view.reset(RELAYED_REQUEST, 0, RELAYED_REQUEST.length);
    expect(view.reset(RELAYED_REQUEST, 0, 100)).toBe(DecodeOutcome.TOO_SHORT);
    expect(view.xid).toBe(0);
    expect(view.messageType).toBe(0);
    expect(view.chaddr().length).toBe(0);
    expect(view.has(53)).toBe(false);
  });

  it('handles more repeats than the initial side table', () => {
    const options: Array<[number, number[]]> = [];
    for (let i = 0; i < 100; i++) options.push([55, [i]]);
    const { view, outcome } = decode(buildRequest({ options }));
    expect(outcome).toBe(DecodeOutcome.OK);
    expect(Array.from(view.parameterRequestList()!)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
