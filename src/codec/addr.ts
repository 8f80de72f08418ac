// Text forms of addresses and byte strings, shared by the codec, config loading and the CLI.
// IPv4 addresses are unsigned 32-bit integers in host order (198.18.0.1 is 0xc6120001).
// Hex parsing accepts the forms Kea 2.2 accepts for hw-address, client-id and option data.

const HEX_DIGITS = '0123456789abcdef';

/** Formats an address as a dotted quad. */
export function ipToString(n: number): string {
  const v = n >>> 0;
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

/**
 * Parses a strict dotted quad: four decimal octets of at most three digits, each ≤ 255, no
 * leading zeros, no spaces. Returns undefined for anything else.
 */
export function parseIp(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;

  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value >>> 0;
}

/** Formats a hardware address as lower-case hex pairs joined by ':' (empty string for no bytes). */
export function macToString(bytes: Uint8Array): string {
  return hexToString(bytes, ':');
}

/** Formats bytes as lower-case hex pairs, joined by `separator` (none by default). */
export function hexToString(bytes: Uint8Array, separator = ''): string {
  let text = '';
  for (let i = 0; i < bytes.length; i++) {
    if (i > 0) text += separator;
    const b = bytes[i]!;
    text += HEX_DIGITS[b >>> 4]! + HEX_DIGITS[b & 0x0f]!;
  }
  return text;
}

/**
 * Parses hex text the way Kea does:
 * - octets separated by ':', '-' or ' ', each one or two digits ('1:2:0a'), one kind of separator
 *   per string and no empty octet;
 * - a plain run of digits ('01020a'), optionally prefixed by '0x'; an odd digit count gets a
 *   leading '0'.
 * Returns undefined when the text is none of these. The empty string parses as zero bytes.
 */
export function parseHex(s: string): Uint8Array | undefined {
  const separator = findSeparator(s);
  if (separator !== undefined) return parseSeparatedHex(s, separator);

  const digits = s.startsWith('0x') && s.length > 2 ? s.slice(2) : s;
  const padded = digits.length % 2 === 0 ? digits : '0' + digits;
  const bytes = new Uint8Array(padded.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    const high = hexDigitValue(padded.charCodeAt(2 * i));
    const low = hexDigitValue(padded.charCodeAt(2 * i + 1));
    if (high < 0 || low < 0) return undefined;
    bytes[i] = (high << 4) | low;
  }
  return bytes;
}

function findSeparator(s: string): string | undefined {
  for (const candidate of [':', '-', ' ']) {
    if (s.includes(candidate)) return candidate;
  }
  return undefined;
}

function parseSeparatedHex(s: string, separator: string): Uint8Array | undefined {
  const groups = s.split(separator);
  const bytes = new Uint8Array(groups.length);

  for (let i = 0; i < groups.length; i++) {
    const group = groups[i]!;
    if (group.length === 0 || group.length > 2) return undefined;

    let value = 0;
    for (let j = 0; j < group.length; j++) {
      const digit = hexDigitValue(group.charCodeAt(j));
      if (digit < 0) return undefined;
      value = (value << 4) | digit;
    }
    bytes[i] = value;
  }
  return bytes;
}

/** Returns the value of one hex digit character code, or -1. */
function hexDigitValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  return -1;
}
