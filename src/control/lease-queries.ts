// Read-only lease commands of Kea's lease_cmds hook library: lease4-get, lease4-get-all and
// lease4-get-page. Replies carry leases in Kea's lease JSON (with `cltt`) and the result texts of
// Kea 2.2; an empty result is result 3, which Kea's HA treats as success.

import { leaseToKeaJson, parseIpv4 } from '../leases/lease-json.js';
import type { Lease4, LeaseStore } from '../leases/types.js';
import { CommandArgumentError, RESULT_EMPTY, RESULT_SUCCESS, answer } from './answer.js';
import type { ControlAnswer } from './answer.js';
import { checkKnownKeys, isUint32, requireArgs } from './args.js';
import type { Args } from './args.js';
import type { CommandTable } from './commands.js';
import { IDENTIFIER_KEYS, findNamedLease } from './lease-args.js';

/** Leases read from the store per call while lease4-get-all walks it. */
const SCAN_PAGE = 10_000;

/** Adds lease4-get, lease4-get-all and lease4-get-page, reading from store. */
export function registerLeaseQueries(table: CommandTable, store: LeaseStore): void {
  table.register('lease4-get', (args) => getLease(store, args));
  table.register('lease4-get-all', (args) => getAllLeases(store, args));
  table.register('lease4-get-page', (args) => getLeasePage(store, args));
}

function getLease(store: LeaseStore, args: Args | undefined): ControlAnswer {
  const given = requireArgs(args, 'Parameters missing or are not a map.');
  checkKnownKeys('lease4-get', given, ['ip-address', ...IDENTIFIER_KEYS]);

  const lease = findNamedLease(store, given);
  if (lease === undefined) return answer(RESULT_EMPTY, 'Lease not found.');
  return answer(RESULT_SUCCESS, 'IPv4 lease found.', leaseToKeaJson(lease));
}

/** Returns all leases, or those of the subnets listed in `subnets` (in list order, each in address order). */
function getAllLeases(store: LeaseStore, args: Args | undefined): ControlAnswer {
  checkKnownKeys('lease4-get-all', args, ['subnets']);
  const subnetIds = args === undefined ? undefined : readSubnetList(args);

  const leases: Lease4[] = [];
  const bySubnet = new Map<number, Lease4[]>(subnetIds?.map((id) => [id, []]));
  forEachLease(store, (lease) => {
    if (subnetIds === undefined) leases.push(lease);
    else bySubnet.get(lease.subnetId)?.push(lease);
  });
  for (const group of bySubnet.values()) leases.push(...group);

  return leaseListAnswer(leases, false);
}

function readSubnetList(args: Args): number[] {
  const list = args['subnets'];
  if (list === undefined) throw new CommandArgumentError("'subnets' parameter not specified");
  if (!Array.isArray(list)) throw new CommandArgumentError("'subnets' parameter must be a list");
  if (!list.every(isUint32)) throw new CommandArgumentError('listed subnet identifiers must be numbers');
  return [...new Set(list as number[])];
}

/** Leases in address order strictly after `from` ("start" or an address), at most `limit`. */
function getLeasePage(store: LeaseStore, args: Args | undefined): ControlAnswer {
  const given = requireArgs(args, 'no parameters specified for the lease4-get-page command');
  checkKnownKeys('lease4-get-page', given, ['from', 'limit']);

  const from = given['from'];
  if (from === undefined) throw new CommandArgumentError("'from' parameter not specified");
  if (typeof from !== 'string') throw new CommandArgumentError("'from' parameter must be a string");
  const after = from === 'start' ? -1 : parseIpv4(from);
  if (after === undefined) throw new CommandArgumentError("'from' parameter value is neither 'start' keyword nor a valid IPv4 address");

  const limit = given['limit'];
  if (limit === undefined) throw new CommandArgumentError("'limit' parameter not specified");
  if (typeof limit !== 'number' || !Number.isInteger(limit)) throw new CommandArgumentError("'limit' parameter must be a number");
  if (limit === 0) throw new CommandArgumentError('page size of retrieved leases must not be 0');
  if (!isUint32(limit)) throw new CommandArgumentError('page size of retrieved leases must not be greater than 4294967295');

  return leaseListAnswer(store.page(after, limit), true);
}

/** Kea's reply to the list commands: result 3 for none; lease4-get-page adds `count`. */
function leaseListAnswer(leases: Lease4[], withCount: boolean): ControlAnswer {
  const json = leases.map(leaseToKeaJson);
  const args = withCount ? { count: json.length, leases: json } : { leases: json };
  return answer(json.length === 0 ? RESULT_EMPTY : RESULT_SUCCESS, `${json.length} IPv4 lease(s) found.`, args);
}

/** Calls fn for every lease in address order, reading the store page by page. */
export function forEachLease(store: LeaseStore, fn: (lease: Lease4) => void): void {
  let after = -1;
  for (;;) {
    const page = store.page(after, SCAN_PAGE);
    for (const lease of page) fn(lease);
    if (page.length < SCAN_PAGE) return;
    after = (page[page.length - 1] as Lease4).address;
  }
}
