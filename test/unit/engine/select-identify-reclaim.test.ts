import { describe, expect, it } from 'vitest';

import { LeaseState } from '../../../src/leases/types.js';
import type { Ingress } from '../../../src/engine/types.js';
import {
  Harness,
  SHARDS,
  bytes,
  directIngress,
  ip,
  labSubnet,
  mac,
  makeConfig,
  pool,
  relayInfo,
  relayIngress,
  reservation,
  subnet,
  text,
  u32,
} from './helpers.js';
import type { FakeRequest } from './helpers.js';

/** Subnets 1 (198.18.0.0/24 on eth0), 5 (relay 198.18.5.1 listed), 6, 7, 8 (on eth2). */
function campus() {
  return makeConfig({
    subnets: [
      labSubnet(),
      subnet(5, '198.18.5.0/24', { pools: [pool('198.18.5.100', '198.18.5.150')] }),
      subnet(6, '198.18.6.0/24', { pools: [pool('198.18.6.100', '198.18.6.150')], relayAddresses: [ip('198.18.9.1')] }),
      subnet(7, '198.18.7.0/24', { pools: [pool('198.18.7.100', '198.18.7.150')] }),
      subnet(8, '198.18.8.0/24', { pools: [pool('198.18.8.100', '198.18.8.150')], interface: 'eth2' }),
    ],
  });
}

describe('engine: subnet selection', () => {
  const table: Array<[string, Partial<FakeRequest>, Ingress, string]> = [
    ['link selection over giaddr', { giaddr: ip('198.18.5.1'), options: [[82, relayInfo([5, u32(ip('198.18.6.0'))])]] }, relayIngress(), '198.18.6.'],
    ['link selection over option 118', { giaddr: ip('198.18.5.1'), options: [[82, relayInfo([5, u32(ip('198.18.6.0'))])], [118, u32(ip('198.18.7.0'))]] }, relayIngress(), '198.18.6.'],
    ['option 118 over giaddr', { giaddr: ip('198.18.5.1'), options: [[118, u32(ip('198.18.7.0'))]] }, relayIngress(), '198.18.7.'],
    ['relay ip-addresses over the giaddr prefix', { giaddr: ip('198.18.9.1') }, relayIngress(), '198.18.6.'],
    ['subnet containing giaddr', { giaddr: ip('198.18.5.1') }, relayIngress(), '198.18.5.'],
    ['interface name', {}, directIngress({ ifname: 'eth2', localAddress: ip('198.18.0.1') }), '198.18.8.'],
    ['interface address', {}, directIngress({ ifname: 'eth3', localAddress: ip('198.18.7.1') }), '198.18.7.'],
  ];

  it.each(table)('selects by %s', (_case, fields, ingress, prefix) => {
    // items 92, 93, 94
    const h = new Harness(campus());
    const r = h.send({ messageType: 1, ...fields }, ingress);
    expect(r.outcome).toBe('offer');
    const yiaddr = r.reply!.yiaddr;
    expect(`${yiaddr >>> 24}.${(yiaddr >>> 16) & 255}.${(yiaddr >>> 8) & 255}.`).toBe(prefix);
  });

  it('selects by ciaddr for a unicast request and by source address after it', () => {
    // item 94
    const h = new Harness(campus());
    h.put({ address: ip('198.18.7.120'), hwAddress: mac(1), subnetId: 7 });
    h.put({ address: ip('198.18.8.120'), hwAddress: mac(2), subnetId: 8 });
    const byCiaddr = h.send({ messageType: 3, chaddr: mac(1), ciaddr: ip('198.18.7.120') }, directIngress({ sourceAddress: ip('198.18.8.120'), destinationAddress: ip('198.18.0.1') }));
    expect(byCiaddr.outcome).toBe('ack');
    const bySource = h.send({ messageType: 8, chaddr: mac(2) }, directIngress({ sourceAddress: ip('198.18.8.120'), destinationAddress: ip('198.18.0.1') }));
    expect(bySource.outcome).toBe('inform-ack');
  });

  it('drops a direct broadcast on an interface without a subnet', () => {
    // item 96
    const h = new Harness(campus());
    const r = h.send({ messageType: 1 }, directIngress({ ifname: 'eth9', localAddress: ip('198.18.40.1') }));
    expect(r.reply).toBeUndefined();
    expect(r.outcome).toBe('drop-no-subnet');
  });
});

describe.each(SHARDS)('engine: client identity (%s)', (_name, shard) => {
  it('gives two leases to one chaddr with two client identifiers', () => {
    // item 85
    const h = new Harness(makeConfig(), shard);
    const a = h.lease(mac(1), [[61, bytes(1, 2, 0, 0, 0, 1, 1)]]);
    const b = h.lease(mac(1), [[61, bytes(255, 0, 0, 0, 1, 0, 1, 2, 3)]]);
    expect(a).not.toBe(b);
    expect(h.store.count()).toBe(2);
  });

  it('finds a chaddr-only lease when the client adds a client identifier', () => {
    // item 86
    const h = new Harness(makeConfig(), shard);
    const a = h.lease(mac(1));
    const r = h.send({ messageType: 1, chaddr: mac(1), options: [[61, bytes(1, 2, 0, 0, 0, 1, 1)]] });
    expect(r.reply?.yiaddr).toBe(a);
  });

  it('matches by chaddr only when match-client-id is off', () => {
    // item 86
    const h = new Harness(makeConfig({ subnets: [labSubnet({ matchClientId: false })] }), shard);
    const a = h.lease(mac(1), [[61, bytes(1, 1, 1)]]);
    const r = h.send({ messageType: 1, chaddr: mac(1), options: [[61, bytes(2, 2, 2)]] });
    expect(r.reply?.yiaddr).toBe(a);
  });

  it('stores and echoes a 255-byte client identifier intact', () => {
    // item 87
    const h = new Harness(makeConfig(), shard);
    const clientId = new Uint8Array(255).map((_, i) => i);
    const address = h.lease(mac(1), [[61, clientId]]);
    expect(h.store.get(address)?.clientId).toEqual(clientId);
  });

  it('serves a client with hlen 0 by its client identifier', () => {
    // item 11
    const h = new Harness(makeConfig(), shard);
    const address = h.lease(bytes(), [[61, bytes(0, 107, 99, 45, 104)]]);
    const again = h.send({ messageType: 1, chaddr: bytes(), options: [[61, bytes(0, 107, 99, 45, 104)]] });
    expect(again.reply?.yiaddr).toBe(address);
  });

  it.each([
    ['hw-address', { hwAddress: mac(0xaa) }, { chaddr: mac(0xaa) }, '198.18.0.50'],
    ['client-id with another chaddr', { clientId: bytes(1, 2, 0, 0, 0, 0xaa, 2) }, { chaddr: mac(0x99), options: [[61, bytes(1, 2, 0, 0, 0, 0xaa, 2)]] }, '198.18.0.51'],
    ['circuit-id', { circuitId: text('port7') }, { options: [[82, relayInfo([1, text('port7')])]] }, '198.18.0.77'],
  ] as Array<[string, object, Partial<FakeRequest>, string]>)('offers the address reserved by %s', (_case, key, fields, address) => {
    // items 90, 105
    const h = new Harness(makeConfig({ subnets: [labSubnet({ reservations: [reservation({ ...key, ipAddress: ip(address) })] })] }), shard);
    expect(h.send({ messageType: 1, ...fields }).reply?.yiaddr).toBe(ip(address));
  });

  it('follows host-reservation-identifiers order', () => {
    // item 105
    const reservations = [reservation({ hwAddress: mac(1), ipAddress: ip('198.18.0.50') }), reservation({ clientId: bytes(1, 9, 9), ipAddress: ip('198.18.0.51') })];
    const request: FakeRequest = { messageType: 1, chaddr: mac(1), options: [[61, bytes(1, 9, 9)]] };
    const hwFirst = new Harness(makeConfig({ subnets: [labSubnet({ reservations })] }), shard);
    expect(hwFirst.send(request).reply?.yiaddr).toBe(ip('198.18.0.50'));
    const clientIdFirst = new Harness(makeConfig({ subnets: [labSubnet({ reservations })], hostReservationIdentifiers: ['client-id', 'hw-address'] }), shard);
    expect(clientIdFirst.send(request).reply?.yiaddr).toBe(ip('198.18.0.51'));
  });

  it('uses global reservations only when reservations-global is on', () => {
    // item 105
    const globalReservations = [reservation({ hwAddress: mac(1), ipAddress: ip('198.18.0.60') })];
    const off = new Harness(makeConfig({ globalReservations }), shard);
    expect(off.send({ messageType: 1, chaddr: mac(1) }).reply?.yiaddr).not.toBe(ip('198.18.0.60'));
    const on = new Harness(makeConfig({ globalReservations, reservationsGlobal: true }), shard);
    expect(on.send({ messageType: 1, chaddr: mac(1) }).reply?.yiaddr).toBe(ip('198.18.0.60'));
  });

  it('ignores subnet reservations when reservations-in-subnet is off', () => {
    // item 105
    const h = new Harness(makeConfig({ subnets: [labSubnet({ reservationsInSubnet: false, reservations: [reservation({ hwAddress: mac(1), ipAddress: ip('198.18.0.50') })] })] }), shard);
    expect(h.send({ messageType: 1, chaddr: mac(1) }).reply?.yiaddr).not.toBe(ip('198.18.0.50'));
  });

  it('skips pools guarded by a class the client lacks', () => {
    // item 104 (pool guards), HA scope classes
    const config = makeConfig({ subnets: [labSubnet({ pools: [pool('198.18.0.100', '198.18.0.149', { clientClass: 'HA_server1' }), pool('198.18.0.150', '198.18.0.199', { clientClass: 'HA_server2' })] })] });
    const h = new Harness(config, shard, { classify: () => ['HA_server2'] });
    expect(h.send({ messageType: 1 }).reply?.yiaddr).toBeGreaterThanOrEqual(ip('198.18.0.150'));
    const unclassified = new Harness(config, shard);
    expect(unclassified.send({ messageType: 1 }).outcome).toBe('silent-pool-exhausted');
  });

  it("takes new addresses from the first class's pools first with preferFirstClass (HA failover)", () => {
    const config = makeConfig({ subnets: [labSubnet({ pools: [pool('198.18.0.100', '198.18.0.101', { clientClass: 'HA_server1' }), pool('198.18.0.150', '198.18.0.151', { clientClass: 'HA_server2' })] })] });
    const h = new Harness(config, shard, { classify: () => ['HA_server2', 'HA_server1'], preferFirstClass: true });
    const given = [1, 2, 3].map((n) => h.lease(mac(n)));
    expect(given.slice(0, 2).every((a) => a >= ip('198.18.0.150'))).toBe(true);
    // The own pools are full: the third client gets an address from the other class's pool.
    expect(given[2]).toBeLessThan(ip('198.18.0.150'));
  });

  it('renews a live lease in a pool of an owned-lease class, and gives no new address there', () => {
    const config = makeConfig({ subnets: [labSubnet({ pools: [pool('198.18.0.100', '198.18.0.149', { clientClass: 'HA_server1' }), pool('198.18.0.150', '198.18.0.199', { clientClass: 'HA_server2' })] })] });
    const h = new Harness(config, shard, { classify: () => ['HA_server2'], ownedLeaseClasses: ['HA_server1', 'HA_server2'] });
    h.put({ address: ip('198.18.0.120'), hwAddress: mac(7) });
    const renew = h.send({ messageType: 3, chaddr: mac(7), ciaddr: ip('198.18.0.120') }, directIngress({ sourceAddress: ip('198.18.0.120'), destinationAddress: ip('198.18.0.1') }));
    expect(renew.outcome).toBe('ack');
    const other = h.send({ messageType: 3, chaddr: mac(8), options: [[54, u32(ip('198.18.0.1'))], [50, u32(ip('198.18.0.121'))]] });
    expect(other.outcome).toBe('nak-address-out-of-pool');
  });
});

describe('engine: expired-lease reclamation', () => {
  it('reclaims in bounded batches, keeping the owner', () => {
    // item 109
    const h = new Harness();
    for (let i = 0; i < 250; i++) h.put({ address: ip('198.18.0.0') + 1000 + i, hwAddress: mac(i & 0xff, i >> 8), cltt: h.nowSec - 3700 });
    expect(h.engine.reclaimExpired(h.store, h.nowSec, 100, 250)).toBe(100);
    expect(h.store.expiredBefore(h.nowSec, 1000)).toHaveLength(150);
    while (h.engine.reclaimExpired(h.store, h.nowSec, 100, 250) > 0);
    expect(h.store.expiredBefore(h.nowSec, 1000)).toHaveLength(0);
    const lease = h.store.get(ip('198.18.0.0') + 1000)!;
    expect(lease.state).toBe(LeaseState.EXPIRED_RECLAIMED);
    expect(lease.hwAddress).toEqual(mac(0, 0));
  });

  it('deletes reclaimed leases after hold-reclaimed-time', () => {
    // items 108, 109
    const h = new Harness();
    h.put({ address: ip('198.18.0.120'), hwAddress: mac(1), cltt: h.nowSec - 3600 - 10 });
    h.engine.reclaimExpired(h.store, h.nowSec, 100, 250);
    expect(h.store.get(ip('198.18.0.120'))?.state).toBe(LeaseState.EXPIRED_RECLAIMED);
    h.nowSec += 3600;
    h.engine.reclaimExpired(h.store, h.nowSec, 100, 250);
    expect(h.store.get(ip('198.18.0.120'))).toBeUndefined();
  });

  it('returns a declined address to the pool after probation', () => {
    // item 40
    const h = new Harness(makeConfig({ subnets: [labSubnet({ pools: [pool('198.18.0.100', '198.18.0.100')] })] }));
    h.put({ address: ip('198.18.0.100'), hwAddress: bytes(), state: LeaseState.DECLINED, validLifetime: 600, cltt: h.nowSec - 601 });
    expect(h.engine.reclaimExpired(h.store, h.nowSec, 100, 250)).toBe(1);
    expect(h.lease(mac(2))).toBe(ip('198.18.0.100'));
  });
});
