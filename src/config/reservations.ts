// Host reservations (subnet4[].reservations and the global reservations list). Each names its
// host by exactly one identifier: hw-address, client-id or circuit-id as hex ("01:0a:0b",
// "01 0a 0b", "010a0b") or, for client-id and circuit-id, a quoted string ('text'). Within one
// list an identifier and a reserved address may each appear once (Kea's ip-reservations-unique).

import { formatIpv4, parseHexBytes } from '../codec/options/index.js';
import type { Prefix } from './addresses.js';
import { inPrefix } from './addresses.js';
import { Issues, checkKeys, isObject, quote, readString } from './issues.js';
import type { JsonObject } from './issues.js';
import { parseOptionData } from './options.js';
import { KEA_DEFAULTS, readAddress, readLevelParams } from './params.js';
import type { ReservationConfig } from './types.js';

const IDENTIFIERS = ['hw-address', 'client-id', 'circuit-id', 'duid', 'flex-id'] as const;

const RESERVATION_KEYS = {
  handled: [...IDENTIFIERS, 'ip-address', 'hostname', 'option-data', 'next-server', 'server-hostname', 'boot-file-name'],
  unsupported: ['client-classes'],
};

/** Parses one reservations list; prefix limits the reserved addresses (undefined for global reservations). */
export function parseReservations(issues: Issues, list: unknown, path: string, prefix: Prefix | undefined): ReservationConfig[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    issues.invalid(path, list, 'a list of reservations', 'list');
    return [];
  }

  const result: ReservationConfig[] = [];
  const seenIdentifiers = new Map<string, string>();
  const seenAddresses = new Map<number, string>();
  list.forEach((entry, i) => {
    const entryPath = `${path}[${i}]`;
    if (!isObject(entry)) {
      issues.invalid(entryPath, entry, 'an object with an identifier such as hw-address', 'object');
      return;
    }
    const parsed = parseReservation(issues, entry, entryPath, prefix);
    if (parsed === undefined) return;

    const earlier = seenIdentifiers.get(parsed.identifierKey);
    if (earlier !== undefined) issues.error(entryPath, `duplicate reservation for ${parsed.identifierKey} (already reserved at ${earlier})`);
    seenIdentifiers.set(parsed.identifierKey, entryPath);

    const address = parsed.reservation.ipAddress;
    const holder = address === undefined ? undefined : seenAddresses.get(address);
    if (address !== undefined && holder !== undefined) {
      issues.error(`${entryPath}.ip-address`, `address '${formatIpv4(address)}' is already reserved at ${holder} (expected each address reserved once)`);
    }
    if (address !== undefined) seenAddresses.set(address, entryPath);
    result.push(parsed.reservation);
  });
  return result;
}

function parseReservation(
  issues: Issues,
  entry: JsonObject,
  path: string,
  prefix: Prefix | undefined,
): { reservation: ReservationConfig; identifierKey: string } | undefined {
  checkKeys(issues, entry, path, RESERVATION_KEYS);

  const present = IDENTIFIERS.filter((key) => entry[key] !== undefined);
  if (present.length !== 1) {
    issues.error(path, `found ${present.length} host identifiers (expected exactly one of ${IDENTIFIERS.join(', ')})`);
    return undefined;
  }
  const kind = present[0];
  if (kind === 'duid' || kind === 'flex-id') {
    issues.warning(`${path}.${kind}`, `reservations by ${kind} are not supported yet, reservation ignored`);
    return undefined;
  }
  const identifier = parseIdentifier(issues, entry, kind, path);
  const ipAddress = parseReservedAddress(issues, entry, path, prefix);
  const hostname = readString(issues, entry, 'hostname', path);
  // Reservation-level next-server, server-hostname and boot-file-name have the subnet's rules.
  const boot = readLevelParams(issues, pick(entry, ['next-server', 'server-hostname', 'boot-file-name']), path, KEA_DEFAULTS);
  const options = parseOptionData(issues, entry['option-data'], `${path}.option-data`);
  if (identifier === undefined) return undefined;

  const reservation: ReservationConfig = {
    hwAddress: kind === 'hw-address' ? identifier : undefined,
    clientId: kind === 'client-id' ? identifier : undefined,
    circuitId: kind === 'circuit-id' ? identifier : undefined,
    ipAddress,
    hostname: hostname === '' ? undefined : hostname,
    nextServer: entry['next-server'] !== undefined ? boot.nextServer : undefined,
    serverHostname: entry['server-hostname'] !== undefined ? boot.serverHostname : undefined,
    bootFileName: entry['boot-file-name'] !== undefined ? boot.bootFileName : undefined,
    options,
  };
  return { reservation, identifierKey: `${kind} ${hexOf(identifier)}` };
}

function pick(obj: JsonObject, keys: string[]): JsonObject {
  return Object.fromEntries(keys.filter((k) => obj[k] !== undefined).map((k) => [k, obj[k]]));
}

function parseIdentifier(issues: Issues, entry: JsonObject, kind: string, path: string): Uint8Array | undefined {
  const text = readString(issues, entry, kind, path);
  if (text === undefined) return undefined;
  const quoted = /^'(.*)'$/s.exec(text.trim());
  const bytes = quoted && kind !== 'hw-address' ? new TextEncoder().encode(quoted[1]) : parseHexBytes(text);
  const expected = kind === 'hw-address' ? 'hex octets such as 02:00:00:00:00:01' : "hex octets such as 01:02:00:00:00:00:01, or 'text' in single quotes";
  if (typeof bytes === 'string' || bytes.length === 0 || (kind === 'hw-address' && bytes.length > 20)) {
    issues.invalid(`${path}.${kind}`, text, expected);
    return undefined;
  }
  return bytes;
}

function parseReservedAddress(issues: Issues, entry: JsonObject, path: string, prefix: Prefix | undefined): number | undefined {
  const address = readAddress(issues, entry, 'ip-address', path);
  if (address === undefined || address === 0) return undefined;
  if (prefix !== undefined && !inPrefix(address, prefix)) {
    issues.error(`${path}.ip-address`, `address ${quote(entry['ip-address'])} is outside the subnet (expected an address in ${formatIpv4(prefix.network)}/${prefix.prefixLength})`);
    return undefined;
  }
  return address;
}

function hexOf(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}
