// Server-wide sections of Dhcp4: interfaces-config, lease-database, expired-leases-processing,
// control-socket, host-reservation-identifiers and the nestor-only settings. Defaults are Kea
// 2.2's where Kea has one.

import { parseIpv4 } from '../codec/options/index.js';
import { Issues, UINT32, checkKeys, isObject, quote, readBool, readEnum, readInt, readObject, readString } from './issues.js';
import type { JsonObject } from './issues.js';
import type { ExpiredLeasesConfig, HostIdentifierType, InterfaceConfig, NestorSettings, ServerConfig } from './types.js';

export const DEFAULT_LEASE_PATH = '/var/lib/nestor/leases4.lmdb';
/**
 * Minimum time between two lease commits while requests keep coming (nestor.commit-window-us).
 * docs/performance.md has the measurements behind the default.
 */
export const DEFAULT_COMMIT_WINDOW_US = 1000;
const MAX_COMMIT_WINDOW_US = 100_000;
/** Read the UDP sockets as soon as they are readable (nestor.receive-interval-ms); docs/performance.md has the trade-off. */
export const DEFAULT_RECEIVE_INTERVAL_MS = 0;
const MAX_RECEIVE_INTERVAL_MS = 100;

/** Default LMDB map size: 1 GiB, room for several million leases of a few hundred bytes each. */
export const DEFAULT_LMDB_MAP_SIZE = 1024 * 1024 * 1024;

const INT32_MAX = 0x7fffffff;

/**
 * lease-database keys. Kea accepts the settings of its database backends here whatever the type
 * (MySQL, PostgreSQL, and Cassandra in older versions). nestor has no such backend, so it warns.
 */
const LEASE_DATABASE_KEYS = {
  handled: ['type', 'name', 'persist'],
  silent: ['lfc-interval', 'max-row-errors'],
  unsupported: [
    'user', 'password', 'host', 'port', 'readonly', 'connect-timeout', 'max-reconnect-tries', 'reconnect-wait-time',
    'on-fail', 'request-timeout', 'tcp-keepalive', 'tcp-nodelay', 'trust-anchor', 'cert-file', 'key-file',
    'cipher-list', 'contact-points', 'keyspace', 'consistency', 'serial-consistency',
  ],
};

export function readInterfaces(issues: Issues, dhcp4: JsonObject, path: string): Pick<ServerConfig, 'interfaces' | 'socketType'> {
  const result: Pick<ServerConfig, 'interfaces' | 'socketType'> = { interfaces: [], socketType: 'raw' };
  const section = readObject(issues, dhcp4, 'interfaces-config', path);
  if (section === undefined) return result;
  const sectionPath = `${path}.interfaces-config`;
  checkKeys(issues, section, sectionPath, {
    handled: ['interfaces', 'dhcp-socket-type', 'outbound-interface', 're-detect'],
    unsupported: ['service-sockets-require-all', 'service-sockets-max-retries', 'service-sockets-retry-wait-time'],
  });

  result.socketType = readEnum(issues, section, 'dhcp-socket-type', sectionPath, ['raw', 'udp'] as const) ?? 'raw';
  readEnum(issues, section, 'outbound-interface', sectionPath, ['same-as-inbound', 'use-routing'] as const);
  readBool(issues, section, 're-detect', sectionPath);

  const list = section.interfaces;
  if (list === undefined) return result;
  if (!Array.isArray(list)) {
    issues.invalid(`${sectionPath}.interfaces`, list, 'a list of interface names', 'list');
    return result;
  }
  const interfaces: InterfaceConfig[] = [];
  list.forEach((entry, i) => {
    const parsed = parseInterface(entry);
    if (parsed === undefined) issues.invalid(`${sectionPath}.interfaces[${i}]`, entry, "an interface name, 'name/address' or '*'", 'string');
    else interfaces.push(parsed);
  });
  result.interfaces = interfaces;
  return result;
}

function parseInterface(entry: unknown): InterfaceConfig | undefined {
  if (typeof entry !== 'string' || entry.length === 0) return undefined;
  const slash = entry.indexOf('/');
  if (slash < 0) return { name: entry, address: undefined };
  const address = parseIpv4(entry.slice(slash + 1));
  if (slash === 0 || address === undefined) return undefined;
  return { name: entry.slice(0, slash), address };
}

export function readLeaseDatabase(issues: Issues, dhcp4: JsonObject, path: string): ServerConfig['leaseDatabase'] {
  const result: ServerConfig['leaseDatabase'] = { type: 'memfile', path: DEFAULT_LEASE_PATH, persist: true };
  const section = readObject(issues, dhcp4, 'lease-database', path);
  if (section === undefined) return result;
  const sectionPath = `${path}.lease-database`;
  checkKeys(issues, section, sectionPath, LEASE_DATABASE_KEYS);

  const type = readString(issues, section, 'type', sectionPath);
  if (type === 'memfile' || type === 'lmdb') result.type = type;
  else if (type !== undefined) {
    issues.invalid(`${sectionPath}.type`, type, "'memfile' or 'lmdb' (both store leases in LMDB; SQL lease databases are not supported yet)");
  }
  result.path = readString(issues, section, 'name', sectionPath) ?? DEFAULT_LEASE_PATH;
  if (result.path === '') issues.invalid(`${sectionPath}.name`, result.path, 'a file path');
  // The LMDB store opens its file in place, so a Kea CSV file at that path fails the open.
  if (result.type === 'memfile' && section.name !== undefined) {
    issues.warning(
      `${sectionPath}.name`,
      "nestor keeps leases in an LMDB database, not Kea's CSV file; point 'name' to a new path (an existing Kea CSV file there makes the server refuse to start)",
    );
  }

  const persist = readBool(issues, section, 'persist', sectionPath);
  if (persist === false) issues.warning(`${sectionPath}.persist`, 'nestor always writes leases to disk, false is ignored');
  return result;
}

export function readExpiredLeases(issues: Issues, dhcp4: JsonObject, path: string): ExpiredLeasesConfig {
  const section = readObject(issues, dhcp4, 'expired-leases-processing', path) ?? {};
  const sectionPath = `${path}.expired-leases-processing`;
  const keys = {
    'reclaim-timer-wait-time': [10, INT32_MAX],
    'flush-reclaimed-timer-wait-time': [25, INT32_MAX],
    'hold-reclaimed-time': [3600, UINT32.max],
    'max-reclaim-leases': [100, INT32_MAX],
    'max-reclaim-time': [250, 10000],
    'unwarned-reclaim-cycles': [5, INT32_MAX],
  } as const;
  checkKeys(issues, section, sectionPath, { handled: Object.keys(keys) });
  const read = (key: keyof typeof keys): number =>
    readInt(issues, section, key, sectionPath, { min: 0, max: keys[key][1] }) ?? keys[key][0];
  return {
    reclaimTimerWaitTimeSec: read('reclaim-timer-wait-time'),
    flushReclaimedTimerWaitTimeSec: read('flush-reclaimed-timer-wait-time'),
    holdReclaimedTimeSec: read('hold-reclaimed-time'),
    maxReclaimLeases: read('max-reclaim-leases'),
    maxReclaimTimeMs: read('max-reclaim-time'),
    unwarnedReclaimCycles: read('unwarned-reclaim-cycles'),
  };
}

export function readControlSocket(issues: Issues, dhcp4: JsonObject, path: string): ServerConfig['controlSocket'] {
  const section = readObject(issues, dhcp4, 'control-socket', path);
  if (section === undefined) return undefined;
  const sectionPath = `${path}.control-socket`;
  checkKeys(issues, section, sectionPath, { handled: ['socket-type', 'socket-name'] });
  const type = readEnum(issues, section, 'socket-type', sectionPath, ['unix'] as const);
  const name = readString(issues, section, 'socket-name', sectionPath);
  if (section['socket-type'] === undefined) issues.error(`${sectionPath}.socket-type`, "missing (expected 'unix')");
  if (section['socket-name'] === undefined) issues.error(`${sectionPath}.socket-name`, 'missing (expected the path of the UNIX socket)');
  if (type === undefined || name === undefined) return undefined;
  return { type, path: name };
}

const IDENTIFIER_TYPES: readonly HostIdentifierType[] = ['hw-address', 'duid', 'circuit-id', 'client-id', 'flex-id'];
const DEFAULT_IDENTIFIERS: readonly HostIdentifierType[] = ['hw-address', 'duid', 'circuit-id', 'client-id'];

export function readHostIdentifiers(issues: Issues, dhcp4: JsonObject, path: string): HostIdentifierType[] {
  const list = dhcp4['host-reservation-identifiers'];
  const sectionPath = `${path}.host-reservation-identifiers`;
  if (list === undefined) return [...DEFAULT_IDENTIFIERS];
  if (!Array.isArray(list) || list.length === 0) {
    issues.invalid(sectionPath, list, `a non-empty list of ${IDENTIFIER_TYPES.join(', ')}`, 'list');
    return [...DEFAULT_IDENTIFIERS];
  }
  const result: HostIdentifierType[] = [];
  list.forEach((entry, i) => {
    if (typeof entry !== 'string' || !(IDENTIFIER_TYPES as readonly string[]).includes(entry)) {
      issues.invalid(`${sectionPath}[${i}]`, entry, `one of ${IDENTIFIER_TYPES.join(', ')}`, 'string');
    } else if (result.includes(entry as HostIdentifierType)) {
      issues.error(`${sectionPath}[${i}]`, `identifier type ${quote(entry)} is listed twice (expected each type at most once)`);
    } else {
      result.push(entry as HostIdentifierType);
    }
  });
  return result;
}

/** Reads the nestor settings from Dhcp4.nestor or, where Kea must read the file too, Dhcp4.user-context.nestor. */
export function readNestorSettings(issues: Issues, dhcp4: JsonObject, path: string): NestorSettings {
  const result: NestorSettings = {
    workers: undefined, serverPort: 67, clientPort: 68, lmdbMapSizeBytes: DEFAULT_LMDB_MAP_SIZE, commitWindowUs: DEFAULT_COMMIT_WINDOW_US,
    receiveIntervalMs: DEFAULT_RECEIVE_INTERVAL_MS,
  };
  const direct = dhcp4.nestor;
  const context = isObject(dhcp4['user-context']) ? dhcp4['user-context'].nestor : undefined;
  if (direct !== undefined && context !== undefined) {
    issues.warning(`${path}.user-context.nestor`, `ignored because ${path}.nestor is also set`);
  }
  const sectionPath = direct !== undefined ? `${path}.nestor` : `${path}.user-context.nestor`;
  const section = direct ?? context;
  if (section === undefined) return result;
  if (!isObject(section)) {
    issues.invalid(sectionPath, section, 'an object', 'object');
    return result;
  }
  checkKeys(issues, section, sectionPath, { handled: ['workers', 'server-port', 'client-port', 'lmdb-map-size', 'commit-window-us', 'receive-interval-ms'] });
  result.workers = readInt(issues, section, 'workers', sectionPath, { min: 0, max: 64 });
  result.serverPort = readInt(issues, section, 'server-port', sectionPath, { min: 1, max: 65535 }) ?? 67;
  result.clientPort = readInt(issues, section, 'client-port', sectionPath, { min: 1, max: 65535 }) ?? 68;
  result.lmdbMapSizeBytes =
    readInt(issues, section, 'lmdb-map-size', sectionPath, { min: 1024 * 1024, max: Number.MAX_SAFE_INTEGER }) ?? DEFAULT_LMDB_MAP_SIZE;
  result.commitWindowUs = readInt(issues, section, 'commit-window-us', sectionPath, { min: 0, max: MAX_COMMIT_WINDOW_US }) ?? DEFAULT_COMMIT_WINDOW_US;
  result.receiveIntervalMs =
    readInt(issues, section, 'receive-interval-ms', sectionPath, { min: 0, max: MAX_RECEIVE_INTERVAL_MS }) ?? DEFAULT_RECEIVE_INTERVAL_MS;
  return result;
}
