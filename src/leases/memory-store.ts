// An in-memory LeaseStore with the semantics of the LMDB store, for engine unit tests. transact()
// works on a copy of the lease map and swaps it in when fn returns, so a throwing fn leaves nothing
// behind. Lookups scan every lease: fine for tests, not for production sizes.

import { MAX_CLIENT_ID_BYTES, MAX_HW_ADDRESS_BYTES, leaseExpiry } from './lease-json.js';
import { copyLease, isExpiryIndexed, validateLease } from './record.js';
import type { Lease4, LeaseStore, LeaseWriter } from './types.js';

export class MemoryLeaseStore implements LeaseStore {
  private leases = new Map<number, Lease4>();
  /** The working copy while a transaction runs; reads and writes go to it. */
  private pending: Map<number, Lease4> | undefined;
  private isClosed = false;

  get(address: number): Lease4 | undefined {
    this.checkOpen();
    const lease = this.current().get(address >>> 0);
    return lease === undefined ? undefined : copyLease(lease);
  }

  findByClientId(subnetId: number, clientId: Uint8Array): Lease4[] {
    this.checkOpen();
    if (clientId.length === 0 || clientId.length > MAX_CLIENT_ID_BYTES) return [];
    return this.sortedLeases().filter((l) => l.subnetId === subnetId && l.clientId !== undefined && bytesEqual(l.clientId, clientId));
  }

  findByHwAddress(subnetId: number, hwAddress: Uint8Array): Lease4[] {
    this.checkOpen();
    if (hwAddress.length === 0 || hwAddress.length > MAX_HW_ADDRESS_BYTES) return [];
    return this.sortedLeases().filter((l) => l.subnetId === subnetId && bytesEqual(l.hwAddress, hwAddress));
  }

  transact<T>(fn: (tx: LeaseWriter) => T): T {
    this.checkOpen();
    if (this.pending !== undefined) throw new Error('transact() was called inside another transact() on the same store; nest the work in one fn');

    const working = new Map(this.leases);
    this.pending = working;
    let isActive = true;
    const writer: LeaseWriter = {
      get: (address) => this.get(address),
      findByClientId: (subnetId, clientId) => this.findByClientId(subnetId, clientId),
      findByHwAddress: (subnetId, hwAddress) => this.findByHwAddress(subnetId, hwAddress),
      put: (lease) => {
        checkActive(isActive);
        validateLease(lease);
        working.set(lease.address, copyLease(lease));
      },
      remove: (address) => {
        checkActive(isActive);
        return working.delete(address >>> 0);
      },
    };

    try {
      const result = fn(writer);
      if (typeof (result as { then?: unknown } | null)?.then === 'function') {
        throw new TypeError('transact(): fn returned a promise; fn must be synchronous because the transaction commits when it returns');
      }
      this.leases = working;
      return result;
    } finally {
      isActive = false;
      this.pending = undefined;
    }
  }

  expiredBefore(nowSec: number, limit: number): Lease4[] {
    this.checkOpen();
    if (!(limit > 0)) return [];
    const expired = [...this.current().values()].filter((l) => isExpiryIndexed(l) && leaseExpiry(l) < nowSec);
    expired.sort((a, b) => leaseExpiry(a) - leaseExpiry(b) || a.address - b.address);
    return expired.slice(0, limit).map(copyLease);
  }

  page(after: number, limit: number): Lease4[] {
    this.checkOpen();
    if (!(limit > 0)) return [];
    return this.sortedLeases().filter((l) => l.address > after).slice(0, limit);
  }

  count(): number {
    this.checkOpen();
    return this.current().size;
  }

  async close(): Promise<void> {
    this.isClosed = true;
  }

  private current(): Map<number, Lease4> {
    return this.pending ?? this.leases;
  }

  /** Copies of all leases in address order, the order of the LMDB store's keys. */
  private sortedLeases(): Lease4[] {
    return [...this.current().values()].sort((a, b) => a.address - b.address).map(copyLease);
  }

  private checkOpen(): void {
    if (this.isClosed) throw new Error('lease store is closed');
  }
}

function checkActive(isActive: boolean): void {
  if (!isActive) throw new Error('LeaseWriter used after its transact() returned; write only inside fn');
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
