// DHCPDECLINE and DHCPRELEASE (RFC 2131 §4.3.3, §4.3.4). Neither gets a reply. Both act only
// when the sender owns a live lease on the address. Option 54 may be missing, because some
// clients omit it and Kea and ISC dhcpd accept that.
//
// A declined address is taken out of service for decline-probation-period: the lease keeps the
// address with its owner cleared, state DECLINED and that lifetime, and returns to the pool when
// it expires. A released lease keeps its owner so the same client gets the address back while
// nobody else has taken it (RFC 2131 §4.3.4 asks servers to keep the record; Kea calls this
// lease affinity): it becomes EXPIRED_RECLAIMED with a zero lifetime from now, and reclamation
// deletes it after hold-reclaimed-time.

import { LeaseState } from '../leases/types.js';
import type { Lease4 } from '../leases/types.js';
import { isLive, stayQuiet } from './core.js';
import type { EngineCore, RequestContext } from './core.js';
import { ownsLease } from './identify.js';

export function handleDecline(core: EngineCore, ctx: RequestContext): void {
  const address = ctx.req.requestedIp();
  if (address === undefined) return stayQuiet(ctx, 'drop-decline-no-address');

  const lease = ownedLiveLease(core, ctx, address);
  if (lease === undefined) return stayQuiet(ctx, 'drop-decline-not-owner');

  const declined: Lease4 = {
    ...lease,
    hwAddress: new Uint8Array(0),
    clientId: undefined,
    validLifetime: core.config.declineProbationPeriodSec,
    cltt: ctx.nowSec,
    state: LeaseState.DECLINED,
    hostname: '',
    fqdnFwd: false,
    fqdnRev: false,
  };
  ctx.tx.put(declined);
  ctx.result.changes.push({ kind: 'update', lease: declined });
  stayQuiet(ctx, 'decline');
}

export function handleRelease(core: EngineCore, ctx: RequestContext): void {
  const address = ctx.req.ciaddr;
  if (address === 0) return stayQuiet(ctx, 'drop-release-no-address');

  const lease = ownedLiveLease(core, ctx, address);
  if (lease === undefined) return stayQuiet(ctx, 'drop-release-not-owner');

  const released: Lease4 = { ...lease, validLifetime: 0, cltt: ctx.nowSec, state: LeaseState.EXPIRED_RECLAIMED };
  ctx.tx.put(released);
  ctx.result.changes.push({ kind: 'update', lease: released });
  stayQuiet(ctx, 'release');
}

/** Returns the live lease on address when the sender owns it, so expired and released leases cannot be declined or released again. */
function ownedLiveLease(core: EngineCore, ctx: RequestContext, address: number): Lease4 | undefined {
  const lease = ctx.tx.get(address);
  if (lease === undefined || lease.state !== LeaseState.DEFAULT || !isLive(lease, ctx.nowSec)) return undefined;
  if (!ownsLease(lease, ctx.identity, leaseMatchClientId(core, ctx, lease))) return undefined;
  return lease;
}

/** match-client-id of the lease's own subnet, which may differ from the subnet selected for the packet. */
function leaseMatchClientId(core: EngineCore, ctx: RequestContext, lease: Lease4): boolean {
  if (ctx.subnet?.config.id === lease.subnetId) return ctx.matchClientId;
  return core.subnetById.get(lease.subnetId)?.config.matchClientId ?? true;
}
