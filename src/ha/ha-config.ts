// Reads the parameters of libdhcp_ha.so ({ "high-availability": [ relationship ] }) the way Kea
// 2.2's HA configuration parser does: the same keys, defaults, ranges and role rules. Kea 2.2
// accepts exactly one relationship. Keys added later (max-rejected-lease-updates in 2.4) are
// accepted with their later default, so a configuration written for a newer Kea still loads.
// Every problem becomes a ConfigIssue that names the JSON path, the value and what was expected.

import { isIP } from 'node:net';

import { parseIpv4 } from '../codec/options/index.js';
import { Issues, UINT32, checkKeys, isObject, quote, readArray, readBool, readEnum, readInt, readObject, readString } from '../config/issues.js';
import type { IntRange, JsonObject } from '../config/issues.js';
import type { ConfigIssue } from '../config/types.js';
import type { HaConfig, HaMode, HaMultiThreadingConfig, HaPauseMode, HaPeerConfig, HaRole, HaState, HaStatePause } from './types.js';

/** heartbeat-delay, max-response-delay and max-ack-delay are 16-bit values in Kea 2.2 to 3.0. */
const UINT16: IntRange = { min: 0, max: 0xffff };

const MODES: readonly HaMode[] = ['load-balancing', 'hot-standby', 'passive-backup'];
const ROLES: readonly HaRole[] = ['primary', 'secondary', 'standby', 'backup'];
const PAUSE_MODES: readonly HaPauseMode[] = ['always', 'once', 'never'];

/** States that state-machine.states may name ('unavailable' is only ever a partner state). */
const PAUSABLE_STATES: readonly HaState[] = [
  'waiting',
  'syncing',
  'ready',
  'load-balancing',
  'hot-standby',
  'communication-recovery',
  'partner-down',
  'partner-in-maintenance',
  'in-maintenance',
  'passive-backup',
  'backup',
  'terminated',
];

const TLS_KEYS = ['trust-anchor', 'cert-file', 'key-file'] as const;

const RELATIONSHIP_KEYS = [
  'this-server-name',
  'mode',
  'heartbeat-delay',
  'max-response-delay',
  'max-ack-delay',
  'max-unacked-clients',
  'max-rejected-lease-updates',
  'delayed-updates-limit',
  'sync-leases',
  'sync-timeout',
  'sync-page-limit',
  'send-lease-updates',
  'wait-backup-ack',
  'require-client-certs',
  'restrict-commands',
  'multi-threading',
  'state-machine',
  'peers',
  ...TLS_KEYS,
];

const PEER_KEYS = ['name', 'url', 'role', 'auto-failover', 'basic-auth-user', 'basic-auth-password', 'basic-auth-password-file', ...TLS_KEYS];

const MULTI_THREADING_KEYS = ['enable-multi-threading', 'http-dedicated-listener', 'http-listener-threads', 'http-client-threads'];

/** Kea 2.2 defaults of the relationship-level numbers and switches. */
const DEFAULTS = {
  heartbeatDelayMs: 10000,
  maxResponseDelayMs: 60000,
  maxAckDelayMs: 10000,
  maxUnackedClients: 10,
  maxRejectedLeaseUpdates: 10,
  syncTimeoutMs: 60000,
  syncPageLimit: 10000,
} as const;

/** delayed-updates-limit default: 100 in load-balancing, 0 in the modes that must keep it at 0. */
const DELAYED_UPDATES_LIMIT_LB = 100;

type TlsFiles = Record<(typeof TLS_KEYS)[number], string | undefined>;

/**
 * Validates the parameters object of libdhcp_ha.so. path is the JSON path of that object, e.g.
 * "Dhcp4.hooks-libraries[1].parameters". Returns the frozen configuration when there is no error.
 */
export function parseHaConfig(raw: unknown, path: string): { config?: HaConfig; issues: ConfigIssue[] } {
  const issues = new Issues();
  if (!isObject(raw)) {
    issues.invalid(path, raw, "an object with 'high-availability'", 'object');
    return { issues: issues.list };
  }
  checkKeys(issues, raw, path, { handled: ['high-availability'] });

  const listPath = `${path}.high-availability`;
  const list = raw['high-availability'];
  if (list === undefined) {
    issues.error(listPath, 'missing (expected a list with one relationship)');
    return { issues: issues.list };
  }
  if (!Array.isArray(list)) {
    issues.invalid(listPath, list, 'a list with one relationship', 'list');
    return { issues: issues.list };
  }
  if (list.length !== 1) {
    issues.error(listPath, `contains ${list.length} relationships (expected exactly one, the only form Kea 2.2 accepts)`);
    return { issues: issues.list };
  }

  const config = parseRelationship(issues, list[0], `${listPath}[0]`);
  if (config === undefined || issues.hasErrors()) return { issues: issues.list };
  return { config: deepFreeze(config), issues: issues.list };
}

function parseRelationship(issues: Issues, raw: unknown, path: string): HaConfig | undefined {
  if (!isObject(raw)) {
    issues.invalid(path, raw, 'an object describing one relationship', 'object');
    return undefined;
  }
  checkKeys(issues, raw, path, { handled: RELATIONSHIP_KEYS });

  const mode = readEnum(issues, raw, 'mode', path, MODES);
  if (raw.mode === undefined) issues.error(`${path}.mode`, `missing (expected one of ${MODES.map((m) => `'${m}'`).join(', ')})`);

  const thisServerName = readString(issues, raw, 'this-server-name', path)?.trim();
  if (raw['this-server-name'] === undefined) issues.error(`${path}.this-server-name`, 'missing (expected the name of one of the peers)');
  else if (thisServerName === '') issues.invalid(`${path}.this-server-name`, raw['this-server-name'], 'a non-empty peer name');

  const defaultTls = readTlsFiles(issues, raw, path);
  const peers = parsePeers(issues, raw, path, defaultTls);
  const settings = readSettings(issues, raw, path, mode);
  const multiThreading = parseMultiThreading(issues, raw, path);
  const statePauses = parseStateMachine(issues, raw, path);
  if (mode === undefined || thisServerName === undefined || thisServerName === '' || peers === undefined) return undefined;

  const roles = checkRoles(issues, peers, mode, `${path}.peers`);
  const thisServer = peers.find((p) => p.name === thisServerName);
  if (thisServer === undefined) {
    const names = peers.map((p) => `'${p.name}'`).join(', ');
    issues.error(`${path}.this-server-name`, `'${thisServerName}' is not the name of any peer (expected one of ${names})`);
  }
  if (roles === undefined || thisServer === undefined) return undefined;

  let secondary: HaPeerConfig | undefined;
  if (mode === 'load-balancing') secondary = roles.secondary;
  else if (mode === 'hot-standby') secondary = roles.standby;

  let partner: HaPeerConfig | undefined;
  if (thisServer === roles.primary) partner = secondary;
  else if (thisServer === secondary) partner = roles.primary;

  return {
    mode,
    thisServerName,
    thisServer,
    partner,
    primary: roles.primary,
    secondary,
    backups: peers.filter((p) => p.role === 'backup'),
    peers,
    ...settings,
    multiThreading,
    statePauses,
  };
}

type HaSettings = Omit<HaConfig, 'mode' | 'thisServerName' | 'thisServer' | 'partner' | 'primary' | 'secondary' | 'backups' | 'peers' | 'multiThreading' | 'statePauses'>;

function readSettings(issues: Issues, raw: JsonObject, path: string, mode: HaMode | undefined): HaSettings {
  const delayedUpdatesLimit = readInt(issues, raw, 'delayed-updates-limit', path, UINT32);
  if (delayedUpdatesLimit !== undefined && delayedUpdatesLimit > 0 && mode !== undefined && mode !== 'load-balancing') {
    issues.error(
      `${path}.delayed-updates-limit`,
      `invalid value '${delayedUpdatesLimit}' (expected 0 in mode '${mode}', because communication recovery exists only in load-balancing)`,
    );
  }
  const waitBackupAck = readBool(issues, raw, 'wait-backup-ack', path) ?? false;
  if (waitBackupAck && mode !== undefined && mode !== 'passive-backup') {
    issues.error(`${path}.wait-backup-ack`, `invalid value 'true' (expected false in mode '${mode}', because only passive-backup waits for backups)`);
  }

  return {
    heartbeatDelayMs: readInt(issues, raw, 'heartbeat-delay', path, UINT16) ?? DEFAULTS.heartbeatDelayMs,
    maxResponseDelayMs: readInt(issues, raw, 'max-response-delay', path, UINT16) ?? DEFAULTS.maxResponseDelayMs,
    maxAckDelayMs: readInt(issues, raw, 'max-ack-delay', path, UINT16) ?? DEFAULTS.maxAckDelayMs,
    maxUnackedClients: readInt(issues, raw, 'max-unacked-clients', path, UINT32) ?? DEFAULTS.maxUnackedClients,
    maxRejectedLeaseUpdates: readInt(issues, raw, 'max-rejected-lease-updates', path, UINT32) ?? DEFAULTS.maxRejectedLeaseUpdates,
    delayedUpdatesLimit: delayedUpdatesLimit ?? (mode === 'load-balancing' ? DELAYED_UPDATES_LIMIT_LB : 0),
    syncLeases: readBool(issues, raw, 'sync-leases', path) ?? true,
    syncTimeoutMs: readInt(issues, raw, 'sync-timeout', path, UINT32) ?? DEFAULTS.syncTimeoutMs,
    syncPageLimit: readInt(issues, raw, 'sync-page-limit', path, UINT32) ?? DEFAULTS.syncPageLimit,
    sendLeaseUpdates: readBool(issues, raw, 'send-lease-updates', path) ?? true,
    waitBackupAck,
    requireClientCerts: readBool(issues, raw, 'require-client-certs', path) ?? true,
    restrictCommands: readBool(issues, raw, 'restrict-commands', path) ?? false,
  };
}

function parsePeers(issues: Issues, raw: JsonObject, path: string, defaultTls: TlsFiles): HaPeerConfig[] | undefined {
  const list = readArray(issues, raw, 'peers', path);
  if (raw.peers === undefined) issues.error(`${path}.peers`, 'missing (expected a list of peers, this server included)');
  if (list === undefined) return undefined;

  const peers: HaPeerConfig[] = [];
  const nameIndex = new Map<string, number>();
  const urlIndex = new Map<string, number>();
  list.forEach((entry, i) => {
    const peerPath = `${path}.peers[${i}]`;
    const peer = parsePeer(issues, entry, peerPath, defaultTls);
    if (peer === undefined) return;

    const sameName = nameIndex.get(peer.name);
    if (sameName !== undefined) issues.error(`${peerPath}.name`, `duplicate peer name '${peer.name}' (already used by peers[${sameName}]; expected unique names)`);
    else nameIndex.set(peer.name, i);

    const endpoint = `${peer.scheme}://${peer.host}:${peer.port}${peer.path}`;
    const sameUrl = urlIndex.get(endpoint);
    if (sameUrl !== undefined) issues.error(`${peerPath}.url`, `duplicate url '${peer.url}' (already used by peers[${sameUrl}]; expected one url per peer)`);
    else urlIndex.set(endpoint, i);

    peers.push(peer);
  });
  return peers.length === list.length ? peers : undefined;
}

function parsePeer(issues: Issues, raw: unknown, path: string, defaultTls: TlsFiles): HaPeerConfig | undefined {
  if (!isObject(raw)) {
    issues.invalid(path, raw, 'an object with name, url and role', 'object');
    return undefined;
  }
  checkKeys(issues, raw, path, { handled: PEER_KEYS });

  const name = readString(issues, raw, 'name', path)?.trim();
  if (raw.name === undefined) issues.error(`${path}.name`, 'missing (expected a non-empty peer name)');
  else if (name === '') issues.invalid(`${path}.name`, raw.name, 'a non-empty peer name');

  const url = readString(issues, raw, 'url', path);
  if (raw.url === undefined) issues.error(`${path}.url`, 'missing (expected a url such as http://198.18.0.2:8000/)');
  const endpoint = url === undefined ? undefined : parseUrl(url);
  if (url !== undefined && endpoint === undefined) {
    issues.invalid(`${path}.url`, url, 'http:// or https://, an IPv4 address or a bracketed IPv6 address, an optional port from 1 to 65535 and an optional path');
  }

  const role = readEnum(issues, raw, 'role', path, ROLES);
  if (raw.role === undefined) issues.error(`${path}.role`, `missing (expected one of ${ROLES.map((r) => `'${r}'`).join(', ')})`);

  const autoFailover = readBool(issues, raw, 'auto-failover', path) ?? true;
  const auth = readBasicAuth(issues, raw, path);
  const tls = inheritTls(readTlsFiles(issues, raw, path), defaultTls);
  checkTls(issues, tls, endpoint?.scheme, path);

  if (name === undefined || name === '' || url === undefined || endpoint === undefined || role === undefined || auth === undefined) return undefined;
  return {
    name,
    url,
    ...endpoint,
    role,
    autoFailover,
    ...auth,
    trustAnchor: tls['trust-anchor'],
    certFile: tls['cert-file'],
    keyFile: tls['key-file'],
  };
}

interface Endpoint {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  path: string;
}

/** Parses a peer URL. Kea 2.2 resolves no names, so the host must be an address literal. */
export function parseUrl(url: string): Endpoint | undefined {
  const match = /^(https?):\/\/(\[[^\]]+\]|[0-9.]+)(?::([0-9]{1,5}))?(\/[^\s?#]*)?$/.exec(url);
  if (!match) return undefined;

  const scheme = match[1] as 'http' | 'https';
  const bracketed = match[2]!.startsWith('[');
  const host = bracketed ? match[2]!.slice(1, -1) : match[2]!;
  if (bracketed ? isIP(host) !== 6 : parseIpv4(host) === undefined) return undefined;

  const defaultPort = scheme === 'https' ? 443 : 80;
  const port = match[3] === undefined ? defaultPort : Number(match[3]);
  if (port < 1 || port > 0xffff) return undefined;
  return { scheme, host, port, path: match[4] ?? '/' };
}

type BasicAuth = Pick<HaPeerConfig, 'basicAuthUser' | 'basicAuthPassword' | 'basicAuthPasswordFile'>;

function readBasicAuth(issues: Issues, raw: JsonObject, path: string): BasicAuth | undefined {
  const user = readString(issues, raw, 'basic-auth-user', path);
  const password = readString(issues, raw, 'basic-auth-password', path);
  const passwordFile = readString(issues, raw, 'basic-auth-password-file', path);
  if (user?.includes(':')) {
    issues.error(`${path}.basic-auth-user`, `invalid value ${quote(user)} (expected a user name without ':', because ':' separates user and password)`);
    return undefined;
  }
  if (password !== undefined && passwordFile !== undefined) {
    issues.error(`${path}.basic-auth-password-file`, "conflicts with 'basic-auth-password' (expected one of the two)");
    return undefined;
  }
  // An empty or absent user means no Authorization header, as in Kea 2.2.
  if (user === undefined || user === '') {
    return { basicAuthUser: undefined, basicAuthPassword: undefined, basicAuthPasswordFile: undefined };
  }
  // A user without any password sends an empty password.
  const emptyPassword = passwordFile === undefined ? '' : undefined;
  return { basicAuthUser: user, basicAuthPassword: password ?? emptyPassword, basicAuthPasswordFile: passwordFile };
}

function readTlsFiles(issues: Issues, raw: JsonObject, path: string): TlsFiles {
  return {
    'trust-anchor': readString(issues, raw, 'trust-anchor', path),
    'cert-file': readString(issues, raw, 'cert-file', path),
    'key-file': readString(issues, raw, 'key-file', path),
  };
}

// A peer's own value wins over the relationship's. An empty string unsets the inherited value.
function inheritTls(own: TlsFiles, inherited: TlsFiles): TlsFiles {
  const pick = (key: (typeof TLS_KEYS)[number]): string | undefined => {
    const value = own[key] ?? inherited[key];
    return value === '' ? undefined : value;
  };
  return { 'trust-anchor': pick('trust-anchor'), 'cert-file': pick('cert-file'), 'key-file': pick('key-file') };
}

function checkTls(issues: Issues, tls: TlsFiles, scheme: 'http' | 'https' | undefined, path: string): void {
  const set = TLS_KEYS.filter((key) => tls[key] !== undefined);
  if (set.length > 0 && set.length < TLS_KEYS.length) {
    const missing = TLS_KEYS.filter((key) => tls[key] === undefined).map((key) => `'${key}'`).join(', ');
    issues.error(path, `incomplete TLS settings: ${missing} not set (expected all of 'trust-anchor', 'cert-file', 'key-file' or none)`);
  } else if (set.length === 0 && scheme === 'https') {
    issues.error(`${path}.url`, "https url without TLS settings (expected 'trust-anchor', 'cert-file' and 'key-file' here or on the relationship)");
  }
}

interface RolePeers {
  primary: HaPeerConfig;
  secondary: HaPeerConfig | undefined;
  standby: HaPeerConfig | undefined;
}

/** Applies Kea 2.2's role rules; returns the active peers, or undefined after reporting errors. */
function checkRoles(issues: Issues, peers: readonly HaPeerConfig[], mode: HaMode, path: string): RolePeers | undefined {
  const allowed: Record<HaMode, readonly HaRole[]> = {
    'load-balancing': ['primary', 'secondary', 'backup'],
    'hot-standby': ['primary', 'standby', 'backup'],
    'passive-backup': ['primary', 'backup'],
  };
  const required: Record<HaMode, readonly HaRole[]> = {
    'load-balancing': ['primary', 'secondary'],
    'hot-standby': ['primary', 'standby'],
    'passive-backup': ['primary'],
  };

  let isValid = true;
  const firstIndex = new Map<HaRole, number>();
  peers.forEach((peer, i) => {
    const rolePath = `${path}[${i}].role`;
    if (!allowed[mode].includes(peer.role)) {
      const expected = allowed[mode].map((r) => `'${r}'`).join(', ');
      issues.error(rolePath, `role '${peer.role}' is not allowed in mode '${mode}' (expected one of ${expected})`);
      isValid = false;
      return;
    }
    const first = firstIndex.get(peer.role);
    if (first !== undefined && peer.role !== 'backup') {
      issues.error(rolePath, `second peer with role '${peer.role}' (peers[${first}] already has it; expected at most one)`);
      isValid = false;
      return;
    }
    if (first === undefined) firstIndex.set(peer.role, i);
  });
  for (const role of required[mode]) {
    if (!firstIndex.has(role)) {
      issues.error(path, `no peer with role '${role}' (mode '${mode}' requires one)`);
      isValid = false;
    }
  }
  if (!isValid) return undefined;

  const byRole = (role: HaRole): HaPeerConfig | undefined => peers.find((p) => p.role === role);
  return { primary: byRole('primary')!, secondary: byRole('secondary'), standby: byRole('standby') };
}

function parseMultiThreading(issues: Issues, raw: JsonObject, path: string): HaMultiThreadingConfig {
  const mtPath = `${path}.multi-threading`;
  const mt = readObject(issues, raw, 'multi-threading', path) ?? {};
  checkKeys(issues, mt, mtPath, { handled: MULTI_THREADING_KEYS });
  // Kea 2.2 defaults; 2.4 turned the first two on by default.
  return {
    enableMultiThreading: readBool(issues, mt, 'enable-multi-threading', mtPath) ?? false,
    httpDedicatedListener: readBool(issues, mt, 'http-dedicated-listener', mtPath) ?? false,
    httpListenerThreads: readInt(issues, mt, 'http-listener-threads', mtPath, UINT32) ?? 0,
    httpClientThreads: readInt(issues, mt, 'http-client-threads', mtPath, UINT32) ?? 0,
  };
}

function parseStateMachine(issues: Issues, raw: JsonObject, path: string): HaStatePause[] {
  const smPath = `${path}.state-machine`;
  const sm = readObject(issues, raw, 'state-machine', path);
  if (sm === undefined) return [];
  checkKeys(issues, sm, smPath, { handled: ['states'] });

  const pauses: HaStatePause[] = [];
  const seen = new Map<string, number>();
  (readArray(issues, sm, 'states', smPath) ?? []).forEach((entry, i) => {
    const entryPath = `${smPath}.states[${i}]`;
    if (!isObject(entry)) {
      issues.invalid(entryPath, entry, 'an object with state and pause', 'object');
      return;
    }
    checkKeys(issues, entry, entryPath, { handled: ['state', 'pause'] });
    const state = readEnum(issues, entry, 'state', entryPath, PAUSABLE_STATES);
    if (entry.state === undefined) issues.error(`${entryPath}.state`, 'missing (expected an HA state name such as \'waiting\')');
    const pause = readEnum(issues, entry, 'pause', entryPath, PAUSE_MODES) ?? 'never';
    if (state === undefined) return;

    const first = seen.get(state);
    if (first !== undefined) {
      issues.error(`${entryPath}.state`, `duplicate state '${state}' (already configured in states[${first}]; expected each state once)`);
      return;
    }
    seen.set(state, i);
    pauses.push({ state, pause });
  });
  return pauses;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
