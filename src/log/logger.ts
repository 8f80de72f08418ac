// Logger factory: one pino root logger per process, child loggers per module, and a helper that
// logs a catalogue message by id so level and text always come from src/log/messages.ts.

import pino from 'pino';
import type { Logger } from 'pino';

import { message } from './messages.js';

export type { Logger } from 'pino';

let root: Logger = pino({ level: process.env.NESTOR_LOG_LEVEL ?? 'info', base: { name: 'nestor' } });

/** Replace the process-wide root logger (the server does this once the configuration is loaded). */
export function setRootLogger(logger: Logger): void {
  root = logger;
}

export function rootLogger(): Logger {
  return root;
}

/** A child logger for one module; create it once per module or worker, not per packet. */
export function moduleLogger(module: string): Logger {
  return root.child({ module });
}

/** Log the catalogue message `id` at its catalogued level with the given fields. */
export function logMessage(log: Logger, id: string, fields: Record<string, unknown> = {}): void {
  const entry = message(id);
  log[entry.level]({ msgId: id, ...fields }, entry.message);
}
