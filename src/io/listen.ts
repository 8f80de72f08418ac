// Resolves the configured interfaces-config entries to the interfaces nestor listens on: name,
// kernel index and the IPv4 address that serves as server identifier and reply source there.

import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';

import { ipToString, parseIp } from '../codec/addr.js';
import type { InterfaceConfig } from '../config/types.js';
import { nestorError } from '../errors.js';

export interface ListenInterface {
  name: string;
  ifindex: number;
  address: number;
}

/** Map each configured interface to a ListenInterface; '*' means every non-loopback interface with IPv4. */
export function resolveListenInterfaces(configured: readonly InterfaceConfig[]): ListenInterface[] {
  const system = networkInterfaces();
  const result: ListenInterface[] = [];
  const names = configured.some((c) => c.name === '*')
    ? Object.keys(system).filter((n) => (system[n] ?? []).some((a) => a.family === 'IPv4' && !a.internal))
    : [];

  for (const c of configured) {
    if (c.name === '*') continue;
    result.push(resolveOne(c, system));
  }
  for (const name of names) {
    if (result.some((r) => r.name === name)) continue;
    result.push(resolveOne({ name, address: undefined }, system));
  }
  return result;
}

function resolveOne(c: InterfaceConfig, system: ReturnType<typeof networkInterfaces>): ListenInterface {
  const entries = system[c.name];
  const ifindex = readIfindex(c.name);
  if (ifindex === undefined) {
    throw nestorError('IFACE_NOT_FOUND', `interfaces-config: interface '${c.name}' not found on this host; ` +
      `list the interfaces with 'ip -br link' and fix Dhcp4.interfaces-config.interfaces`);
  }
  const v4 = (entries ?? []).filter((a) => a.family === 'IPv4').map((a) => parseIp(a.address) ?? 0).filter((a) => a !== 0);
  if (c.address !== undefined) {
    if (!v4.includes(c.address)) {
      throw nestorError('IFACE_NO_ADDRESS', `interfaces-config: interface '${c.name}' has no address ` +
        `'${ipToString(c.address)}'; add it to the interface or change the '${c.name}/${ipToString(c.address)}' entry`);
    }
    return { name: c.name, ifindex, address: c.address };
  }
  if (v4.length === 0) {
    throw nestorError('IFACE_NO_ADDRESS', `interfaces-config: interface '${c.name}' has no IPv4 address; ` +
      `assign one (the server identifier comes from it) or remove the interface from the configuration`);
  }
  return { name: c.name, ifindex, address: v4[0] };
}

function readIfindex(name: string): number | undefined {
  if (!/^[\w.:@-]{1,15}$/.test(name)) return undefined;
  try {
    const index = Number.parseInt(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8'), 10);
    return Number.isFinite(index) ? index : undefined;
  } catch {
    return undefined;
  }
}
