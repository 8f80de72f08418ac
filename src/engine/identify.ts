// Client identity, lease ownership and host reservation lookup.
//
// A client is named by option 61 when it carries at least 2 bytes, else by (htype, chaddr)
// (RFC 2131 §2 and §4.2; RFC 2132 §9.14: the client identifier is an opaque key). Ownership of a
// stored lease follows Kea's Lease4::belongsToClient: equal client identifiers match; when either
// side has no client identifier the hardware addresses decide. With match-client-id false (per
// subnet) the client identifier is ignored and chaddr alone decides, except for clients that
// have no chaddr at all (hlen 0), which only a client identifier can name.
//
// Reservations are looked up by the configured host-reservation-identifiers order; nestor
// supports hw-address, circuit-id (option 82 sub-option 1, RFC 3046 §3.1) and client-id. The
// duid and flex-id identifier types have no reservation fields in the configuration and are
// skipped.

import { hexToString } from '../codec/addr.js';
import { RAI_CIRCUIT_ID } from '../codec/constants.js';
import type { RequestView } from '../codec/types.js';
import type { HostIdentifierType, ReservationConfig } from '../config/types.js';
import { LeaseState } from '../leases/types.js';
import type { Lease4, LeaseReader } from '../leases/types.js';
import { bytesEqual, isLive } from './core.js';

/** Who sent a request. Byte arrays point into the request and must be copied before they are stored. */
export interface ClientIdentity {
  htype: number;
  hwAddress: Uint8Array;
  clientId: Uint8Array | undefined;
  circuitId: Uint8Array | undefined;
}

export function identifyClient(req: RequestView): ClientIdentity {
  return {
    htype: req.htype,
    hwAddress: req.chaddr(),
    clientId: req.clientId(),
    circuitId: req.relaySubOption(RAI_CIRCUIT_ID),
  };
}

/** The key offer holds and rate limits use: option 61 when it identifies the client, else htype and chaddr. */
export function clientKey(id: ClientIdentity, matchClientId: boolean): string {
  if (id.clientId !== undefined && (matchClientId || id.hwAddress.length === 0)) return 'c' + hexToString(id.clientId);
  return 'h' + id.htype.toString(16) + ':' + hexToString(id.hwAddress);
}

/** True when the stored lease belongs to the client (Kea's matching rule, see the file header). */
export function ownsLease(lease: Lease4, id: ClientIdentity, matchClientId: boolean): boolean {
  const useClientId = id.clientId !== undefined && (matchClientId || id.hwAddress.length === 0);
  if (useClientId && lease.clientId !== undefined) return bytesEqual(lease.clientId, id.clientId!);
  if (id.hwAddress.length === 0 || lease.hwAddress.length === 0) return false;
  return lease.htype === id.htype && bytesEqual(lease.hwAddress, id.hwAddress);
}

/**
 * Finds the client's lease in a subnet: by client identifier first, then by chaddr. A live lease
 * wins over an expired or released one; among equals the most recent transmission wins.
 * Declined leases have no owner and are never returned.
 */
export function findClientLease(
  reader: LeaseReader,
  subnetId: number,
  id: ClientIdentity,
  matchClientId: boolean,
  nowSec: number,
): Lease4 | undefined {
  let best: Lease4 | undefined;
  if (id.clientId !== undefined && (matchClientId || id.hwAddress.length === 0)) {
    for (const lease of reader.findByClientId(subnetId, id.clientId)) best = better(best, lease, id, matchClientId, nowSec);
  }
  if (best === undefined && id.hwAddress.length > 0) {
    for (const lease of reader.findByHwAddress(subnetId, id.hwAddress)) best = better(best, lease, id, matchClientId, nowSec);
  }
  return best;
}

/** All leases of the client in a subnet (for one lease per client per subnet). */
export function findClientLeases(reader: LeaseReader, subnetId: number, id: ClientIdentity, matchClientId: boolean): Lease4[] {
  const found = new Map<number, Lease4>();
  if (id.clientId !== undefined) {
    for (const lease of reader.findByClientId(subnetId, id.clientId)) {
      if (ownsLease(lease, id, matchClientId)) found.set(lease.address, lease);
    }
  }
  if (id.hwAddress.length > 0) {
    for (const lease of reader.findByHwAddress(subnetId, id.hwAddress)) {
      if (ownsLease(lease, id, matchClientId)) found.set(lease.address, lease);
    }
  }
  return [...found.values()];
}

function better(best: Lease4 | undefined, lease: Lease4, id: ClientIdentity, matchClientId: boolean, nowSec: number): Lease4 | undefined {
  if (lease.state === LeaseState.DECLINED || !ownsLease(lease, id, matchClientId)) return best;
  if (best === undefined) return lease;

  const leaseLive = isLive(lease, nowSec);
  const bestLive = isLive(best, nowSec);
  if (leaseLive !== bestLive) return leaseLive ? lease : best;
  return lease.cltt > best.cltt ? lease : best;
}

/** Reservations of one scope (a subnet or the global list) indexed by each identifier and by address. */
export class ReservationIndex {
  private readonly byHwAddress = new Map<string, ReservationConfig>();
  private readonly byClientId = new Map<string, ReservationConfig>();
  private readonly byCircuitId = new Map<string, ReservationConfig>();
  private readonly byAddress = new Map<number, ReservationConfig>();

  constructor(reservations: readonly ReservationConfig[]) {
    for (const r of reservations) {
      if (r.hwAddress !== undefined) setFirst(this.byHwAddress, hexToString(r.hwAddress), r);
      if (r.clientId !== undefined) setFirst(this.byClientId, hexToString(r.clientId), r);
      if (r.circuitId !== undefined) setFirst(this.byCircuitId, hexToString(r.circuitId), r);
      if (r.ipAddress !== undefined && !this.byAddress.has(r.ipAddress)) this.byAddress.set(r.ipAddress, r);
    }
  }

  get isEmpty(): boolean {
    return this.byHwAddress.size + this.byClientId.size + this.byCircuitId.size === 0;
  }

  /** The client's reservation, trying identifier types in the configured order. */
  find(id: ClientIdentity, order: readonly HostIdentifierType[]): ReservationConfig | undefined {
    if (this.isEmpty) return undefined;
    for (const type of order) {
      const found = this.findBy(type, id);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** The reservation that holds address, if any. */
  atAddress(address: number): ReservationConfig | undefined {
    return this.byAddress.get(address);
  }

  private findBy(type: HostIdentifierType, id: ClientIdentity): ReservationConfig | undefined {
    switch (type) {
      case 'hw-address':
        return id.hwAddress.length > 0 ? this.byHwAddress.get(hexToString(id.hwAddress)) : undefined;
      case 'client-id':
        return id.clientId !== undefined ? this.byClientId.get(hexToString(id.clientId)) : undefined;
      case 'circuit-id':
        return id.circuitId !== undefined ? this.byCircuitId.get(hexToString(id.circuitId)) : undefined;
      default:
        return undefined;
    }
  }
}

function setFirst(map: Map<string, ReservationConfig>, key: string, r: ReservationConfig): void {
  if (!map.has(key)) map.set(key, r);
}
