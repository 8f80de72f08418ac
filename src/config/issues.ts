// Collects the loader's findings and reads typed values from the parsed JSON. Every reader
// reports a wrong value as one error that names the JSON path, the value, its JSON type when that
// is wrong, and what was expected. It then returns undefined, so the caller falls back to the
// default and keeps checking the rest.

import { suggestKey } from './suggest.js';
import type { ConfigIssue } from './types.js';

export type JsonObject = Record<string, unknown>;

/** JSON value types, in the words the messages use ("list" and "object" as in Kea's documentation). */
export type JsonType = 'string' | 'number' | 'boolean' | 'list' | 'object' | 'null';

export class Issues {
  readonly list: ConfigIssue[] = [];

  /**
   * Custom option definitions (Dhcp4.option-def) by name and code. They are not supported, and
   * option-data that uses one gets a warning from this map rather than an "unknown option" error.
   */
  customOptionDefs = new Map<string, number>();

  error(path: string, message: string): void {
    this.list.push({ severity: 'error', path, message });
  }

  warning(path: string, message: string): void {
    this.list.push({ severity: 'warning', path, message });
  }

  /**
   * Reports an invalid value at path: "invalid value '…' (expected …)". When type is given and
   * the value has another JSON type, the message names it: "invalid value '3600' (a string;
   * expected …)", because quoting hides the difference between "3600" and 3600.
   */
  invalid(path: string, value: unknown, expected: string, type?: JsonType): void {
    const actual = jsonTypeOf(value);
    const note = type !== undefined && actual !== type && actual !== 'null' ? `${describeType(actual)}; ` : '';
    this.error(path, `invalid value ${quote(value)} (${note}expected ${expected})`);
  }

  hasErrors(): boolean {
    return this.list.some((i) => i.severity === 'error');
  }
}

/** Quotes a JSON value for a message: strings and numbers in single quotes, others as short JSON. */
export function quote(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return `'${value}'`;
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function jsonTypeOf(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'boolean';
  return 'object';
}

/** "a string", "an object": the type with its article, as the messages print it. */
function describeType(type: JsonType): string {
  return type === 'object' ? 'an object' : `a ${type}`;
}

/** Key set of one JSON object level and what the loader does with each key. */
export interface KeyRules {
  /** Keys the loader reads. */
  handled: readonly string[];
  /** Keys accepted without effect and without a warning (comments, user context, no-op tuning). */
  silent?: readonly string[];
  /** Keys Kea defines that nestor does not implement: one "not supported yet, ignored" warning each. */
  unsupported?: readonly string[];
}

const ALWAYS_SILENT = ['comment', 'user-context'];

/**
 * Checks the keys of one object level. An unsupported Kea key gets one "not supported yet,
 * ignored" warning. A key that the rules do not list at all is an error, because Kea 2.2's parser
 * rejects an unknown keyword too. Its message suggests the allowed key it most likely misspells.
 */
export function checkKeys(issues: Issues, obj: JsonObject, path: string, rules: KeyRules): void {
  for (const key of Object.keys(obj)) {
    if (rules.handled.includes(key) || ALWAYS_SILENT.includes(key) || rules.silent?.includes(key)) continue;
    if (rules.unsupported?.includes(key)) {
      issues.warning(`${path}.${key}`, 'not supported yet, ignored');
      continue;
    }
    const allowed = [...rules.handled, ...(rules.unsupported ?? []), ...(rules.silent ?? []), ...ALWAYS_SILENT];
    const suggestion = suggestKey(key, allowed);
    const hint = suggestion === undefined ? 'remove it or correct its name' : `did you mean '${suggestion}'?`;
    issues.error(`${path}.${key}`, `unknown parameter (${hint})`);
  }
}

export interface IntRange {
  min: number;
  max: number;
}

export const UINT32: IntRange = { min: 0, max: 0xffffffff };

/** Reads an integer in range; undefined when absent or invalid (invalid values are reported). */
export function readInt(issues: Issues, obj: JsonObject, key: string, path: string, range: IntRange): number | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < range.min || value > range.max) {
    issues.invalid(`${path}.${key}`, value, `an integer from ${range.min} to ${range.max}`, 'number');
    return undefined;
  }
  return value;
}

/** Reads a real number strictly between two bounds; undefined when absent or invalid. */
export function readFraction(issues: Issues, obj: JsonObject, key: string, path: string): number | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !(value > 0 && value < 1)) {
    issues.invalid(`${path}.${key}`, value, 'a number greater than 0 and less than 1', 'number');
    return undefined;
  }
  return value;
}

export function readBool(issues: Issues, obj: JsonObject, key: string, path: string): boolean | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') {
    issues.invalid(`${path}.${key}`, value, 'true or false', 'boolean');
    return undefined;
  }
  return value;
}

export function readString(issues: Issues, obj: JsonObject, key: string, path: string): string | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    issues.invalid(`${path}.${key}`, value, 'a string', 'string');
    return undefined;
  }
  return value;
}

export function readEnum<T extends string>(
  issues: Issues,
  obj: JsonObject,
  key: string,
  path: string,
  allowed: readonly T[],
): T | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    issues.invalid(`${path}.${key}`, value, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, 'string');
    return undefined;
  }
  return value as T;
}

/** Reads a JSON object; undefined when absent or not an object (reported). */
export function readObject(issues: Issues, obj: JsonObject, key: string, path: string): JsonObject | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (!isObject(value)) {
    issues.invalid(`${path}.${key}`, value, 'an object', 'object');
    return undefined;
  }
  return value;
}

/** Reads a JSON array; undefined when absent or not an array (reported). */
export function readArray(issues: Issues, obj: JsonObject, key: string, path: string): unknown[] | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    issues.invalid(`${path}.${key}`, value, 'a list', 'list');
    return undefined;
  }
  return value;
}
