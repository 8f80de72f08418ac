// Resolves the configured interfaces-config entries to the interfaces nestor listens on: name,
// kernel index and the IPv4 address that serves as server identifier and reply source there.

import { networkInterfaces } from 'node:os';

import { ipToString } from '../codec/addr.js';
import type { InterfaceConfig } from '../config/types.js';
import { nestorError } from '../errors.js';
import { interfaceByName, refreshInterfaces } from './interfaces.js';

export interface ListenInterface {
  name: string;
  ifindex: number;
  address: number;
}

/** Maps each configured interface to a ListenInterface; '*' means every non-loopback interface with IPv4. */
export function resolveListenInterfaces(configured: readonly InterfaceConfig[]): ListenInterface[] {
  refreshInterfaces();
  const result: ListenInterface[] = [];
  for (const c of configured) {
    if (c.name !== '*') result.push(resolveOne(c));
  }

  if (!configured.some((c) => c.name === '*')) return result;
  const system = networkInterfaces();
  const withIpv4 = Object.keys(system).filter((n) => (system[n] ?? []).some((a) => a.family === 'IPv4' && !a.internal));
  for (const name of withIpv4) {
    if (!result.some((r) => r.name === name)) result.push(resolveOne({ name, address: undefined }));
  }
  return result;
}

function resolveOne(c: InterfaceConfig): ListenInterface {
  const found = interfaceByName(c.name);
  if (found === undefined) {
    throw nestorError('IFACE_NOT_FOUND', `interfaces-config: interface '${c.name}' not found on this host; ` +
      `list the interfaces with 'ip -br link' and fix Dhcp4.interfaces-config.interfaces`);
  }

  if (c.address !== undefined) {
    if (!found.addresses.includes(c.address)) {
      throw nestorError('IFACE_NO_ADDRESS', `interfaces-config: interface '${c.name}' has no address ` +
        `'${ipToString(c.address)}'; add it to the interface or change the '${c.name}/${ipToString(c.address)}' entry`);
    }
    return { name: c.name, ifindex: found.index, address: c.address };
  }

  const first = found.addresses.find((a) => a !== 0);
  if (first === undefined) {
    throw nestorError('IFACE_NO_ADDRESS', `interfaces-config: interface '${c.name}' has no IPv4 address; ` +
      `assign one (the server identifier comes from it) or remove the interface from the configuration`);
  }
  return { name: c.name, ifindex: found.index, address: first };
}
