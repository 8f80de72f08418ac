import { describe, expect, it } from 'vitest';

import { DeliveryKind } from '../../../src/engine/types.js';
import { LeaseState } from '../../../src/leases/types.js';
import {
  Harness,
  SHARDS,
  bytes,
  directIngress,
  ip,
  labSubnet,
  mac,
  makeConfig,
  option,
  optionCodes,
  pool,
  relayInfo,
  relayIngress,
  reservation,
  subnet,
  text,
  u32,
} from './helpers.js';

const SERVER = u32(ip('198.18.0.1'));
const unicast = directIngress({ sourceAddress: ip('198.18.0.104'), destinationAddress: ip('198.18.0.1') });
const relayedConfig = () =>
  makeConfig({ subnets: [labSubnet(), subnet(5, '198.18.5.0/24', { pools: [pool('198.18.5.100', '198.18.5.150')] })] });

describe.each(SHARDS)('engine: REQUEST in SELECTING (%s)', (_name, shard) => {
  it('stays silent and frees the offer for another server', () => {
    // item 24
    const h = new Harness(makeConfig({ subnets: [labSubnet({ pools: [pool('198.18.0.100', '198.18.0.100')] })] }), shard);
    const offered = h.send({ messageType: 1, chaddr: mac(1) }).reply!.yiaddr;
    const r = h.send({ messageType: 3, chaddr: mac(1), options: [[54, u32(ip('198.18.0.99'))], [50, u32(offered)]] });
    expect(r.reply).toBeUndefined();
    expect(r.outcome).toBe('drop-server-id-not-ours');
    expect(h.send({ messageType: 1, chaddr: mac(2) }).reply?.yiaddr).toBe(offered);
  });

  it('acks the offered address and writes the lease', () => {
    // items 25, 27
    const h = new Harness(makeConfig(), shard);
    const offer = h.send({ messageType: 1, chaddr: mac(1), options: [[55, bytes(1, 3, 6, 15, 42)]] });
    const ack = h.send({ messageType: 3, chaddr: mac(1), options: [[54, SERVER], [50, u32(offer.reply!.yiaddr)], [55, bytes(1, 3, 6, 15, 42)]] });
    expect(ack.outcome).toBe('ack');
    expect(ack.reply?.yiaddr).toBe(offer.reply?.yiaddr);
    expect(ack.reply?.options).toEqual(offer.reply?.options);
    expect(ack.changes).toHaveLength(1);
    expect(h.store.get(offer.reply!.yiaddr)?.hwAddress).toEqual(mac(1));
  });

  it('naks an address leased to another client', () => {
    // items 25, 116
    const h = new Harness(makeConfig(), shard);
    h.put({ address: ip('198.18.0.150'), hwAddress: mac(9) });
    const r = h.send({ messageType: 3, chaddr: mac(1), options: [[54, SERVER], [50, u32(ip('198.18.0.150'))]] });
    expect(r.outcome).toBe('nak-address-in-use');
    expect(r.reply?.messageType).toBe(6);
    expect(h.store.get(ip('198.18.0.150'))?.hwAddress).toEqual(mac(9));
  });

  it('naks an address reserved for another client', () => {
    // items 25, 106
    const config = makeConfig({ subnets: [labSubnet({ reservations: [reservation({ hwAddress: mac(9), ipAddress: ip('198.18.0.150') })] })] });
    const h = new Harness(config, shard);
    const r = h.send({ messageType: 3, chaddr: mac(1), options: [[54, SERVER], [50, u32(ip('198.18.0.150'))]] });
    expect(r.outcome).toBe('nak-address-reserved');
  });

  it.each([
    ['the other interface address', '198.18.1.1', {}],
    ['a configured subnet server identifier', '10.2.5.76', { serverId: ip('10.2.5.76') }],
  ])('accepts %s as ours', (_case, serverId, extra) => {
    // items 48, 49
    const h = new Harness(makeConfig({ subnets: [labSubnet(extra)] }), shard);
    const r = h.send({ messageType: 3, chaddr: mac(1), options: [[54, u32(ip(serverId))], [50, u32(ip('198.18.0.120'))]] });
    expect(r.outcome).toBe('ack');
  });

  it('accepts the RFC 5107 override value as ours', () => {
    // item 50
    const h = new Harness(relayedConfig(), shard);
    const rai = relayInfo([11, u32(ip('198.18.5.1'))]);
    const r = h.send({ messageType: 3, chaddr: mac(1), giaddr: ip('198.18.5.1'), options: [[82, rai], [54, u32(ip('198.18.5.1'))], [50, u32(ip('198.18.5.120'))]] }, relayIngress());
    expect(r.outcome).toBe('ack');
    expect(option(r, 54)).toEqual(u32(ip('198.18.5.1')));
  });

  it('ignores a stray ciaddr next to option 50', () => {
    // item 26
    const h = new Harness(makeConfig(), shard);
    const r = h.send({ messageType: 3, chaddr: mac(1), ciaddr: ip('10.9.9.9'), options: [[54, SERVER], [50, u32(ip('198.18.0.120'))]] });
    expect(r.outcome).toBe('ack');
    expect(r.reply?.ciaddr).toBe(0);
    expect(r.delivery.kind).toBe(DeliveryKind.YIADDR);
    expect(r.delivery.address).toBe(ip('198.18.0.120'));
  });

  it('deletes the client\'s previous lease in the subnet', () => {
    // item 107
    const h = new Harness(makeConfig(), shard);
    h.put({ address: ip('198.18.0.100'), hwAddress: mac(1) });
    const r = h.send({ messageType: 3, chaddr: mac(1), options: [[54, SERVER], [50, u32(ip('198.18.0.101'))]] });
    expect(r.outcome).toBe('ack');
    expect(r.changes.map((c) => c.kind)).toEqual(['delete', 'update']);
    expect(h.store.get(ip('198.18.0.100'))).toBeUndefined();
  });

  it('stores the host name without its trailing NUL', () => {
    // item 81
    const h = new Harness(makeConfig(), shard);
    const r = h.send({ messageType: 3, chaddr: mac(1), options: [[54, SERVER], [50, u32(ip('198.18.0.120'))], [12, text('winbox\0')]] });
    expect(h.store.get(ip('198.18.0.120'))?.hostname).toBe('winbox');
    expect(option(r, 12)).toEqual(text('winbox'));
  });
});

describe.each(SHARDS)('engine: REQUEST in INIT-REBOOT (%s)', (_name, shard) => {
  it('acks a known client asking for its own address', () => {
    // item 28
    const h = new Harness(makeConfig(), shard);
    h.put({ address: ip('198.18.0.103'), hwAddress: mac(4) });
    const r = h.send({ messageType: 3, chaddr: mac(4), options: [[50, u32(ip('198.18.0.103'))]] });
    expect(r.outcome).toBe('ack');
    expect(r.reply?.yiaddr).toBe(ip('198.18.0.103'));
  });

  it('naks a known client asking for another address', () => {
    // item 29
    const h = new Harness(makeConfig(), shard);
    h.put({ address: ip('198.18.0.103'), hwAddress: mac(4) });
    const r = h.send({ messageType: 3, chaddr: mac(4), options: [[50, u32(ip('198.18.0.120'))]] });
    expect(r.outcome).toBe('nak-wrong-address');
    expect(r.delivery.kind).toBe(DeliveryKind.BROADCAST);
  });

  it.each([
    ['in-subnet address', '198.18.0.120'],
    ['address on another network', '198.19.9.9'],
    ['address leased to someone else', '198.18.0.103'],
  ])('stays silent for an unknown client asking for an %s', (_case, requested) => {
    // items 30, 31, 54
    const h = new Harness(makeConfig(), shard);
    h.put({ address: ip('198.18.0.103'), hwAddress: mac(4) });
    const r = h.send({ messageType: 3, chaddr: mac(7), options: [[50, u32(ip(requested))]] });
    expect(r.reply).toBeUndefined();
    expect(r.outcome).toBe('silent-init-reboot-unknown-client');
  });

  it('naks an unknown client when authoritative', () => {
    // item 30
    const h = new Harness(makeConfig({ subnets: [labSubnet({ authoritative: true })] }), shard);
    const r = h.send({ messageType: 3, chaddr: mac(7), options: [[50, u32(ip('198.18.0.120'))]] });
    expect(r.outcome).toBe('nak-unknown-client');
  });

  it('naks a known client asking for an address on another network', () => {
    // item 31
    const h = new Harness(makeConfig(), shard);
    h.put({ address: ip('198.18.0.103'), hwAddress: mac(4) });
    const r = h.send({ messageType: 3, chaddr: mac(4), options: [[50, u32(ip('198.19.9.9'))]] });
    expect(r.outcome).toBe('nak-wrong-network');
  });

  it('naks a client that moved behind a relay, with the broadcast bit', () => {
    // items 37, 53
    const h = new Harness(relayedConfig(), shard);
    h.put({ address: ip('198.18.5.106'), hwAddress: mac(4), subnetId: 5 });
    const r = h.send({ messageType: 3, chaddr: mac(4), giaddr: ip('198.18.5.1'), options: [[50, u32(ip('198.18.0.100'))]] }, relayIngress());
    expect(r.outcome).toBe('nak-wrong-network');
    expect(r.reply?.flags).toBe(0x8000);
    expect(r.delivery).toEqual({ kind: DeliveryKind.RELAY, address: ip('198.18.5.1'), port: 67 });
  });

  it('gives a returning client its expired address back', () => {
    // item 108
    const h = new Harness(makeConfig(), shard);
    h.put({ address: ip('198.18.0.103'), hwAddress: mac(4), cltt: h.nowSec - 7200, state: LeaseState.EXPIRED_RECLAIMED });
    const r = h.send({ messageType: 3, chaddr: mac(4), options: [[50, u32(ip('198.18.0.103'))]] });
    expect(r.outcome).toBe('ack');
  });
});

describe.each(SHARDS)('engine: REQUEST in RENEWING and REBINDING (%s)', (_name, shard) => {
  it('acks the owner and answers unicast to ciaddr', () => {
    // item 32
    const h = new Harness(makeConfig(), shard);
    h.put({ address: ip('198.18.0.104'), hwAddress: mac(5), cltt: h.nowSec - 1800 });
    const r = h.send({ messageType: 3, chaddr: mac(5), ciaddr: ip('198.18.0.104') }, unicast);
    expect(r.outcome).toBe('ack');
    expect(r.reply?.ciaddr).toBe(ip('198.18.0.104'));
    expect(r.delivery).toEqual({ kind: DeliveryKind.CIADDR, address: ip('198.18.0.104'), port: 68 });
    expect(h.store.get(ip('198.18.0.104'))?.cltt).toBe(h.nowSec);
  });

  it('acks a broadcast REBIND from the owner', () => {
    // item 32
    const h = new Harness(makeConfig(), shard);
    h.put({ address: ip('198.18.0.104'), hwAddress: mac(5) });
    expect(h.send({ messageType: 3, chaddr: mac(5), ciaddr: ip('198.18.0.104') }).outcome).toBe('ack');
  });

  it('naks a renewal of another client\'s lease, by broadcast', () => {
    // items 33, 52
    const h = new Harness(makeConfig(), shard);
    h.put({ address: ip('198.18.0.104'), hwAddress: mac(5) });
    const r = h.send({ messageType: 3, chaddr: mac(0x37), ciaddr: ip('198.18.0.104') }, unicast);
    expect(r.outcome).toBe('nak-address-in-use');
    expect(r.delivery.kind).toBe(DeliveryKind.BROADCAST);
    expect(r.delivery.address).toBe(0xffffffff);
  });

  it.each([
    ['RENEW', unicast],
    ['REBIND', directIngress({ sourceAddress: ip('198.18.0.150') })],
  ])('stays silent on an unknown binding (%s)', (_case, ingress) => {
    // item 34
    const h = new Harness(makeConfig(), shard);
    const r = h.send({ messageType: 3, chaddr: mac(5), ciaddr: ip('198.18.0.150') }, ingress);
    expect(r.reply).toBeUndefined();
    expect(r.outcome).toBe('silent-unknown-binding');
  });

  it('naks an unknown binding when authoritative', () => {
    // item 34
    const h = new Harness(makeConfig({ subnets: [labSubnet({ authoritative: true })] }), shard);
    expect(h.send({ messageType: 3, chaddr: mac(5), ciaddr: ip('198.18.0.150') }).outcome).toBe('nak-unknown-binding');
  });

  it('acks a renewal that also carries option 50', () => {
    // item 35
    const h = new Harness(makeConfig(), shard);
    h.put({ address: ip('198.18.0.104'), hwAddress: mac(5) });
    const r = h.send({ messageType: 3, chaddr: mac(5), ciaddr: ip('198.18.0.104'), options: [[50, u32(ip('198.18.0.104'))]] }, unicast);
    expect(r.outcome).toBe('ack');
    expect(r.delivery.kind).toBe(DeliveryKind.CIADDR);
  });

  it('naks the holder of an address that is now reserved for another host', () => {
    // items 38, 106
    const config = makeConfig({ subnets: [labSubnet({ reservations: [reservation({ hwAddress: mac(9), ipAddress: ip('198.18.0.104') })] })] });
    const h = new Harness(config, shard);
    h.put({ address: ip('198.18.0.104'), hwAddress: mac(5) });
    expect(h.send({ messageType: 3, chaddr: mac(5), ciaddr: ip('198.18.0.104') }, unicast).outcome).toBe('nak-address-reserved');
  });

  it('naks a temporary address when the reserved one is free', () => {
    // items 38, 106
    const config = makeConfig({ subnets: [labSubnet({ reservations: [reservation({ hwAddress: mac(5), ipAddress: ip('198.18.0.50') })] })] });
    const h = new Harness(config, shard);
    h.put({ address: ip('198.18.0.104'), hwAddress: mac(5) });
    expect(h.send({ messageType: 3, chaddr: mac(5), ciaddr: ip('198.18.0.104') }, unicast).outcome).toBe('nak-reserved-elsewhere');
  });

  it('hands over a reserved address in three steps', () => {
    // item 106: temporary address, holder NAKed at renewal, reserved client gets it at its renewal
    const config = makeConfig({ subnets: [labSubnet({ reservations: [reservation({ hwAddress: mac(5), ipAddress: ip('198.18.0.150') })] })] });
    const h = new Harness(config, shard);
    h.put({ address: ip('198.18.0.150'), hwAddress: mac(9) });
    const temporary = h.lease(mac(5));
    expect(temporary).not.toBe(ip('198.18.0.150'));
    const holderRenew = h.send({ messageType: 3, chaddr: mac(9), ciaddr: ip('198.18.0.150') }, unicast);
    expect(holderRenew.outcome).toBe('nak-address-reserved');
    h.nowSec += 3601;
    const reservedRenew = h.send({ messageType: 3, chaddr: mac(5), ciaddr: temporary }, unicast);
    expect(reservedRenew.outcome).toBe('nak-reserved-elsewhere');
    expect(h.lease(mac(5))).toBe(ip('198.18.0.150'));
  });

  it('keeps renewing while the pool is full', () => {
    // item 116
    const h = new Harness(makeConfig({ subnets: [labSubnet({ pools: [pool('198.18.0.100', '198.18.0.100')] })] }), shard);
    const address = h.lease(mac(1));
    expect(h.send({ messageType: 1, chaddr: mac(2) }).outcome).toBe('silent-pool-exhausted');
    expect(h.send({ messageType: 3, chaddr: mac(1), ciaddr: address }, unicast).outcome).toBe('ack');
  });

  it('renews a circuit-id reservation without option 82', () => {
    // item 91
    const config = makeConfig({
      subnets: [labSubnet(), subnet(5, '198.18.5.0/24', { pools: [pool('198.18.5.100', '198.18.5.150')], reservations: [reservation({ circuitId: text('port7'), ipAddress: ip('198.18.5.77') })] })],
    });
    const h = new Harness(config, shard);
    const rai: [number, Uint8Array] = [82, relayInfo([1, text('port7')])];
    const address = h.lease(mac(2), [rai], relayIngress(), ip('198.18.5.1'));
    expect(address).toBe(ip('198.18.5.77'));
    const renew = h.send({ messageType: 3, chaddr: mac(2), ciaddr: address }, directIngress({ ifname: 'eth1', sourceAddress: address, destinationAddress: ip('198.18.1.1'), localAddress: ip('198.18.1.1') }));
    expect(renew.outcome).toBe('ack');
    expect(renew.reply?.yiaddr).toBe(address);
  });
});

describe.each(SHARDS)('engine: REQUEST edge cases (%s)', (_name, shard) => {
  it('allocates and acks a REQUEST with neither option 50 nor ciaddr', () => {
    // item 36
    const h = new Harness(makeConfig(), shard);
    const r = h.send({ messageType: 3, chaddr: mac(0x0d) });
    expect(r.outcome).toBe('ack');
    expect(r.reply?.yiaddr).toBeGreaterThanOrEqual(ip('198.18.0.100'));
  });

  it('naks a relayed REQUEST when no subnet serves the relay', () => {
    // item 95
    const h = new Harness(relayedConfig(), shard);
    const r = h.send({ messageType: 3, chaddr: mac(1), giaddr: ip('198.18.9.1'), options: [[50, u32(ip('198.18.9.100'))]] }, relayIngress({ sourceAddress: ip('198.18.9.1') }));
    expect(r.outcome).toBe('nak-no-subnet');
  });

  it('grants one of two racing clients and naks the other', () => {
    // item 118, transaction re-check
    const h = new Harness(makeConfig(), shard);
    const first = h.send({ messageType: 3, chaddr: mac(1), options: [[54, SERVER], [50, u32(ip('198.18.0.140'))]] });
    const second = h.send({ messageType: 3, chaddr: mac(2), options: [[54, SERVER], [50, u32(ip('198.18.0.140'))]] });
    expect(first.outcome).toBe('ack');
    expect(second.outcome).toBe('nak-address-in-use');
  });

  it('writes one lease for duplicate REQUESTs', () => {
    // item 118
    const h = new Harness(makeConfig(), shard);
    const req = { messageType: 3, chaddr: mac(1), options: [[54, SERVER], [50, u32(ip('198.18.0.140'))]] as Array<[number, Uint8Array]> };
    const a = h.send(req);
    const b = h.send(req);
    expect(a.reply?.yiaddr).toBe(b.reply?.yiaddr);
    expect(h.store.count()).toBe(1);
  });

  it('naks a declined address in probation', () => {
    // item 40
    const h = new Harness(makeConfig(), shard);
    h.put({ address: ip('198.18.0.140'), hwAddress: bytes(), state: LeaseState.DECLINED, validLifetime: 86400 });
    const r = h.send({ messageType: 3, chaddr: mac(1), options: [[54, SERVER], [50, u32(ip('198.18.0.140'))]] });
    expect(r.outcome).toBe('nak-address-declined');
    expect(optionCodes(r)).toContain(56);
  });
});
