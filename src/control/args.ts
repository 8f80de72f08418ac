// Argument checks shared by the command handlers. Each check throws CommandArgumentError with a
// text that names the command and the argument; the command table turns it into a result-1 answer.

import { CommandArgumentError } from './answer.js';

export type Args = Record<string, unknown>;

/**
 * Rejects argument keys the command does not know, so a typing mistake is reported instead of
 * silently ignored. `tolerated` lists keys that newer Kea versions send (such as `origin-id`) and
 * that are accepted without effect, so those peers keep working.
 */
export function checkKnownKeys(command: string, args: Args | undefined, known: readonly string[], tolerated: readonly string[] = []): void {
  if (args === undefined) return;
  for (const key of Object.keys(args)) {
    if (known.includes(key) || tolerated.includes(key)) continue;
    throw new CommandArgumentError(`unknown argument '${key}' in the '${command}' command (expected ${formatList(known)})`);
  }
}

/** Returns the arguments map, or throws with the given text when the command has none. */
export function requireArgs(args: Args | undefined, text: string): Args {
  if (args === undefined) throw new CommandArgumentError(text);
  return args;
}

/** Reads an optional boolean argument. */
export function readBoolean(command: string, args: Args | undefined, key: string): boolean | undefined {
  const value = args?.[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new CommandArgumentError(`'${key}' in the '${command}' command must be true or false, not ${describe(value)}`);
  return value;
}

/** Reads an optional integer argument within [min, max]. */
export function readInteger(command: string, args: Args | undefined, key: string, min: number, max: number): number | undefined {
  const value = args?.[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new CommandArgumentError(`'${key}' in the '${command}' command must be an integer from ${min} to ${max}, not ${describe(value)}`);
  }
  return value;
}

/** True for a JSON integer in the uint32 range. */
export function isUint32(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffffffff;
}

/** A JSON value shortened for an answer text. */
export function describe(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

function formatList(keys: readonly string[]): string {
  if (keys.length === 0) return 'no arguments';
  return keys.map((k) => `'${k}'`).join(', ');
}
