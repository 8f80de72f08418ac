// Network interface lookup by index (as IP_PKTINFO reports it) and by name. Names and indexes come
// from /sys/class/net/<name>/ifindex, IPv4 addresses from os.networkInterfaces(). The table is read
// once and kept until refresh(), so call refresh() after interfaces change.

import { readdirSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';

import { ipToString, parseIp } from '../codec/addr.js';

const SYS_CLASS_NET = '/sys/class/net';

export interface InterfaceInfo {
  name: string;
  /** IPv4 addresses in host byte order, in the order the system lists them. */
  addresses: number[];
}

/** A cached interface table; refresh() rereads it. */
export class InterfaceTable {
  private byIndex = new Map<number, InterfaceInfo>();
  private byName = new Map<string, InterfaceInfo & { index: number }>();
  private isLoaded = false;

  constructor(private readonly sysClassNet: string = SYS_CLASS_NET) {}

  /** Rereads the interface names, indexes and addresses from the system. */
  refresh(): void {
    const addressesByName = readIpv4Addresses();
    this.byIndex = new Map();
    this.byName = new Map();
    for (const name of listInterfaceNames(this.sysClassNet)) {
      const index = readInterfaceIndex(this.sysClassNet, name);
      if (index === undefined) continue;
      const info = { name, addresses: addressesByName.get(name) ?? [] };
      this.byIndex.set(index, info);
      this.byName.set(name, { ...info, index });
    }
    this.isLoaded = true;
  }

  interfaceByIndex(ifindex: number): InterfaceInfo | undefined {
    this.loadOnce();
    return this.byIndex.get(ifindex);
  }

  /** Returns the interface called name with its index, or undefined when there is none. */
  interfaceByName(name: string): (InterfaceInfo & { index: number }) | undefined {
    this.loadOnce();
    return this.byName.get(name);
  }

  private loadOnce(): void {
    if (!this.isLoaded) this.refresh();
  }
}

const systemTable = new InterfaceTable();

/** Looks up an interface by index in the process-wide table. */
export function interfaceByIndex(ifindex: number): InterfaceInfo | undefined {
  return systemTable.interfaceByIndex(ifindex);
}

/** Looks up an interface by name in the process-wide table. */
export function interfaceByName(name: string): (InterfaceInfo & { index: number }) | undefined {
  return systemTable.interfaceByName(name);
}

/** Rereads the process-wide table. */
export function refreshInterfaces(): void {
  systemTable.refresh();
}

/** Converts a dotted-quad IPv4 address to an unsigned 32-bit integer in host order. */
export const parseIpv4 = parseIp;

/** Formats an unsigned 32-bit host-order IPv4 address as a dotted quad. */
export const formatIpv4 = ipToString;

function listInterfaceNames(sysClassNet: string): string[] {
  try {
    return readdirSync(sysClassNet);
  } catch {
    return []; // no sysfs (e.g. a minimal container): the table stays empty
  }
}

function readInterfaceIndex(sysClassNet: string, name: string): number | undefined {
  try {
    const index = Number.parseInt(readFileSync(join(sysClassNet, name, 'ifindex'), 'utf8'), 10);
    return Number.isInteger(index) && index > 0 ? index : undefined;
  } catch {
    return undefined; // the interface vanished between readdir and read
  }
}

function readIpv4Addresses(): Map<string, number[]> {
  const result = new Map<string, number[]>();
  for (const [name, entries] of Object.entries(networkInterfaces())) {
    const addresses: number[] = [];
    for (const entry of entries ?? []) {
      if (entry.family !== 'IPv4') continue;
      const address = parseIpv4(entry.address);
      if (address !== undefined) addresses.push(address);
    }
    result.set(name, addresses);
  }
  return result;
}
