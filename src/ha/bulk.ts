// lease4-bulk-update: the batched lease-update exchange between two nestor peers. Kea sends one
// lease4-update or lease4-del per lease; a nestor peer sends all changes of one committed batch in
// one request, the receiver applies them in one LMDB transaction (one fsync) and answers with one
// result per change, in order. Kea has no such command for DHCPv4 (it answers result 2), so a
// sender first checks the partner's list-commands and keeps Kea's per-lease commands otherwise.
//
// Request:  { "command": "lease4-bulk-update", "arguments": { "leases": [
//              { "operation": "update", <lease4-update arguments> },
//              { "operation": "delete", "ip-address": "198.18.0.10" } ] } }
// Answer:   { "result": 0, "text": "2 IPv4 lease change(s) applied, 0 failed.",
//             "arguments": { "results": [ { "result": 0 }, { "result": 3, "text": "IPv4 lease not found." } ] } }
// Each per-change result uses the codes of lease4-update and lease4-del: 0 done, 3 (delete) not
// found, 1 rejected with a text naming the problem. The command's own result is 1 only when the
// request as a whole is malformed; then nothing is applied.

import { CommandArgumentError, RESULT_EMPTY, RESULT_ERROR, RESULT_SUCCESS, answer } from '../control/answer.js';
import type { ControlAnswer } from '../control/answer.js';
import { checkKnownKeys, describe, requireArgs } from '../control/args.js';
import type { Args } from '../control/args.js';
import type { CommandTable } from '../control/commands.js';
import { LEASE_KEYS, LEASE_TOLERATED_KEYS, readAddress, subnetForLease } from '../control/lease-args.js';
import { readLease } from '../control/lease-writes.js';
import type { LeaseWriteContext } from '../control/lease-writes.js';
import type { LeaseChange } from '../engine/types.js';
import type { CommitGroup } from '../leases/commit-group.js';
import type { Lease4, LeaseWriter } from '../leases/types.js';
import type { StreamChange } from './lease-stream.js';
import { leaseChangeCommand } from './lease-sync.js';

export const BULK_UPDATE_COMMAND = 'lease4-bulk-update';
/** Most changes one request may carry; a sender splits larger batches. */
export const MAX_BULK_CHANGES = 2000;

export interface BulkResult {
  result: number;
  text?: string;
}

type Planned = { kind: 'update'; lease: Lease4 } | { kind: 'delete'; address: number } | { kind: 'invalid'; text: string };

/**
 * Adds lease4-bulk-update to the table. With `commits`, the changes join the server's next group
 * commit, which its own batches share, and the response is sent after that commit.
 */
export function registerBulkUpdate(table: CommandTable, ctx: LeaseWriteContext, commits?: CommitGroup): void {
  table.register(BULK_UPDATE_COMMAND, (args) => applyBulk(ctx, args, commits));
}

/** Builds the arguments of one lease4-bulk-update request from committed changes. */
export function bulkArguments(changes: readonly LeaseChange[]): Record<string, unknown> {
  return {
    leases: changes.map((change) => {
      const { command, args } = leaseChangeCommand(change);
      delete args['force-create'];
      return { operation: command === 'lease4-del' ? 'delete' : 'update', ...args };
    }),
  };
}

/** Reads the per-change results of a response, or returns a string that says why the response is unusable. */
export function readBulkResults(reply: { result: number; text?: string; arguments?: unknown }, expected: number): BulkResult[] | string {
  if (reply.result !== RESULT_SUCCESS) return `result ${reply.result}: ${reply.text ?? ''}`;
  const args = reply.arguments as Record<string, unknown> | undefined;
  const results = args?.['results'];
  if (!Array.isArray(results) || results.length !== expected) return `expected ${expected} results, got ${describe(results)}`;
  const out: BulkResult[] = [];
  for (const entry of results as unknown[]) {
    const result = (entry as Record<string, unknown> | null)?.['result'];
    if (typeof result !== 'number') return `a result entry is not a map with an integer result: ${describe(entry)}`;
    const text = (entry as Record<string, unknown>)['text'];
    out.push(typeof text === 'string' ? { result, text } : { result });
  }
  return out;
}

function applyBulk(ctx: LeaseWriteContext, args: Args | undefined, commits: CommitGroup | undefined): ControlAnswer | Promise<ControlAnswer> {
  const request = requireArgs(args, `no parameters specified for the ${BULK_UPDATE_COMMAND} command`);
  checkKnownKeys(BULK_UPDATE_COMMAND, request, ['leases']);
  const leases = request['leases'];
  if (!Array.isArray(leases)) throw new CommandArgumentError(`'leases' in the '${BULK_UPDATE_COMMAND}' command must be a list, not ${describe(leases)}`);
  if (leases.length > MAX_BULK_CHANGES) {
    throw new CommandArgumentError(`'leases' in the '${BULK_UPDATE_COMMAND}' command has ${leases.length} entries (expected at most ${MAX_BULK_CHANGES})`);
  }

  // Every entry is checked before the transaction, so a bad entry fails alone and the rest apply.
  const planned = (leases as unknown[]).map((entry, i) => plan(ctx, entry, i));
  return storePlanned(ctx, planned, commits).then(bulkAnswer);
}

/**
 * Stores changes that came over the lease stream, in the next group commit (or a transaction of
 * their own without `commits`), and resolves with one result per change once they are committed.
 * A lease whose subnet this server does not have fails alone, as in the JSON request.
 */
export function applyStreamChanges(ctx: LeaseWriteContext, changes: readonly StreamChange[], commits: CommitGroup | undefined): Promise<BulkResult[]> {
  const planned = changes.map((change): Planned => (change.kind === 'update' ? checkSubnet(ctx, change.lease) : change));
  return storePlanned(ctx, planned, commits);
}

/** Stores planned changes in the next group commit, or in a transaction of their own without `commits`. */
function storePlanned(ctx: LeaseWriteContext, planned: readonly Planned[], commits: CommitGroup | undefined): Promise<BulkResult[]> {
  if (commits === undefined) return Promise.resolve(ctx.store.transact((tx) => applyPlanned(tx, planned)));
  return commits.submitAsync(planned.length, (tx) => applyPlanned(tx, planned));
}

function checkSubnet(ctx: LeaseWriteContext, lease: Lease4): Planned {
  try {
    lease.subnetId = subnetForLease(ctx.config, { 'subnet-id': lease.subnetId }, lease.address).id;
    return { kind: 'update', lease };
  } catch (err) {
    return { kind: 'invalid', text: (err as Error).message };
  }
}

function applyPlanned(tx: LeaseWriter, planned: readonly Planned[]): BulkResult[] {
  return planned.map((step): BulkResult => {
    switch (step.kind) {
      case 'invalid':
        return { result: RESULT_ERROR, text: step.text };
      case 'delete':
        return tx.remove(step.address) ? { result: RESULT_SUCCESS } : { result: RESULT_EMPTY, text: 'IPv4 lease not found.' };
      case 'update':
        tx.put(step.lease);
        return { result: RESULT_SUCCESS };
    }
  });
}

function bulkAnswer(results: BulkResult[]): ControlAnswer {
  const failed = results.filter((r) => r.result === RESULT_ERROR).length;
  return answer(RESULT_SUCCESS, `${results.length - failed} IPv4 lease change(s) applied, ${failed} failed.`, { results });
}

function plan(ctx: LeaseWriteContext, entry: unknown, index: number): Planned {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    return { kind: 'invalid', text: `leases[${index}]: expected a map, not ${describe(entry)}` };
  }
  const { operation, ...rest } = entry as Record<string, unknown>;
  try {
    if (operation === 'delete') return { kind: 'delete', address: readAddress(rest) };
    if (operation !== 'update') return { kind: 'invalid', text: `leases[${index}].operation: ${describe(operation)} is not 'update' or 'delete'` };
    checkKnownKeys(BULK_UPDATE_COMMAND, rest, LEASE_KEYS, LEASE_TOLERATED_KEYS);
    return { kind: 'update', lease: readLease(ctx, rest) };
  } catch (err) {
    return { kind: 'invalid', text: `leases[${index}]: ${(err as Error).message}` };
  }
}
