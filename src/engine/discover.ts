// DHCPDISCOVER (RFC 2131 §4.3.1): choose an address and build the OFFER. A DISCOVER writes
// nothing to the lease store; the offered address is only held in memory (see allocate.ts).
//
// Address order: the client's reservation, its current or previous lease (expired or released,
// when nobody else took the address), its unexpired offer hold, the requested address (option
// 50) when it is free and in an allowed pool, then the next free pool address. A requested
// address that fails any check is ignored, never answered with a NAK (RFC 2131 §3.5).

import { MSG_DHCPOFFER } from '../codec/constants.js';
import { logMessage } from '../log/logger.js';
import { findAllowedPool, reservedAddress, stayQuiet } from './core.js';
import type { EngineCore, RequestContext, SubnetState } from './core.js';
import { decideDelivery } from './delivery.js';
import { findClientLease } from './identify.js';
import { buildReplyPlan, chooseLeaseTimes, chooseValidLifetime } from './reply-options.js';

/** Pool exhaustion is logged at most once per subnet in this many seconds. */
const EXHAUSTED_WARN_INTERVAL_SEC = 60;

export function handleDiscover(core: EngineCore, ctx: RequestContext): void {
  // RFC 2131 Table 5: a DISCOVER must not carry option 54. Kea drops such packets; so do we.
  if (ctx.req.serverId() !== undefined) return stayQuiet(ctx, 'drop-discover-server-id');
  const s = ctx.subnet;
  if (s === undefined) return stayQuiet(ctx, 'drop-no-subnet');
  if (!core.allocator.isWithinOfferRate(ctx.key, ctx.nowSec)) return stayQuiet(ctx, 'drop-client-rate-limited');

  const address = chooseAddress(core, ctx, s);
  if (address === undefined) {
    warnPoolExhausted(core, s, ctx.nowSec);
    return stayQuiet(ctx, 'silent-pool-exhausted');
  }

  core.allocator.hold(ctx.key, s.config.id, address, ctx.nowSec);
  const times = chooseLeaseTimes(chooseValidLifetime(ctx.req, s.config), s.config);
  const plan = buildReplyPlan(ctx, MSG_DHCPOFFER, address, 0, times, findAllowedPool(s.config, address, ctx.classes));
  ctx.result.reply = plan;
  ctx.result.outcome = 'offer';
  decideDelivery(ctx.req, ctx.ingress, plan, 0, core.config.nestor, ctx.result.delivery);
}

/**
 * Chooses an address for the client in subnet s, in the order given in the file header.
 * Returns undefined when no allowed pool has a free address.
 */
export function chooseAddress(core: EngineCore, ctx: RequestContext, s: SubnetState): number | undefined {
  const allocator = core.allocator;
  const { tx, nowSec, key } = ctx;

  const reserved = reservedAddress(ctx);
  if (reserved !== undefined && allocator.isAvailable(s, reserved, ctx, tx, nowSec, true)) return reserved;

  const lease = findClientLease(tx, s.config.id, ctx.identity, ctx.matchClientId, nowSec);
  if (lease !== undefined && allocator.isAvailable(s, lease.address, ctx, tx, nowSec) && !allocator.isHeldForOther(lease.address, key, nowSec)) {
    return lease.address;
  }

  const hold = allocator.holdOf(key, s.config.id, nowSec);
  if (hold !== undefined && allocator.isAvailable(s, hold.address, ctx, tx, nowSec)) return hold.address;

  const requested = ctx.req.requestedIp();
  if (requested !== undefined && allocator.isAvailable(s, requested, ctx, tx, nowSec) && !allocator.isHeldForOther(requested, key, nowSec)) {
    return requested;
  }

  return allocator.pickFromPools(s, ctx, tx, nowSec);
}

function warnPoolExhausted(core: EngineCore, s: SubnetState, nowSec: number): void {
  s.exhaustedSinceWarn++;
  if (nowSec - s.lastExhaustedWarnSec < EXHAUSTED_WARN_INTERVAL_SEC) return;
  logMessage(core.log, 'ALLOC_POOL_EXHAUSTED', { subnet: s.config.subnet, count: s.exhaustedSinceWarn });
  s.lastExhaustedWarnSec = nowSec;
  s.exhaustedSinceWarn = 0;
}
