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
  relayIngress,
  subnet,
  u32,
} from './helpers.js';

describe.each(SHARDS)('engine: DECLINE (%s)', (_name, shard) => {
  it('ignores a DECLINE from a client that does not own the lease', () => {
    // item 39
    const h = new Harness(makeConfig(), shard);
    h.put({ address: ip('198.18.0.105'), hwAddress: mac(7) });
    const r = h.send({ messageType: 4, chaddr: mac(8), options: [[50, u32(ip('198.18.0.105'))]] });
    expect(r.reply).toBeUndefined();
    expect(r.outcome).toBe('drop-decline-not-owner');
    expect(h.store.get(ip('198.18.0.105'))?.state).toBe(LeaseState.DEFAULT);
  });

  it('quarantines the address when the owner declines it, without a reply', () => {
    // items 39, 40
    const h = new Harness(makeConfig({ declineProbationPeriodSec: 600 }), shard);
    h.put({ address: ip('198.18.0.105'), hwAddress: mac(7), clientId: bytes(1, 2, 3) });
    const r = h.send({ messageType: 4, chaddr: mac(7), options: [[50, u32(ip('198.18.0.105'))], [61, bytes(1, 2, 3)]] });
    expect(r.reply).toBeUndefined();
    expect(r.outcome).toBe('decline');
    const lease = h.store.get(ip('198.18.0.105'))!;
    expect(lease.state).toBe(LeaseState.DECLINED);
    expect(lease.hwAddress.length).toBe(0);
    expect(lease.clientId).toBeUndefined();
    expect(lease.validLifetime).toBe(600);
    const again = h.send({ messageType: 1, chaddr: mac(7), options: [[50, u32(ip('198.18.0.105'))], [61, bytes(1, 2, 3)]] });
    expect(again.reply?.yiaddr).not.toBe(ip('198.18.0.105'));
  });

  it('ignores a DECLINE without option 50', () => {
    // item 39
    const h = new Harness(makeConfig(), shard);
    expect(h.send({ messageType: 4, chaddr: mac(7) }).outcome).toBe('drop-decline-no-address');
  });

  it('ignores a DECLINE of a released address', () => {
    // item 41
    const h = new Harness(makeConfig(), shard);
    h.put({ address: ip('198.18.0.105'), hwAddress: mac(7) });
    h.send({ messageType: 7, chaddr: mac(7), ciaddr: ip('198.18.0.105') });
    const r = h.send({ messageType: 4, chaddr: mac(7), options: [[50, u32(ip('198.18.0.105'))]] });
    expect(r.outcome).toBe('drop-decline-not-owner');
    expect(h.store.get(ip('198.18.0.105'))?.state).toBe(LeaseState.EXPIRED_RECLAIMED);
  });

  it('ignores a DECLINE naming another server', () => {
    // item 24 applied to DECLINE (Kea acceptServerId)
    const h = new Harness(makeConfig(), shard);
    h.put({ address: ip('198.18.0.105'), hwAddress: mac(7) });
    const r = h.send({ messageType: 4, chaddr: mac(7), options: [[50, u32(ip('198.18.0.105'))], [54, u32(ip('198.18.0.99'))]] });
    expect(r.outcome).toBe('drop-server-id-not-ours');
  });
});

describe.each(SHARDS)('engine: RELEASE (%s)', (_name, shard) => {
  it('keeps the lease of another client', () => {
    // item 42
    const h = new Harness(makeConfig(), shard);
    h.put({ address: ip('198.18.0.101'), hwAddress: mac(7) });
    const r = h.send({ messageType: 7, chaddr: mac(8), ciaddr: ip('198.18.0.101') });
    expect(r.outcome).toBe('drop-release-not-owner');
    expect(h.store.get(ip('198.18.0.101'))?.state).toBe(LeaseState.DEFAULT);
  });

  it('frees the owner\'s lease without a reply, with or without option 54', () => {
    // item 42
    const h = new Harness(makeConfig(), shard);
    h.put({ address: ip('198.18.0.101'), hwAddress: mac(7) });
    h.put({ address: ip('198.18.0.102'), hwAddress: mac(8) });
    const a = h.send({ messageType: 7, chaddr: mac(7), ciaddr: ip('198.18.0.101') });
    const b = h.send({ messageType: 7, chaddr: mac(8), ciaddr: ip('198.18.0.102'), options: [[54, u32(ip('198.18.0.1'))]] });
    for (const r of [a, b]) {
      expect(r.reply).toBeUndefined();
      expect(r.outcome).toBe('release');
      expect(r.changes).toHaveLength(1);
    }
    expect(h.store.get(ip('198.18.0.101'))?.state).toBe(LeaseState.EXPIRED_RECLAIMED);
  });

  it('gives the released address back to the same client', () => {
    // item 43
    const h = new Harness(makeConfig(), shard);
    const address = h.lease(mac(7));
    h.send({ messageType: 7, chaddr: mac(7), ciaddr: address });
    for (let i = 20; i < 25; i++) h.lease(mac(i));
    expect(h.send({ messageType: 1, chaddr: mac(7) }).reply?.yiaddr).toBe(address);
  });
});

describe('engine: INFORM', () => {
  it('acks with configuration only and leaves the store alone', () => {
    // items 44, 46
    const h = new Harness();
    const r = h.send({ messageType: 8, chaddr: mac(6), ciaddr: ip('198.18.0.200'), options: [[55, bytes(1, 3, 6, 15)]] }, directIngress({ sourceAddress: ip('198.18.0.200'), destinationAddress: ip('198.18.0.1') }));
    expect(r.outcome).toBe('inform-ack');
    expect(r.reply?.messageType).toBe(5);
    expect(r.reply?.yiaddr).toBe(0);
    expect(r.reply?.ciaddr).toBe(ip('198.18.0.200'));
    expect(optionCodes(r)).toEqual([54, 1, 3, 6, 15]);
    expect(r.changes).toEqual([]);
    expect(h.store.count()).toBe(0);
  });

  it.each([
    ['direct with ciaddr', { ciaddr: ip('198.18.0.200') }, directIngress(), { kind: DeliveryKind.CIADDR, address: ip('198.18.0.200'), port: 68 }, 0],
    ['relayed with ciaddr', { ciaddr: ip('198.18.5.9'), giaddr: ip('198.18.5.1') }, relayIngress(), { kind: DeliveryKind.CIADDR, address: ip('198.18.5.9'), port: 68 }, 0],
    ['relayed without ciaddr', { giaddr: ip('198.18.5.1') }, relayIngress(), { kind: DeliveryKind.RELAY, address: ip('198.18.5.1'), port: 67 }, 0x8000],
  ])('delivers an INFORM %s', (_case, fields, ingress, delivery, flags) => {
    // item 45
    const h = new Harness(makeConfig({ subnets: [labSubnet(), subnet(5, '198.18.5.0/24', { pools: [pool('198.18.5.100', '198.18.5.150')] })] }));
    const r = h.send({ messageType: 8, chaddr: mac(9), ...fields }, ingress);
    expect(r.outcome).toBe('inform-ack');
    expect(r.delivery).toEqual(delivery);
    expect(r.reply?.flags).toBe(flags);
  });

  it('drops a direct INFORM from 0.0.0.0 without ciaddr', () => {
    // item 45
    const h = new Harness();
    const r = h.send({ messageType: 8, chaddr: mac(9) });
    expect(r.reply).toBeUndefined();
    expect(r.outcome).toBe('drop-inform-no-address');
  });

  it('leaves out the lease times', () => {
    // item 44
    const h = new Harness(makeConfig({ subnets: [labSubnet({ calculateTeeTimes: true })] }));
    const r = h.send({ messageType: 8, chaddr: mac(9), ciaddr: ip('198.18.0.200'), options: [[55, bytes(51, 58, 59)]] });
    for (const code of [51, 58, 59]) expect(option(r, code)).toBeUndefined();
  });
});
