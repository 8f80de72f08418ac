// What HA changes in the DHCP engine: the pools of a load-balancing pair split between the peers
// when the configuration does not split them with HA_<name> classes, and the class HA_<scope>
// given to every query, so the engine allocates from the pools of the query's scope. The main
// thread and every worker apply the same two steps to the same configuration.

import type { RequestView } from '../codec/types.js';
import type { ServerConfig } from '../config/types.js';
import type { Ingress } from '../engine/types.js';
import { rfc3074Hash } from '../io/rfc3074.js';
import { splitPoolsForLoadBalancing } from './pool-split.js';
import { haClassName, scopeOfBucket } from './query-filter.js';
import type { HaConfig } from './types.js';

const OPT_CLIENT_IDENTIFIER = 61;
const NO_CLASSES: readonly string[] = Object.freeze([]);

/** Returns the configuration with each load-balancing pool split between the peers, and the description of the split (empty when nothing changed). */
export function applyHaPoolSplit(config: ServerConfig): { config: ServerConfig; description: string } {
  const ha = config.ha;
  if (ha === undefined || ha.mode !== 'load-balancing') return { config, description: '' };
  const split = splitPoolsForLoadBalancing(config.subnets, ha);
  if (split.description === '') return { config, description: '' };
  const subnets = config.subnets.map((subnet, i) => (split.subnets[i]!.isChanged ? Object.freeze({ ...subnet, pools: split.subnets[i]!.pools }) : subnet));
  return { config: Object.freeze({ ...config, subnets: Object.freeze(subnets) }), description: split.description };
}

/** The engine options HA sets: the classify function and how classes steer allocation. */
export interface HaEngineOptions {
  classify: (req: RequestView, ingress: Ingress) => readonly string[];
  preferFirstClass: true;
  ownedLeaseClasses: readonly string[];
}

/**
 * Returns the engine options for HA. A query gets the class HA_<scope> of its scope, computed from
 * the same key and hash as the query filter (option 61 payload, else hlen bytes of chaddr). In
 * failover (partner-down, partner-in-maintenance) every query gets this server's own class first
 * and the other active server's second: new leases then come from this server's own pools while
 * they last, so two servers that each believe the other down (a split brain) still hand out
 * different addresses, which Kea's pairs do not guarantee. A client keeps a live lease in any HA
 * pool, so the addresses given in failover survive the return to normal.
 */
export function haEngineOptions(ha: HaConfig): HaEngineOptions {
  const byScope = new Map<string, readonly string[]>(ha.peers.map((p) => [p.name, Object.freeze([haClassName(p.name)])]));
  const active = [ha.primary, ha.secondary].filter((p) => p !== undefined);
  const own = haClassName(ha.thisServerName);
  const failover = Object.freeze([own, ...active.map((p) => haClassName(p.name)).filter((c) => c !== own)]);
  return {
    classify: (req, ingress) => {
      if (ingress.isFailover && ha.mode === 'load-balancing') return failover;
      const clientId = req.option(OPT_CLIENT_IDENTIFIER);
      const key = clientId !== undefined && clientId.length > 0 ? clientId : req.chaddr();
      if (key.length === 0) return NO_CLASSES;
      const scope = scopeOfBucket(rfc3074Hash(key), ha);
      return scope === undefined ? NO_CLASSES : byScope.get(scope) ?? NO_CLASSES;
    },
    preferFirstClass: true,
    ownedLeaseClasses: Object.freeze(active.map((p) => haClassName(p.name))),
  };
}
