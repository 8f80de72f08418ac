// Classless static routes (option 121, RFC 3442 §3): per route one octet of prefix length, the
// significant octets of the destination (ceil(length / 8) of them), then the 4-octet router.
// Text form as Kea 2.5 and later write it: "10.8.0.0/24 - 172.16.0.10, 0.0.0.0/0 - 172.16.0.1".

import { parseIpv4 } from './fields.js';

const ROUTE = /^([0-9.]+)\s*\/\s*([0-9]{1,2})\s*-\s*([0-9.]+)$/;

/** Appends the wire form of one "destination/length - router" route; returns an error text when invalid. */
export function writeClasslessRoute(text: string, out: number[]): string | undefined {
  const expected = `(expected destination/length - router, such as 10.8.0.0/24 - 172.16.0.10)`;
  const match = ROUTE.exec(text);
  if (!match) return `'${text}' is not a valid classless static route ${expected}`;

  const destination = parseIpv4(match[1]);
  const length = Number(match[2]);
  const router = parseIpv4(match[3]);
  if (destination === undefined || router === undefined || length > 32) {
    return `'${text}' is not a valid classless static route ${expected}`;
  }
  const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
  if ((destination & ~mask) >>> 0 !== 0) {
    return `'${text}' has host bits set in the destination (expected the network address of the /${length})`;
  }

  out.push(length);
  for (let i = 0; i < Math.ceil(length / 8); i++) out.push((destination >>> (24 - 8 * i)) & 0xff);
  out.push(router >>> 24, (router >>> 16) & 0xff, (router >>> 8) & 0xff, router & 0xff);
  return undefined;
}

/** Checks that bytes are a well-formed RFC 3442 route list; returns an error text when not. */
export function checkClasslessRoutes(bytes: Uint8Array): string | undefined {
  let i = 0;
  while (i < bytes.length) {
    const length = bytes[i];
    if (length > 32) return `route at octet ${i} has prefix length ${length} (expected 0 to 32)`;
    const size = 1 + Math.ceil(length / 8) + 4;
    if (i + size > bytes.length) return `route at octet ${i} is truncated (expected ${size} octets)`;
    i += size;
  }
  return bytes.length === 0 ? 'the route list is empty' : undefined;
}
