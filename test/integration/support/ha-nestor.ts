// Helpers for HA tests in which both peers are nestor: configurations with short timers, start-up,
// lease listings of each peer's database, the load-balancing scope of a client MAC and the state
// path that a server logged.

import { readFileSync } from 'node:fs';

import { rfc3074Hash } from '../../../src/io/rfc3074.js';
import type { DirectClientResult, HaLab, HaPeerOptions, PrivateMount, ServerName, ServerProcess } from './ha-lab.js';
import { nestorHaConfig } from './ha-lab.js';
import { NESTOR_BIN, listLeases } from './nestor.js';

/** Timers of the pair tests: heartbeat 1 s, partner silent for 3 s counts as interrupted. */
export const SHORT_TIMERS = { heartbeatDelayMs: 1000, maxResponseDelayMs: 3000, maxAckDelayMs: 1000 } as const;

/** A nestor peer started by startNestorPeer. */
export interface NestorPeer {
  name: ServerName;
  configPath: string;
  process: ServerProcess;
}

/**
 * Builds the configuration of one nestor peer with SHORT_TIMERS, max-unacked-clients 0 unless
 * given, and `workers` worker threads (0: requests handled on the main thread).
 */
export function nestorPeerConfig(ha: HaLab, name: ServerName, workers: number, options: Partial<HaPeerOptions> = {}): { Dhcp4: Record<string, unknown> } {
  const config = nestorHaConfig({ thisServer: name, dir: ha.lab.dir, ...SHORT_TIMERS, maxUnackedClients: 0, ...options });
  config.Dhcp4['user-context'] = { nestor: { workers } };
  return config;
}

/** Starts `nestor serve` in the namespace of server name with config; the run is called nestor-NAME. */
export async function startNestorPeer(ha: HaLab, name: ServerName, config: object): Promise<NestorPeer> {
  const runName = `nestor-${name}`;
  const process = await ha.startNestor(ha.servers[name].ns, config, { name: runName });
  return { name, configPath: ha.path(`${runName}.json`), process };
}

/**
 * Starts `nestor serve -c configPath` with the file as it is, in the namespace of server name under
 * mounts, and waits until SERVER_STARTED appears in its output or in logFile (where the
 * configuration's loggers may send it).
 */
export async function startNestorFile(ha: HaLab, name: ServerName, configPath: string, mounts: readonly PrivateMount[], logFile: string): Promise<ServerProcess> {
  const server = ha.runWithPrivateMounts(ha.servers[name].ns, mounts, [process.execPath, NESTOR_BIN, 'serve', '-c', configPath], { name: `nestor-${name}` });
  await waitForText(server, logFile, /"msgId":"SERVER_STARTED"/, 20_000);
  return server;
}

/** Waits until re matches the output of server or the file at logFile; fails on exit or after timeoutMs. */
export async function waitForText(server: ServerProcess, logFile: string, re: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (re.test(server.output()) || re.test(readText(logFile))) return;
    if (!server.running) throw new Error(`${server.name} exited before ${re}; output:\n${server.output().slice(-4000)}\nlog:\n${readText(logFile).slice(-4000)}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${re} from ${server.name}; output:\n${server.output().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Returns the text of the file at path, or '' when it cannot be read. */
export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Leases of one database by address (MAC in lowercase), and the addresses listed more than once. */
export interface LeaseListing {
  macByAddress: Map<string, string>;
  repeatedAddresses: string[];
}

/** Lists the leases of the database that configPath names, with `nestor leases list` run in ns. */
export function leaseListing(ha: HaLab, ns: string, configPath: string): LeaseListing {
  const macByAddress = new Map<string, string>();
  const repeatedAddresses: string[] = [];
  for (const lease of listLeases(ha.lab, ns, configPath)) {
    if (macByAddress.has(lease['ip-address'])) repeatedAddresses.push(lease['ip-address']);
    macByAddress.set(lease['ip-address'], lease['hw-address'].toLowerCase());
  }
  return { macByAddress, repeatedAddresses };
}

/** Returns the addresses of results whose lease (same address, same MAC) the listing lacks. */
export function missingLeases(listing: LeaseListing, results: readonly DirectClientResult[]): string[] {
  return results.filter((r) => listing.macByAddress.get(r.address) !== r.mac.toLowerCase()).map((r) => `${r.address} ${r.mac}`);
}

/** Returns the MACs that hold more than one address in listing. */
export function macsWithSeveralAddresses(listing: LeaseListing): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const mac of listing.macByAddress.values()) {
    if (seen.has(mac)) repeated.add(mac);
    seen.add(mac);
  }
  return [...repeated];
}

/**
 * Returns the server whose load-balancing scope a client without client identifier belongs to:
 * RFC 3074 hash of the 6 chaddr bytes, even → primary (srv1), odd → secondary (srv2).
 */
export function scopeOfMac(mac: string): ServerName {
  const bytes = Uint8Array.from(mac.split(':').map((b) => parseInt(b, 16)));
  return rfc3074Hash(bytes) % 2 === 0 ? 'srv1' : 'srv2';
}

/** Counts results by the server identifier of their ACK ('' for clients without an ACK). */
export function countByServerId(results: readonly DirectClientResult[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of results) counts.set(r.serverId, (counts.get(r.serverId) ?? 0) + 1);
  return counts;
}

/** Returns the state path that text (server output) logged with HA_STATE_TRANSITION, such as ['waiting', 'syncing', …]. */
export function statePath(text: string): string[] {
  const path: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('"msgId":"HA_STATE_TRANSITION"')) continue;
    try {
      const entry = JSON.parse(line) as { from?: string; to?: string };
      if (path.length === 0 && entry.from !== undefined) path.push(entry.from);
      if (entry.to !== undefined && entry.to !== path[path.length - 1]) path.push(entry.to);
    } catch {
      // A line cut off by SIGKILL is not JSON.
    }
  }
  return path;
}

/** Returns the HA and error lines of text (server output), for failure messages and the report. */
export function haLines(text: string, max = 40): string {
  return text.split('\n').filter((line) => /"msgId":"HA_|"level":(40|50|60)/.test(line)).slice(-max).join('\n');
}

/** Returns one line per HA_STATE_TRANSITION in text (server output): time, from → to, partner state. */
export function transitionLines(text: string): string[] {
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('"msgId":"HA_STATE_TRANSITION"')) continue;
    try {
      const entry = JSON.parse(line) as { time?: string; from?: string; to?: string; partnerState?: string };
      lines.push(`${entry.time?.slice(11, 23)} ${entry.from} → ${entry.to} (partner ${entry.partnerState})`);
    } catch {
      lines.push(line);
    }
  }
  return lines;
}
