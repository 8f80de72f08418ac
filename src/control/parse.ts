// Parsing of one control command: Kea's JSON dialect (standard JSON plus `#`, `//` and `/* */`
// comments outside strings, accepted in commands since Kea 1.9.7), then the envelope checks Kea's
// command interpreter makes: a map with a string `command`, an `arguments` map when present, and no
// other top-level keys. Every problem becomes a result-1 answer; nothing here throws.

import { errorAnswer } from './answer.js';
import type { ControlAnswer, ControlRequest } from './answer.js';

/** Largest command accepted over either transport, in bytes. Kea sets no limit; this bounds memory per connection. */
export const MAX_COMMAND_BYTES = 1024 * 1024;

const ENVELOPE_KEYS = new Set(['command', 'arguments', 'service']);

/** The only service this server answers for; Kea's Control Agent routes "dhcp4" commands to kea-dhcp4. */
const SERVICE = 'dhcp4';

/** Parses command text into a request, or returns the error answer for it. */
export function parseCommand(text: string): ControlRequest | ControlAnswer {
  if (Buffer.byteLength(text, 'utf8') > MAX_COMMAND_BYTES) {
    return errorAnswer(`command is too large: ${Buffer.byteLength(text, 'utf8')} bytes (the limit is ${MAX_COMMAND_BYTES})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(stripComments(text));
  } catch (err) {
    return errorAnswer(`invalid JSON in the command: ${(err as Error).message}`);
  }
  return checkEnvelope(value);
}

/** Applies the envelope checks to an already parsed value (the HTTP transport parses the body itself). */
export function checkEnvelope(value: unknown): ControlRequest | ControlAnswer {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return errorAnswer('Invalid command Element specified, expected map');
  }
  const map = value as Record<string, unknown>;
  if (!('command' in map)) return errorAnswer("Invalid command specified, does not contain mandatory 'command'");
  if (typeof map.command !== 'string') return errorAnswer("'command' element in command message is not a string");
  const command = map.command;

  for (const key of Object.keys(map)) {
    if (!ENVELOPE_KEYS.has(key)) return errorAnswer(`Received command contains unsupported parameter '${key}'`);
  }

  const service = readService(map.service, command);
  if (typeof service === 'string') return errorAnswer(service);

  const args = map.arguments;
  if (args !== undefined && (typeof args !== 'object' || args === null || Array.isArray(args))) {
    return errorAnswer(`arguments specified for the '${command}' command are not a map`);
  }
  return { command, arguments: args as Record<string, unknown> | undefined, service };
}

/** True when the value is a parsed request rather than an error answer. */
export function isRequest(value: ControlRequest | ControlAnswer): value is ControlRequest {
  return 'command' in value;
}

/** Returns the service list, or an error text when it is given and is not exactly ["dhcp4"]. */
function readService(value: unknown, command: string): readonly string[] | undefined | string {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((s) => typeof s !== 'string')) {
    return `'service' of the '${command}' command must be a list of strings (expected ["${SERVICE}"])`;
  }
  if (value.length !== 1 || value[0] !== SERVICE) {
    return `'service' ${JSON.stringify(value)} of the '${command}' command is not served here (expected ["${SERVICE}"])`;
  }
  return value as string[];
}

/** Replaces `#`, `//` and `/* *\/` comments outside strings with spaces, keeping offsets for JSON.parse's messages. */
export function stripComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      const end = skipString(text, i);
      out += text.slice(i, end);
      i = end;
    } else if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      const end = text.indexOf('\n', i);
      const stop = end === -1 ? text.length : end;
      out += ' '.repeat(stop - i);
      i = stop;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end === -1 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Returns the index just past the string that starts with the quote at `start` (or the text's end). */
function skipString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === '\\') i += 2;
    else if (text[i] === '"') return i + 1;
    else i++;
  }
  return text.length;
}

/**
 * Finds where the first complete JSON value in a stream ends, the way Kea's JSON feed reads a UNIX
 * socket: skip whitespace and comments, expect `{`, then track nesting outside strings. Returns the
 * end offset, 'incomplete' when more input is needed, or an error text when the first character is
 * not `{`.
 */
export function findCommandEnd(text: string): number | 'incomplete' | string {
  let depth = 0;
  let started = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '"') {
      i = skipString(text, i);
      if (i === text.length && text[i - 1] !== '"') return 'incomplete';
      continue;
    }
    if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      const end = text.indexOf('\n', i);
      if (end === -1) return 'incomplete';
      i = end + 1;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end === -1) return 'incomplete';
      i = end + 2;
      continue;
    }
    if (c === '/' && i + 1 === text.length) return 'incomplete';
    if (!started) {
      if (/\s/.test(c)) { i++; continue; }
      if (c !== '{') return `invalid first character '${c}' (a command is a JSON map starting with '{')`;
      started = true;
    }
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    i++;
    if (started && depth === 0) return i;
  }
  return 'incomplete';
}
