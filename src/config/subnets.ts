// subnet4 entries and their pools. A subnet inherits every global parameter it does not set
// (Kea's rule) and its options are the global ones with its own merged over them per code.
// Pools must lie inside their subnet and must not overlap each other, nor a pool of another
// subnet (subnet-checks.ts).

import { formatIpv4, parseIpv4 } from '../codec/options/index.js';
import { inPrefix, parsePrefix, parseRange } from './addresses.js';
import type { Prefix } from './addresses.js';
import { Issues, checkKeys, isObject, quote, readArray, readInt, readObject, readString } from './issues.js';
import type { JsonObject } from './issues.js';
import { mergeOptions, parseOptionData } from './options.js';
import { LEVEL_KEYS, readLevelParams } from './params.js';
import type { LevelParams } from './params.js';
import { parseReservations } from './reservations.js';
import { checkPoolOverlaps, checkSubnetOverlaps } from './subnet-checks.js';
import type { PlacedSubnet } from './subnet-checks.js';
import type { OptionSet, PoolConfig, SubnetConfig } from './types.js';

const OPT_SERVER_IDENTIFIER = 54;
const MAX_SUBNET_ID = 0xfffffffe;

const SUBNET_KEYS = {
  handled: ['id', 'subnet', 'pools', 'option-data', 'relay', 'interface', 'reservations', 'client-class', ...LEVEL_KEYS],
  unsupported: [
    'require-client-classes', 'evaluate-additional-classes', '4o6-interface', '4o6-interface-id', '4o6-subnet',
    'store-extended-info', 'cache-threshold', 'cache-max-age', 'hostname-char-set', 'hostname-char-replacement',
    'offer-lifetime', 'allocator', 'ddns-send-updates', 'ddns-override-no-update', 'ddns-override-client-update',
    'ddns-replace-client-name', 'ddns-generated-prefix', 'ddns-qualifying-suffix', 'ddns-update-on-renew',
    'ddns-use-conflict-resolution', 'ddns-conflict-resolution-mode', 'ddns-ttl-percent',
  ],
};

const POOL_KEYS = {
  handled: ['pool', 'option-data', 'client-class'],
  unsupported: ['require-client-classes', 'evaluate-additional-classes', 'pool-id'],
};

/** Values the subnets inherit from the global level. */
export interface GlobalScope {
  params: LevelParams;
  echoClientId: boolean;
  options: OptionSet;
}

/** Parses Dhcp4.subnet4; subnets with errors are reported and left out. */
export function parseSubnets(issues: Issues, dhcp4: JsonObject, path: string, scope: GlobalScope): SubnetConfig[] {
  const list = readArray(issues, dhcp4, 'subnet4', path) ?? [];
  const subnets: PlacedSubnet[] = [];
  const ids = new Map<number, string>();
  const prefixes = new Map<string, string>();
  let nextAutoId = 1;

  list.forEach((entry, i) => {
    const entryPath = `${path}.subnet4[${i}]`;
    if (!isObject(entry)) {
      issues.invalid(entryPath, entry, 'an object with id, subnet and pools', 'object');
      return;
    }
    const id = readSubnetId(issues, entry, entryPath, nextAutoId);
    if (id !== undefined) nextAutoId = Math.max(nextAutoId, id + 1);
    const subnet = parseSubnet(issues, entry, entryPath, scope, id ?? 0);
    if (id === undefined || subnet === undefined) return;
    const { network, prefixLength } = subnet.config;

    const idHolder = ids.get(id);
    if (idHolder !== undefined) issues.error(`${entryPath}.id`, `subnet id ${id} is already used by ${idHolder} (expected unique ids)`);
    ids.set(id, entryPath);
    const key = `${formatIpv4(network)}/${prefixLength}`;
    const prefixHolder = prefixes.get(key);
    if (prefixHolder !== undefined) issues.error(`${entryPath}.subnet`, `subnet '${key}' is already defined by ${prefixHolder} (expected each prefix once)`);
    prefixes.set(key, entryPath);
    subnets.push(subnet);
  });

  checkSubnetOverlaps(issues, subnets);
  checkPoolOverlaps(issues, subnets);
  return subnets.map((s) => s.config);
}

/**
 * Reads the subnet id. Kea 2.2 numbers a subnet without an id itself, with the next number after
 * the highest id so far. nestor does the same but warns, because leases are stored by subnet id
 * and such a number changes when subnets are added or reordered.
 */
function readSubnetId(issues: Issues, entry: JsonObject, path: string, nextAutoId: number): number | undefined {
  if (entry.id === undefined) {
    issues.warning(`${path}.id`, `missing, so subnet id ${nextAutoId} is assigned from the position in the file (set an explicit id: leases are stored by subnet id)`);
    return nextAutoId;
  }
  return readInt(issues, entry, 'id', path, { min: 1, max: MAX_SUBNET_ID });
}

function parseSubnet(issues: Issues, entry: JsonObject, path: string, scope: GlobalScope, id: number): PlacedSubnet | undefined {
  checkKeys(issues, entry, path, SUBNET_KEYS);

  const prefix = readSubnetPrefix(issues, entry, path);
  const params = readLevelParams(issues, entry, path, scope.params);
  const options = mergeOptions(scope.options, parseOptionData(issues, entry['option-data'], `${path}.option-data`));
  const clientClass = readClientClass(issues, entry, path);
  const relayAddresses = readRelay(issues, entry, path);
  const iface = readString(issues, entry, 'interface', path);
  if (prefix === undefined) return undefined;

  const pools = parsePools(issues, entry, path, prefix);
  const reservations = parseReservations(issues, entry.reservations, `${path}.reservations`, prefix);
  const serverIdOption = options.get(OPT_SERVER_IDENTIFIER);

  const config: SubnetConfig = {
    id,
    subnet: String(entry.subnet),
    network: prefix.network,
    prefixLength: prefix.prefixLength,
    mask: prefix.mask,
    broadcast: (prefix.network | ~prefix.mask) >>> 0,
    pools: pools.map((p) => p.pool),
    relayAddresses,
    interface: iface === '' ? undefined : iface,
    clientClass,
    reservations,
    options,
    validLifetime: params.validLifetime,
    minValidLifetime: params.minValidLifetime ?? params.validLifetime,
    maxValidLifetime: params.maxValidLifetime ?? params.validLifetime,
    renewTimer: params.renewTimer,
    rebindTimer: params.rebindTimer,
    calculateTeeTimes: params.calculateTeeTimes,
    t1Percent: params.t1Percent,
    t2Percent: params.t2Percent,
    matchClientId: params.matchClientId,
    authoritative: params.authoritative,
    echoClientId: scope.echoClientId,
    nextServer: params.nextServer,
    serverHostname: params.serverHostname,
    bootFileName: params.bootFileName,
    reservationsInSubnet: params.reservationsInSubnet,
    reservationsOutOfPool: params.reservationsOutOfPool,
    serverId: serverIdOption?.data.length === 4 ? new DataView(serverIdOption.data.buffer, serverIdOption.data.byteOffset).getUint32(0) : undefined,
  };
  return { config, path, pools };
}

function readSubnetPrefix(issues: Issues, entry: JsonObject, path: string): Prefix | undefined {
  if (entry.subnet === undefined) {
    issues.error(`${path}.subnet`, 'missing (expected a prefix such as 198.18.0.0/24)');
    return undefined;
  }
  const text = readString(issues, entry, 'subnet', path);
  if (text === undefined) return undefined;
  const prefix = parsePrefix(text, false);
  if (typeof prefix === 'string') {
    issues.invalid(`${path}.subnet`, text, 'a prefix such as 198.18.0.0/24');
    return undefined;
  }
  const strict = parsePrefix(text, true);
  if (typeof strict === 'string') issues.warning(`${path}.subnet`, `prefix ${quote(text)}: ${strict}, which is used`);
  return prefix;
}

/**
 * Reads a client-class guard. Only the HA_<server> classes that high availability assigns exist in
 * nestor; other classes are kept as written, with a warning that they are never assigned.
 */
function readClientClass(issues: Issues, entry: JsonObject, path: string): string | undefined {
  const name = readString(issues, entry, 'client-class', path);
  if (name === undefined || name === '') return undefined;
  if (!name.startsWith('HA_')) {
    issues.warning(`${path}.client-class`, `client class ${quote(name)} is never assigned: client classification is not supported yet (only the HA_ classes of high availability are)`);
  }
  return name;
}

function readRelay(issues: Issues, entry: JsonObject, path: string): number[] {
  const relay = readObject(issues, entry, 'relay', path);
  if (relay === undefined) return [];
  const sectionPath = `${path}.relay`;
  checkKeys(issues, relay, sectionPath, { handled: ['ip-addresses', 'ip-address'] });
  const texts: Array<[unknown, string]> = [];
  if (relay['ip-address'] !== undefined) texts.push([relay['ip-address'], `${sectionPath}.ip-address`]);
  const list = readArray(issues, relay, 'ip-addresses', sectionPath) ?? [];
  list.forEach((value, i) => texts.push([value, `${sectionPath}.ip-addresses[${i}]`]));

  const addresses: number[] = [];
  for (const [value, where] of texts) {
    const address = typeof value === 'string' ? parseIpv4(value.trim()) : undefined;
    if (address === undefined) issues.invalid(where, value, 'an IPv4 address such as 198.18.0.1', 'string');
    else if (address !== 0 && !addresses.includes(address)) addresses.push(address);
  }
  return addresses;
}

/** A pool read from the file, with its JSON path and its range as written. */
interface ParsedPool {
  pool: PoolConfig;
  path: string;
  text: string;
}

function parsePools(issues: Issues, entry: JsonObject, path: string, prefix: Prefix): ParsedPool[] {
  const list = readArray(issues, entry, 'pools', path) ?? [];
  const pools: ParsedPool[] = [];
  list.forEach((pool, i) => {
    const entryPath = `${path}.pools[${i}]`;
    if (!isObject(pool)) {
      issues.invalid(entryPath, pool, "an object with pool: 'first - last'", 'object');
      return;
    }
    checkKeys(issues, pool, entryPath, POOL_KEYS);
    const text = readString(issues, pool, 'pool', entryPath);
    if (pool.pool === undefined) issues.error(`${entryPath}.pool`, "missing (expected 'first - last' or 'address/length')");
    const options = parseOptionData(issues, pool['option-data'], `${entryPath}.option-data`);
    const clientClass = readClientClass(issues, pool, entryPath);
    if (text === undefined) return;

    const range = parseRange(text);
    if (typeof range === 'string') {
      issues.error(`${entryPath}.pool`, `range ${quote(text)} is invalid: ${range}`);
      return;
    }
    if (!inPrefix(range.first, prefix) || !inPrefix(range.last, prefix)) {
      issues.error(`${entryPath}.pool`, `range ${quote(text)} is outside the subnet (expected addresses in ${formatIpv4(prefix.network)}/${prefix.prefixLength})`);
      return;
    }
    const overlapped = pools.find(({ pool: p }) => range.first <= p.last && p.first <= range.last);
    if (overlapped !== undefined) {
      issues.error(`${entryPath}.pool`, `range ${quote(text)} overlaps the pool at ${overlapped.path} (expected disjoint pools)`);
      return;
    }
    pools.push({ pool: { first: range.first, last: range.last, clientClass, options }, path: entryPath, text });
  });
  return pools;
}
