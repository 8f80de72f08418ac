// Reading the lease arguments of the lease4-* commands: the address or identifier that names a
// lease, and the subnet a new lease belongs to. Texts follow Kea 2.2's lease_cmds hook library so
// scripts written against Kea see the same messages.

import { parseHex } from '../codec/addr.js';
import type { ServerConfig, SubnetConfig } from '../config/types.js';
import { MAX_CLIENT_ID_BYTES, MAX_HW_ADDRESS_BYTES, formatIpv4, parseIpv4 } from '../leases/lease-json.js';
import type { Lease4, LeaseReader } from '../leases/types.js';
import { CommandArgumentError } from './answer.js';
import { describe, isUint32 } from './args.js';
import type { Args } from './args.js';

/** Keys of Kea's lease JSON that the write commands accept (lease4-add, lease4-update, lease4-del). */
export const LEASE_KEYS = [
  'ip-address', 'hw-address', 'client-id', 'subnet-id', 'valid-lft', 'expire', 'cltt', 'fqdn-fwd', 'fqdn-rev',
  'hostname', 'state', 'user-context', 'comment',
] as const;

/** Keys newer Kea versions add to lease commands (`origin` 2.4+, `pool-id` 2.4+); accepted and ignored. */
export const LEASE_TOLERATED_KEYS = ['origin', 'pool-id'] as const;

/** Keys of the identifier form that names a lease by its owner instead of its address. */
export const IDENTIFIER_KEYS = ['identifier-type', 'identifier', 'subnet-id'] as const;

/** Reads `ip-address` as a host-order address. */
export function readAddress(args: Args): number {
  const value = args['ip-address'];
  if (typeof value !== 'string') throw new CommandArgumentError("'ip-address' is not a string.");
  const address = parseIpv4(value);
  if (address === undefined) throw new CommandArgumentError(`Failed to convert string to address '${value}': Invalid argument`);
  return address;
}

/**
 * Finds the lease named by `ip-address`, or by `identifier-type` (hw-address or client-id),
 * `identifier` and `subnet-id` when there is no address. Returns undefined when no lease matches.
 */
export function findNamedLease(reader: LeaseReader, args: Args): Lease4 | undefined {
  if (args['ip-address'] !== undefined) return reader.get(readAddress(args));

  const subnetId = args['subnet-id'];
  if (subnetId === undefined) throw new CommandArgumentError("Mandatory 'subnet-id' parameter missing.");
  if (!isUint32(subnetId)) throw new CommandArgumentError("'subnet-id' parameter is not integer.");
  const type = args['identifier-type'];
  if (typeof type !== 'string') throw new CommandArgumentError("No 'ip-address' provided and 'identifier-type' is either missing or not a string.");
  const identifier = args['identifier'];
  if (typeof identifier !== 'string') throw new CommandArgumentError("No 'ip-address' provided and 'identifier' is either missing or not a string.");

  switch (type) {
    case 'hw-address':
      return reader.findByHwAddress(subnetId, readIdentifierBytes(type, identifier, MAX_HW_ADDRESS_BYTES))[0];
    case 'client-id':
      return reader.findByClientId(subnetId, readIdentifierBytes(type, identifier, MAX_CLIENT_ID_BYTES))[0];
    case 'duid':
    case 'circuit-id':
    case 'flex-id':
      throw new CommandArgumentError(`Identifier type ${type} is not supported.`);
    default:
      throw new CommandArgumentError(`Incorrect identifier type: ${type}, the only supported values are: hw-address, client-id`);
  }
}

function readIdentifierBytes(type: string, text: string, maxBytes: number): Uint8Array {
  const bytes = parseHex(text);
  if (bytes === undefined || bytes.length === 0 || bytes.length > maxBytes) {
    throw new CommandArgumentError(`invalid ${type} identifier '${text}' (expected 1 to ${maxBytes} hex bytes such as '00:0c:01:02:03:04')`);
  }
  return bytes;
}

/**
 * Picks the subnet of a lease being written: the one named by a non-zero `subnet-id`, which must
 * exist and contain the address, or else the configured subnet that contains the address.
 */
export function subnetForLease(config: ServerConfig, args: Args, address: number): SubnetConfig {
  const id = args['subnet-id'] ?? 0;
  if (!isUint32(id)) throw new CommandArgumentError(`'subnet-id' parameter is not integer: ${describe(id)}`);

  if (id !== 0) {
    const subnet = config.subnets.find((s) => s.id === id);
    if (subnet === undefined) throw new CommandArgumentError(`Invalid subnet-id: No IPv4 subnet with subnet-id=${id} currently configured.`);
    if (!subnetContains(subnet, address)) {
      throw new CommandArgumentError(`The address ${formatIpv4(address)} does not belong to subnet ${subnet.subnet}, subnet-id=${id}`);
    }
    return subnet;
  }

  const subnet = config.subnets.find((s) => subnetContains(s, address));
  if (subnet === undefined) throw new CommandArgumentError(`subnet-id not specified and failed to find a subnet for address ${formatIpv4(address)}`);
  return subnet;
}

export function subnetContains(subnet: SubnetConfig, address: number): boolean {
  return ((address & subnet.mask) >>> 0) === subnet.network;
}
