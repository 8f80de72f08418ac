// Text → wire bytes for one option field, following the text forms Kea's option-data accepts:
// decimal or 0x-hex integers, true/false/1/0 booleans, dotted-quad IPv4 and RFC 4291 IPv6
// addresses, hex strings with or without separators, DNS names (RFC 1035 §3.1 wire format)
// and RFC 7597 PSIDs. Each parser appends to `out` and returns an error text or undefined.

import { ipToString, parseIp } from '../addr.js';
import type { OptionFieldType } from './defs.js';

const INT_RANGES = {
  int8: [-128, 127, 1],
  int16: [-32768, 32767, 2],
  int32: [-2147483648, 2147483647, 4],
  uint8: [0, 255, 1],
  uint16: [0, 65535, 2],
  uint32: [0, 4294967295, 4],
} as const;

type IntType = keyof typeof INT_RANGES;

/** Appends the wire form of one field value to out; returns an error text when the value is invalid. */
export function writeField(type: OptionFieldType, text: string, out: number[]): string | undefined {
  switch (type) {
    case 'int8':
    case 'int16':
    case 'int32':
    case 'uint8':
    case 'uint16':
    case 'uint32':
      return writeInteger(type, text, out);
    case 'boolean':
      return writeBoolean(text, out);
    case 'ipv4-address':
      return writeIpv4(text, out);
    case 'ipv6-address':
      return writeIpv6(text, out);
    case 'string':
      if (text.length === 0) return 'a string value must not be empty';
      out.push(...new TextEncoder().encode(text));
      return undefined;
    case 'fqdn':
      return writeDomainName(text, out);
    case 'binary': {
      const bytes = parseHexBytes(text);
      if (typeof bytes === 'string') return bytes;
      out.push(...bytes);
      return undefined;
    }
    case 'psid':
      return writePsid(text, out);
  }
}

/** Parses a decimal or 0x-prefixed hex integer; undefined when the text is neither. */
export function parseInteger(text: string): number | undefined {
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) return parseInt(text.slice(2), 16);
  if (/^[+-]?[0-9]+$/.test(text)) return parseInt(text, 10);
  return undefined;
}

function writeInteger(type: IntType, text: string, out: number[]): string | undefined {
  const [min, max, size] = INT_RANGES[type];
  const value = parseInteger(text);
  if (value === undefined || value < min || value > max) {
    return `'${text}' is not a valid ${type} (expected an integer from ${min} to ${max}, decimal or 0x hex)`;
  }
  const unsigned = value < 0 ? value + 2 ** (8 * size) : value;
  for (let shift = 8 * (size - 1); shift >= 0; shift -= 8) out.push(Math.floor(unsigned / 2 ** shift) & 0xff);
  return undefined;
}

function writeBoolean(text: string, out: number[]): string | undefined {
  if (text === 'true' || text === '1') out.push(1);
  else if (text === 'false' || text === '0') out.push(0);
  else return `'${text}' is not a valid boolean (expected true, false, 1 or 0)`;
  return undefined;
}

/** Parses a dotted-quad IPv4 address (see parseIp in ../addr.ts). */
export const parseIpv4 = parseIp;

/** Formats an unsigned 32-bit address as a dotted quad. */
export const formatIpv4 = ipToString;

function writeIpv4(text: string, out: number[]): string | undefined {
  const address = parseIpv4(text);
  if (address === undefined) return `'${text}' is not a valid IPv4 address (expected dotted-quad form such as 198.18.0.1)`;
  out.push(address >>> 24, (address >>> 16) & 0xff, (address >>> 8) & 0xff, address & 0xff);
  return undefined;
}

/** Parses an IPv6 address (RFC 4291 §2.2 text forms) to 16 bytes; undefined when invalid. */
export function parseIpv6(text: string): number[] | undefined {
  let head = text;
  let tailV4: number[] = [];
  if (text.includes('.')) {
    // Embedded IPv4 form (RFC 4291 §2.2 item 3): the last 32 bits written as a dotted quad.
    const lastColon = text.lastIndexOf(':');
    const v4 = lastColon >= 0 ? parseIpv4(text.slice(lastColon + 1)) : undefined;
    if (v4 === undefined) return undefined;
    tailV4 = [v4 >>> 24, (v4 >>> 16) & 0xff, (v4 >>> 8) & 0xff, v4 & 0xff];
    head = text.slice(0, lastColon + 1);
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const toGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const groups: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      groups.push(parseInt(g, 16));
    }
    return groups;
  };
  const left = toGroups(halves[0]);
  const right = halves.length === 2 ? toGroups(halves[1]) : [];
  if (left === undefined || right === undefined) return undefined;
  const wanted = 8 - tailV4.length / 2;
  const missing = wanted - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...left, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...right];
  const bytes: number[] = [];
  for (const g of groups) bytes.push(g >> 8, g & 0xff);
  return [...bytes, ...tailV4];
}

function writeIpv6(text: string, out: number[]): string | undefined {
  const bytes = parseIpv6(text);
  if (bytes === undefined) return `'${text}' is not a valid IPv6 address`;
  out.push(...bytes);
  return undefined;
}

/**
 * Encodes a domain name as RFC 1035 §3.1 labels ending with the zero-length root label.
 * A trailing dot is accepted; labels are 1–63 octets and the whole name at most 255.
 */
export function writeDomainName(text: string, out: number[]): string | undefined {
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  if (name.length === 0) return `'${text}' is not a valid domain name (expected labels such as example.org)`;
  const wire: number[] = [];
  for (const label of name.split('.')) {
    const bytes = new TextEncoder().encode(label);
    if (bytes.length === 0 || bytes.length > 63) {
      return `'${text}' is not a valid domain name (each label must have 1 to 63 characters)`;
    }
    wire.push(bytes.length, ...bytes);
  }
  wire.push(0);
  if (wire.length > 255) return `'${text}' is not a valid domain name (longer than 255 octets in wire format)`;
  out.push(...wire);
  return undefined;
}

/** RFC 7597 §5.1 PSID as "value/length": one octet of length, then the PSID left-aligned in 16 bits. */
function writePsid(text: string, out: number[]): string | undefined {
  const match = /^([0-9]+)\s*\/\s*([0-9]+)$/.exec(text);
  const psid = match ? Number(match[1]) : NaN;
  const length = match ? Number(match[2]) : NaN;
  if (!match || length > 16 || psid >= 2 ** length) {
    return `'${text}' is not a valid PSID (expected value/length with length 0 to 16 and value below 2^length)`;
  }
  const aligned = length === 0 ? 0 : psid << (16 - length);
  out.push(length, (aligned >> 8) & 0xff, aligned & 0xff);
  return undefined;
}

/**
 * Decodes Kea's hex forms: "0a:0b:0c" or "0a 0b 0c" (one or two digits per octet), or a run of
 * digits with an optional 0x prefix ("0x0a0b0c", "0a0b0c"; an odd count gets a leading zero).
 * The empty string is zero bytes. Returns an error text when the text is not hex.
 */
export function parseHexBytes(text: string): Uint8Array | string {
  const trimmed = text.trim();
  const invalid = `'${text}' is not valid hex (expected octets such as 0a:0b:0c, 0a 0b 0c or 0x0a0b0c)`;
  for (const separator of [':', ' ', '-']) {
    if (!trimmed.includes(separator)) continue;
    const parts = separator === ' ' ? trimmed.split(/ +/) : trimmed.split(separator);
    if (!parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) return invalid;
    return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
  }
  let digits = /^0[xX]/.test(trimmed) ? trimmed.slice(2) : trimmed;
  if (!/^[0-9a-fA-F]*$/.test(digits)) return invalid;
  if (digits.length % 2 === 1) digits = '0' + digits;
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}
