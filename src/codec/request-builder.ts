// Builds client requests (DISCOVER, REQUEST, ...) as bytes, for tests, tools and the demo's relay
// client. Unlike the reply encoder it allocates freely and writes exactly what it is given, so
// malformed packets (bad cookie, truncated or repeated options, no END) can be built on purpose.

import {
  BOOTP_MIN_LEN,
  BOOTREQUEST,
  CHADDR_LEN,
  FILE_LEN,
  MAGIC_COOKIE,
  MSG_DHCPDISCOVER,
  OFF_CHADDR,
  OFF_CIADDR,
  OFF_COOKIE,
  OFF_FILE,
  OFF_FLAGS,
  OFF_GIADDR,
  OFF_HLEN,
  OFF_HOPS,
  OFF_HTYPE,
  OFF_OP,
  OFF_OPTIONS,
  OFF_SECS,
  OFF_SIADDR,
  OFF_SNAME,
  OFF_XID,
  OFF_YIADDR,
  OPT_DHCP_MESSAGE_TYPE,
  OPT_END,
  OPTION_MAX_LEN,
  SNAME_LEN,
} from './constants.js';
import { parseHex } from './addr.js';

/** An option value: raw bytes, a list of byte values, or text written as UTF-8. */
export type RequestOptionValue = Uint8Array | readonly number[] | string;

/** Header fields and options of a request; every field has a default. */
export interface RequestFields {
  /** Option 53, written first; null leaves option 53 out. Default DHCPDISCOVER (1). */
  messageType?: number | null;
  /** Default BOOTREQUEST (1). */
  op?: number;
  /** Default 1 (Ethernet). */
  htype?: number;
  /** Default the number of chaddr bytes; may be set to any value 0..255 to build bad packets. */
  hlen?: number;
  hops?: number;
  xid?: number;
  secs?: number;
  flags?: number;
  ciaddr?: number;
  yiaddr?: number;
  siaddr?: number;
  giaddr?: number;
  /** Hardware address as bytes or hex text ('02:00:00:00:00:01'), at most 16 bytes. Default 02:00:00:00:00:01. */
  chaddr?: Uint8Array | string;
  /** Raw contents of the 64-byte sname field (bytes, or text as UTF-8). */
  sname?: Uint8Array | string;
  /** Raw contents of the 128-byte file field (bytes, or text as UTF-8). */
  file?: Uint8Array | string;
  /** Options after 53, in order; each entry is one option, split into instances when longer than 255 bytes. */
  options?: ReadonlyArray<readonly [code: number, value: RequestOptionValue]>;
  /** Bytes written verbatim after the options and before END, for hand-made option encodings. */
  rawOptions?: Uint8Array | readonly number[];
  /** Whether to write END after the options. Default true. */
  end?: boolean;
  /** Magic cookie. Default 99.130.83.99. */
  cookie?: number;
  /** Zero padding up to this many bytes. Default 300 (what dhclient and udhcpc send). */
  minLength?: number;
}

const DEFAULT_CHADDR = Uint8Array.of(0x02, 0, 0, 0, 0, 0x01);
const textEncoder = new TextEncoder();

/**
 * Builds a request into a new array sized to its contents (at least `minLength`).
 * Throws a RangeError when chaddr is not valid hex or longer than 16 bytes, when sname or file
 * does not fit its field, or when an option code is not 0..255.
 */
export function buildRequest(fields: RequestFields = {}): Uint8Array {
  const chaddr = toChaddr(fields.chaddr ?? DEFAULT_CHADDR);
  const optionBytes = encodeOptions(fields);
  const length = Math.max(OFF_OPTIONS + optionBytes.length, fields.minLength ?? BOOTP_MIN_LEN);
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);

  out[OFF_OP] = fields.op ?? BOOTREQUEST;
  out[OFF_HTYPE] = fields.htype ?? 1;
  out[OFF_HLEN] = fields.hlen ?? chaddr.length;
  out[OFF_HOPS] = fields.hops ?? 0;
  view.setUint32(OFF_XID, (fields.xid ?? 0x12345678) >>> 0);
  view.setUint16(OFF_SECS, fields.secs ?? 0);
  view.setUint16(OFF_FLAGS, fields.flags ?? 0);
  view.setUint32(OFF_CIADDR, (fields.ciaddr ?? 0) >>> 0);
  view.setUint32(OFF_YIADDR, (fields.yiaddr ?? 0) >>> 0);
  view.setUint32(OFF_SIADDR, (fields.siaddr ?? 0) >>> 0);
  view.setUint32(OFF_GIADDR, (fields.giaddr ?? 0) >>> 0);
  out.set(chaddr, OFF_CHADDR);
  out.set(toField(fields.sname, SNAME_LEN, 'sname'), OFF_SNAME);
  out.set(toField(fields.file, FILE_LEN, 'file'), OFF_FILE);
  view.setUint32(OFF_COOKIE, (fields.cookie ?? MAGIC_COOKIE) >>> 0);
  out.set(optionBytes, OFF_OPTIONS);
  return out;
}

/**
 * Encodes option instances as code, length, value, splitting values longer than 255 bytes
 * (RFC 3396). Useful for building the sname or file field of an overloaded request.
 */
export function encodeOptionInstances(options: ReadonlyArray<readonly [code: number, value: RequestOptionValue]>): Uint8Array {
  const parts: number[] = [];
  for (const [code, value] of options) {
    if ((code & 0xff) !== code) throw new RangeError(`option code ${code} is not in 0..255`);
    const bytes = toBytes(value);
    let done = 0;
    do {
      const chunk = Math.min(bytes.length - done, OPTION_MAX_LEN);
      parts.push(code, chunk);
      for (let i = 0; i < chunk; i++) parts.push(bytes[done + i]!);
      done += chunk;
    } while (done < bytes.length);
  }
  return Uint8Array.from(parts);
}

function encodeOptions(fields: RequestFields): Uint8Array {
  const messageType = fields.messageType === undefined ? MSG_DHCPDISCOVER : fields.messageType;
  const list: Array<readonly [number, RequestOptionValue]> = [];
  if (messageType !== null) list.push([OPT_DHCP_MESSAGE_TYPE, [messageType]]);
  list.push(...(fields.options ?? []));

  const encoded = encodeOptionInstances(list);
  const raw = toBytes(fields.rawOptions ?? []);
  const endLength = fields.end === false ? 0 : 1;
  const bytes = new Uint8Array(encoded.length + raw.length + endLength);
  bytes.set(encoded, 0);
  bytes.set(raw, encoded.length);
  if (endLength === 1) bytes[bytes.length - 1] = OPT_END;
  return bytes;
}

function toChaddr(value: Uint8Array | string): Uint8Array {
  const bytes = typeof value === 'string' ? parseHex(value) : value;
  if (bytes === undefined) throw new RangeError(`chaddr '${String(value)}' is not valid hex`);
  if (bytes.length > CHADDR_LEN) throw new RangeError(`chaddr has ${bytes.length} bytes (at most ${CHADDR_LEN} fit)`);
  return bytes;
}

function toField(value: Uint8Array | string | undefined, fieldLength: number, name: string): Uint8Array {
  const bytes = value === undefined ? new Uint8Array(0) : toBytes(value);
  if (bytes.length > fieldLength) throw new RangeError(`${name} has ${bytes.length} bytes (at most ${fieldLength} fit)`);
  return bytes;
}

function toBytes(value: RequestOptionValue): Uint8Array {
  if (typeof value === 'string') return textEncoder.encode(value);
  return value instanceof Uint8Array ? value : Uint8Array.from(value);
}
