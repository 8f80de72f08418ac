// Unit tests of the lease data exchanged between HA peers: leaseChangeCommand() builds Kea 2.2's
// lease4-update and lease4-del arguments, and mergeLeasePage() merges one lease4-get-page page.

import { describe, expect, it } from 'vitest';

import { leaseChangeCommand, mergeLeasePage } from '../../../src/ha/lease-sync.js';
import { MemoryLeaseStore } from '../../../src/leases/memory-store.js';
import { lease, leaseJson } from './fake-partner.js';

describe('leaseChangeCommand: Kea 2.2 argument shape', () => {
  it('builds lease4-update with expire and force-create', () => {
    const change = leaseChangeCommand({
      kind: 'update',
      lease: lease(100, { hwAddress: Uint8Array.of(0, 0x0c, 1, 2, 3, 4), clientId: Uint8Array.of(1, 0, 0x0c, 1, 2, 3, 4), hostname: 'host-a', fqdnFwd: true }),
    });
    expect(change.command).toBe('lease4-update');
    expect(change.args).toEqual({
      'ip-address': '198.18.0.100',
      'hw-address': '00:0c:01:02:03:04',
      'client-id': '01:00:0c:01:02:03:04',
      'subnet-id': 1,
      'valid-lft': 600,
      expire: 1796412803,
      'fqdn-fwd': true,
      'fqdn-rev': false,
      hostname: 'host-a',
      state: 0,
      'force-create': true,
    });
  });

  it('builds lease4-del without force-create', () => {
    const change = leaseChangeCommand({ kind: 'delete', lease: lease(7, { cltt: 1_000, validLifetime: 3_600 }) });
    expect(change.command).toBe('lease4-del');
    expect(change.args).toEqual({
      'ip-address': '198.18.0.7',
      'hw-address': '00:0c:01:02:03:07',
      'subnet-id': 1,
      'valid-lft': 3_600,
      expire: 4_600,
      'fqdn-fwd': false,
      'fqdn-rev': false,
      hostname: '',
      state: 0,
    });
  });

  it('sends a declined lease with state 1 and no hardware address', () => {
    const { args } = leaseChangeCommand({ kind: 'update', lease: lease(9, { hwAddress: new Uint8Array(0), state: 1, validLifetime: 86_400 }) });
    expect(args['hw-address']).toBe('');
    expect(args['state']).toBe(1);
    expect(args['expire']).toBe(1796412203 + 86_400);
    expect(args).not.toHaveProperty('client-id');
    expect(args).not.toHaveProperty('cltt');
  });
});

describe('mergeLeasePage: one page into the local store', () => {
  function storeWith(...leases: ReturnType<typeof lease>[]): MemoryLeaseStore {
    const store = new MemoryLeaseStore();
    store.transact((tx) => {
      for (const l of leases) tx.put(l);
    });
    return store;
  }

  it('adds new leases, replaces older ones and keeps the rest', () => {
    const store = storeWith(lease(1, { cltt: 1_000 }), lease(2, { cltt: 5_000 }), lease(3, { cltt: 2_000 }), lease(9, { cltt: 100 }));
    const result = mergeLeasePage(store, [leaseJson(1, 2_000), leaseJson(2, 2_000), leaseJson(3, 2_000), leaseJson(4, 2_000)]);

    expect(result).toEqual({ added: 1, updated: 1, kept: 2, invalid: 0, firstInvalid: undefined, lastAddress: '198.18.0.4' });
    expect(store.get(lease(1).address)?.cltt).toBe(2_000);
    expect(store.get(lease(2).address)?.cltt).toBe(5_000);
    expect(store.get(lease(3).address)?.cltt).toBe(2_000);
    expect(store.get(lease(4).address)?.cltt).toBe(2_000);
    expect(store.get(lease(9).address)?.cltt).toBe(100);
    expect(store.count()).toBe(5);
  });

  it('skips an invalid entry and names the first problem', () => {
    const store = storeWith();
    const result = mergeLeasePage(store, [leaseJson(1, 2_000), { 'ip-address': '198.18.0.2' }, { 'ip-address': 'not-an-address', 'hw-address': '00:01' }, leaseJson(3, 2_000)]);

    expect(result.added).toBe(2);
    expect(result.invalid).toBe(2);
    expect(result.firstInvalid).toMatch(/^hw-address: missing/);
    expect(result.lastAddress).toBe('198.18.0.3');
    expect(store.count()).toBe(2);
  });

  it('stores the hostname lower-cased, as Kea parses synced leases', () => {
    const store = storeWith();
    mergeLeasePage(store, [{ ...leaseJson(5, 2_000), hostname: 'Host-B.Example' }]);
    expect(store.get(lease(5).address)?.hostname).toBe('host-b.example');
  });

  it('returns no last address for an empty page', () => {
    const store = storeWith(lease(1));
    expect(mergeLeasePage(store, [])).toEqual({ added: 0, updated: 0, kept: 0, invalid: 0, firstInvalid: undefined, lastAddress: undefined });
    expect(store.count()).toBe(1);
  });
});
