// The request engine: one synchronous decision per request, from the request view, the frozen
// configuration and the caller's lease store transaction, to a reply plan, a delivery and the
// lease changes. It sends nothing and does no other I/O.
//
// Outcomes (result.outcome, also the keys of `counters`):
//
// | outcome                          | reply | meaning                                                            |
// | -------------------------------- | ----- | ------------------------------------------------------------------ |
// | offer                            | OFFER | DISCOVER answered                                                  |
// | ack                              | ACK   | REQUEST granted, lease written                                     |
// | inform-ack                       | ACK   | INFORM answered, store untouched                                   |
// | nak-no-subnet                    | NAK   | REQUEST from a network with no subnet (relayed or unicast)         |
// | nak-wrong-network                | NAK   | requested address or ciaddr is not in the selected subnet          |
// | nak-wrong-address                | NAK   | INIT-REBOOT of a known client for an address that is not its own   |
// | nak-unknown-client               | NAK   | INIT-REBOOT of an unknown client, subnet authoritative             |
// | nak-unknown-binding              | NAK   | RENEW/REBIND for an address with no binding, subnet authoritative  |
// | nak-address-in-use               | NAK   | another client holds a live lease on the address                   |
// | nak-address-reserved             | NAK   | the address is reserved for another client                         |
// | nak-reserved-elsewhere           | NAK   | the client has a free reserved address and asked for another one   |
// | nak-address-declined             | NAK   | the address is in its decline probation period                     |
// | nak-address-out-of-pool          | NAK   | the address is in no pool the client may use and not reserved      |
// | nak-address-unavailable          | NAK   | network, broadcast, server or relay address                        |
// | nak-pool-exhausted               | NAK   | REQUEST without address or ciaddr and no free address              |
// | silent-pool-exhausted            | none  | DISCOVER and no free address (ALLOC_POOL_EXHAUSTED, rate-limited)  |
// | silent-init-reboot-unknown-client| none  | INIT-REBOOT of an unknown client, not authoritative                |
// | silent-unknown-binding           | none  | RENEW/REBIND for an unknown binding, not authoritative             |
// | drop-server-id-not-ours          | none  | option 54 names another server (REQUEST, DECLINE, RELEASE)         |
// | drop-discover-server-id          | none  | DISCOVER carrying option 54 (Kea drops it)                         |
// | drop-no-subnet                   | none  | DISCOVER with no subnet, or direct broadcast on an unserved link   |
// | drop-client-rate-limited         | none  | more than MAX_OFFERS_PER_CLIENT_PER_SEC DISCOVERs in one second    |
// | drop-inform-no-address           | none  | direct INFORM from 0.0.0.0 without ciaddr                          |
// | drop-decline-no-address          | none  | DECLINE without option 50                                          |
// | drop-decline-not-owner           | none  | DECLINE of a lease the sender does not hold                        |
// | drop-release-no-address          | none  | RELEASE without ciaddr                                             |
// | drop-release-not-owner           | none  | RELEASE of a lease the sender does not hold                        |
// | drop-bad-message-type            | none  | message type the engine does not handle                            |
// | decline                          | none  | lease declined                                                     |
// | release                          | none  | lease released                                                     |
//
// Requests from one client must reach the same Engine (the dispatcher shards by client hash), so
// offer holds and per-client rate limits stay consistent; transactions are keyed by client
// identity, never by xid.

import type { Logger } from 'pino';

import { ipToString, macToString } from '../codec/addr.js';
import {
  MSG_DHCPDECLINE,
  MSG_DHCPDISCOVER,
  MSG_DHCPINFORM,
  MSG_DHCPRELEASE,
  MSG_DHCPREQUEST,
} from '../codec/constants.js';
import type { ReplyPlan, RequestView } from '../codec/types.js';
import type { ServerConfig } from '../config/types.js';
import type { LeaseStore, LeaseWriter } from '../leases/types.js';
import { logMessage } from '../log/logger.js';
import { Allocator } from './allocate.js';
import { BROADCAST_ADDRESS, stayQuiet } from './core.js';
import type { EngineCore, RequestContext, SubnetState } from './core.js';
import { handleDecline, handleRelease } from './decline-release.js';
import { handleDiscover } from './discover.js';
import { clientKey, identifyClient, ReservationIndex } from './identify.js';
import { handleInform } from './inform.js';
import { Reclaimer } from './reclaim.js';
import { handleRequest } from './request.js';
import { SubnetSelector } from './select-subnet.js';
import { DeliveryKind } from './types.js';
import type { EngineResult, Ingress } from './types.js';

export interface EngineOptions {
  log: Logger;
  /** Every address of this server; each is accepted in option 54 and never handed out. */
  serverAddresses: readonly number[];
  /** This worker's place among the workers, so each starts its pool cursors elsewhere. */
  shard?: { index: number; count: number };
  /** Client classes of a request (for example the HA scope class HA_server1); pools guarded by other classes are skipped. */
  classify?: (req: RequestView, ingress: Ingress) => readonly string[];
  /** New addresses come from the pools of the first class before the others (HA: this server's own pools in failover). */
  preferFirstClass?: boolean;
  /** Classes also accepted for an address the client already holds a live lease on (HA: every HA_<peer> class). */
  ownedLeaseClasses?: readonly string[];
}

const NO_CLASSES: readonly string[] = [];

export class Engine {
  readonly counters: Record<string, number> = {};
  private readonly core: EngineCore;
  private readonly selector: SubnetSelector;
  private readonly reclaimer: Reclaimer;
  private readonly hasClassGuards: boolean;

  constructor(config: ServerConfig, opts: EngineOptions) {
    const subnets: SubnetState[] = config.subnets.map((sn) => ({
      config: sn,
      reservations: new ReservationIndex(config.reservationsGlobal || sn.reservationsInSubnet ? sn.reservations : []),
      lastExhaustedWarnSec: -Infinity,
      exhaustedSinceWarn: 0,
    }));
    const ownServerIds = new Set<number>(opts.serverAddresses);
    const infrastructure = new Set<number>(opts.serverAddresses);
    for (const sn of config.subnets) {
      if (sn.serverId !== undefined) {
        ownServerIds.add(sn.serverId);
        infrastructure.add(sn.serverId);
      }
      for (const relay of sn.relayAddresses) infrastructure.add(relay);
    }

    const core: EngineCore = {
      config,
      log: opts.log,
      subnets,
      subnetById: new Map(subnets.map((s) => [s.config.id, s])),
      globalReservations: new ReservationIndex(config.reservationsGlobal ? config.globalReservations : []),
      allocator: new Allocator(() => core, opts.shard),
      ownServerIds,
      infrastructure,
      classify: opts.classify,
      preferFirstClass: opts.preferFirstClass ?? false,
      ownedLeaseClasses: opts.ownedLeaseClasses ?? [],
    };
    this.core = core;
    this.selector = new SubnetSelector(subnets);
    this.reclaimer = new Reclaimer(config.expiredLeases, opts.log);
    this.hasClassGuards = config.subnets.some((sn) => subnetClass(sn) !== undefined || sn.pools.some((p) => p.clientClass !== undefined && p.clientClass !== 'ALL'));
  }

  /** Number of offer holds in memory (for tests and metrics). */
  get offerHoldCount(): number {
    return this.core.allocator.holdCount;
  }

  /** Decides one request; must be called inside store.transact(tx => …); appends committed changes to result.changes. */
  handle(req: RequestView, ingress: Ingress, nowSec: number, tx: LeaseWriter, result: EngineResult): void {
    result.reply = undefined;
    result.outcome = '';
    if (result.delivery === undefined) result.delivery = { kind: DeliveryKind.BROADCAST, address: BROADCAST_ADDRESS, port: 0 };

    const ctx = this.buildContext(req, ingress, nowSec, tx, result);
    this.dispatch(ctx);

    this.counters[result.outcome] = (this.counters[result.outcome] ?? 0) + 1;
    if (this.core.log.isLevelEnabled('debug')) {
      // Read through the interface type: the handlers set result.reply, which narrowing cannot see.
      const reply: ReplyPlan | undefined = (result as EngineResult).reply;
      logMessage(this.core.log, 'ENGINE_REQUEST_DECIDED', {
        xid: req.xid,
        mac: macToString(ctx.identity.hwAddress),
        subnet: ctx.subnet?.config.subnet,
        state: result.outcome,
        ip: reply !== undefined && reply.yiaddr !== 0 ? ipToString(reply.yiaddr) : undefined,
      });
    }
  }

  /** Reclaims up to limit expired leases (state → EXPIRED_RECLAIMED, owner kept until hold-reclaimed-time, then deleted); returns how many changed. */
  reclaimExpired(store: LeaseStore, nowSec: number, limit: number, maxMs: number): number {
    return this.reclaimer.run(store, nowSec, limit, maxMs);
  }

  private dispatch(ctx: RequestContext): void {
    const req = ctx.req;
    // RFC 2131 §4.1 and Kea acceptDirectRequest: a direct broadcast is served only on a link with a subnet.
    if (ctx.subnet === undefined && req.giaddr === 0 && ctx.ingress.destinationAddress === BROADCAST_ADDRESS && req.messageType !== MSG_DHCPINFORM) {
      return stayQuiet(ctx, 'drop-no-subnet');
    }

    switch (req.messageType) {
      case MSG_DHCPDISCOVER:
        return handleDiscover(this.core, ctx);
      case MSG_DHCPREQUEST:
        return handleRequest(this.core, ctx);
      case MSG_DHCPDECLINE:
      case MSG_DHCPRELEASE:
        if (!this.isOursOrAbsent(ctx)) return stayQuiet(ctx, 'drop-server-id-not-ours');
        return req.messageType === MSG_DHCPDECLINE ? handleDecline(this.core, ctx) : handleRelease(this.core, ctx);
      case MSG_DHCPINFORM:
        return handleInform(this.core, ctx);
      default:
        return stayQuiet(ctx, 'drop-bad-message-type');
    }
  }

  private isOursOrAbsent(ctx: RequestContext): boolean {
    const serverId = ctx.req.serverId();
    return serverId === undefined || this.core.ownServerIds.has(serverId) || serverId === ctx.ingress.localAddress;
  }

  private buildContext(req: RequestView, ingress: Ingress, nowSec: number, tx: LeaseWriter, result: EngineResult): RequestContext {
    const core = this.core;
    let subnet = this.selector.select(req, ingress);
    const identity = identifyClient(req);
    const matchClientId = subnet?.config.matchClientId ?? true;
    const order = core.config.hostReservationIdentifiers;

    let reservation = subnet?.reservations.find(identity, order);
    if (reservation === undefined && core.config.reservationsGlobal) reservation = core.globalReservations.find(identity, order);
    const classes = this.classesOf(req, ingress, reservation !== undefined);

    // Kea subnet client-class guard: a client outside the class cannot use the subnet.
    const guard = subnet !== undefined ? subnetClass(subnet.config) : undefined;
    if (guard !== undefined && guard !== 'ALL' && !classes.includes(guard)) {
      subnet = undefined;
      reservation = core.config.reservationsGlobal ? core.globalReservations.find(identity, order) : undefined;
    }

    return {
      req,
      ingress,
      nowSec,
      tx,
      result,
      subnet,
      identity,
      key: clientKey(identity, matchClientId),
      matchClientId,
      reservation,
      globalOptions: core.config.options,
      classes,
    };
  }

  /** Client classes for pool guards: the pipeline's classes plus Kea's built-in KNOWN or UNKNOWN. */
  private classesOf(req: RequestView, ingress: Ingress, isKnown: boolean): readonly string[] {
    if (!this.hasClassGuards) return NO_CLASSES;
    const base = this.core.classify?.(req, ingress) ?? NO_CLASSES;
    return [...base, isKnown ? 'KNOWN' : 'UNKNOWN'];
  }
}

/** Reads the subnet's client-class guard defensively, because configurations from before the field lack it. */
function subnetClass(sn: ServerConfig['subnets'][number]): string | undefined {
  return (sn as { clientClass?: string }).clientClass;
}
