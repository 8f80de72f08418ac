// Conversion between Lease4 and Kea's DHCPv4 lease JSON, the form of `lease4-get*` replies, of HA
// lease synchronisation pages (with `cltt`) and of `lease4-update` / `lease4-del` (with `expire`).
// Follows Kea 2.2's lease_cmds and Lease4::toElement. Not handled: `user-context` and `comment`
// (Lease4 has no field for them, so they are ignored on input and never written), and `pool-id`
// (Kea 2.4+ only).

import { LeaseState } from './types.js';
import type { Lease4 } from './types.js';
import { ipToString, parseIp } from '../codec/addr.js';

/** Valid lifetime that never expires (Kea's infinite lifetime). */
export const INFINITE_LIFETIME = 0xffffffff;

/** Maximum hardware address length in bytes that Kea accepts (HWAddr::MAX_HWADDR_LEN). */
export const MAX_HW_ADDRESS_BYTES = 20;

/** Maximum client identifier length in bytes, the most option 61 can carry. */
export const MAX_CLIENT_ID_BYTES = 255;

/** Hardware type Kea assumes for a `hw-address` given as text (Ethernet). */
const HTYPE_ETHERNET = 1;

export interface LeaseFromJsonOptions {
  /** Used as `cltt` when the object has neither `cltt` nor `expire`, as Kea does; defaults to the clock. */
  nowSec?: number;
  /** Used when the object has no `valid-lft` (Kea uses the subnet's); without it `valid-lft` is required. */
  defaultValidLifetime?: number;
}

/** Returns the Unix second the lease expires: cltt + validLifetime, or Infinity for an infinite lifetime. */
export function leaseExpiry(lease: Pick<Lease4, 'cltt' | 'validLifetime'>): number {
  if (lease.validLifetime === INFINITE_LIFETIME) return Number.POSITIVE_INFINITY;
  return lease.cltt + lease.validLifetime;
}

/** Builds the lease's JSON in the form of Kea's `lease4-get-all` reply. */
export function leaseToKeaJson(lease: Lease4): Record<string, unknown> {
  const json: Record<string, unknown> = {
    'ip-address': formatIpv4(lease.address),
    'hw-address': formatHex(lease.hwAddress),
  };
  if (lease.clientId !== undefined) json['client-id'] = formatHex(lease.clientId);
  json['subnet-id'] = lease.subnetId;
  json['cltt'] = lease.cltt;
  json['valid-lft'] = lease.validLifetime;
  json['fqdn-fwd'] = lease.fqdnFwd;
  json['fqdn-rev'] = lease.fqdnRev;
  json['hostname'] = lease.hostname;
  json['state'] = lease.state;
  return json;
}

/**
 * Parses Kea lease JSON into a Lease4, or returns an error text that names the field. Accepts the
 * `cltt` form and the `expire` form (cltt = expire − valid-lft). A missing or zero `subnet-id`
 * gives subnetId 0, and then the caller picks the subnet that contains the address, as Kea's
 * `lease4-update` does. The hostname is lower-cased, and `hw-address` gets htype 1 (Ethernet).
 */
export function leaseFromKeaJson(obj: unknown, options: LeaseFromJsonOptions = {}): Lease4 | string {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return 'lease: expected a JSON object';
  const json = obj as Record<string, unknown>;

  if (json['ip-address'] === undefined) return 'ip-address: missing (expected dotted decimal such as \'198.18.0.10\')';
  const address = parseIpv4(json['ip-address']);
  if (address === undefined) return `ip-address: ${quoteValue(json['ip-address'])} is not an IPv4 address (expected dotted decimal such as '198.18.0.10')`;

  if (json['hw-address'] === undefined) return 'hw-address: missing (expected hex bytes such as \'00:0c:01:02:03:04\')';
  const hwAddress = parseHex(json['hw-address'], MAX_HW_ADDRESS_BYTES);
  if (hwAddress === undefined) return `hw-address: ${quoteValue(json['hw-address'])} is invalid (expected at most ${MAX_HW_ADDRESS_BYTES} hex bytes separated by ':')`;

  let clientId: Uint8Array | undefined;
  if (json['client-id'] !== undefined && json['client-id'] !== null && json['client-id'] !== '') {
    clientId = parseHex(json['client-id'], MAX_CLIENT_ID_BYTES);
    if (clientId === undefined) return `client-id: ${quoteValue(json['client-id'])} is invalid (expected 1 to ${MAX_CLIENT_ID_BYTES} hex bytes separated by ':')`;
  }

  const subnetId = json['subnet-id'] === undefined ? 0 : json['subnet-id'];
  if (!isUint32(subnetId)) return `subnet-id: ${quoteValue(subnetId)} is invalid (expected an integer from 0 to 4294967295, 0 when unknown)`;

  const validLifetime = json['valid-lft'] ?? options.defaultValidLifetime;
  if (validLifetime === undefined) return 'valid-lft: missing (expected the valid lifetime in seconds)';
  if (!isUint32(validLifetime)) return `valid-lft: ${quoteValue(validLifetime)} is invalid (expected an integer from 0 to 4294967295)`;

  const cltt = readCltt(json, validLifetime, options.nowSec);
  if (typeof cltt === 'string') return cltt;

  const flags = readFqdnFlags(json);
  if (typeof flags === 'string') return flags;

  const state = json['state'] ?? LeaseState.DEFAULT;
  if (state !== LeaseState.DEFAULT && state !== LeaseState.DECLINED && state !== LeaseState.EXPIRED_RECLAIMED) {
    return `state: ${quoteValue(state)} is not a valid lease state (expected 0 default, 1 declined or 2 expired-reclaimed)`;
  }

  return {
    address,
    hwAddress,
    htype: HTYPE_ETHERNET,
    clientId,
    subnetId,
    validLifetime,
    cltt,
    state,
    hostname: flags.hostname,
    fqdnFwd: flags.fqdnFwd,
    fqdnRev: flags.fqdnRev,
  };
}

/** Formats a host-order address as dotted decimal. */
export const formatIpv4 = ipToString;

/** Parses dotted decimal into a host-order address, or undefined when the value is not one. */
export function parseIpv4(value: unknown): number | undefined {
  return typeof value === 'string' ? parseIp(value) : undefined;
}

/** Formats bytes as lower-case hex pairs separated by ':' (the empty string for no bytes). */
export function formatHex(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i++) {
    if (i > 0) text += ':';
    text += (bytes[i] as number).toString(16).padStart(2, '0');
  }
  return text;
}

/**
 * Parses hex bytes: groups of one or two digits separated by ':', or an even-length run of digits
 * with no separator. The empty string is zero bytes. Returns undefined when invalid or longer than maxBytes.
 */
function parseHex(value: unknown, maxBytes: number): Uint8Array | undefined {
  if (typeof value !== 'string') return undefined;
  if (value === '') return new Uint8Array(0);

  let groups: string[];
  if (value.includes(':')) groups = value.split(':');
  else if (value.length % 2 === 0) groups = value.match(/.{2}/g) ?? [];
  else return undefined;

  if (groups.length > maxBytes) return undefined;
  const bytes = new Uint8Array(groups.length);
  for (let i = 0; i < groups.length; i++) {
    const group = groups[i] as string;
    if (!/^[0-9a-fA-F]{1,2}$/.test(group)) return undefined;
    bytes[i] = parseInt(group, 16);
  }
  return bytes;
}

/** Reads cltt from `cltt`, or from `expire` and the valid lifetime, or the clock when both are absent. */
function readCltt(json: Record<string, unknown>, validLifetime: number, nowSec: number | undefined): number | string {
  const cltt = json['cltt'];
  const expire = json['expire'];

  if (expire !== undefined) {
    if (typeof expire !== 'number' || !Number.isSafeInteger(expire) || expire <= 0) {
      return `expire: ${quoteValue(expire)} is invalid (expected a positive integer, Unix seconds)`;
    }
    if (expire < validLifetime) return `expire: ${expire} is less than valid-lft ${validLifetime} (expected expire = cltt + valid-lft)`;
    if (cltt !== undefined && cltt !== expire - validLifetime) {
      return `cltt: ${quoteValue(cltt)} disagrees with expire ${expire} and valid-lft ${validLifetime} (expected cltt = expire - valid-lft)`;
    }
    const derived = expire - validLifetime;
    if (!isUint32(derived)) return `expire: ${expire} gives cltt ${derived}, beyond 4294967295 (year 2106)`;
    return derived;
  }

  if (cltt !== undefined) {
    if (!isUint32(cltt)) return `cltt: ${quoteValue(cltt)} is invalid (expected an integer from 0 to 4294967295, Unix seconds)`;
    return cltt;
  }
  return nowSec ?? Math.floor(Date.now() / 1000);
}

/** Reads hostname, fqdn-fwd and fqdn-rev; Kea rejects a DNS update flag without a hostname. */
function readFqdnFlags(json: Record<string, unknown>): { hostname: string; fqdnFwd: boolean; fqdnRev: boolean } | string {
  const hostname = json['hostname'] ?? '';
  if (typeof hostname !== 'string') return `hostname: ${quoteValue(hostname)} is invalid (expected a string)`;

  const fqdnFwd = json['fqdn-fwd'] ?? false;
  if (typeof fqdnFwd !== 'boolean') return `fqdn-fwd: ${quoteValue(fqdnFwd)} is invalid (expected true or false)`;
  const fqdnRev = json['fqdn-rev'] ?? false;
  if (typeof fqdnRev !== 'boolean') return `fqdn-rev: ${quoteValue(fqdnRev)} is invalid (expected true or false)`;

  if ((fqdnFwd || fqdnRev) && hostname === '') {
    return `${fqdnFwd ? 'fqdn-fwd' : 'fqdn-rev'}: true requires a non-empty hostname`;
  }
  return { hostname: hostname.toLowerCase(), fqdnFwd, fqdnRev };
}

function isUint32(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffffffff;
}

/** Quotes a JSON value for an error message. */
function quoteValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  return `'${JSON.stringify(value)}'`;
}
