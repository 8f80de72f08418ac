// Splits the address pools of a load-balancing pair between the primary and the secondary when
// the configuration does not do it with HA_<name> client classes (the published Kea walkthrough
// configurations do not). Without a split both servers would allocate from the same range and
// could lease one address to two clients. The split depends only on the pools and the two peer
// names, never on this-server-name, so both peers compute the same one from the same file.
//
// Rule: each pool without a client class is cut in two. The primary gets the first half, rounded
// up, and the secondary gets the rest. A single-address pool therefore goes to the primary alone,
// and the secondary's clients find no address in it. Pools that already have a client class
// (HA_<name> or any other) are kept as they are. In partner-down the surviving server serves both
// scopes and tags each query with its scope's class, so it still allocates from both halves.

import { formatIpv4 } from '../codec/options/index.js';
import type { PoolConfig, SubnetConfig } from '../config/types.js';
import { haClassName } from './query-filter.js';
import type { HaConfig } from './types.js';

export interface SubnetPoolSplit {
  subnetId: number;
  pools: readonly PoolConfig[];
  /** True when at least one pool of the subnet was split. */
  isChanged: boolean;
}

export interface PoolSplitResult {
  subnets: readonly SubnetPoolSplit[];
  /** One line per split pool, for the log line that announces the split; empty when nothing changed. */
  description: string;
}

/**
 * Computes the pool lists of every subnet for a load-balancing configuration. In other modes the
 * pools are returned unchanged, because only one server allocates at a time there.
 */
export function splitPoolsForLoadBalancing(subnets: readonly SubnetConfig[], config: HaConfig): PoolSplitResult {
  const lines: string[] = [];
  const result = subnets.map((subnet): SubnetPoolSplit => {
    if (config.mode !== 'load-balancing' || config.secondary === undefined) {
      return Object.freeze({ subnetId: subnet.id, pools: subnet.pools, isChanged: false });
    }
    const primaryClass = haClassName(config.primary.name);
    const secondaryClass = haClassName(config.secondary.name);

    const pools: PoolConfig[] = [];
    let isChanged = false;
    for (const pool of subnet.pools) {
      if (pool.clientClass !== undefined) {
        // NOTE: a pool guarded by a class other than HA_<name> stays shared by both servers, as in Kea.
        pools.push(pool);
        continue;
      }
      const halves = splitPool(pool, primaryClass, secondaryClass);
      pools.push(...halves);
      isChanged = true;
      lines.push(describeSplit(subnet.id, pool, halves));
    }
    return Object.freeze({ subnetId: subnet.id, pools: Object.freeze(pools), isChanged });
  });
  return Object.freeze({ subnets: Object.freeze(result), description: lines.join('\n') });
}

/** Cuts one pool in two: the first half (rounded up) for the primary class, the rest for the secondary. */
export function splitPool(pool: PoolConfig, primaryClass: string, secondaryClass: string): PoolConfig[] {
  const size = pool.last - pool.first + 1;
  const primaryLast = (pool.first + Math.ceil(size / 2) - 1) >>> 0;
  const halves: PoolConfig[] = [Object.freeze({ ...pool, last: primaryLast, clientClass: primaryClass })];
  if (primaryLast < pool.last) {
    halves.push(Object.freeze({ ...pool, first: (primaryLast + 1) >>> 0, clientClass: secondaryClass }));
  }
  return halves;
}

function formatRange(pool: PoolConfig): string {
  return `${formatIpv4(pool.first)} - ${formatIpv4(pool.last)}`;
}

function describeSplit(subnetId: number, pool: PoolConfig, halves: readonly PoolConfig[]): string {
  const prefix = `subnet ${subnetId}: pool ${formatRange(pool)}`;
  if (halves.length === 1) return `${prefix} has one address, kept for ${halves[0]!.clientClass} only`;
  return `${prefix} split into ${halves.map(describeHalf).join(' and ')}`;
}

function describeHalf(pool: PoolConfig): string {
  return `${formatRange(pool)} (${pool.clientClass})`;
}
