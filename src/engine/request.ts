// DHCPREQUEST (RFC 2131 §4.3.2). The client's state follows from the request (Table 4):
//   option 54 present                         → SELECTING: reply only if 54 names this server;
//   option 50, ciaddr 0 (or a different ciaddr) → INIT-REBOOT;
//   ciaddr set, no option 50 (or 50 = ciaddr)  → RENEWING when unicast, REBINDING when broadcast;
//   neither                                    → allocate and ACK, as Kea does for broken clients.
// A NAK goes only where this server knows better: a client it knows, an address it holds for
// someone else, or any case when the subnet is authoritative. Otherwise it stays silent so that
// servers sharing a link do not fight (RFC 2131 §3.2 item 2 and §4.3.2).
//
// Granting happens inside the caller's write transaction: the lease at the address is re-read
// through the transaction before the ACK, so two workers or two racing requests cannot both win.

import { MSG_DHCPACK, RAI_SERVER_ID_OVERRIDE } from '../codec/constants.js';
import type { ReservationConfig } from '../config/types.js';
import { LeaseState } from '../leases/types.js';
import type { Lease4 } from '../leases/types.js';
import { copyBytes, expirySec, findAllowedPool, findOwnedLeasePool, isExcludedAddress, isInSubnet, isLive, reservedAddress, stayQuiet } from './core.js';
import type { EngineCore, RequestContext, SubnetState } from './core.js';
import { decideDelivery } from './delivery.js';
import { chooseAddress } from './discover.js';
import { findClientLease, findClientLeases, ownsLease } from './identify.js';
import { readAddress } from './select-subnet.js';
import { buildNakPlan, buildReplyPlan, chooseLeaseTimes, chooseValidLifetime, leaseHostname } from './reply-options.js';

export function handleRequest(core: EngineCore, ctx: RequestContext): void {
  const req = ctx.req;
  const serverId = req.serverId();
  const requested = req.requestedIp();

  if (serverId !== undefined && !isOurServerId(core, ctx, serverId)) {
    // RFC 2131 §3.1 item 4: the client chose another server, so our offer is void.
    core.allocator.release(ctx.key);
    return stayQuiet(ctx, 'drop-server-id-not-ours');
  }

  const s = ctx.subnet;
  if (s === undefined) return nak(core, ctx, 'nak-no-subnet', 'no subnet for this network');

  if (serverId !== undefined) {
    // A stray ciaddr next to option 50 is ignored (RFC 1541-era clients send both).
    const address = requested ?? req.ciaddr;
    return address === 0 ? allocateAndAck(core, ctx, s) : selecting(core, ctx, s, address);
  }
  if (requested !== undefined && req.ciaddr !== requested) return initReboot(core, ctx, s, requested);
  if (req.ciaddr !== 0) return renewing(core, ctx, s, req.ciaddr);
  return allocateAndAck(core, ctx, s);
}

/** RFC 2131 §4.1: a multi-homed server accepts any of its addresses; configured and RFC 5107 override identifiers count too. */
function isOurServerId(core: EngineCore, ctx: RequestContext, serverId: number): boolean {
  if (core.ownServerIds.has(serverId) || serverId === ctx.ingress.localAddress) return true;
  return readAddress(ctx.req.relaySubOption(RAI_SERVER_ID_OVERRIDE)) === serverId;
}

function selecting(core: EngineCore, ctx: RequestContext, s: SubnetState, address: number): void {
  if (!isInSubnet(address, s.config)) return nak(core, ctx, 'nak-wrong-network', 'requested address is not on this network');
  grantOrNak(core, ctx, s, address, 0);
}

function initReboot(core: EngineCore, ctx: RequestContext, s: SubnetState, address: number): void {
  const lease = findClientLease(ctx.tx, s.config.id, ctx.identity, ctx.matchClientId, ctx.nowSec);
  const reserved = reservedAddress(ctx);
  const isKnown = lease !== undefined || reserved !== undefined;

  if (!isInSubnet(address, s.config)) {
    if (isKnown || s.config.authoritative) return nak(core, ctx, 'nak-wrong-network', 'requested address is not on this network');
    return stayQuiet(ctx, 'silent-init-reboot-unknown-client');
  }
  if (!isKnown) {
    if (s.config.authoritative) return nak(core, ctx, 'nak-unknown-client', 'no binding for this client');
    return stayQuiet(ctx, 'silent-init-reboot-unknown-client');
  }
  if (address !== lease?.address && address !== reserved) return nak(core, ctx, 'nak-wrong-address', 'requested address is not the client\'s');
  grantOrNak(core, ctx, s, address, 0);
}

function renewing(core: EngineCore, ctx: RequestContext, s: SubnetState, ciaddr: number): void {
  const lease = ctx.tx.get(ciaddr);
  const isOwner = lease !== undefined && lease.state !== LeaseState.DECLINED && ownsLease(lease, ctx.identity, ctx.matchClientId);

  if (!isInSubnet(ciaddr, s.config)) {
    // The client moved to another link: tell it at once if we know it (RFC 2131 §3.2).
    if (isOwner || s.config.authoritative) return nak(core, ctx, 'nak-wrong-network', 'address is not on this network');
    return stayQuiet(ctx, 'silent-unknown-binding');
  }
  if (lease !== undefined && !isOwner && isLive(lease, ctx.nowSec)) {
    return nak(core, ctx, 'nak-address-in-use', 'address is leased to another client');
  }
  if (!isOwner) {
    // No binding here: it may belong to a partner server (RFC 2131 §4.3.2, REBINDING).
    if (s.config.authoritative) return nak(core, ctx, 'nak-unknown-binding', 'no binding for this address');
    return stayQuiet(ctx, 'silent-unknown-binding');
  }
  grantOrNak(core, ctx, s, ciaddr, ciaddr);
}

/** REQUEST with neither option 50 nor ciaddr: RFC 2131 §4.3.2 asks for a NAK, but Kea allocates and ACKs, and so do we. */
function allocateAndAck(core: EngineCore, ctx: RequestContext, s: SubnetState): void {
  const address = chooseAddress(core, ctx, s);
  if (address === undefined) return nak(core, ctx, 'nak-pool-exhausted', 'no address available');
  grantOrNak(core, ctx, s, address, 0);
}

/** Grants address to the client and ACKs, or NAKs with the reason it cannot have it. */
function grantOrNak(core: EngineCore, ctx: RequestContext, s: SubnetState, address: number, ciaddr: number): void {
  const refusal = checkGrant(core, ctx, s, address);
  if (refusal !== undefined) return nak(core, ctx, refusal[0], refusal[1]);

  const lease = commitLease(ctx, s, address);
  core.allocator.release(ctx.key);
  const times = chooseLeaseTimes(lease.validLifetime, s.config);
  const plan = buildReplyPlan(ctx, MSG_DHCPACK, address, ciaddr, times, findAllowedPool(s.config, address, ctx.classes));
  ctx.result.reply = plan;
  ctx.result.outcome = 'ack';
  decideDelivery(ctx.req, ctx.ingress, plan, ciaddr, core.config.nestor, ctx.result.delivery);
}

/** Returns [outcome, message] when the client may not have the address, else undefined. */
function checkGrant(core: EngineCore, ctx: RequestContext, s: SubnetState, address: number): [string, string] | undefined {
  const { tx, nowSec } = ctx;
  if (isExcludedAddress(core, s.config, address)) return ['nak-address-unavailable', 'address is not available'];
  // Kea "Conflicts in DHCPv4 Reservations": a reserved address goes to its host only.
  const existing = tx.get(address);
  const owner = core.allocator.reservationAt(s, address);
  const isReservedForClient = owner !== undefined && (owner === ctx.reservation || isUnrecognisedOwner(ctx, owner, existing));
  if (owner !== undefined && !isReservedForClient) return ['nak-address-reserved', 'address is reserved for another client'];

  if (existing !== undefined && existing.state === LeaseState.DECLINED && expirySec(existing) > nowSec) {
    return ['nak-address-declined', 'address is declined'];
  }
  if (existing !== undefined && isLive(existing, nowSec) && !ownsLease(existing, ctx.identity, ctx.matchClientId)) {
    return ['nak-address-in-use', 'address is leased to another client'];
  }

  const reserved = reservedAddress(ctx);
  const isOwnLiveLease = existing !== undefined && isLive(existing, nowSec) && ownsLease(existing, ctx.identity, ctx.matchClientId);
  const pool = isOwnLiveLease ? findOwnedLeasePool(core, s.config, address, ctx.classes) : findAllowedPool(s.config, address, ctx.classes);
  if (!isReservedForClient && pool === undefined) {
    return ['nak-address-out-of-pool', 'address is not in a pool'];
  }
  // A client with a free reserved address gets a NAK for any other address, so it comes back for the reserved one.
  if (reserved !== undefined && address !== reserved && core.allocator.isAvailable(s, reserved, ctx, tx, nowSec, true)) {
    return ['nak-reserved-elsewhere', 'client has a reserved address'];
  }
  return undefined;
}

/**
 * True when the address is reserved by circuit-id, the request carries no option 82, and the
 * client already has the live lease. A unicast renewal bypasses the relay, so it cannot show the
 * circuit-id that won it the address (RFC 3046 §2.1 leaves option 82 to the relay).
 */
function isUnrecognisedOwner(ctx: RequestContext, owner: ReservationConfig, lease: Lease4 | undefined): boolean {
  if (owner.circuitId === undefined || ctx.identity.circuitId !== undefined) return false;
  return lease !== undefined && isLive(lease, ctx.nowSec) && ownsLease(lease, ctx.identity, ctx.matchClientId);
}

/**
 * Writes the client's lease for address and removes its other leases in the subnet (one lease
 * per client per subnet, as Kea's requestLease4 does). Appends the changes to the result.
 */
function commitLease(ctx: RequestContext, s: SubnetState, address: number): Lease4 {
  const { tx, result, identity } = ctx;
  for (const old of findClientLeases(tx, s.config.id, identity, ctx.matchClientId)) {
    if (old.address === address || old.state === LeaseState.DECLINED) continue;
    tx.remove(old.address);
    result.changes.push({ kind: 'delete', lease: old });
  }

  const lease: Lease4 = {
    address,
    hwAddress: copyBytes(identity.hwAddress),
    htype: identity.htype,
    clientId: identity.clientId !== undefined ? copyBytes(identity.clientId) : undefined,
    subnetId: s.config.id,
    validLifetime: chooseValidLifetime(ctx.req, s.config),
    cltt: ctx.nowSec,
    state: LeaseState.DEFAULT,
    hostname: leaseHostname(ctx),
    fqdnFwd: false,
    fqdnRev: false,
  };
  tx.put(lease);
  result.changes.push({ kind: 'update', lease });
  return lease;
}

function nak(core: EngineCore, ctx: RequestContext, outcome: string, message: string): void {
  core.allocator.release(ctx.key);
  const plan = buildNakPlan(ctx, message);
  ctx.result.reply = plan;
  ctx.result.outcome = outcome;
  decideDelivery(ctx.req, ctx.ingress, plan, 0, core.config.nestor, ctx.result.delivery);
}
