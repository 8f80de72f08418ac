import { describe, expect, it } from 'vitest';

import { OFFER_HOLD_SEC } from '../../../src/engine/allocate.js';
import { LeaseState } from '../../../src/leases/types.js';
import {
  Harness,
  SHARDS,
  bytes,
  ip,
  labSubnet,
  mac,
  makeConfig,
  option,
  optionCodes,
  pool,
  readU32,
  reservation,
  subnet,
  u32,
} from './helpers.js';

describe.each(SHARDS)('engine: DISCOVER address choice (%s)', (_name, shard) => {
  it('drops a DISCOVER that carries a server identifier', () => {
    // item 14
    const h = new Harness(makeConfig(), shard);
    const r = h.send({ messageType: 1, options: [[54, u32(ip('198.18.0.1'))]] });
    expect(r.reply).toBeUndefined();
    expect(r.outcome).toBe('drop-discover-server-id');
  });

  it('offers the current lease over a free requested address', () => {
    // item 15
    const h = new Harness(makeConfig(), shard);
    h.put({ address: ip('198.18.0.100'), hwAddress: mac(1) });
    const r = h.send({ messageType: 1, chaddr: mac(1), options: [[50, u32(ip('198.18.0.150'))]] });
    expect(r.reply?.yiaddr).toBe(ip('198.18.0.100'));
  });

  it('offers a reserved address over the current lease', () => {
    // items 15, 105
    const config = makeConfig({ subnets: [labSubnet({ reservations: [reservation({ hwAddress: mac(1), ipAddress: ip('198.18.0.50') })] })] });
    const h = new Harness(config, shard);
    h.put({ address: ip('198.18.0.100'), hwAddress: mac(1) });
    expect(h.send({ messageType: 1, chaddr: mac(1) }).reply?.yiaddr).toBe(ip('198.18.0.50'));
  });

  it('offers a free requested address from the pool', () => {
    // item 15
    const h = new Harness(makeConfig(), shard);
    const r = h.send({ messageType: 1, chaddr: mac(2), options: [[50, u32(ip('198.18.0.150'))]] });
    expect(r.reply?.yiaddr).toBe(ip('198.18.0.150'));
  });

  it.each([
    ['another network', '198.19.0.20'],
    ['outside the pool', '198.18.0.20'],
    ['the server address', '198.18.0.1'],
  ])('ignores a requested address on %s', (_case, requested) => {
    // item 16
    const h = new Harness(makeConfig(), shard);
    const r = h.send({ messageType: 1, chaddr: mac(3), options: [[50, u32(ip(requested))]] });
    expect(r.outcome).toBe('offer');
    expect(r.reply?.yiaddr).toBeGreaterThanOrEqual(ip('198.18.0.100'));
    expect(r.reply?.yiaddr).toBeLessThanOrEqual(ip('198.18.0.199'));
  });

  it('ignores a requested address leased to another client', () => {
    // item 16
    const h = new Harness(makeConfig(), shard);
    h.put({ address: ip('198.18.0.150'), hwAddress: mac(9) });
    const r = h.send({ messageType: 1, chaddr: mac(3), options: [[50, u32(ip('198.18.0.150'))]] });
    expect(r.outcome).toBe('offer');
    expect(r.reply?.yiaddr).not.toBe(ip('198.18.0.150'));
  });

  it('ignores a requested address reserved for another client', () => {
    // items 16, 106
    const config = makeConfig({ subnets: [labSubnet({ reservations: [reservation({ hwAddress: mac(9), ipAddress: ip('198.18.0.150') })] })] });
    const h = new Harness(config, shard);
    const r = h.send({ messageType: 1, chaddr: mac(3), options: [[50, u32(ip('198.18.0.150'))]] });
    expect(r.reply?.yiaddr).not.toBe(ip('198.18.0.150'));
  });

  it('stays silent when the pool is exhausted', () => {
    // items 17, 116
    const config = makeConfig({ subnets: [labSubnet({ pools: [pool('198.18.0.100', '198.18.0.104')] })] });
    const h = new Harness(config, shard);
    const granted = [];
    for (let i = 1; i <= 5; i++) granted.push(h.lease(mac(i)));
    expect(new Set(granted).size).toBe(5);
    for (let i = 6; i <= 8; i++) {
      const r = h.send({ messageType: 1, chaddr: mac(i) });
      expect(r.reply).toBeUndefined();
      expect(r.outcome).toBe('silent-pool-exhausted');
    }
    expect(h.engine.counters['silent-pool-exhausted']).toBe(3);
  });

  it('never offers the network, broadcast or server address', () => {
    // item 104
    const config = makeConfig({ subnets: [labSubnet({ pools: [pool('198.18.0.0', '198.18.0.2'), pool('198.18.0.255', '198.18.0.255')] })] });
    const h = new Harness(config, shard);
    const first = h.send({ messageType: 1, chaddr: mac(1) });
    expect(first.reply?.yiaddr).toBe(ip('198.18.0.2'));
    // The only usable address is .2, so a second client takes over the first one's hold.
    expect(h.send({ messageType: 1, chaddr: mac(2) }).reply?.yiaddr).toBe(ip('198.18.0.2'));
  });

  it('writes nothing to the store', () => {
    // items 18, 115
    const h = new Harness(makeConfig(), shard);
    const r = h.send({ messageType: 1, chaddr: mac(1) });
    expect(r.changes).toEqual([]);
    expect(h.store.count()).toBe(0);
  });

  it('reuses an expired lease not yet reclaimed', () => {
    // item 109
    const config = makeConfig({ subnets: [labSubnet({ pools: [pool('198.18.0.100', '198.18.0.100')] })] });
    const h = new Harness(config, shard);
    h.put({ address: ip('198.18.0.100'), hwAddress: mac(9), cltt: h.nowSec - 7200 });
    expect(h.send({ messageType: 1, chaddr: mac(1) }).reply?.yiaddr).toBe(ip('198.18.0.100'));
  });
});

describe.each(SHARDS)('engine: DISCOVER offer stability (%s)', (_name, shard) => {
  it('offers one address to retransmitted DISCOVERs', () => {
    // item 18
    const h = new Harness(makeConfig(), shard);
    const offered = new Set<number>();
    for (let i = 0; i < 3; i++) {
      h.nowSec += 4;
      offered.add(h.send({ messageType: 1, chaddr: mac(1), xid: 100 + i }).reply!.yiaddr);
    }
    expect(offered.size).toBe(1);
  });

  it('offers different addresses to two clients at once', () => {
    // items 18, 113 (same xid for both)
    const h = new Harness(makeConfig(), shard);
    const a = h.send({ messageType: 1, chaddr: mac(1), xid: 0x11223344 });
    const b = h.send({ messageType: 1, chaddr: mac(2), xid: 0x11223344 });
    expect(a.reply?.yiaddr).not.toBe(b.reply?.yiaddr);
  });

  it('does not offer a held address to a client that asks for it', () => {
    // item 18
    const h = new Harness(makeConfig(), shard);
    const a = h.send({ messageType: 1, chaddr: mac(1) }).reply!.yiaddr;
    const b = h.send({ messageType: 1, chaddr: mac(2), options: [[50, u32(a)]] }).reply!.yiaddr;
    expect(b).not.toBe(a);
  });

  it('lets the hold lapse after the hold time', () => {
    // item 18
    const config = makeConfig({ subnets: [labSubnet({ pools: [pool('198.18.0.100', '198.18.0.101')] })] });
    const h = new Harness(config, shard);
    const a = h.send({ messageType: 1, chaddr: mac(1) }).reply!.yiaddr;
    h.nowSec += OFFER_HOLD_SEC + 1;
    const b = h.send({ messageType: 1, chaddr: mac(2), options: [[50, u32(a)]] }).reply!.yiaddr;
    expect(b).toBe(a);
  });

  it('takes over the oldest hold when every free address is held', () => {
    // item 115: DISCOVER-only clients cannot starve others
    const config = makeConfig({ subnets: [labSubnet({ pools: [pool('198.18.0.100', '198.18.0.101')] })] });
    const h = new Harness(config, shard);
    const first = h.send({ messageType: 1, chaddr: mac(1) }).reply!.yiaddr;
    h.nowSec += 1;
    h.send({ messageType: 1, chaddr: mac(2) });
    h.nowSec += 1;
    const third = h.send({ messageType: 1, chaddr: mac(3) });
    expect(third.outcome).toBe('offer');
    expect(third.reply?.yiaddr).toBe(first);
  });

  it('limits a one-client flood', () => {
    // items 114, 118
    const h = new Harness(makeConfig(), shard);
    const offered = new Set<number>();
    let answered = 0;
    for (let i = 0; i < 200; i++) {
      const r = h.send({ messageType: 1, chaddr: mac(7), xid: i });
      if (r.reply !== undefined) {
        answered++;
        offered.add(r.reply.yiaddr);
      }
    }
    expect(offered.size).toBe(1);
    expect(answered).toBeLessThanOrEqual(4);
    expect(h.send({ messageType: 1, chaddr: mac(8) }).outcome).toBe('offer');
  });
});

describe('engine: DISCOVER lease time and contents', () => {
  it.each([
    ['no min/max: the default wins', {}, 600, 3600],
    ['request clamped up to the minimum', { minValidLifetime: 1800, maxValidLifetime: 7200 }, 600, 1800],
    ['request clamped down to the maximum', { minValidLifetime: 1800, maxValidLifetime: 7200 }, 7_776_000, 7200],
    ['request inside the range', { minValidLifetime: 1800, maxValidLifetime: 7200 }, 4000, 4000],
  ])('sets the lease time: %s', (_case, limits, requested, expected) => {
    // item 20
    const h = new Harness(makeConfig({ subnets: [labSubnet(limits)] }));
    const r = h.send({ messageType: 1, options: [[51, u32(requested)]] });
    expect(readU32(option(r, 51))).toBe(expected);
  });

  it('carries 54, 51 and 1 but not 50, 55 or 57', () => {
    // item 19
    const h = new Harness();
    const r = h.send({ messageType: 1, options: [[50, u32(ip('198.18.0.120'))], [55, bytes(1, 3, 50, 55, 57)], [57, bytes(5, 220)]] });
    const codes = optionCodes(r);
    expect(codes).toEqual(expect.arrayContaining([54, 51, 1]));
    for (const absent of [50, 55, 57, 53]) expect(codes).not.toContain(absent);
  });

  it('ignores rapid commit and auto-configure', () => {
    // items 22, 100
    const h = new Harness();
    const r = h.send({ messageType: 1, options: [[80, bytes()], [116, bytes(1)]] });
    expect(r.reply?.messageType).toBe(2);
    expect(optionCodes(r)).not.toContain(80);
    expect(optionCodes(r)).not.toContain(116);
  });

  it('writes nothing and offers nothing when no subnet serves the relay', () => {
    // item 95
    const h = new Harness(makeConfig({ subnets: [labSubnet(), subnet(5, '198.18.5.0/24', { pools: [pool('198.18.5.100', '198.18.5.150')] })] }));
    const r = h.send({ messageType: 1, giaddr: ip('198.18.9.1') });
    expect(r.reply).toBeUndefined();
    expect(r.outcome).toBe('drop-no-subnet');
  });

  it('keeps offering from a pool declined earlier only after probation', () => {
    // item 40
    const config = makeConfig({ subnets: [labSubnet({ pools: [pool('198.18.0.100', '198.18.0.100')] })] });
    const h = new Harness(config);
    h.put({ address: ip('198.18.0.100'), hwAddress: bytes(), state: LeaseState.DECLINED, validLifetime: 600 });
    expect(h.send({ messageType: 1, chaddr: mac(1) }).outcome).toBe('silent-pool-exhausted');
    h.nowSec += 601;
    expect(h.send({ messageType: 1, chaddr: mac(1) }).reply?.yiaddr).toBe(ip('198.18.0.100'));
  });
});
