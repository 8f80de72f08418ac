// Binary layouts of the LMDB lease store, and the lease checks both store implementations share.
// All integers are big-endian, so LMDB's byte-wise key order is numeric order.
//
// `leases` key: the address, 4 bytes. Value, format 1:
//
// | offset    | size | field                                                        |
// |-----------|------|--------------------------------------------------------------|
// | 0         | 1    | format version, 1                                            |
// | 1         | 1    | state (0 default, 1 declined, 2 expired-reclaimed)           |
// | 2         | 1    | flags: bit 0 fqdnFwd, bit 1 fqdnRev, bit 2 has a client id   |
// | 3         | 1    | htype                                                        |
// | 4         | 4    | subnetId                                                     |
// | 8         | 4    | validLifetime, seconds (0xffffffff infinite)                 |
// | 12        | 4    | cltt, Unix seconds                                           |
// | 16        | 1    | H: hardware address length                                   |
// | 17        | 1    | C: client id length (0 when there is none)                   |
// | 18        | 2    | N: hostname length in UTF-8 bytes                            |
// | 20        | H    | hardware address                                             |
// | 20+H      | C    | client id                                                    |
// | 20+H+C    | N    | hostname, UTF-8                                              |
//
// Index keys; every index value is empty:
//
// | index     | key                                                                  |
// |-----------|----------------------------------------------------------------------|
// | by-hw     | subnetId (4), H (1), hardware address (H), address (4)               |
// | by-cid    | subnetId (4), C (1), client id (C), address (4)                      |
// | by-expiry | expiry (8: high 32 bits, then low 32 bits), address (4)              |
//
// The length byte makes a (subnet, identifier) prefix match only that exact identifier. Leases with
// an empty hardware address or client id have no by-hw or by-cid entry. Leases that cannot expire
// (infinite lifetime) or were already reclaimed have no by-expiry entry.

import { INFINITE_LIFETIME, MAX_CLIENT_ID_BYTES, MAX_HW_ADDRESS_BYTES, formatIpv4, leaseExpiry } from './lease-json.js';
import { LeaseState } from './types.js';
import type { Lease4 } from './types.js';

const RECORD_VERSION = 1;
const HEADER_BYTES = 20;
const MAX_HOSTNAME_BYTES = 0xffff;

const FLAG_FQDN_FWD = 1;
const FLAG_FQDN_REV = 2;
const FLAG_HAS_CLIENT_ID = 4;

const NO_BYTES = new Uint8Array(0);
const utf8Decoder = new TextDecoder();

/**
 * Throws a RangeError naming the lease and the field when a value does not fit the record layout.
 * A lease that fails here comes from a bug in the caller, never from a client packet.
 */
export function validateLease(lease: Lease4): void {
  if (!isUint32(lease.address)) throw new RangeError(`lease address ${String(lease.address)}: expected an unsigned 32-bit integer`);
  const where = `lease ${formatIpv4(lease.address)}`;

  if (!isUint32(lease.subnetId)) throw new RangeError(`${where}: subnetId ${String(lease.subnetId)} is not an unsigned 32-bit integer`);
  if (!isUint32(lease.validLifetime)) throw new RangeError(`${where}: validLifetime ${String(lease.validLifetime)} is not an unsigned 32-bit integer`);
  if (!isUint32(lease.cltt)) throw new RangeError(`${where}: cltt ${String(lease.cltt)} is not an unsigned 32-bit integer`);
  if (!Number.isInteger(lease.htype) || lease.htype < 0 || lease.htype > 255) throw new RangeError(`${where}: htype ${String(lease.htype)} is not a byte`);
  if (lease.state !== LeaseState.DEFAULT && lease.state !== LeaseState.DECLINED && lease.state !== LeaseState.EXPIRED_RECLAIMED) {
    throw new RangeError(`${where}: state ${String(lease.state)} is not 0, 1 or 2`);
  }
  if (!(lease.hwAddress instanceof Uint8Array) || lease.hwAddress.length > MAX_HW_ADDRESS_BYTES) {
    throw new RangeError(`${where}: hwAddress must be a Uint8Array of at most ${MAX_HW_ADDRESS_BYTES} bytes`);
  }
  if (lease.clientId !== undefined && (!(lease.clientId instanceof Uint8Array) || lease.clientId.length > MAX_CLIENT_ID_BYTES)) {
    throw new RangeError(`${where}: clientId must be undefined or a Uint8Array of at most ${MAX_CLIENT_ID_BYTES} bytes`);
  }
  if (typeof lease.hostname !== 'string' || Buffer.byteLength(lease.hostname, 'utf8') > MAX_HOSTNAME_BYTES) {
    throw new RangeError(`${where}: hostname must be a string of at most ${MAX_HOSTNAME_BYTES} UTF-8 bytes`);
  }
  if (typeof lease.fqdnFwd !== 'boolean' || typeof lease.fqdnRev !== 'boolean') throw new RangeError(`${where}: fqdnFwd and fqdnRev must be booleans`);
}

/** Returns a deep copy, so a stored lease never shares byte arrays with the caller. */
export function copyLease(lease: Lease4): Lease4 {
  return {
    address: lease.address,
    hwAddress: lease.hwAddress.slice(),
    htype: lease.htype,
    clientId: lease.clientId === undefined ? undefined : lease.clientId.slice(),
    subnetId: lease.subnetId,
    validLifetime: lease.validLifetime,
    cltt: lease.cltt,
    state: lease.state,
    hostname: lease.hostname,
    fqdnFwd: lease.fqdnFwd,
    fqdnRev: lease.fqdnRev,
  };
}

/** Returns whether the lease belongs in the expiry index: it can expire and is not yet reclaimed. */
export function isExpiryIndexed(lease: Lease4): boolean {
  return lease.validLifetime !== INFINITE_LIFETIME && lease.state !== LeaseState.EXPIRED_RECLAIMED;
}

/** Encodes a validated lease as a `leases` value (layout in the table above). */
export function encodeLease(lease: Lease4): Buffer {
  const hostnameLength = lease.hostname === '' ? 0 : Buffer.byteLength(lease.hostname, 'utf8');
  const clientId = lease.clientId ?? NO_BYTES;
  const hwLength = lease.hwAddress.length;
  const record = Buffer.allocUnsafe(HEADER_BYTES + hwLength + clientId.length + hostnameLength);

  let flags = 0;
  if (lease.fqdnFwd) flags |= FLAG_FQDN_FWD;
  if (lease.fqdnRev) flags |= FLAG_FQDN_REV;
  if (lease.clientId !== undefined) flags |= FLAG_HAS_CLIENT_ID;

  record[0] = RECORD_VERSION;
  record[1] = lease.state;
  record[2] = flags;
  record[3] = lease.htype;
  record.writeUInt32BE(lease.subnetId, 4);
  record.writeUInt32BE(lease.validLifetime, 8);
  record.writeUInt32BE(lease.cltt, 12);
  record[16] = hwLength;
  record[17] = clientId.length;
  record.writeUInt16BE(hostnameLength, 18);
  record.set(lease.hwAddress, HEADER_BYTES);
  record.set(clientId, HEADER_BYTES + hwLength);
  if (hostnameLength > 0) record.write(lease.hostname, HEADER_BYTES + hwLength + clientId.length, 'utf8');
  return record;
}

/**
 * Decodes a `leases` value into a new Lease4. Its byte arrays are plain Uint8Array copies (Buffer's
 * slice would share memory), because lmdb-js reuses the buffer it returns from getBinaryFast.
 */
export function decodeLease(address: number, record: Uint8Array): Lease4 {
  if (record[0] !== RECORD_VERSION) {
    throw new Error(`lease ${formatIpv4(address)}: stored record has format version ${String(record[0])}, but this nestor reads only version ${RECORD_VERSION}: open the database with the nestor version that wrote it`);
  }
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  const flags = record[2] as number;
  const hwLength = record[16] as number;
  const clientIdLength = record[17] as number;
  const hostnameLength = view.getUint16(18);
  const clientIdStart = HEADER_BYTES + hwLength;
  const hostnameStart = clientIdStart + clientIdLength;

  return {
    address,
    hwAddress: new Uint8Array(record.subarray(HEADER_BYTES, clientIdStart)),
    htype: record[3] as number,
    clientId: flags & FLAG_HAS_CLIENT_ID ? new Uint8Array(record.subarray(clientIdStart, hostnameStart)) : undefined,
    subnetId: view.getUint32(4),
    validLifetime: view.getUint32(8),
    cltt: view.getUint32(12),
    state: record[1] as LeaseState,
    hostname: utf8Decoder.decode(record.subarray(hostnameStart, hostnameStart + hostnameLength)),
    fqdnFwd: (flags & FLAG_FQDN_FWD) !== 0,
    fqdnRev: (flags & FLAG_FQDN_REV) !== 0,
  };
}

/** Returns the `leases` key of an address. */
export function addressKey(address: number): Buffer {
  const key = Buffer.allocUnsafe(4);
  key.writeUInt32BE(address >>> 0, 0);
  return key;
}

/** Reads the address from the last 4 bytes of any key of this store. */
export function addressFromKey(key: Uint8Array): number {
  const end = key.length;
  return (((key[end - 4] as number) << 24) | ((key[end - 3] as number) << 16) | ((key[end - 2] as number) << 8) | (key[end - 1] as number)) >>> 0;
}

/** Returns the by-hw or by-cid key prefix of one identifier in one subnet (a full key adds the address). */
export function identifierPrefix(subnetId: number, identifier: Uint8Array): Buffer {
  const prefix = Buffer.allocUnsafe(5 + identifier.length);
  prefix.writeUInt32BE(subnetId >>> 0, 0);
  prefix[4] = identifier.length;
  prefix.set(identifier, 5);
  return prefix;
}

/** Returns a full by-hw or by-cid key. */
export function identifierKey(subnetId: number, identifier: Uint8Array, address: number): Buffer {
  const key = Buffer.allocUnsafe(9 + identifier.length);
  key.writeUInt32BE(subnetId >>> 0, 0);
  key[4] = identifier.length;
  key.set(identifier, 5);
  key.writeUInt32BE(address >>> 0, 5 + identifier.length);
  return key;
}

/** Returns a by-expiry key. expirySec must be a finite non-negative integer below 2^53. */
export function expiryKey(expirySec: number, address: number): Buffer {
  const key = Buffer.allocUnsafe(12);
  key.writeUInt32BE(Math.floor(expirySec / 0x100000000), 0);
  key.writeUInt32BE(expirySec >>> 0, 4);
  key.writeUInt32BE(address >>> 0, 8);
  return key;
}

/** Returns the by-expiry key of a lease that isExpiryIndexed. */
export function leaseExpiryKey(lease: Lease4): Buffer {
  return expiryKey(leaseExpiry(lease), lease.address);
}

function isUint32(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffffffff;
}
