// Batch layouts that cross the main-thread/worker boundary. A work batch carries the request bytes
// packed back to back plus one row of metadata per packet; a result batch carries the encoded replies
// in the send layout of src/io/batch.ts plus the batch's lease changes and outcome counts. Both travel
// as plain typed arrays (transferred, not copied, where the runtime allows).
//
// Work batch meta, WORK_STRIDE uint32 words per packet:
//   word 0 OFFSET      byte offset of the request in data
//   word 1 LENGTH      request length in bytes
//   word 2 SRC_ADDR    IP source, host order
//   word 3 SRC_PORT    UDP source port
//   word 4 DST_ADDR    IP destination (0xffffffff for broadcast)
//   word 5 IFINDEX     receiving interface index (0 unknown)
//   word 6 LOCAL_ADDR  this server's address on that interface (default server identifier)
//   word 7 BUCKET      RFC 3074 hash of the client key (0xffff: no key)
//   word 8 VLAN        802.1Q tag of a frame from a raw socket, VLAN_PRESENT | id (0: untagged or UDP)
//   word 9 reserved
//
// Result meta, RESULT_STRIDE uint32 words per reply:
//   word 0 OFFSET, 1 LENGTH, 2 DST_ADDR, 3 DST_PORT, 4 SRC_ADDR, 5 IFINDEX, 6 DELIVERY (DeliveryKind),
//   word 7 DST_MAC_HI (first 2 bytes of the destination MAC), 8 DST_MAC_LO (last 4 bytes), 9 VLAN
//   (copied from the request, so a frame goes back on the VLAN it came from).
//   The MAC words are set for YIADDR (the client's chaddr) and BROADCAST (ff:ff:ff:ff:ff:ff) delivery.

import type { LeaseChange } from '../engine/types.js';

export const WORK_STRIDE = 10;
export const W_OFFSET = 0;
export const W_LENGTH = 1;
export const W_SRC_ADDR = 2;
export const W_SRC_PORT = 3;
export const W_DST_ADDR = 4;
export const W_IFINDEX = 5;
export const W_LOCAL_ADDR = 6;
export const W_BUCKET = 7;
export const W_VLAN = 8;

export const RESULT_STRIDE = 10;
export const R_OFFSET = 0;
export const R_LENGTH = 1;
export const R_DST_ADDR = 2;
export const R_DST_PORT = 3;
export const R_SRC_ADDR = 4;
export const R_IFINDEX = 5;
export const R_DELIVERY = 6;
export const R_DST_MAC_HI = 7;
export const R_DST_MAC_LO = 8;
export const R_VLAN = 9;

/** Largest reply we ever encode: an Ethernet MTU's worth of IP payload. */
export const MAX_REPLY_BYTES = 1472;

export interface WorkBatch {
  count: number;
  data: Uint8Array;
  meta: Uint32Array;
  /** Wall clock of the batch in Unix seconds, taken once on the main thread. */
  nowSec: number;
  /** HA serves the partner's clients too: new leases come from this server's own pools first. */
  isFailover: boolean;
}

export interface ResultBatch {
  count: number;
  data: Uint8Array;
  meta: Uint32Array;
  changes: LeaseChange[];
  /** For each change, the index of the reply it belongs to, or -1 when its request got no reply (a release). */
  changeOwners: number[];
  /** Outcome name → number of requests in this batch that ended that way. */
  outcomes: Record<string, number>;
  /** Set when the batch could not be committed (for example the lease database is full). */
  error: { code: string; message: string } | undefined;
}
