import { describe, expect, it } from 'vitest';

import { DeliveryKind } from '../../../src/engine/types.js';
import {
  Harness,
  bytes,
  directIngress,
  ip,
  labSubnet,
  mac,
  makeConfig,
  option,
  optionCodes,
  options,
  pool,
  readU32,
  relayInfo,
  relayIngress,
  reservation,
  subnet,
  text,
  u32,
} from './helpers.js';

const relayed = () => makeConfig({ subnets: [labSubnet(), subnet(5, '198.18.5.0/24', { pools: [pool('198.18.5.100', '198.18.5.150')], options: options([[3, u32(ip('198.18.5.1'))]]) })] });

describe('engine: server identifier in replies', () => {
  it('uses the receiving address of a relayed request', () => {
    // item 47
    const h = new Harness(relayed());
    const r = h.send({ messageType: 1, giaddr: ip('198.18.5.1') }, relayIngress());
    expect(option(r, 54)).toEqual(u32(ip('198.18.1.1')));
  });

  it('uses the subnet\'s configured server identifier', () => {
    // item 49
    const h = new Harness(makeConfig({ subnets: [labSubnet({ serverId: ip('10.2.5.76') })] }));
    expect(option(h.send({ messageType: 1 }), 54)).toEqual(u32(ip('10.2.5.76')));
  });

  it('uses the RFC 5107 override sub-option', () => {
    // item 50
    const h = new Harness(relayed());
    const r = h.send({ messageType: 1, giaddr: ip('198.18.5.1'), options: [[82, relayInfo([11, u32(ip('198.18.5.1'))])]] }, relayIngress());
    expect(option(r, 54)).toEqual(u32(ip('198.18.5.1')));
    expect(r.reply?.echoRelayAgentInfo).toBe(true);
  });
});

describe('engine: NAK contents', () => {
  it('carries only 54, 56 and 61 with zero addresses', () => {
    // items 51, 88
    const h = new Harness();
    h.put({ address: ip('198.18.0.103'), hwAddress: mac(4) });
    const r = h.send({ messageType: 3, chaddr: mac(4), options: [[50, u32(ip('198.18.0.120'))], [61, bytes(1, 2, 0, 0, 0, 1, 4)], [55, bytes(1, 3, 6)]] });
    expect(r.reply?.messageType).toBe(6);
    expect(optionCodes(r)).toEqual([54, 56, 61]);
    expect(option(r, 61)).toEqual(bytes(1, 2, 0, 0, 0, 1, 4));
    expect(r.reply).toMatchObject({ yiaddr: 0, ciaddr: 0, siaddr: 0, sname: '', file: '' });
  });

  it('leaves out 61 when echo-client-id is off', () => {
    // item 88
    const h = new Harness(makeConfig({ subnets: [labSubnet({ echoClientId: false })] }));
    h.put({ address: ip('198.18.0.103'), hwAddress: mac(4) });
    const r = h.send({ messageType: 3, chaddr: mac(4), options: [[50, u32(ip('198.18.0.120'))], [61, bytes(1, 2, 3)]] });
    expect(optionCodes(r)).not.toContain(61);
  });
});

describe('engine: reply option selection and order', () => {
  it('follows 54, 51, 1 then the PRL order, then the basic set', () => {
    // items 76, 77, 78
    const h = new Harness();
    const r = h.send({ messageType: 1, options: [[55, bytes(42, 15, 6, 3, 1)]] });
    expect(optionCodes(r)).toEqual([54, 51, 1, 42, 15, 6, 3]);
  });

  it('sends the basic set unrequested but not other options', () => {
    // item 78
    const h = new Harness();
    expect(optionCodes(h.send({ messageType: 1 }))).toEqual([54, 51, 1, 3, 6, 15]);
  });

  it('sends always-send options unrequested', () => {
    // item 78
    const h = new Harness(makeConfig({ subnets: [labSubnet({ options: options([[66, text('tftp.example'), true]]) })] }));
    expect(optionCodes(h.send({ messageType: 1 }))).toContain(66);
  });

  it.each([
    [108, bytes(0, 0, 7, 8)],
    [121, bytes(0, 198, 18, 0, 1)],
  ])('sends option %i only when requested, even with always-send', (code, value) => {
    // items 78, 101
    const h = new Harness(makeConfig({ subnets: [labSubnet({ options: options([[code, value, true]]) })] }));
    expect(optionCodes(h.send({ messageType: 1 }))).not.toContain(code);
    expect(option(h.send({ messageType: 1, chaddr: mac(2), options: [[55, bytes(code)]] }), code)).toEqual(value);
  });

  it('does not send 108 when the client asks and it is not configured', () => {
    // item 101
    const h = new Harness();
    expect(optionCodes(h.send({ messageType: 1, options: [[55, bytes(1, 3, 108)]] }))).not.toContain(108);
  });

  it('takes option values from the reservation, then the pool, then the subnet', () => {
    // item 78 (option sources)
    const config = makeConfig({
      subnets: [labSubnet({
        pools: [pool('198.18.0.100', '198.18.0.199', { options: options([[6, u32(ip('198.18.0.54'))], [42, u32(ip('198.18.0.124'))]]) })],
        reservations: [reservation({ hwAddress: mac(1), ipAddress: ip('198.18.0.120'), options: options([[6, u32(ip('198.18.0.55'))]]) })],
      })],
    });
    const h = new Harness(config);
    const reserved = h.send({ messageType: 1, chaddr: mac(1), options: [[55, bytes(6, 42)]] });
    expect(option(reserved, 6)).toEqual(u32(ip('198.18.0.55')));
    expect(option(reserved, 42)).toEqual(u32(ip('198.18.0.124')));
    const dynamic = h.send({ messageType: 1, chaddr: mac(2), options: [[55, bytes(6)]] });
    expect(option(dynamic, 6)).toEqual(u32(ip('198.18.0.54')));
  });

  it('echoes the client identifier and option 118', () => {
    // items 88, 93
    const h = new Harness(makeConfig({ subnets: [labSubnet(), subnet(7, '198.18.7.0/24', { pools: [pool('198.18.7.100', '198.18.7.150')] })] }));
    const r = h.send({ messageType: 1, giaddr: ip('198.18.5.1'), options: [[118, u32(ip('198.18.7.0'))], [61, bytes(0, 107, 99)]] }, relayIngress());
    expect(option(r, 118)).toEqual(u32(ip('198.18.7.0')));
    expect(option(r, 61)).toEqual(bytes(0, 107, 99));
  });

  it('echoes option 82 only when the request carried a non-empty one', () => {
    // item 89
    const h = new Harness();
    expect(h.send({ messageType: 1, options: [[82, relayInfo([1, text('l2port3')])]] }).reply?.echoRelayAgentInfo).toBe(true);
    expect(h.send({ messageType: 1, chaddr: mac(2), options: [[82, bytes()]] }).reply?.echoRelayAgentInfo).toBe(false);
    expect(h.send({ messageType: 1, chaddr: mac(3) }).reply?.echoRelayAgentInfo).toBe(false);
  });

  it('answers option 81 with N and O set and RCODEs 255', () => {
    // item 99
    const h = new Harness();
    const r = h.send({ messageType: 1, options: [[81, bytes(0x01, 0, 0, ...text('kc1.example.'))]] });
    expect(option(r, 81)).toEqual(bytes(0x0a, 255, 255, ...text('kc1.example.')));
  });

  it('keeps the E bit of option 81', () => {
    // item 99
    const h = new Harness();
    const r = h.send({ messageType: 1, options: [[81, bytes(0x05, 0, 0, 3, 107, 99, 49, 0)]] });
    expect(option(r, 81)?.[0]).toBe(0x0e);
  });

  it('sends the reserved host name', () => {
    // item 81 (host name from a reservation)
    const h = new Harness(makeConfig({ subnets: [labSubnet({ reservations: [reservation({ hwAddress: mac(1), hostname: 'printer-3' })] })] }));
    expect(option(h.send({ messageType: 1, chaddr: mac(1), options: [[12, text('winbox\0')]] }), 12)).toEqual(text('printer-3'));
  });

  it('fills siaddr, sname and file from the reservation over the subnet', () => {
    // item 68
    const config = makeConfig({
      subnets: [labSubnet({ nextServer: ip('198.18.0.9'), serverHostname: 'boot', bootFileName: 'pxelinux.0', reservations: [reservation({ hwAddress: mac(1), bootFileName: 'ipxe.efi' })] })],
    });
    const h = new Harness(config);
    expect(h.send({ messageType: 1, chaddr: mac(1) }).reply).toMatchObject({ siaddr: ip('198.18.0.9'), sname: 'boot', file: 'ipxe.efi' });
    expect(h.send({ messageType: 1, chaddr: mac(2) }).reply).toMatchObject({ siaddr: ip('198.18.0.9'), sname: 'boot', file: 'pxelinux.0' });
  });

  it('copies flags into the OFFER and keeps ciaddr zero', () => {
    // items 62, 67
    const h = new Harness();
    const r = h.send({ messageType: 1, flags: 0x8000 });
    expect(r.reply?.flags).toBe(0x8000);
    expect(r.reply?.ciaddr).toBe(0);
  });

  it.each([
    [undefined, 548],
    [576, 548],
    [300, 548],
    [1500, 1472],
  ])('sets the maximum reply size for option 57 = %s', (requested, expected) => {
    // items 70, 71
    const h = new Harness();
    const extra: Array<[number, Uint8Array]> = requested === undefined ? [] : [[57, bytes(requested >> 8, requested & 0xff)]];
    expect(h.send({ messageType: 1, options: extra }).reply?.maxMessageSize).toBe(expected);
  });
});

describe('engine: T1 and T2', () => {
  it.each([
    ['Kea default: none', {}, undefined, undefined],
    ['calculate-tee-times', { calculateTeeTimes: true }, 1800, 3150],
    ['configured timers', { renewTimer: 1000, rebindTimer: 2000 }, 1000, 2000],
    ['T2 not below the lease', { renewTimer: 1000, rebindTimer: 3600 }, 1000, undefined],
    ['T1 not below T2', { renewTimer: 2500, rebindTimer: 2000 }, undefined, 2000],
  ])('%s', (_case, extra, t1, t2) => {
    // items 80, 110
    const h = new Harness(makeConfig({ subnets: [labSubnet(extra)] }));
    const r = h.send({ messageType: 1 });
    expect(readU32(option(r, 58))).toBe(t1);
    expect(readU32(option(r, 59))).toBe(t2);
    expect(readU32(option(r, 51))).toBe(3600);
  });
});

describe('engine: reply delivery', () => {
  it.each([
    ['relayed → relay at the server port', { giaddr: ip('198.18.5.1') }, relayIngress(), DeliveryKind.RELAY, ip('198.18.5.1'), 67],
    ['broadcast flag → broadcast', { flags: 0x8000 }, directIngress(), DeliveryKind.BROADCAST, 0xffffffff, 68],
    ['hlen 0 → broadcast', { hlen: 0, options: [[61, bytes(0, 107, 99)]] as Array<[number, Uint8Array]> }, directIngress(), DeliveryKind.BROADCAST, 0xffffffff, 68],
    ['hlen 16 → broadcast', { chaddr: new Uint8Array(16).fill(2) }, directIngress(), DeliveryKind.BROADCAST, 0xffffffff, 68],
    ['htype 32 → broadcast', { htype: 32 }, directIngress(), DeliveryKind.BROADCAST, 0xffffffff, 68],
    ['plain → yiaddr', {}, directIngress(), DeliveryKind.YIADDR, ip('198.18.0.100'), 68],
  ])('delivers an OFFER: %s', (_case, fields, ingress, kind, address, port) => {
    // items 11, 12, 55, 56, 57, 58, 59
    const h = new Harness(relayed());
    const r = h.send({ messageType: 1, ...fields }, ingress);
    expect(r.outcome).toBe('offer');
    expect(r.delivery.kind).toBe(kind);
    if (kind !== DeliveryKind.YIADDR) expect(r.delivery.address).toBe(address);
    else expect(r.delivery.address).toBe(r.reply?.yiaddr);
    expect(r.delivery.port).toBe(port);
  });

  it('uses the RFC 8357 relay port', () => {
    // item 56
    const h = new Harness(relayed());
    const r = h.send({ messageType: 1, giaddr: ip('198.18.5.1'), options: [[82, relayInfo([19, bytes(0x10, 0x43)])]] }, relayIngress({ sourcePort: 4163 }));
    expect(r.delivery).toEqual({ kind: DeliveryKind.RELAY, address: ip('198.18.5.1'), port: 4163 });
  });

  it('uses the configured ports', () => {
    // item 55
    const h = new Harness(makeConfig({ nestor: { workers: 0, serverPort: 1067, clientPort: 1068, lmdbMapSizeBytes: 1 << 20, commitWindowUs: 0, receiveIntervalMs: 0 } }));
    expect(h.send({ messageType: 1 }).delivery.port).toBe(1068);
  });
});
