// The lease store interface the engine, the control channel and the CLI use. Reads are synchronous;
// writes happen inside transact(), which commits durably before it returns, so a reply built from a
// write is sent only after the write is on disk.

/** Lease state as Kea numbers it in its lease JSON and memfile. */
export const enum LeaseState {
  DEFAULT = 0,
  DECLINED = 1,
  EXPIRED_RECLAIMED = 2,
}

/** One DHCPv4 lease. Addresses are unsigned 32-bit integers in host order. */
export interface Lease4 {
  address: number;
  /** Hardware address without htype; empty for clients with hlen 0 and for declined leases. */
  hwAddress: Uint8Array;
  htype: number;
  /** Client identifier (option 61 value), undefined when the client sent none. */
  clientId: Uint8Array | undefined;
  subnetId: number;
  /** Valid lifetime in seconds; 0xffffffff is infinite. */
  validLifetime: number;
  /** Client last transmission time, Unix seconds. */
  cltt: number;
  state: LeaseState;
  hostname: string;
  fqdnFwd: boolean;
  fqdnRev: boolean;
}

/** Read operations, available outside and inside a write transaction. */
export interface LeaseReader {
  get(address: number): Lease4 | undefined;
  findByClientId(subnetId: number, clientId: Uint8Array): Lease4[];
  findByHwAddress(subnetId: number, hwAddress: Uint8Array): Lease4[];
}

/** Writes inside one transaction; reads through it see the transaction's own writes. */
export interface LeaseWriter extends LeaseReader {
  /** Insert or replace the lease stored at lease.address, updating every index. */
  put(lease: Lease4): void;
  /** Delete the lease at the address; returns false when there was none. */
  remove(address: number): boolean;
}

export interface LeaseStore extends LeaseReader {
  /**
   * Run fn inside one write transaction and commit it durably before returning. Transactions from
   * all threads and processes that share the database are serialised, so a check-then-put inside
   * fn is atomic. If fn throws, nothing is written and the error propagates.
   */
  transact<T>(fn: (tx: LeaseWriter) => T): T;
  /**
   * Like transact(), but the commit and its fsync run off the calling thread: fn runs on this thread
   * when the transaction starts, and the promise settles once the commit is durable. A store
   * without it has only transact().
   */
  transactAsync?<T>(fn: (tx: LeaseWriter) => T): Promise<T>;
  /** Leases whose expiry (cltt + validLifetime) is before nowSec and state is not EXPIRED_RECLAIMED, oldest first. */
  expiredBefore(nowSec: number, limit: number): Lease4[];
  /** Leases in address order starting after `after` (exclusive; pass -1 for the start), at most limit. */
  page(after: number, limit: number): Lease4[];
  count(): number;
  close(): Promise<void>;
}
