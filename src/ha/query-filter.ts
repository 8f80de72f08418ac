// HA scopes as Kea 2.2 defines them: a scope is a peer name, a query belongs to exactly one
// scope, and a server replies only to queries of the scopes it serves in its current state. The
// RFC 3074 bucket of each query (0-255, or BUCKET_NO_KEY when the query has no client identifier
// and no hardware address) comes from src/io with the packet batch. In load-balancing the bucket
// mod 2 picks the primary (0) or the secondary (1). In hot-standby and passive-backup every
// query belongs to the primary. Queries are tagged with the class HA_<scope> so that pools split
// by client class match Kea's.
// NOTE: Kea filters only DISCOVER, REQUEST, DECLINE, RELEASE and INFORM. Other message types
// belong to the primary's scope and every server accepts them, so the caller must not apply
// isInScope to them.

import { BUCKET_NO_KEY } from '../io/batch.js';
import type { HaConfig, HaState } from './types.js';

const NO_SCOPES: readonly string[] = Object.freeze([]);

/** Returns the scope (peer name) of a query with this bucket, or undefined when it has no key. */
export function scopeOfBucket(bucket: number, config: HaConfig): string | undefined {
  if (bucket === BUCKET_NO_KEY) return undefined;
  if (config.mode !== 'load-balancing' || bucket % 2 === 0) return config.primary.name;
  return config.secondary!.name;
}

/** Returns the client class that marks queries of a scope: HA_<peer name>. */
export function haClassName(scope: string): string {
  return `HA_${scope}`;
}

/** Returns true when a query with this bucket belongs to one of the served scopes. */
export function isInScope(bucket: number, served: readonly string[], config: HaConfig): boolean {
  const scope = scopeOfBucket(bucket, config);
  return scope !== undefined && served.includes(scope);
}

export interface ServedScopesOptions {
  /**
   * True when partner-down was entered from partner-in-maintenance. Kea then serves the failover
   * scopes even when this server's auto-failover is false.
   */
  isAfterMaintenance?: boolean;
}

/** Returns the scopes this server serves in a state, following Kea 2.2's state handlers. */
export function servedScopes(state: HaState, config: HaConfig, options: ServedScopesOptions = {}): readonly string[] {
  if (config.thisServer.role === 'backup') return NO_SCOPES;

  switch (state) {
    case 'load-balancing':
    case 'hot-standby':
    case 'communication-recovery':
    case 'passive-backup':
    case 'terminated':
      return normalScopes(config);
    case 'partner-down':
      if (!config.thisServer.autoFailover && options.isAfterMaintenance !== true) return normalScopes(config);
      return failoverScopes(config);
    case 'partner-in-maintenance':
      return failoverScopes(config);
    case 'waiting':
    case 'syncing':
    case 'ready':
    case 'in-maintenance':
    case 'backup':
    case 'unavailable':
      return NO_SCOPES;
  }
}

// Scopes in the normal state: in load-balancing each active server serves its own scope. In
// hot-standby and passive-backup the primary serves the only scope and the standby serves none.
// Only a passive-backup primary ever reaches the passive-backup state.
function normalScopes(config: HaConfig): readonly string[] {
  const self = config.thisServer;
  if (config.mode === 'load-balancing' || self.role === 'primary') return Object.freeze([self.name]);
  return NO_SCOPES;
}

// Scopes when the partner is down or in maintenance: every active server's scope.
function failoverScopes(config: HaConfig): readonly string[] {
  if (config.mode === 'load-balancing') return Object.freeze([config.primary.name, config.secondary!.name]);
  return Object.freeze([config.primary.name]);
}
