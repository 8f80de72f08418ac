// Builds the process's root pino logger from the configuration's `loggers` entries. Kea names several
// loggers (kea-dhcp4, kea-dhcp4.leases, ...); nestor has one output, so it uses the most verbose level
// of the entries for kea-dhcp4 and its children and the outputs of the first such entry.

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

import pino from 'pino';
import type { Logger } from 'pino';

import type { LoggerConfig } from '../config/types.js';

const LEVEL_ORDER = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/**
 * Pick the level and destination for the server from the configured loggers; stdout at info by
 * default. Worker threads pass sync: true because Piscina parks an idle worker in Atomics.wait, so
 * an asynchronous destination there would not flush until the next task, or never.
 */
export function createServerLogger(loggers: readonly LoggerConfig[], overrideLevel?: string, sync = false): Logger {
  const relevant = loggers.filter((l) => l.name === 'kea-dhcp4' || l.name.startsWith('kea-dhcp4.') || l.name === 'nestor');
  const level = overrideLevel ?? mostVerbose(relevant.map((l) => l.level)) ?? 'info';
  const output = relevant[0]?.outputs[0] ?? 'stdout';
  return pino({ level, base: { name: 'nestor' }, timestamp: pino.stdTimeFunctions.isoTime }, destinationFor(output, sync));
}

function mostVerbose(levels: readonly string[]): string | undefined {
  let best: number | undefined;
  for (const level of levels) {
    const rank = LEVEL_ORDER.indexOf(level as (typeof LEVEL_ORDER)[number]);
    if (rank >= 0 && (best === undefined || rank < best)) best = rank;
  }
  return best === undefined ? undefined : LEVEL_ORDER[best];
}

function destinationFor(output: string, sync: boolean): pino.DestinationStream {
  if (output === 'stdout' || output === 'syslog') return pino.destination({ dest: 1, sync });
  if (output === 'stderr') return pino.destination({ dest: 2, sync });
  mkdirSync(dirname(output), { recursive: true });
  return pino.destination({ dest: output, sync, mkdir: true });
}
