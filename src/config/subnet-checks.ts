// Checks across subnets, so that `config check` names what the server will not serve, or cannot
// serve unambiguously. Overlapping subnet prefixes are a warning, because the subnet selection
// rules pick one of the two for a client in the overlap. Pools that overlap across subnets are an
// error, because one address could be leased under two subnet ids. The subnets inside the
// unsupported shared-networks list and a configuration without any subnet get a warning.

import { formatIpv4 } from '../codec/options/index.js';
import { Issues, isObject, quote, readArray } from './issues.js';
import type { JsonObject } from './issues.js';
import type { SubnetConfig } from './types.js';

/** Most subnets a shared-networks warning lists by prefix before it gives only their number. */
const MAX_LISTED_SUBNETS = 10;

/** A parsed subnet with the JSON paths of itself and of each of its pools, for messages. */
export interface PlacedSubnet {
  config: SubnetConfig;
  path: string;
  /** One entry per pool in config.pools, in the same order. */
  pools: ReadonlyArray<{ path: string; text: string }>;
}

/** An address block with the place it came from; order is its position in the file. */
interface Block {
  first: number;
  last: number;
  order: number;
  path: string;
  text: string;
  owner: PlacedSubnet;
}

/** Warns about each subnet prefix that overlaps another one; identical prefixes are reported elsewhere as errors. */
export function checkSubnetOverlaps(issues: Issues, subnets: readonly PlacedSubnet[]): void {
  const blocks = subnets.map((s, order): Block => {
    const c = s.config;
    return { first: c.network, last: c.broadcast, order, path: `${s.path}.subnet`, text: `${formatIpv4(c.network)}/${c.prefixLength}`, owner: s };
  });
  for (const [earlier, later] of findOverlaps(blocks)) {
    if (earlier.text === later.text) continue;
    issues.warning(
      later.path,
      `prefix '${later.text}' overlaps subnet '${earlier.text}' at ${earlier.owner.path} ` +
        '(a client in the overlap is served from one of the two, chosen by the subnet selection rules)',
    );
  }
}

/** Reports each pool that overlaps a pool of another subnet; overlaps inside one subnet are reported when its pools are read. */
export function checkPoolOverlaps(issues: Issues, subnets: readonly PlacedSubnet[]): void {
  const blocks: Block[] = [];
  for (const subnet of subnets) {
    subnet.config.pools.forEach((pool, i) => {
      const { path, text } = subnet.pools[i];
      blocks.push({ first: pool.first, last: pool.last, order: blocks.length, path, text, owner: subnet });
    });
  }
  for (const [earlier, later] of findOverlaps(blocks)) {
    if (earlier.owner === later.owner) continue;
    issues.error(
      `${later.path}.pool`,
      `range ${quote(later.text)} overlaps the pool at ${earlier.path} of subnet id ${earlier.owner.config.id} ` +
        '(expected pools of different subnets to be disjoint, because an address in both could be leased under two subnet ids)',
    );
  }
}

/**
 * Finds overlapping blocks in one pass over the blocks sorted by first address. Each block that
 * overlaps an earlier-sorted block is paired with the one reaching furthest so far, which it
 * must overlap. Each pair is ordered by position in the file, so the later one gets the message.
 */
function findOverlaps(blocks: readonly Block[]): Array<[earlier: Block, later: Block]> {
  const sorted = [...blocks].sort((a, b) => a.first - b.first || b.last - a.last || a.order - b.order);
  const pairs: Array<[Block, Block]> = [];
  let widest: Block | undefined;
  for (const block of sorted) {
    if (widest !== undefined && block.first <= widest.last) {
      pairs.push(widest.order < block.order ? [widest, block] : [block, widest]);
    }
    if (widest === undefined || block.last > widest.last) widest = block;
  }
  return pairs.sort((a, b) => a[1].order - b[1].order);
}

/**
 * Warns that shared-networks is ignored and lists the subnets inside it, which the server does
 * not serve: "its 2 subnets 10.0.0.0/8 (id 1), 192.0.2.0/24 (id 2) are not served".
 */
export function warnSharedNetworks(issues: Issues, dhcp4: JsonObject, path: string): void {
  const networks = readArray(issues, dhcp4, 'shared-networks', path);
  if (networks === undefined) return;

  const names: string[] = [];
  for (const network of networks) {
    if (!isObject(network) || !Array.isArray(network.subnet4)) continue;
    for (const subnet of network.subnet4) names.push(describeSubnet(subnet));
  }
  const where = `${path}.shared-networks`;
  if (names.length === 0) {
    issues.warning(where, 'not supported yet, ignored');
    return;
  }
  const listed = names.slice(0, MAX_LISTED_SUBNETS).join(', ');
  const more = names.length > MAX_LISTED_SUBNETS ? ` and ${names.length - MAX_LISTED_SUBNETS} more` : '';
  const subject = names.length === 1 ? `its 1 subnet ${listed} is` : `its ${names.length} subnets ${listed}${more} are`;
  issues.warning(where, `not supported yet, ignored; ${subject} not served`);
}

/** Warns when no subnet is configured at all; a subnet left out because of an error is reported by that error. */
export function warnNoSubnet(issues: Issues, dhcp4: JsonObject, path: string): void {
  const list = dhcp4.subnet4;
  if (list === undefined || (Array.isArray(list) && list.length === 0)) {
    issues.warning(`${path}.subnet4`, 'no subnet is configured, so the server answers no client');
  }
}

/** "10.0.0.0/8 (id 1)" for one subnet4 entry of a shared network, read without validating it. */
function describeSubnet(entry: unknown): string {
  const prefix = isObject(entry) && typeof entry.subnet === 'string' ? entry.subnet : '(no prefix)';
  const id = isObject(entry) && typeof entry.id === 'number' ? `id ${entry.id}` : 'no id';
  return `${prefix} (${id})`;
}
