// Inputs and outputs of the request engine. The engine decides; it sends nothing and does no I/O
// except through the lease store transaction it is given.

import type { ReplyPlan } from '../codec/types.js';
import type { Lease4 } from '../leases/types.js';

/** Where and how a request arrived, filled in by the pipeline from the receive metadata. */
export interface Ingress {
  /** Receiving interface index; 0 when unknown. */
  ifindex: number;
  /** Receiving interface name; undefined when unknown. */
  ifname: string | undefined;
  sourceAddress: number;
  sourcePort: number;
  /** IP destination of the request; 0xffffffff for a broadcast. */
  destinationAddress: number;
  /** This server's address on the receiving interface: the default server identifier and reply source. */
  localAddress: number;
  /**
   * True while HA serves the partner's clients too (partner-down, partner-in-maintenance): new
   * leases then come from this server's own pools first, so two servers that both believe the
   * other is down still hand out different addresses.
   */
  isFailover: boolean;
}

/** Reply delivery per RFC 2131 §4.1, decided by the engine and carried out by io. */
export const enum DeliveryKind {
  /** To giaddr, server port (or the RFC 8357 relay port). */
  RELAY = 1,
  /** To ciaddr, client port. */
  CIADDR = 2,
  /** IP 255.255.255.255 and Ethernet broadcast, client port. */
  BROADCAST = 3,
  /** To yiaddr and the chaddr MAC without ARP, client port (raw sockets only; UDP falls back to BROADCAST). */
  YIADDR = 4,
}

export interface Delivery {
  kind: DeliveryKind;
  address: number;
  port: number;
}

/** One lease change committed while handling a request, for HA lease updates. */
export interface LeaseChange {
  kind: 'update' | 'delete';
  lease: Lease4;
}

/** What the engine decided for one request. */
export interface EngineResult {
  /** A reply to encode and send, or undefined for silence. */
  reply: ReplyPlan | undefined;
  delivery: Delivery;
  /** Outcome name for counters and debug logs, e.g. 'offer', 'ack', 'nak', 'drop-not-our-server-id'. */
  outcome: string;
  /** Lease changes this request committed (appended; the caller clears the array per batch). */
  changes: LeaseChange[];
}
