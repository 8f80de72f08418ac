// Lease data as it travels between HA peers: the arguments of the lease4-update and lease4-del
// commands a server sends after each committed change (Kea's lease JSON with `expire` in place of
// `cltt`), and the merge of one lease4-get-page page into the local store during a sync (add what
// is missing, overwrite what the partner saw later, keep everything else).

import type { LeaseChange } from '../engine/types.js';
import { leaseFromKeaJson, leaseToKeaJson } from '../leases/lease-json.js';
import type { LeaseStore } from '../leases/types.js';

/** Builds the command and arguments that carry one lease change to a partner, as Kea 2.2 sends them. */
export function leaseChangeCommand(change: LeaseChange): { command: 'lease4-update' | 'lease4-del'; args: Record<string, unknown> } {
  const json = leaseToKeaJson(change.lease);
  const cltt = json['cltt'] as number;
  delete json['cltt'];
  json['expire'] = cltt + change.lease.validLifetime;
  if (change.kind === 'delete') return { command: 'lease4-del', args: json };
  json['force-create'] = true;
  return { command: 'lease4-update', args: json };
}

export interface PageMergeResult {
  added: number;
  updated: number;
  /** Leases kept as they were because the local copy is as recent or newer. */
  kept: number;
  /** Entries that could not be read, with the reason of the first one. */
  invalid: number;
  firstInvalid: string | undefined;
  /** Address text of the page's last entry, the `from` of the next page; undefined for an empty page. */
  lastAddress: string | undefined;
}

/** Merges one page of leases in one transaction: a missing lease is added, a lease with a later cltt replaces the local one. */
export function mergeLeasePage(store: LeaseStore, leases: readonly unknown[]): PageMergeResult {
  const result: PageMergeResult = { added: 0, updated: 0, kept: 0, invalid: 0, firstInvalid: undefined, lastAddress: undefined };
  const last = leases[leases.length - 1] as Record<string, unknown> | undefined;
  if (last !== undefined && typeof last['ip-address'] === 'string') result.lastAddress = last['ip-address'];

  store.transact((tx) => {
    for (const entry of leases) {
      const lease = leaseFromKeaJson(entry);
      if (typeof lease === 'string') {
        result.invalid++;
        result.firstInvalid ??= lease;
        continue;
      }
      const local = tx.get(lease.address);
      if (local === undefined) {
        tx.put(lease);
        result.added++;
      } else if (local.cltt < lease.cltt) {
        tx.put(lease);
        result.updated++;
      } else {
        result.kept++;
      }
    }
  });
  return result;
}
