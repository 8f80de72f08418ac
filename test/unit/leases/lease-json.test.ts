// Kea lease JSON: the lease4-get-all form out, the cltt and expire forms in.

import { describe, expect, it } from 'vitest';

import { INFINITE_LIFETIME, leaseExpiry, leaseFromKeaJson, leaseToKeaJson } from '../../../src/leases/lease-json.js';
import { LeaseState } from '../../../src/leases/types.js';
import { makeLease } from './helpers/leases.js';

/** A lease as Kea 2.2 prints it in a lease4-get-all reply. */
const KEA_LEASE = {
  'ip-address': '198.18.0.100',
  'hw-address': '00:0c:01:02:03:04',
  'client-id': '01:00:0c:01:02:03:04',
  'subnet-id': 1,
  cltt: 1796412203,
  'valid-lft': 600,
  'fqdn-fwd': false,
  'fqdn-rev': false,
  hostname: '',
  state: 0,
};

const LEASE = makeLease(100, {
  hwAddress: new Uint8Array([0x00, 0x0c, 0x01, 0x02, 0x03, 0x04]),
  clientId: new Uint8Array([0x01, 0x00, 0x0c, 0x01, 0x02, 0x03, 0x04]),
  cltt: 1796412203,
  validLifetime: 600,
});

describe('leaseToKeaJson', () => {
  it('produces the lease4-get-all form', () => {
    expect(leaseToKeaJson(LEASE)).toStrictEqual(KEA_LEASE);
  });

  it('omits client-id when the lease has none', () => {
    const json = leaseToKeaJson(makeLease(1, { clientId: undefined }));
    expect(json).not.toHaveProperty('client-id');
  });

  it('writes hex in lower case and an empty hardware address as ""', () => {
    expect(leaseToKeaJson(makeLease(1, { hwAddress: new Uint8Array([0xab, 0xcd, 0x0e]) }))['hw-address']).toBe('ab:cd:0e');
    expect(leaseToKeaJson(makeLease(1, { hwAddress: new Uint8Array(0) }))['hw-address']).toBe('');
  });

  it('writes declined state, hostname and DNS flags', () => {
    const json = leaseToKeaJson(makeLease(1, { state: LeaseState.DECLINED, hostname: 'pc.example', fqdnFwd: true, fqdnRev: true }));
    expect(json).toMatchObject({ state: 1, hostname: 'pc.example', 'fqdn-fwd': true, 'fqdn-rev': true });
  });
});

describe('leaseFromKeaJson', () => {
  it('reads the lease4-get-all form back into the same lease', () => {
    expect(leaseFromKeaJson(KEA_LEASE)).toEqual(LEASE);
  });

  it('reads the lease4-update form with expire instead of cltt', () => {
    const { cltt: _cltt, ...update } = KEA_LEASE;
    expect(leaseFromKeaJson({ ...update, expire: 1796412803, 'force-create': true })).toEqual(LEASE);
  });

  it('accepts an infinite lifetime with expire', () => {
    const lease = leaseFromKeaJson({ 'ip-address': '198.18.0.1', 'hw-address': '', 'valid-lft': INFINITE_LIFETIME, expire: INFINITE_LIFETIME + 10 });
    expect(lease).toMatchObject({ cltt: 10, validLifetime: INFINITE_LIFETIME, hwAddress: new Uint8Array(0) });
  });

  it('fills defaults for optional fields', () => {
    const lease = leaseFromKeaJson({ 'ip-address': '198.18.0.1', 'hw-address': '0a0b0c0d0e0f' }, { nowSec: 5000, defaultValidLifetime: 300 });
    expect(lease).toEqual({
      address: 0xc6120001,
      hwAddress: new Uint8Array([0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f]),
      htype: 1,
      clientId: undefined,
      subnetId: 0,
      validLifetime: 300,
      cltt: 5000,
      state: LeaseState.DEFAULT,
      hostname: '',
      fqdnFwd: false,
      fqdnRev: false,
    });
  });

  it('lower-cases the hostname and accepts one-digit hex groups', () => {
    const lease = leaseFromKeaJson({ ...KEA_LEASE, hostname: 'PC.Example', 'hw-address': '0:c:1:2:3:4', 'fqdn-fwd': true });
    expect(lease).toMatchObject({ hostname: 'pc.example', fqdnFwd: true, hwAddress: LEASE.hwAddress });
  });

  it('treats an empty client-id as none', () => {
    expect(leaseFromKeaJson({ ...KEA_LEASE, 'client-id': '' })).toMatchObject({ clientId: undefined });
  });

  const invalid: [string, unknown, RegExp][] = [
    ['a non-object', [1, 2], /^lease: expected a JSON object/],
    ['a bad ip-address', { ...KEA_LEASE, 'ip-address': '198.18.0.256' }, /^ip-address: '198\.18\.0\.256' is not an IPv4 address/],
    ['a missing ip-address', { ...KEA_LEASE, 'ip-address': undefined }, /^ip-address: missing \(expected dotted decimal/],
    ['a missing hw-address', { ...KEA_LEASE, 'hw-address': undefined }, /^hw-address: missing/],
    ['a bad hw-address', { ...KEA_LEASE, 'hw-address': '00:zz' }, /^hw-address: '00:zz' is invalid/],
    ['a too long hw-address', { ...KEA_LEASE, 'hw-address': Array(21).fill('01').join(':') }, /^hw-address: .* at most 20 hex bytes/],
    ['an odd-length hex run', { ...KEA_LEASE, 'client-id': '010' }, /^client-id: '010' is invalid/],
    ['a negative subnet-id', { ...KEA_LEASE, 'subnet-id': -1 }, /^subnet-id: '-1' is invalid/],
    ['a missing valid-lft', { ...KEA_LEASE, 'valid-lft': undefined }, /^valid-lft: missing/],
    ['a fractional valid-lft', { ...KEA_LEASE, 'valid-lft': 1.5 }, /^valid-lft: '1\.5' is invalid/],
    ['a string cltt', { ...KEA_LEASE, cltt: '5' }, /^cltt: '5' is invalid/],
    ['a zero expire', { ...KEA_LEASE, cltt: undefined, expire: 0 }, /^expire: '0' is invalid/],
    ['an expire below valid-lft', { ...KEA_LEASE, cltt: undefined, expire: 599 }, /^expire: 599 is less than valid-lft 600/],
    ['cltt and expire that disagree', { ...KEA_LEASE, expire: 5 + 1796412803 }, /^cltt: .* disagrees with expire/],
    ['fqdn-fwd without a hostname', { ...KEA_LEASE, 'fqdn-fwd': true }, /^fqdn-fwd: true requires a non-empty hostname/],
    ['a string fqdn-rev', { ...KEA_LEASE, 'fqdn-rev': 'yes' }, /^fqdn-rev: 'yes' is invalid/],
    ['state 3 (released, Kea 3.0)', { ...KEA_LEASE, state: 3 }, /^state: '3' is not a valid lease state \(expected 0 default, 1 declined or 2 expired-reclaimed\)/],
  ];

  it.each(invalid)('rejects %s, naming the field', (_case, json, expected) => {
    const result = leaseFromKeaJson(json);
    expect(typeof result).toBe('string');
    expect(result).toMatch(expected);
  });
});

describe('leaseExpiry', () => {
  it('adds the valid lifetime to cltt', () => {
    expect(leaseExpiry({ cltt: 1000, validLifetime: 600 })).toBe(1600);
  });

  it('keeps an infinite lifetime infinite', () => {
    expect(leaseExpiry({ cltt: 1000, validLifetime: INFINITE_LIFETIME })).toBe(Number.POSITIVE_INFINITY);
  });
});
