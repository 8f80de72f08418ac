// Loads a Kea configuration file into the frozen ServerConfig. It never throws on bad content:
// every problem becomes a ConfigIssue with its JSON path, and the config is returned only when
// there is no error. Kea keys that nestor does not implement are warnings, so an operator sees
// each behaviour that would differ from Kea's.

import { NestorError } from '../errors.js';
import { readControlSocket, readExpiredLeases, readHostIdentifiers, readInterfaces, readLeaseDatabase, readNestorSettings } from './globals.js';
import { parseHooks } from './hooks.js';
import { Issues, UINT32, checkKeys, isObject, readArray, readBool, readInt, readObject } from './issues.js';
import type { JsonObject } from './issues.js';
import { parseLoggers } from './loggers.js';
import { parseOptionData } from './options.js';
import { KEA_DEFAULTS, LEVEL_KEYS, readLevelParams } from './params.js';
import { parseKeaJson, readKeaJsonFile } from './read.js';
import type { ReadResult } from './read.js';
import { parseReservations } from './reservations.js';
import { warnNoSubnet, warnSharedNetworks } from './subnet-checks.js';
import { parseSubnets } from './subnets.js';
import type { ConfigIssue, ServerConfig } from './types.js';

export interface LoadResult {
  config: ServerConfig | undefined;
  issues: ConfigIssue[];
}

const OTHER_SERVERS = ['Dhcp6', 'DhcpDdns', 'Control-agent', 'Netconf'];

const DHCP4_KEYS = {
  handled: [
    'interfaces-config', 'lease-database', 'expired-leases-processing', 'control-socket', 'host-reservation-identifiers',
    'decline-probation-period', 'echo-client-id', 'ip-reservations-unique', 'subnet4', 'option-data', 'option-def',
    'reservations', 'loggers', 'hooks-libraries', 'nestor', 'multi-threading', 'dhcp-ddns', 'shared-networks', ...LEVEL_KEYS,
  ],
  silent: ['server-tag', 'statistic-default-sample-count', 'statistic-default-sample-age'],
  unsupported: [
    'client-classes', 'hosts-database', 'hosts-databases', 'config-control', 'dhcp-queue-control',
    'sanity-checks', 'dhcp4o6-port', 'hostname-char-set', 'hostname-char-replacement', 'store-extended-info',
    'cache-threshold', 'cache-max-age', 'early-global-reservations-lookup', 'reservations-lookup-first',
    'parked-packet-limit', 'compatibility', 'offer-lifetime', 'allocator', 'stash-agent-options',
    'ddns-send-updates', 'ddns-override-no-update', 'ddns-override-client-update', 'ddns-replace-client-name',
    'ddns-generated-prefix', 'ddns-qualifying-suffix', 'ddns-update-on-renew', 'ddns-use-conflict-resolution',
    'ddns-conflict-resolution-mode', 'ddns-ttl-percent',
  ],
};

/** Keys of multi-threading; the section is ignored as a whole, so they get no warning of their own. */
const MULTI_THREADING_KEYS = { handled: [], silent: ['enable-multi-threading', 'thread-pool-size', 'packet-queue-size'] };

/**
 * Keys of dhcp-ddns in Kea 2.2, including the per-client settings that Kea 1.x kept here and Kea
 * 2.2 still accepts as deprecated. The section gets one warning when updates are enabled, so its
 * keys get none of their own.
 */
const DHCP_DDNS_KEYS = {
  handled: ['enable-updates'],
  silent: [
    'server-ip', 'server-port', 'sender-ip', 'sender-port', 'max-queue-size', 'ncr-protocol', 'ncr-format',
    'override-no-update', 'override-client-update', 'replace-client-name', 'generated-prefix', 'qualifying-suffix',
    'hostname-char-set', 'hostname-char-replacement',
  ],
};

/** Reads, validates and freezes the configuration in the file at path. */
export function loadConfig(path: string): LoadResult {
  return loadFrom(() => readKeaJsonFile(path), path);
}

/** Same as loadConfig for text already in memory; includes resolve against sourcePath's folder. */
export function parseConfigText(text: string, sourcePath: string): LoadResult {
  return loadFrom(() => parseKeaJson(text, sourcePath), sourcePath);
}

function loadFrom(read: () => ReadResult, sourcePath: string): LoadResult {
  const issues = new Issues();
  let document: ReadResult;
  try {
    document = read();
  } catch (err) {
    if (!(err instanceof NestorError)) throw err;
    const { location, reason } = err.data ?? {};
    issues.error(typeof location === 'string' ? location : sourcePath, typeof reason === 'string' ? reason : err.message);
    return { config: undefined, issues: issues.list };
  }
  issues.list.push(...document.warnings);

  const config = buildConfig(issues, document.value, sourcePath);
  return { config: issues.hasErrors() ? undefined : deepFreeze(config), issues: issues.list };
}

function buildConfig(issues: Issues, document: unknown, sourcePath: string): ServerConfig | undefined {
  if (!isObject(document)) {
    issues.invalid('(top level)', document, 'an object with a Dhcp4 key', 'object');
    return undefined;
  }
  for (const key of Object.keys(document)) {
    if (key === 'Dhcp4') continue;
    if (key === 'Logging') issues.warning(key, 'the top-level Logging object is a Kea 1.5 form that Kea 2.x rejects; its loggers are used, move them to Dhcp4.loggers');
    else if (OTHER_SERVERS.includes(key)) issues.warning(key, 'configuration of another Kea server, ignored (nestor serves DHCPv4 only)');
    else if (key !== 'comment' && key !== 'user-context') issues.warning(key, 'unknown top-level key, ignored');
  }
  const dhcp4 = document.Dhcp4;
  if (dhcp4 === undefined) {
    issues.error('Dhcp4', 'missing (expected an object with the DHCPv4 server configuration)');
    return undefined;
  }
  if (!isObject(dhcp4)) {
    issues.invalid('Dhcp4', dhcp4, 'an object with the DHCPv4 server configuration', 'object');
    return undefined;
  }
  return buildDhcp4(issues, dhcp4, document, sourcePath);
}

function buildDhcp4(issues: Issues, dhcp4: JsonObject, document: JsonObject, sourcePath: string): ServerConfig {
  const path = 'Dhcp4';
  checkKeys(issues, dhcp4, path, DHCP4_KEYS);
  checkSpecialKeys(issues, dhcp4, path);

  const params = readLevelParams(issues, dhcp4, path, KEA_DEFAULTS);
  const echoClientId = readBool(issues, dhcp4, 'echo-client-id', path) ?? true;
  const options = parseOptionData(issues, dhcp4['option-data'], `${path}.option-data`);
  const subnets = parseSubnets(issues, dhcp4, path, { params, echoClientId, options });
  warnNoSubnet(issues, dhcp4, path);
  const hooks = parseHooks(issues, dhcp4['hooks-libraries'], `${path}.hooks-libraries`);

  return {
    ...readInterfaces(issues, dhcp4, path),
    leaseDatabase: readLeaseDatabase(issues, dhcp4, path),
    subnets,
    options,
    globalReservations: parseReservations(issues, dhcp4.reservations, `${path}.reservations`, undefined),
    reservationsGlobal: params.reservationsGlobal,
    declineProbationPeriodSec: readInt(issues, dhcp4, 'decline-probation-period', path, UINT32) ?? 86400,
    hostReservationIdentifiers: readHostIdentifiers(issues, dhcp4, path),
    expiredLeases: readExpiredLeases(issues, dhcp4, path),
    controlSocket: readControlSocket(issues, dhcp4, path),
    loggers: readLoggers(issues, dhcp4, document),
    hasLeaseCommands: hooks.hasLeaseCommands,
    haParameters: hooks.haParameters,
    ha: hooks.ha,
    nestor: readNestorSettings(issues, dhcp4, path),
    sourcePath,
    raw: dhcp4,
  };
}

/** Keys with a message of their own rather than the generic "not supported yet". */
function checkSpecialKeys(issues: Issues, dhcp4: JsonObject, path: string): void {
  const definitions = readArray(issues, dhcp4, 'option-def', path) ?? [];
  for (const def of definitions) {
    const inDhcp4 = isObject(def) && (def.space === undefined || def.space === 'dhcp4');
    if (inDhcp4 && typeof def.name === 'string' && typeof def.code === 'number') issues.customOptionDefs.set(def.name, def.code);
  }
  if (definitions.length > 0) {
    issues.warning(`${path}.option-def`, 'custom option definitions are not supported yet, ignored (options that use them are reported where they appear)');
  }
  if (readBool(issues, dhcp4, 'ip-reservations-unique', path) === false) {
    issues.warning(`${path}.ip-reservations-unique`, 'nestor always requires each reserved address to be unique, false is ignored');
  }
  warnSharedNetworks(issues, dhcp4, path);

  const threading = readObject(issues, dhcp4, 'multi-threading', path);
  if (threading !== undefined) {
    checkKeys(issues, threading, `${path}.multi-threading`, MULTI_THREADING_KEYS);
    issues.warning(`${path}.multi-threading`, 'ignored: nestor sets its worker threads with nestor.workers');
  }
  const ddns = readObject(issues, dhcp4, 'dhcp-ddns', path);
  if (ddns !== undefined) {
    checkKeys(issues, ddns, `${path}.dhcp-ddns`, DHCP_DDNS_KEYS);
    if (readBool(issues, ddns, 'enable-updates', `${path}.dhcp-ddns`) === true) issues.warning(`${path}.dhcp-ddns`, 'DNS updates are not supported yet, ignored');
  }
}

/** Dhcp4.loggers, or the loggers of a Kea 1.5 top-level Logging object when Dhcp4 has none. */
function readLoggers(issues: Issues, dhcp4: JsonObject, document: JsonObject): ServerConfig['loggers'] {
  const legacy = isObject(document.Logging) ? document.Logging : undefined;
  if (dhcp4.loggers !== undefined || legacy === undefined) return parseLoggers(issues, dhcp4.loggers, 'Dhcp4.loggers');
  checkKeys(issues, legacy, 'Logging', { handled: ['loggers'] });
  return parseLoggers(issues, legacy.loggers, 'Logging.loggers');
}

/**
 * Freezes the config graph. Maps get throwing mutators, because Object.freeze does not stop
 * Map.set. Option bytes (Uint8Array) cannot be frozen and are shared read-only by convention.
 */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value) || Object.isFrozen(value)) return value;
  if (value instanceof Map) {
    for (const method of ['set', 'delete', 'clear']) {
      Object.defineProperty(value, method, { value: rejectMutation });
    }
    for (const entry of value.values()) deepFreeze(entry);
  }
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return value;
}

function rejectMutation(): never {
  throw new TypeError('the server configuration is frozen');
}
