// The LeaseStore contract, run against the LMDB store and the in-memory store alike.

import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { INFINITE_LIFETIME } from '../../../src/leases/lease-json.js';
import { openLeaseStore } from '../../../src/leases/lmdb-store.js';
import { MemoryLeaseStore } from '../../../src/leases/memory-store.js';
import { LeaseState } from '../../../src/leases/types.js';
import type { LeaseStore, LeaseWriter } from '../../../src/leases/types.js';
import { BASE_ADDRESS, makeLease, makeTempDir } from './helpers/leases.js';

interface StoreUnderTest {
  store: LeaseStore;
  dispose: () => Promise<void>;
}

const implementations: { name: string; create: () => StoreUnderTest }[] = [
  {
    name: 'memory',
    create: () => {
      const store = new MemoryLeaseStore();
      return { store, dispose: () => store.close() };
    },
  },
  {
    name: 'lmdb',
    create: () => {
      const temp = makeTempDir('contract');
      const store = openLeaseStore({ path: join(temp.dir, 'leases.mdb') });
      return { store, dispose: async () => { await store.close(); temp.remove(); } };
    },
  },
];

const HW_A = new Uint8Array([0xaa, 0, 0, 0, 0, 1]);
const HW_B = new Uint8Array([0xbb, 0, 0, 0, 0, 2]);
const CID_A = new Uint8Array([1, 0xaa, 0, 0, 0, 0, 1]);
const CID_B = new Uint8Array([1, 0xbb, 0, 0, 0, 0, 2]);

describe.each(implementations)('$name lease store', ({ create }) => {
  let subject: StoreUnderTest;
  let store: LeaseStore;

  beforeEach(() => {
    subject = create();
    store = subject.store;
  });
  afterEach(async () => {
    await subject.dispose();
  });

  function putAll(...leases: ReturnType<typeof makeLease>[]): void {
    store.transact((tx) => {
      for (const lease of leases) tx.put(lease);
    });
  }

  describe('put and get', () => {
    it('returns the stored lease unchanged', () => {
      const lease = makeLease(1, { clientId: CID_A, hostname: 'host-1.example', fqdnFwd: true, fqdnRev: true, state: LeaseState.DECLINED, htype: 6 });
      putAll(lease);
      expect(store.get(lease.address)).toEqual(lease);
    });

    it('returns undefined for an address without a lease', () => {
      expect(store.get(BASE_ADDRESS + 9)).toBeUndefined();
    });

    it('keeps an empty client id apart from no client id', () => {
      putAll(makeLease(1, { clientId: new Uint8Array(0) }), makeLease(2));
      expect(store.get(BASE_ADDRESS + 1)?.clientId).toEqual(new Uint8Array(0));
      expect(store.get(BASE_ADDRESS + 2)?.clientId).toBeUndefined();
    });

    it('stores a copy of the lease', () => {
      const lease = makeLease(1, { hwAddress: new Uint8Array([1, 2, 3, 4, 5, 6]) });
      putAll(lease);
      lease.hwAddress[0] = 0x99;
      lease.hostname = 'changed';
      expect(store.get(lease.address)?.hwAddress).toEqual(new Uint8Array([1, 2, 3, 4, 5, 6]));
      expect(store.get(lease.address)?.hostname).toBe('');
    });

    it('stores the highest and lowest addresses', () => {
      putAll(makeLease(0, { address: 0 }), makeLease(0, { address: 0xffffffff }));
      expect(store.get(0)?.address).toBe(0);
      expect(store.get(0xffffffff)?.address).toBe(0xffffffff);
      expect(store.count()).toBe(2);
    });

    it('rejects an invalid lease atomically', () => {
      expect(() => putAll(makeLease(1), makeLease(2, { subnetId: -1 }))).toThrow(RangeError);
      expect(() => putAll(makeLease(3, { hwAddress: new Uint8Array(21) }))).toThrow(/hwAddress/);
      expect(store.count()).toBe(0);
    });
  });

  describe('indexes under put, replace and remove', () => {
    it('finds a lease by both identifiers', () => {
      const lease = makeLease(1, { hwAddress: HW_A, clientId: CID_A });
      putAll(lease);
      expect(store.findByHwAddress(1, HW_A)).toEqual([lease]);
      expect(store.findByClientId(1, CID_A)).toEqual([lease]);
    });

    it('moves index entries when a lease is replaced', () => {
      putAll(makeLease(1, { hwAddress: HW_A, clientId: CID_A, subnetId: 1, cltt: 100, validLifetime: 10 }));
      const replacement = makeLease(1, { hwAddress: HW_B, clientId: CID_B, subnetId: 2, cltt: 500, validLifetime: 10 });
      putAll(replacement);

      expect(store.findByHwAddress(1, HW_A)).toEqual([]);
      expect(store.findByClientId(1, CID_A)).toEqual([]);
      expect(store.findByHwAddress(2, HW_B)).toEqual([replacement]);
      expect(store.findByClientId(2, CID_B)).toEqual([replacement]);
      expect(store.expiredBefore(400, 10)).toEqual([]);
      expect(store.expiredBefore(600, 10)).toEqual([replacement]);
      expect(store.count()).toBe(1);
    });

    it('drops a client id that was removed', () => {
      putAll(makeLease(1, { clientId: CID_A }));
      putAll(makeLease(1, { clientId: undefined }));
      expect(store.findByClientId(1, CID_A)).toEqual([]);
    });

    it('removes a lease from every index', () => {
      putAll(makeLease(1, { hwAddress: HW_A, clientId: CID_A, cltt: 100, validLifetime: 10 }));
      const removed = store.transact((tx) => tx.remove(BASE_ADDRESS + 1));

      expect(removed).toBe(true);
      expect(store.get(BASE_ADDRESS + 1)).toBeUndefined();
      expect(store.findByHwAddress(1, HW_A)).toEqual([]);
      expect(store.findByClientId(1, CID_A)).toEqual([]);
      expect(store.expiredBefore(1000, 10)).toEqual([]);
      expect(store.count()).toBe(0);
    });

    it('returns false removing an absent lease', () => {
      expect(store.transact((tx) => tx.remove(BASE_ADDRESS + 7))).toBe(false);
    });
  });

  describe('findByHwAddress and findByClientId', () => {
    it('returns only the requested subnet', () => {
      const inOne = makeLease(1, { hwAddress: HW_A, clientId: CID_A, subnetId: 1 });
      const inTwo = makeLease(2, { hwAddress: HW_A, clientId: CID_A, subnetId: 2 });
      putAll(inOne, inTwo);
      expect(store.findByHwAddress(1, HW_A)).toEqual([inOne]);
      expect(store.findByHwAddress(2, HW_A)).toEqual([inTwo]);
      expect(store.findByClientId(2, CID_A)).toEqual([inTwo]);
      expect(store.findByHwAddress(3, HW_A)).toEqual([]);
    });

    it('returns a client\'s leases in address order', () => {
      putAll(makeLease(9, { hwAddress: HW_A }), makeLease(3, { hwAddress: HW_A }), makeLease(5, { hwAddress: HW_B }));
      expect(store.findByHwAddress(1, HW_A).map((l) => l.address)).toEqual([BASE_ADDRESS + 3, BASE_ADDRESS + 9]);
    });

    it('ignores identifiers sharing a prefix', () => {
      putAll(makeLease(1, { hwAddress: new Uint8Array([1, 2, 3]) }), makeLease(2, { hwAddress: new Uint8Array([1, 2]) }));
      expect(store.findByHwAddress(1, new Uint8Array([1, 2])).map((l) => l.address)).toEqual([BASE_ADDRESS + 2]);
      expect(store.findByHwAddress(1, new Uint8Array([1]))).toEqual([]);
    });

    it('finds nothing for an empty identifier', () => {
      putAll(makeLease(1, { hwAddress: new Uint8Array(0), clientId: new Uint8Array(0) }));
      expect(store.findByHwAddress(1, new Uint8Array(0))).toEqual([]);
      expect(store.findByClientId(1, new Uint8Array(0))).toEqual([]);
    });
  });

  describe('expiredBefore', () => {
    it('returns the oldest expiry first', () => {
      putAll(
        makeLease(4, { cltt: 300, validLifetime: 100 }),
        makeLease(2, { cltt: 100, validLifetime: 100 }),
        makeLease(1, { cltt: 150, validLifetime: 50 }),
        makeLease(3, { cltt: 50, validLifetime: 100 }),
      );
      expect(store.expiredBefore(1000, 10).map((l) => l.address - BASE_ADDRESS)).toEqual([3, 1, 2, 4]);
    });

    it('requires expiry strictly before now', () => {
      putAll(makeLease(1, { cltt: 100, validLifetime: 100 }));
      expect(store.expiredBefore(200, 10)).toEqual([]);
      expect(store.expiredBefore(201, 10)).toHaveLength(1);
    });

    it('skips reclaimed and infinite leases', () => {
      putAll(
        makeLease(1, { cltt: 10, validLifetime: 10, state: LeaseState.EXPIRED_RECLAIMED }),
        makeLease(2, { cltt: 10, validLifetime: INFINITE_LIFETIME }),
        makeLease(3, { cltt: 10, validLifetime: 10, state: LeaseState.DECLINED }),
      );
      expect(store.expiredBefore(2 ** 40, 10).map((l) => l.address - BASE_ADDRESS)).toEqual([3]);
    });

    it('orders expiries beyond 32 bits', () => {
      putAll(makeLease(1, { cltt: 0xffff0000, validLifetime: 0xfffffff0 }), makeLease(2, { cltt: 5, validLifetime: 5 }));
      expect(store.expiredBefore(2 ** 34, 10).map((l) => l.address - BASE_ADDRESS)).toEqual([2, 1]);
      expect(store.expiredBefore(2 ** 32, 10).map((l) => l.address - BASE_ADDRESS)).toEqual([2]);
    });

    it('returns at most limit leases', () => {
      putAll(...Array.from({ length: 8 }, (_, i) => makeLease(i, { cltt: i, validLifetime: 1 })));
      expect(store.expiredBefore(100, 3).map((l) => l.address - BASE_ADDRESS)).toEqual([0, 1, 2]);
    });
  });

  describe('page and count', () => {
    it('pages through all leases in address order', () => {
      const offsets = [7, 1, 300, 2, 65536, 12];
      putAll(...offsets.map((o) => makeLease(o)));
      const seen: number[] = [];
      let after = -1;
      for (;;) {
        const page = store.page(after, 2);
        if (page.length === 0) break;
        expect(page.length).toBeLessThanOrEqual(2);
        seen.push(...page.map((l) => l.address - BASE_ADDRESS));
        after = page[page.length - 1]!.address;
      }
      expect(seen).toEqual([...offsets].sort((a, b) => a - b));
      expect(store.count()).toBe(offsets.length);
    });

    it('starts after the given address, exclusive', () => {
      putAll(makeLease(1), makeLease(2), makeLease(3));
      expect(store.page(BASE_ADDRESS + 1, 10).map((l) => l.address - BASE_ADDRESS)).toEqual([2, 3]);
      expect(store.page(0xffffffff, 10)).toEqual([]);
      expect(store.page(-1, 0)).toEqual([]);
    });
  });

  describe('transact', () => {
    it('rolls back when fn throws', () => {
      putAll(makeLease(1, { hwAddress: HW_A }));
      const failure = new Error('engine gave up');
      expect(() =>
        store.transact((tx) => {
          tx.put(makeLease(2));
          tx.put(makeLease(1, { hwAddress: HW_B }));
          tx.remove(BASE_ADDRESS + 1);
          throw failure;
        }),
      ).toThrow(failure);

      expect(store.get(BASE_ADDRESS + 2)).toBeUndefined();
      expect(store.get(BASE_ADDRESS + 1)?.hwAddress).toEqual(HW_A);
      expect(store.findByHwAddress(1, HW_A)).toHaveLength(1);
      expect(store.findByHwAddress(1, HW_B)).toEqual([]);
      expect(store.count()).toBe(1);
    });

    it('reads its own writes', () => {
      const lease = makeLease(1, { hwAddress: HW_A, clientId: CID_A });
      const seen = store.transact((tx) => {
        tx.put(lease);
        const inside = { get: tx.get(lease.address), byHw: tx.findByHwAddress(1, HW_A), byCid: tx.findByClientId(1, CID_A) };
        tx.remove(lease.address);
        return { ...inside, afterRemove: tx.get(lease.address) };
      });
      expect(seen.get).toEqual(lease);
      expect(seen.byHw).toEqual([lease]);
      expect(seen.byCid).toEqual([lease]);
      expect(seen.afterRemove).toBeUndefined();
      expect(store.get(lease.address)).toBeUndefined();
    });

    it('returns the value of fn', () => {
      const result = store.transact((tx) => {
        tx.put(makeLease(1));
        return 42;
      });
      expect(result).toBe(42);
      expect(store.get(BASE_ADDRESS + 1)).toEqual(makeLease(1));
    });

    it('rejects an fn returning a promise', async () => {
      expect(() =>
        store.transact(async (tx) => {
          tx.put(makeLease(1));
        }),
      ).toThrow(/promise/);
      expect(store.count()).toBe(0);
    });

    it('rejects a nested transact', () => {
      expect(() => store.transact(() => store.transact(() => 1))).toThrow(/inside another transact/);
    });

    it('rejects a writer used after commit', () => {
      let writerAfterCommit: LeaseWriter | undefined;
      store.transact((tx) => {
        writerAfterCommit = tx;
      });
      expect(() => writerAfterCommit!.put(makeLease(1))).toThrow(/after its transact/);
      expect(store.count()).toBe(0);
    });
  });

  it('rejects reads after close', async () => {
    await store.close();
    expect(() => store.get(BASE_ADDRESS)).toThrow(/closed/);
  });
});
