// Shared state and small helpers of the request engine: the per-subnet runtime state built once
// from the frozen configuration, the per-request context, and lease predicates used by every
// message handler. Lease times follow RFC 2131 §3.3: expiry is cltt + validLifetime, and
// 0xffffffff means infinite.

import type { Logger } from 'pino';

import type { RequestView } from '../codec/types.js';
import type { OptionSet, PoolConfig, ReservationConfig, ServerConfig, SubnetConfig } from '../config/types.js';
import { LeaseState } from '../leases/types.js';
import type { Lease4, LeaseWriter } from '../leases/types.js';
import type { Allocator } from './allocate.js';
import type { ClientIdentity, ReservationIndex } from './identify.js';
import type { EngineResult, Ingress } from './types.js';

export const INFINITE_LIFETIME = 0xffffffff;
export const BROADCAST_ADDRESS = 0xffffffff;

/** Runtime state of one configured subnet. */
export interface SubnetState {
  config: SubnetConfig;
  /** Reservations of this subnet, indexed by identifier and address. */
  reservations: ReservationIndex;
  /** Unix second of the last ALLOC_POOL_EXHAUSTED warning for this subnet, -Infinity for none. */
  lastExhaustedWarnSec: number;
  /** Clients left without an OFFER since that warning. */
  exhaustedSinceWarn: number;
}

/** Engine state shared by the message handlers. */
export interface EngineCore {
  config: ServerConfig;
  log: Logger;
  subnets: readonly SubnetState[];
  subnetById: ReadonlyMap<number, SubnetState>;
  globalReservations: ReservationIndex;
  allocator: Allocator;
  /** Addresses accepted as "us" in option 54: the server's addresses and every configured server identifier. */
  ownServerIds: ReadonlySet<number>;
  /** Addresses never handed out: the server's own addresses, relay addresses and configured server identifiers. */
  infrastructure: ReadonlySet<number>;
  classify: ((req: RequestView, ingress: Ingress) => readonly string[]) | undefined;
  /** Try the pools of the request's first class before the others when picking a new address. */
  preferFirstClass: boolean;
  /** Classes also accepted for an address the client already holds a live lease on. */
  ownedLeaseClasses: readonly string[];
}

/** Everything known about one request after subnet selection and client identification. */
export interface RequestContext {
  req: RequestView;
  ingress: Ingress;
  nowSec: number;
  tx: LeaseWriter;
  result: EngineResult;
  subnet: SubnetState | undefined;
  identity: ClientIdentity;
  /** Offer-hold and rate-limit key of the client (see identify.ts clientKey). */
  key: string;
  /** Whether option 61 identifies the client in the selected subnet (Kea match-client-id). */
  matchClientId: boolean;
  /** The client's reservation in the selected subnet or among the global ones. */
  reservation: ReservationConfig | undefined;
  /** Global options, for the ACK to an INFORM from a network without a subnet. */
  globalOptions: OptionSet;
  /** Client classes the pipeline attached (HA scope classes and the like) plus KNOWN or UNKNOWN. */
  classes: readonly string[];
}

export function isInSubnet(address: number, subnet: SubnetConfig): boolean {
  return ((address & subnet.mask) >>> 0) === subnet.network;
}

export function expirySec(lease: Lease4): number {
  return lease.validLifetime === INFINITE_LIFETIME ? Infinity : lease.cltt + lease.validLifetime;
}

/** True when the lease stops every client but its owner from using the address. */
export function isLive(lease: Lease4, nowSec: number): boolean {
  if (lease.state === LeaseState.EXPIRED_RECLAIMED) return false;
  return expirySec(lease) > nowSec;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Finds the pool that contains address for a client that holds a live lease on it: its own classes or the owned-lease classes. */
export function findOwnedLeasePool(core: EngineCore, subnet: SubnetConfig, address: number, classes: readonly string[]): PoolConfig | undefined {
  return findAllowedPool(subnet, address, classes) ?? (core.ownedLeaseClasses.length === 0 ? undefined : findAllowedPool(subnet, address, core.ownedLeaseClasses));
}

/** Finds the pool of the subnet that contains address and that the client's classes may use. */
export function findAllowedPool(subnet: SubnetConfig, address: number, classes: readonly string[]): PoolConfig | undefined {
  for (const pool of subnet.pools) {
    if (address < pool.first || address > pool.last) continue;
    if (isPoolAllowed(pool, classes)) return pool;
  }
  return undefined;
}

/** Kea pool guard: a pool with client-class serves only clients of that class ('ALL' serves all). */
export function isPoolAllowed(pool: PoolConfig, classes: readonly string[]): boolean {
  if (pool.clientClass === undefined || pool.clientClass === 'ALL') return true;
  return classes.includes(pool.clientClass);
}

/** True for the network and broadcast addresses of a subnet larger than /31 and for server and relay addresses. */
export function isExcludedAddress(core: EngineCore, subnet: SubnetConfig, address: number): boolean {
  if (core.infrastructure.has(address)) return true;
  if (subnet.prefixLength >= 31) return false;
  return address === subnet.network || address === subnet.broadcast;
}

/** Copies bytes out of a request view so a stored lease never points into a reused receive buffer. */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** Returns the client's reserved address when it lies in the selected subnet (Kea ignores a reserved address of another subnet). */
export function reservedAddress(ctx: RequestContext): number | undefined {
  const address = ctx.reservation?.ipAddress;
  if (address === undefined || ctx.subnet === undefined) return undefined;
  return isInSubnet(address, ctx.subnet.config) ? address : undefined;
}

/** Ends a request without a reply. */
export function stayQuiet(ctx: RequestContext, outcome: string): void {
  ctx.result.reply = undefined;
  ctx.result.outcome = outcome;
}
