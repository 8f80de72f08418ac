// Expired-lease reclamation, in bounded batches (Kea "Lease Reclamation": by default every 10 s,
// at most 100 leases or 250 ms per run, a warning after 5 runs that could not catch up).
//
// A run has two steps, each in its own write transactions:
//   1. leases past their expiry that are not yet reclaimed become EXPIRED_RECLAIMED. The owner
//      is kept, so a returning client gets its address back (lease affinity). Declined leases
//      whose probation ended are reclaimed the same way and so return to the pool.
//   2. reclaimed leases older than hold-reclaimed-time (counted from their expiry) are deleted.
//      The store has no index of reclaimed leases, so this step pages through the store from a
//      cursor kept between runs, at most `limit` leases per run.
// An expired lease that is not reclaimed yet is already free for the allocator (allocate.ts), so
// a slow reclamation never blocks allocation.

import type { Logger } from 'pino';

import type { ExpiredLeasesConfig } from '../config/types.js';
import { LeaseState } from '../leases/types.js';
import type { Lease4, LeaseStore } from '../leases/types.js';
import { logMessage } from '../log/logger.js';
import { expirySec } from './core.js';

/** Leases changed per write transaction during reclamation. */
const RECLAIM_TX_BATCH = 50;

export class Reclaimer {
  private flushCursor = -1;
  private behindRuns = 0;

  constructor(
    private readonly settings: ExpiredLeasesConfig,
    private readonly log: Logger,
  ) {}

  /** Reclaims and flushes up to limit leases each, stopping after maxMs; returns how many leases changed. */
  run(store: LeaseStore, nowSec: number, limit: number, maxMs: number): number {
    const started = performance.now();
    const reclaimed = this.reclaim(store, nowSec, limit, started, maxMs);
    const flushed = this.flush(store, nowSec, limit, started, maxMs);
    const durationMs = performance.now() - started;

    const isBehind = reclaimed >= limit || durationMs >= maxMs;
    this.behindRuns = isBehind ? this.behindRuns + 1 : 0;
    if (this.behindRuns > 0 && this.behindRuns >= this.settings.unwarnedReclaimCycles && this.settings.unwarnedReclaimCycles > 0) {
      logMessage(this.log, 'ENGINE_RECLAIM_BEHIND', { count: this.behindRuns });
      this.behindRuns = 0;
    }
    if (reclaimed + flushed > 0) logMessage(this.log, 'ENGINE_LEASES_RECLAIMED', { count: reclaimed + flushed, durationMs });
    return reclaimed + flushed;
  }

  private reclaim(store: LeaseStore, nowSec: number, limit: number, started: number, maxMs: number): number {
    let done = 0;
    while (done < limit && performance.now() - started < maxMs) {
      const expired = store.expiredBefore(nowSec, Math.min(RECLAIM_TX_BATCH, limit - done));
      if (expired.length === 0) break;
      const changed = store.transact((tx) => {
        let changed = 0;
        for (const candidate of expired) {
          const lease = tx.get(candidate.address);
          if (lease === undefined || lease.state === LeaseState.EXPIRED_RECLAIMED || expirySec(lease) > nowSec) continue;
          if (this.settings.holdReclaimedTimeSec === 0) tx.remove(lease.address);
          else tx.put(reclaimedCopy(lease));
          changed++;
        }
        return changed;
      });
      done += changed;
      if (changed === 0 || expired.length < RECLAIM_TX_BATCH) break;
    }
    return done;
  }

  private flush(store: LeaseStore, nowSec: number, limit: number, started: number, maxMs: number): number {
    const page = store.page(this.flushCursor, limit);
    this.flushCursor = page.length < limit ? -1 : page[page.length - 1]!.address;

    const stale = page.filter((lease) => lease.state === LeaseState.EXPIRED_RECLAIMED && expirySec(lease) + this.settings.holdReclaimedTimeSec <= nowSec);
    if (stale.length === 0 || performance.now() - started >= maxMs) return 0;
    return store.transact((tx) => {
      let removed = 0;
      for (const candidate of stale) {
        const lease = tx.get(candidate.address);
        if (lease === undefined || lease.state !== LeaseState.EXPIRED_RECLAIMED) continue;
        if (expirySec(lease) + this.settings.holdReclaimedTimeSec > nowSec) continue;
        tx.remove(lease.address);
        removed++;
      }
      return removed;
    });
  }
}

/** Returns a copy in state EXPIRED_RECLAIMED; the owner stays for lease affinity (a declined lease has none). */
function reclaimedCopy(lease: Lease4): Lease4 {
  return { ...lease, state: LeaseState.EXPIRED_RECLAIMED };
}
