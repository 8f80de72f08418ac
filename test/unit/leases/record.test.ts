// The LMDB record and key layouts: round trips, byte positions and key order.

import { describe, expect, it } from 'vitest';

import { addressFromKey, addressKey, decodeLease, encodeLease, expiryKey, identifierKey, identifierPrefix } from '../../../src/leases/record.js';
import { LeaseState } from '../../../src/leases/types.js';
import { makeLease } from './helpers/leases.js';

describe('lease record', () => {
  it('round-trips every field', () => {
    const lease = makeLease(1, {
      clientId: new Uint8Array([1, 2, 3]),
      hostname: 'hôte.example',
      fqdnFwd: true,
      state: LeaseState.EXPIRED_RECLAIMED,
      htype: 32,
      subnetId: 0xfffffffe,
      validLifetime: 0xffffffff,
      cltt: 0xfffffff0,
    });
    expect(decodeLease(lease.address, encodeLease(lease))).toEqual(lease);
  });

  it('places the fields at the documented offsets', () => {
    const lease = makeLease(1, { hwAddress: new Uint8Array([0xaa, 0xbb]), clientId: new Uint8Array([0xcc]), hostname: 'h', fqdnRev: true, subnetId: 7, validLifetime: 600, cltt: 0x01020304, state: LeaseState.DECLINED });
    expect([...encodeLease(lease)]).toEqual([
      1, 1, 0b110, 1, // version, state, flags (fqdnRev, has client id), htype
      0, 0, 0, 7, // subnetId
      0, 0, 0x02, 0x58, // validLifetime 600
      1, 2, 3, 4, // cltt
      2, 1, 0, 1, // hardware address, client id and hostname lengths
      0xaa, 0xbb, 0xcc, 0x68, // hardware address, client id, 'h'
    ]);
  });

  it('decodes into copies that survive reuse of the source buffer', () => {
    const record = encodeLease(makeLease(1, { clientId: new Uint8Array([9, 9]) }));
    const lease = decodeLease(1, record);
    record.fill(0, 20);
    expect(lease.hwAddress).toEqual(makeLease(1).hwAddress);
    expect(lease.clientId).toEqual(new Uint8Array([9, 9]));
  });

  it('rejects a record of an unknown format version', () => {
    const record = encodeLease(makeLease(1));
    record[0] = 2;
    expect(() => decodeLease(0xc6120001, record)).toThrow(/lease 198\.18\.0\.1: stored record has format version 2/);
  });
});

describe('lease keys', () => {
  it('orders address keys numerically', () => {
    const addresses = [0, 1, 255, 256, 0x7fffffff, 0x80000000, 0xc6120001, 0xffffffff];
    const keys = addresses.map(addressKey);
    const sorted = [...keys].sort(Buffer.compare);
    expect(sorted.map(addressFromKey)).toEqual(addresses);
  });

  it('orders expiry keys numerically beyond 32 bits', () => {
    const expiries = [0, 5, 0xffffffff, 0x100000000, 0x1fffffffe];
    const sorted = expiries.map((e) => expiryKey(e, 1)).sort(Buffer.compare);
    expect(sorted).toEqual(expiries.map((e) => expiryKey(e, 1)));
  });

  it('starts identifier keys with their prefix and ends with the address', () => {
    const key = identifierKey(3, new Uint8Array([0xaa, 0xbb]), 0xc6120001);
    expect([...key]).toEqual([0, 0, 0, 3, 2, 0xaa, 0xbb, 0xc6, 0x12, 0x00, 0x01]);
    expect(key.subarray(0, 7)).toEqual(identifierPrefix(3, new Uint8Array([0xaa, 0xbb])));
    expect(addressFromKey(key)).toBe(0xc6120001);
  });
});
