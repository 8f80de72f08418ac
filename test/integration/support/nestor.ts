// Start `nestor serve` inside a lab namespace and read its lease database with `nestor leases list`.

import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

import type { Lab, LabProcess } from './lab.js';

export const NESTOR_BIN = resolve('bin/nestor.js');

export interface LeaseJson {
  'ip-address': string;
  'hw-address': string;
  'client-id'?: string;
  'subnet-id': number;
  'valid-lft': number;
  cltt: number;
  state: number;
  hostname: string;
}

/** Write config as JSON into the lab folder and return its path. */
export function writeConfig(lab: Lab, name: string, config: unknown): string {
  const path = lab.path(name);
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/** Start the server in ns and wait until it logs SERVER_STARTED. */
export async function startNestor(lab: Lab, ns: string, configPath: string, extra: string[] = []): Promise<LabProcess> {
  const server = lab.spawn(ns, process.execPath, [NESTOR_BIN, 'serve', '-c', configPath, ...extra]);
  await server.waitFor(/"msgId":"SERVER_STARTED"/, 20_000);
  return server;
}

/** The leases in the database named by configPath, as `nestor leases list --json` prints them. */
export function listLeases(lab: Lab, ns: string, configPath: string): LeaseJson[] {
  return JSON.parse(lab.exec(ns, process.execPath, [NESTOR_BIN, 'leases', 'list', '-c', configPath, '--json'])) as LeaseJson[];
}
