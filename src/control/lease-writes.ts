// Lease-changing commands: lease4-add, lease4-update, lease4-del, lease4-wipe (Kea's lease_cmds
// hook library) and leases-reclaim (built into kea-dhcp4). Every change runs inside
// LeaseStore.transact, so the check and the write are atomic against the worker threads, and the
// reply is sent only after the commit. Rules and texts follow Kea 2.2: adding over an existing
// lease is result 1, updating a missing lease needs `force-create`, deleting a missing lease is
// result 3. Not handled: `user-context` and `comment` are checked and dropped (Lease4 has no field
// for them), and `update-ddns` has no effect because nestor sends no DNS updates.

import type { Logger } from 'pino';

import type { ServerConfig } from '../config/types.js';
import { formatIpv4, leaseFromKeaJson } from '../leases/lease-json.js';
import { LeaseState } from '../leases/types.js';
import type { Lease4, LeaseStore } from '../leases/types.js';
import { logMessage } from '../log/logger.js';
import { CommandArgumentError, RESULT_EMPTY, RESULT_ERROR, RESULT_SUCCESS, answer } from './answer.js';
import type { ControlAnswer } from './answer.js';
import { checkKnownKeys, isUint32, readBoolean, requireArgs } from './args.js';
import type { Args } from './args.js';
import type { CommandTable } from './commands.js';
import { IDENTIFIER_KEYS, LEASE_KEYS, LEASE_TOLERATED_KEYS, findNamedLease, readAddress, subnetForLease } from './lease-args.js';
import { forEachLease } from './lease-queries.js';

/** Leases removed or reclaimed per write transaction by lease4-wipe and leases-reclaim. */
const WRITE_BATCH = 1000;

export interface LeaseWriteContext {
  config: ServerConfig;
  store: LeaseStore;
  log: Logger;
  /** The clock in Unix seconds; tests replace it. */
  nowSec: () => number;
}

/** Adds lease4-add, lease4-update, lease4-del, lease4-wipe and leases-reclaim. */
export function registerLeaseWrites(table: CommandTable, ctx: LeaseWriteContext): void {
  table.register('lease4-add', (args) => addLease(ctx, args));
  table.register('lease4-update', (args) => updateLease(ctx, args));
  table.register('lease4-del', (args) => deleteLease(ctx, args));
  table.register('lease4-wipe', (args) => wipeLeases(ctx, args));
  table.register('leases-reclaim', (args) => reclaimLeases(ctx, args));
}

function addLease(ctx: LeaseWriteContext, args: Args | undefined): ControlAnswer {
  const given = requireArgs(args, 'no parameters specified for the command');
  checkKnownKeys('lease4-add', given, LEASE_KEYS, LEASE_TOLERATED_KEYS);
  const lease = readLease(ctx, given);

  const isAdded = ctx.store.transact((tx) => {
    if (tx.get(lease.address) !== undefined) return false;
    tx.put(lease);
    return true;
  });
  if (!isAdded) return answer(RESULT_ERROR, 'IPv4 lease already exists.');

  logLeaseChange(ctx.log, 'lease4-add', lease.address);
  return answer(RESULT_SUCCESS, `Lease for address ${formatIpv4(lease.address)}, subnet-id ${lease.subnetId} added.`);
}

/** Overwrites the lease at the address; creates it only with `force-create: true`. */
function updateLease(ctx: LeaseWriteContext, args: Args | undefined): ControlAnswer {
  const given = requireArgs(args, 'no parameters specified for lease4-update command');
  checkKnownKeys('lease4-update', given, [...LEASE_KEYS, 'force-create'], LEASE_TOLERATED_KEYS);
  const shouldCreate = readBoolean('lease4-update', given, 'force-create') ?? false;
  const lease = readLease(ctx, given);

  const outcome = ctx.store.transact((tx) => {
    const exists = tx.get(lease.address) !== undefined;
    if (!exists && !shouldCreate) return 'missing';
    tx.put(lease);
    return exists ? 'updated' : 'added';
  });
  if (outcome === 'missing') {
    return answer(RESULT_ERROR, `failed to update the lease with address ${formatIpv4(lease.address)} either because the lease has been deleted or it has changed in the database, in both cases a retry might succeed`);
  }

  logLeaseChange(ctx.log, 'lease4-update', lease.address);
  return answer(RESULT_SUCCESS, outcome === 'added' ? 'IPv4 lease added.' : 'IPv4 lease updated.');
}

/** Deletes the lease named by `ip-address` (other lease fields are ignored) or by an identifier. */
function deleteLease(ctx: LeaseWriteContext, args: Args | undefined): ControlAnswer {
  const given = requireArgs(args, 'no parameters specified for the command');
  checkKnownKeys('lease4-del', given, [...LEASE_KEYS, ...IDENTIFIER_KEYS, 'update-ddns'], LEASE_TOLERATED_KEYS);
  readBoolean('lease4-del', given, 'update-ddns');

  const deleted = ctx.store.transact((tx) => {
    const lease = findNamedLease(tx, given);
    if (lease === undefined) return undefined;
    tx.remove(lease.address);
    return lease.address;
  });
  if (deleted === undefined) return answer(RESULT_EMPTY, 'IPv4 lease not found.');

  logLeaseChange(ctx.log, 'lease4-del', deleted);
  return answer(RESULT_SUCCESS, 'IPv4 lease deleted.');
}

/**
 * Deletes the leases of one subnet, or every lease when `subnet-id` is absent. Unlike Kea, which
 * wipes only configured subnets, this also removes leases of subnets no longer configured.
 */
function wipeLeases(ctx: LeaseWriteContext, args: Args | undefined): ControlAnswer {
  checkKnownKeys('lease4-wipe', args, ['subnet-id']);
  const subnetId = args?.['subnet-id'];
  if (subnetId !== undefined && !isUint32(subnetId)) throw new CommandArgumentError("'subnet-id' parameter is not integer.");

  const matches = (lease: Lease4): boolean => subnetId === undefined || lease.subnetId === subnetId;
  const addresses: number[] = [];
  forEachLease(ctx.store, (lease) => {
    if (matches(lease)) addresses.push(lease.address);
  });

  let count = 0;
  for (let i = 0; i < addresses.length; i += WRITE_BATCH) {
    const batch = addresses.slice(i, i + WRITE_BATCH);
    count += ctx.store.transact((tx) => {
      let removed = 0;
      for (const address of batch) {
        const lease = tx.get(address);
        if (lease !== undefined && matches(lease) && tx.remove(address)) removed++;
      }
      return removed;
    });
  }

  const ids = subnetId === undefined ? ctx.config.subnets.map((s) => s.id) : [subnetId];
  if (count > 0) logMessage(ctx.log, 'CONTROL_LEASES_WIPED', { subnet: subnetId ?? 'all', count });
  const text = `Deleted ${count} IPv4 lease(s) from subnet(s)${ids.map((id) => ` ${id}`).join('')}`;
  return answer(count > 0 ? RESULT_SUCCESS : RESULT_EMPTY, text);
}

/**
 * Reclaims every expired lease now, without the periodic job's limits: with `remove: true` the
 * leases are deleted, otherwise they stay in the expired-reclaimed state for lease affinity.
 */
function reclaimLeases(ctx: LeaseWriteContext, args: Args | undefined): ControlAnswer {
  if (args === undefined || args['remove'] === undefined) throw new CommandArgumentError("Missing mandatory 'remove' parameter.");
  checkKnownKeys('leases-reclaim', args, ['remove']);
  if (typeof args['remove'] !== 'boolean') throw new CommandArgumentError("'remove' parameter expected to be a boolean.");
  const shouldRemove = args['remove'];

  const nowSec = ctx.nowSec();
  let count = 0;
  for (;;) {
    const expired = ctx.store.expiredBefore(nowSec, WRITE_BATCH);
    if (expired.length === 0) break;
    const changed = ctx.store.transact((tx) => {
      let changed = 0;
      for (const candidate of expired) {
        const lease = tx.get(candidate.address);
        if (lease === undefined || lease.state === LeaseState.EXPIRED_RECLAIMED) continue;
        if (lease.validLifetime === 0xffffffff || lease.cltt + lease.validLifetime >= nowSec) continue;
        if (shouldRemove) tx.remove(lease.address);
        else tx.put({ ...lease, state: LeaseState.EXPIRED_RECLAIMED });
        changed++;
      }
      return changed;
    });
    count += changed;
    if (changed === 0) break;
  }

  if (count > 0) logMessage(ctx.log, 'CONTROL_LEASES_RECLAIMED', { count, remove: shouldRemove });
  return answer(RESULT_SUCCESS, 'Reclamation of expired leases is complete.');
}

/** Parses the lease of lease4-add and lease4-update, with the subnet resolved and its valid lifetime as default; throws CommandArgumentError. */
export function readLease(ctx: LeaseWriteContext, args: Args): Lease4 {
  const address = readAddress(args);
  const subnet = subnetForLease(ctx.config, args, address);

  const context = args['user-context'];
  if (context !== undefined && (typeof context !== 'object' || context === null || Array.isArray(context))) {
    throw new CommandArgumentError(`Invalid user context '${JSON.stringify(context)}' is not a JSON map.`);
  }
  if (args['comment'] !== undefined && typeof args['comment'] !== 'string') throw new CommandArgumentError("'comment' must be a string");

  const lease = leaseFromKeaJson(args, { nowSec: ctx.nowSec(), defaultValidLifetime: subnet.validLifetime });
  if (typeof lease === 'string') throw new CommandArgumentError(lease);
  lease.subnetId = subnet.id;
  return lease;
}

function logLeaseChange(log: Logger, command: string, address: number): void {
  logMessage(log, 'CONTROL_LEASE_CHANGED', { command, ip: formatIpv4(address) });
}
