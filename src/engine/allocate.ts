// Address allocation: availability checks, a next-fit cursor per pool, and offer holds.
//
// An address is available to a client when four checks pass. It lies in a pool of the subnet
// that the client's classes may use. It is not a network, broadcast, server or relay address. It
// is not reserved for another client. The store has no live lease of another client on it. Expired leases that
// are not yet reclaimed are available (Kea reuses them the same way); declined addresses are not,
// until their probation period ends.
//
// Offer holds (RFC 2131 §3.1 item 3 and §4.3.1: the server should not offer an address to
// another client before the first one answers): after an OFFER the engine remembers the address
// for the client for OFFER_HOLD_SEC, so a retransmitted DISCOVER gets the same address and no
// other client is offered it. A hold lives in this engine's memory only and never reaches the
// store; correctness never depends on it, because a REQUEST re-checks the store inside its write
// transaction. When a pool has no unheld address left, the oldest hold of another client is
// taken over, so a flood of DISCOVERs from random MACs cannot starve real clients of OFFERs.

import type { ReservationConfig } from '../config/types.js';
import { LeaseState } from '../leases/types.js';
import type { LeaseReader } from '../leases/types.js';
import { expirySec, findAllowedPool, findOwnedLeasePool, isExcludedAddress, isLive, isPoolAllowed } from './core.js';
import type { EngineCore, SubnetState } from './core.js';
import type { ClientIdentity } from './identify.js';
import { ownsLease } from './identify.js';

/** How long an OFFER keeps its address for the client. Clients retransmit DISCOVER every 4–64 s
 * (RFC 2131 §4.1), and a client that accepts an offer sends its REQUEST within a second or two. */
export const OFFER_HOLD_SEC = 30;

/** At most this many OFFERs per client per second; more DISCOVERs in the same second are dropped. */
export const MAX_OFFERS_PER_CLIENT_PER_SEC = 4;

export interface OfferHold {
  key: string;
  address: number;
  subnetId: number;
  expiresSec: number;
  /** Second of the latest OFFER and how many OFFERs went out in it (per-client rate limit). */
  second: number;
  offersInSecond: number;
}

/** The client asking: who it is, its key and whether option 61 identifies it in this subnet. */
export interface Requester {
  identity: ClientIdentity;
  key: string;
  matchClientId: boolean;
  classes: readonly string[];
  /** The requester's own reservation, found once per request. */
  reservation: ReservationConfig | undefined;
}

export class Allocator {
  private readonly cursors = new Map<number, number[]>();
  private readonly holdsByClient = new Map<string, OfferHold>();
  private readonly holdsByAddress = new Map<number, OfferHold>();
  private lastSweepSec = 0;

  constructor(
    private readonly core: () => EngineCore,
    private readonly shard: { index: number; count: number } | undefined,
  ) {}

  get holdCount(): number {
    return this.holdsByClient.size;
  }

  /**
   * Checks whether address can be given to the requester in subnet s: pool, exclusions,
   * reservations and the store. Offer holds are not considered here.
   */
  isAvailable(s: SubnetState, address: number, who: Requester, reader: LeaseReader, nowSec: number, allowOutOfPool = false): boolean {
    const core = this.core();
    if (isExcludedAddress(core, s.config, address)) return false;
    const lease = reader.get(address);
    const isOwnLiveLease = lease !== undefined && lease.state !== LeaseState.DECLINED && isLive(lease, nowSec) && ownsLease(lease, who.identity, who.matchClientId);
    if (!allowOutOfPool) {
      const pool = isOwnLiveLease ? findOwnedLeasePool(core, s.config, address, who.classes) : findAllowedPool(s.config, address, who.classes);
      if (pool === undefined) return false;
    }
    if (this.isReservedForOther(s, address, who)) return false;

    if (lease === undefined) return true;
    if (lease.state === LeaseState.DECLINED) return expirySec(lease) <= nowSec;
    if (ownsLease(lease, who.identity, who.matchClientId)) return true;
    return !isLive(lease, nowSec);
  }

  /** Returns the reservation (in the subnet, or global when enabled) for address, if any. */
  reservationAt(s: SubnetState, address: number): ReservationConfig | undefined {
    const core = this.core();
    return s.reservations.atAddress(address) ?? (core.config.reservationsGlobal ? core.globalReservations.atAddress(address) : undefined);
  }

  /** True when the address is reserved (in the subnet or globally) for a client other than the requester. */
  isReservedForOther(s: SubnetState, address: number, who: Requester): boolean {
    const owner = this.reservationAt(s, address);
    return owner !== undefined && owner !== who.reservation;
  }

  /** True when another client has an unexpired offer hold on the address. */
  isHeldForOther(address: number, key: string, nowSec: number): boolean {
    const hold = this.holdsByAddress.get(address);
    return hold !== undefined && hold.key !== key && hold.expiresSec > nowSec;
  }

  /** Returns the requester's unexpired offer hold in the subnet, if any. */
  holdOf(key: string, subnetId: number, nowSec: number): OfferHold | undefined {
    const hold = this.holdsByClient.get(key);
    if (hold === undefined || hold.subnetId !== subnetId || hold.expiresSec <= nowSec) return undefined;
    return hold;
  }

  /** Counts an OFFER against the client's per-second budget; false when the budget is spent. */
  isWithinOfferRate(key: string, nowSec: number): boolean {
    const hold = this.holdsByClient.get(key);
    if (hold === undefined || hold.second !== nowSec) return true;
    return hold.offersInSecond < MAX_OFFERS_PER_CLIENT_PER_SEC;
  }

  /** Records (or refreshes) the client's offer hold on address. */
  hold(key: string, subnetId: number, address: number, nowSec: number): void {
    this.sweep(nowSec);
    const previous = this.holdsByClient.get(key);
    if (previous !== undefined && previous.address !== address) this.holdsByAddress.delete(previous.address);

    const other = this.holdsByAddress.get(address);
    if (other !== undefined && other.key !== key) this.holdsByClient.delete(other.key);

    const sameSecond = previous !== undefined && previous.second === nowSec;
    const hold: OfferHold = {
      key,
      address,
      subnetId,
      expiresSec: nowSec + OFFER_HOLD_SEC,
      second: nowSec,
      offersInSecond: sameSecond ? previous.offersInSecond + 1 : 1,
    };
    this.holdsByClient.set(key, hold);
    this.holdsByAddress.set(address, hold);
  }

  /** Drops the client's hold (it declined our offer, or its REQUEST was decided). */
  release(key: string): void {
    const hold = this.holdsByClient.get(key);
    if (hold === undefined) return;
    this.holdsByClient.delete(key);
    if (this.holdsByAddress.get(hold.address) === hold) this.holdsByAddress.delete(hold.address);
  }

  /**
   * Picks a free pool address by next-fit: each pool keeps a cursor after the last address it
   * gave out. Returns undefined when every allowed pool is full.
   */
  pickFromPools(s: SubnetState, who: Requester, reader: LeaseReader, nowSec: number): number | undefined {
    const pools = s.config.pools;
    const cursors = this.cursorsOf(s);
    let stealAddress: number | undefined;
    let stealExpiry = Infinity;
    // With preferFirstClass the pools of the first class come first (two passes), else config order (one pass).
    const preferred = this.core().preferFirstClass && who.classes.length > 1 ? who.classes[0] : undefined;

    for (let i = 0; i < (preferred === undefined ? pools.length : 2 * pools.length); i++) {
      const p = i % pools.length;
      const pool = pools[p]!;
      if (preferred !== undefined && (i < pools.length) !== (pool.clientClass === preferred)) continue;
      if (!isPoolAllowed(pool, who.classes)) continue;

      const size = pool.last - pool.first + 1;
      const start = cursors[p]! - pool.first;
      for (let step = 0; step < size; step++) {
        const address = pool.first + ((start + step) % size);
        if (!this.isAvailable(s, address, who, reader, nowSec)) continue;

        const hold = this.holdsByAddress.get(address);
        if (hold !== undefined && hold.key !== who.key && hold.expiresSec > nowSec) {
          if (hold.expiresSec < stealExpiry) {
            stealExpiry = hold.expiresSec;
            stealAddress = address;
          }
          continue;
        }

        cursors[p] = address === pool.last ? pool.first : address + 1;
        return address;
      }
    }
    return stealAddress;
  }

  private cursorsOf(s: SubnetState): number[] {
    let cursors = this.cursors.get(s.config.id);
    if (cursors === undefined) {
      cursors = s.config.pools.map((pool) => pool.first + this.shardOffset(pool.last - pool.first + 1));
      this.cursors.set(s.config.id, cursors);
    }
    return cursors;
  }

  /** Returns this worker's start offset in a pool of `size` addresses, so workers rarely race for one address. */
  private shardOffset(size: number): number {
    if (this.shard === undefined || this.shard.count <= 1) return 0;
    return Math.floor((size * this.shard.index) / this.shard.count) % size;
  }

  /** Forgets expired holds, at most once per OFFER_HOLD_SEC, so the maps stay bounded by the number of pool addresses. */
  private sweep(nowSec: number): void {
    if (nowSec - this.lastSweepSec < OFFER_HOLD_SEC) return;
    this.lastSweepSec = nowSec;
    for (const [key, hold] of this.holdsByClient) {
      if (hold.expiresSec > nowSec) continue;
      this.holdsByClient.delete(key);
      if (this.holdsByAddress.get(hold.address) === hold) this.holdsByAddress.delete(hold.address);
    }
  }
}
