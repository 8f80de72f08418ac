// IPv4 prefixes and address ranges as written in subnet4 and pools: "198.18.0.0/24",
// "198.18.0.10 - 198.18.0.99" (spaces optional) and "198.18.0.64/26".

import { formatIpv4, parseIpv4 } from '../codec/options/index.js';

export interface Prefix {
  network: number;
  prefixLength: number;
  mask: number;
}

export interface Range {
  first: number;
  last: number;
}

export function maskOf(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/** Parses "a.b.c.d/len"; the error text names what is wrong. Host bits are an error when strict. */
export function parsePrefix(text: string, strict: boolean): Prefix | string {
  const match = /^\s*([0-9.]+)\s*\/\s*([0-9]{1,2})\s*$/.exec(text);
  const address = match ? parseIpv4(match[1]) : undefined;
  const prefixLength = match ? Number(match[2]) : NaN;
  if (!match || address === undefined || prefixLength > 32) return 'expected address/length such as 198.18.0.0/24';
  const mask = maskOf(prefixLength);
  const network = (address & mask) >>> 0;
  if (strict && network !== address) {
    return `host bits are set (expected the network address ${formatIpv4(network)}/${prefixLength})`;
  }
  return { network, prefixLength, mask };
}

/** Parses a pool: "first - last" or "address/len"; the error text names what is wrong. */
export function parseRange(text: string): Range | string {
  if (text.includes('/')) {
    const prefix = parsePrefix(text, false);
    if (typeof prefix === 'string') return prefix;
    return { first: prefix.network, last: (prefix.network | ~prefix.mask) >>> 0 };
  }
  const match = /^\s*([0-9.]+)\s*-\s*([0-9.]+)\s*$/.exec(text);
  const first = match ? parseIpv4(match[1]) : undefined;
  const last = match ? parseIpv4(match[2]) : undefined;
  if (first === undefined || last === undefined) return "expected 'first - last' or 'address/length'";
  if (first > last) return 'reversed (start must not exceed end)';
  return { first, last };
}

export function inPrefix(address: number, prefix: Prefix): boolean {
  return ((address & prefix.mask) >>> 0) === prefix.network;
}
