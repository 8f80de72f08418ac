// Parameters that Kea lets both the global level and each subnet set, where a subnet inherits
// every value it does not set itself. Defaults are Kea 2.2's (simple_parser4.cc), and the
// consistency rules follow Kea's: min ≤ valid ≤ max lifetime, renew < rebind < valid lifetime,
// and 0 < t1-percent < t2-percent < 1.

import { parseIpv4 } from '../codec/options/index.js';
import { Issues, UINT32, quote, readBool, readEnum, readFraction, readInt, readString } from './issues.js';
import type { JsonObject } from './issues.js';

/** Values one level hands down to the next; min and max lifetime stay undefined until set. */
export interface LevelParams {
  validLifetime: number;
  minValidLifetime: number | undefined;
  maxValidLifetime: number | undefined;
  renewTimer: number | undefined;
  rebindTimer: number | undefined;
  calculateTeeTimes: boolean;
  t1Percent: number;
  t2Percent: number;
  matchClientId: boolean;
  authoritative: boolean;
  nextServer: number;
  serverHostname: string;
  bootFileName: string;
  reservationsGlobal: boolean;
  reservationsInSubnet: boolean;
  reservationsOutOfPool: boolean;
}

export const KEA_DEFAULTS: Readonly<LevelParams> = Object.freeze({
  validLifetime: 7200,
  minValidLifetime: undefined,
  maxValidLifetime: undefined,
  renewTimer: undefined,
  rebindTimer: undefined,
  calculateTeeTimes: false,
  t1Percent: 0.5,
  t2Percent: 0.875,
  matchClientId: true,
  authoritative: false,
  nextServer: 0,
  serverHostname: '',
  bootFileName: '',
  reservationsGlobal: false,
  reservationsInSubnet: true,
  reservationsOutOfPool: false,
});

/** Keys read by readLevelParams, for the key checks of each level. */
export const LEVEL_KEYS = [
  'valid-lifetime',
  'min-valid-lifetime',
  'max-valid-lifetime',
  'renew-timer',
  'rebind-timer',
  'calculate-tee-times',
  't1-percent',
  't2-percent',
  'match-client-id',
  'authoritative',
  'next-server',
  'server-hostname',
  'boot-file-name',
  'reservation-mode',
  'reservations-global',
  'reservations-in-subnet',
  'reservations-out-of-pool',
];

const RESERVATION_MODES = ['all', 'out-of-pool', 'global', 'disabled'] as const;

/** Reads this level's values over the parent's and checks the combined values where this level set one. */
export function readLevelParams(issues: Issues, obj: JsonObject, path: string, parent: LevelParams): LevelParams {
  const p: LevelParams = { ...parent };
  p.validLifetime = readInt(issues, obj, 'valid-lifetime', path, UINT32) ?? p.validLifetime;
  p.minValidLifetime = readInt(issues, obj, 'min-valid-lifetime', path, UINT32) ?? p.minValidLifetime;
  p.maxValidLifetime = readInt(issues, obj, 'max-valid-lifetime', path, UINT32) ?? p.maxValidLifetime;
  p.renewTimer = readInt(issues, obj, 'renew-timer', path, UINT32) ?? p.renewTimer;
  p.rebindTimer = readInt(issues, obj, 'rebind-timer', path, UINT32) ?? p.rebindTimer;
  p.calculateTeeTimes = readBool(issues, obj, 'calculate-tee-times', path) ?? p.calculateTeeTimes;
  p.t1Percent = readFraction(issues, obj, 't1-percent', path) ?? p.t1Percent;
  p.t2Percent = readFraction(issues, obj, 't2-percent', path) ?? p.t2Percent;
  p.matchClientId = readBool(issues, obj, 'match-client-id', path) ?? p.matchClientId;
  p.authoritative = readBool(issues, obj, 'authoritative', path) ?? p.authoritative;
  p.nextServer = readAddress(issues, obj, 'next-server', path) ?? p.nextServer;
  p.serverHostname = readBounded(issues, obj, 'server-hostname', path, 63) ?? p.serverHostname;
  p.bootFileName = readBounded(issues, obj, 'boot-file-name', path, 127) ?? p.bootFileName;
  readReservationFlags(issues, obj, path, p);

  checkLifetimes(issues, obj, path, p);
  checkTimers(issues, obj, path, p);
  checkPercents(issues, obj, path, p);
  return p;
}

/** Reads a dotted-quad IPv4 address as an unsigned integer; undefined when absent or invalid. */
export function readAddress(issues: Issues, obj: JsonObject, key: string, path: string): number | undefined {
  const text = readString(issues, obj, key, path);
  if (text === undefined) return undefined;
  const address = parseIpv4(text.trim());
  if (address === undefined) issues.invalid(`${path}.${key}`, text, 'an IPv4 address such as 198.18.0.1');
  return address;
}

/** Reads a string that must fit a fixed header field (sname holds 63 octets, file 127, plus a NUL). */
function readBounded(issues: Issues, obj: JsonObject, key: string, path: string, maxOctets: number): string | undefined {
  const text = readString(issues, obj, key, path);
  if (text === undefined) return undefined;
  if (Buffer.byteLength(text) > maxOctets) {
    issues.invalid(`${path}.${key}`, text, `at most ${maxOctets} octets`);
    return undefined;
  }
  return text;
}

/**
 * Maps the legacy reservation-mode (Kea 1.x) to the three flags of Kea 1.9 and later:
 * all → in-subnet; out-of-pool → in-subnet and out-of-pool; global → global only; disabled → none.
 */
function readReservationFlags(issues: Issues, obj: JsonObject, path: string, p: LevelParams): void {
  const mode = readEnum(issues, obj, 'reservation-mode', path, RESERVATION_MODES);
  const flagKeys = ['reservations-global', 'reservations-in-subnet', 'reservations-out-of-pool'];
  if (obj['reservation-mode'] !== undefined && flagKeys.some((k) => obj[k] !== undefined)) {
    issues.error(`${path}.reservation-mode`, `cannot be combined with ${flagKeys.join(', ')} at the same level (expected only one of the two forms)`);
    return;
  }
  if (mode !== undefined) {
    p.reservationsGlobal = mode === 'global';
    p.reservationsInSubnet = mode === 'all' || mode === 'out-of-pool';
    p.reservationsOutOfPool = mode === 'out-of-pool';
    return;
  }
  p.reservationsGlobal = readBool(issues, obj, 'reservations-global', path) ?? p.reservationsGlobal;
  p.reservationsInSubnet = readBool(issues, obj, 'reservations-in-subnet', path) ?? p.reservationsInSubnet;
  p.reservationsOutOfPool = readBool(issues, obj, 'reservations-out-of-pool', path) ?? p.reservationsOutOfPool;
}

function setHere(obj: JsonObject, keys: string[]): boolean {
  return keys.some((k) => obj[k] !== undefined);
}

function checkLifetimes(issues: Issues, obj: JsonObject, path: string, p: LevelParams): void {
  if (!setHere(obj, ['valid-lifetime', 'min-valid-lifetime', 'max-valid-lifetime'])) return;
  const min = p.minValidLifetime ?? p.validLifetime;
  const max = p.maxValidLifetime ?? p.validLifetime;
  if (min > p.validLifetime) {
    issues.error(`${path}.min-valid-lifetime`, `value ${quote(min)} is greater than valid-lifetime ${quote(p.validLifetime)} (expected min ≤ valid ≤ max)`);
  }
  if (max < p.validLifetime) {
    issues.error(`${path}.max-valid-lifetime`, `value ${quote(max)} is less than valid-lifetime ${quote(p.validLifetime)} (expected min ≤ valid ≤ max)`);
  }
}

function checkTimers(issues: Issues, obj: JsonObject, path: string, p: LevelParams): void {
  if (!setHere(obj, ['renew-timer', 'rebind-timer', 'valid-lifetime'])) return;
  const { renewTimer: renew, rebindTimer: rebind, validLifetime: valid } = p;
  if (renew !== undefined && rebind !== undefined && renew >= rebind) {
    issues.error(`${path}.renew-timer`, `value ${quote(renew)} is not less than rebind-timer ${quote(rebind)} (expected renew < rebind < valid-lifetime)`);
  } else if (rebind !== undefined && rebind >= valid) {
    issues.error(`${path}.rebind-timer`, `value ${quote(rebind)} is not less than valid-lifetime ${quote(valid)} (expected renew < rebind < valid-lifetime)`);
  } else if (renew !== undefined && renew >= valid) {
    issues.error(`${path}.renew-timer`, `value ${quote(renew)} is not less than valid-lifetime ${quote(valid)} (expected renew < rebind < valid-lifetime)`);
  }
}

function checkPercents(issues: Issues, obj: JsonObject, path: string, p: LevelParams): void {
  if (!setHere(obj, ['t1-percent', 't2-percent'])) return;
  if (p.t1Percent >= p.t2Percent) {
    issues.error(`${path}.t1-percent`, `value ${quote(p.t1Percent)} is not less than t2-percent ${quote(p.t2Percent)} (expected 0 < t1-percent < t2-percent < 1)`);
  }
}
