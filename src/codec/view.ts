// Zero-copy view of a received DHCPv4 request (RFC 2131 §2 header, RFC 2132 options).
//
// One DhcpView is reused for every packet a worker decodes: reset() reads the header, walks the
// option areas once and records where each option code first occurs, and the getters read values
// lazily from the received bytes. Nothing is copied except when an option occurs more than once
// (RFC 3396): its instances are then joined into a new array, once per packet and code.
//
// Option walk, the same for all three areas (options field, then `file`, then `sname` when
// option 52 in the options field marks them as overloaded, RFC 2131 §4.1):
// - PAD (0) is skipped anywhere; END (255) or the end of the area ends the area;
// - an option whose length byte or value runs past the end of its area ends that area, and the
//   options before it are kept (what Kea 2.2 does);
// - bytes after END are ignored.
// BOOTP requests (no option 53) are not served, so they decode to NO_MESSAGE_TYPE.

import {
  BOOTREQUEST,
  CHADDR_LEN,
  FILE_LEN,
  MAGIC_COOKIE,
  MSG_DHCPDECLINE,
  MSG_DHCPDISCOVER,
  MSG_DHCPINFORM,
  MSG_DHCPRELEASE,
  MSG_DHCPREQUEST,
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
  OPT_CLIENT_FQDN,
  OPT_CLIENT_IDENTIFIER,
  OPT_DHCP_MESSAGE_TYPE,
  OPT_END,
  OPT_HOST_NAME,
  OPT_IP_ADDRESS_LEASE_TIME,
  OPT_MAXIMUM_DHCP_MESSAGE_SIZE,
  OPT_OPTION_OVERLOAD,
  OPT_PAD,
  OPT_PARAMETER_REQUEST_LIST,
  OPT_RELAY_AGENT_INFORMATION,
  OPT_REQUESTED_IP_ADDRESS,
  OPT_SERVER_IDENTIFIER,
  OPT_SUBNET_SELECTION,
  OPT_VENDOR_CLASS_IDENTIFIER,
  OVERLOAD_FILE,
  OVERLOAD_SNAME,
  SNAME_LEN,
} from './constants.js';
import { DecodeOutcome, type RequestView } from './types.js';

/**
 * Largest message the view decodes; longer input is cut to this length. Option positions are
 * kept in a Uint16Array, and one UDP datagram carries at most 65507 bytes anyway.
 */
export const MAX_DECODED_LENGTH = 0xffff;

const EMPTY = new Uint8Array(0);
const INITIAL_REPEAT_SLOTS = 16;

/** Reusable decoder and read-only view of one DHCPv4 request; see the file header for the rules. */
export class DhcpView implements RequestView {
  op = 0;
  htype = 0;
  hlen = 0;
  hops = 0;
  xid = 0;
  secs = 0;
  flags = 0;
  ciaddr = 0;
  yiaddr = 0;
  siaddr = 0;
  giaddr = 0;
  messageType = 0;
  /** Option 52 value applied while decoding: 0 none, 1 `file`, 2 `sname`, 3 both. */
  overload = 0;
  /** Number of bytes decoded (the length given to reset, cut to the buffer and to MAX_DECODED_LENGTH). */
  length = 0;

  private buf: Uint8Array = EMPTY;
  private base = 0;
  /** Option code → offset from `base` of the first instance's value; 0 = absent (no value starts at 0). */
  private readonly first = new Uint16Array(256);
  /** Option code → 1 when the code occurs more than once. */
  private readonly repeated = new Uint8Array(256);
  /** Second and later instances, in wire order: their codes and value offsets from `base`. */
  private repeatCodes = new Uint8Array(INITIAL_REPEAT_SLOTS);
  private repeatOffsets = new Uint16Array(INITIAL_REPEAT_SLOTS);
  private repeatCount = 0;
  /** Joined values of repeated codes, built on first read and dropped by the next reset. */
  private readonly joined: Array<Uint8Array | undefined> = new Array<Uint8Array | undefined>(256).fill(undefined);

  /**
   * Decodes `length` bytes of `buf` starting at `offset`, in place, and returns the outcome. The
   * view then reads from `buf` until the next reset, so the caller must not reuse those bytes
   * meanwhile. Never throws (the fuzz test checks this): an offset or length outside `buf` is cut to what `buf` holds.
   */
  reset(buf: Uint8Array, offset: number, length: number): DecodeOutcome {
    this.clear();

    const isOffsetValid = Number.isInteger(offset) && offset >= 0 && offset <= buf.length;
    const isLengthValid = Number.isInteger(length) && length > 0;
    this.buf = buf;
    this.base = isOffsetValid ? offset : 0;
    this.length = isOffsetValid && isLengthValid ? Math.min(length, buf.length - offset, MAX_DECODED_LENGTH) : 0;

    // RFC 2131 §2, §3: 236-byte fixed header, then the magic cookie.
    if (this.length < OFF_OPTIONS) return DecodeOutcome.TOO_SHORT;
    this.readHeader();
    if (this.readU32(OFF_COOKIE) !== MAGIC_COOKIE) return DecodeOutcome.BAD_COOKIE;
    if (this.op !== BOOTREQUEST) return DecodeOutcome.NOT_BOOTREQUEST;
    if (this.hlen > CHADDR_LEN) return DecodeOutcome.BAD_HLEN;

    this.indexOptions();

    const type = this.option(OPT_DHCP_MESSAGE_TYPE);
    if (type === undefined) return DecodeOutcome.NO_MESSAGE_TYPE;
    if (type.length !== 1 || !isClientMessageType(type[0]!)) return DecodeOutcome.BAD_MESSAGE_TYPE;
    this.messageType = type[0]!;

    // A client without a hardware address is known only by its client identifier (RFC 6842).
    if (this.hlen === 0 && this.clientId() === undefined) return DecodeOutcome.NO_CLIENT_KEY;
    return DecodeOutcome.OK;
  }

  chaddr(): Uint8Array {
    if (this.length < OFF_OPTIONS) return EMPTY; // no header was read
    const start = this.base + OFF_CHADDR;
    return this.buf.subarray(start, start + Math.min(this.hlen, CHADDR_LEN));
  }

  has(code: number): boolean {
    return isOptionCode(code) && this.first[code] !== 0;
  }

  option(code: number): Uint8Array | undefined {
    if (!isOptionCode(code)) return undefined;
    const offset = this.first[code]!;
    if (offset === 0) return undefined;
    if (this.repeated[code] === 0) return this.valueAt(offset);
    return this.joined[code] ?? this.join(code);
  }

  requestedIp(): number | undefined {
    return this.optionU32(OPT_REQUESTED_IP_ADDRESS);
  }

  serverId(): number | undefined {
    return this.optionU32(OPT_SERVER_IDENTIFIER);
  }

  /** Option 61 when at least 2 bytes (a type byte and an identifier, RFC 2132 §9.14). */
  clientId(): Uint8Array | undefined {
    const value = this.option(OPT_CLIENT_IDENTIFIER);
    return value !== undefined && value.length >= 2 ? value : undefined;
  }

  maxMessageSize(): number | undefined {
    const value = this.option(OPT_MAXIMUM_DHCP_MESSAGE_SIZE);
    return value !== undefined && value.length === 2 ? (value[0]! << 8) | value[1]! : undefined;
  }

  parameterRequestList(): Uint8Array | undefined {
    return this.option(OPT_PARAMETER_REQUEST_LIST);
  }

  requestedLeaseTime(): number | undefined {
    return this.optionU32(OPT_IP_ADDRESS_LEASE_TIME);
  }

  relayAgentInfo(): Uint8Array | undefined {
    const value = this.option(OPT_RELAY_AGENT_INFORMATION);
    return value !== undefined && value.length > 0 ? value : undefined;
  }

  /**
   * Returns the first sub-option `sub` of option 82. Sub-options are code, length, value with no
   * PAD or END (RFC 3046 §2.0); a sub-option running past the end of option 82 ends the walk.
   */
  relaySubOption(sub: number): Uint8Array | undefined {
    const info = this.relayAgentInfo();
    if (info === undefined) return undefined;

    let p = 0;
    while (p + 2 <= info.length) {
      const end = p + 2 + info[p + 1]!;
      if (end > info.length) return undefined;
      if (info[p] === sub) return info.subarray(p + 2, end);
      p = end;
    }
    return undefined;
  }

  /** Option 12 as text, trailing NULs removed (some Windows clients add one); undefined when empty. */
  hostName(): string | undefined {
    const value = this.option(OPT_HOST_NAME);
    if (value === undefined) return undefined;
    let end = value.length;
    while (end > 0 && value[end - 1] === 0) end--;
    return end > 0 ? latin1(value, end) : undefined;
  }

  /** Option 60 as text, byte for byte; undefined when absent or empty. */
  vendorClass(): string | undefined {
    const value = this.option(OPT_VENDOR_CLASS_IDENTIFIER);
    return value !== undefined && value.length > 0 ? latin1(value, value.length) : undefined;
  }

  /** Raw option 81 value (flags, RCODE1, RCODE2, name); undefined when shorter than those 3 bytes (RFC 4702 §2). */
  clientFqdn(): Uint8Array | undefined {
    const value = this.option(OPT_CLIENT_FQDN);
    return value !== undefined && value.length >= 3 ? value : undefined;
  }

  /** Option 118 when exactly 4 bytes (RFC 3011), else undefined. */
  subnetSelection(): number | undefined {
    return this.optionU32(OPT_SUBNET_SELECTION);
  }

  private clear(): void {
    for (let i = 0; i < this.repeatCount; i++) this.joined[this.repeatCodes[i]!] = undefined;
    this.first.fill(0);
    this.repeated.fill(0);
    this.repeatCount = 0;

    this.op = this.htype = this.hlen = this.hops = 0;
    this.xid = this.secs = this.flags = 0;
    this.ciaddr = this.yiaddr = this.siaddr = this.giaddr = 0;
    this.messageType = this.overload = 0;
  }

  private readHeader(): void {
    const b = this.buf;
    const o = this.base;
    this.op = b[o + OFF_OP]!;
    this.htype = b[o + OFF_HTYPE]!;
    this.hlen = b[o + OFF_HLEN]!;
    this.hops = b[o + OFF_HOPS]!;
    this.xid = this.readU32(OFF_XID);
    this.secs = (b[o + OFF_SECS]! << 8) | b[o + OFF_SECS + 1]!;
    this.flags = (b[o + OFF_FLAGS]! << 8) | b[o + OFF_FLAGS + 1]!;
    this.ciaddr = this.readU32(OFF_CIADDR);
    this.yiaddr = this.readU32(OFF_YIADDR);
    this.siaddr = this.readU32(OFF_SIADDR);
    this.giaddr = this.readU32(OFF_GIADDR);
  }

  /** Walks the options field, then `file` and `sname` when option 52 overloads them (RFC 2131 §4.1). */
  private indexOptions(): void {
    this.walkArea(OFF_OPTIONS, this.length);

    // Only option 52 from the options field counts; an instance inside `file` or `sname` is ignored.
    const overload = this.optionU8(OPT_OPTION_OVERLOAD);
    if (overload === undefined || overload < 1 || overload > 3) return;
    this.overload = overload;
    if ((overload & OVERLOAD_FILE) !== 0) this.walkArea(OFF_FILE, OFF_FILE + FILE_LEN);
    if ((overload & OVERLOAD_SNAME) !== 0) this.walkArea(OFF_SNAME, OFF_SNAME + SNAME_LEN);
  }

  /** Records every option in [start, end) (offsets from `base`); see the file header for the rules. */
  private walkArea(start: number, end: number): void {
    const b = this.buf;
    const o = this.base;
    let p = start;
    while (p < end) {
      const code = b[o + p]!;
      if (code === OPT_PAD) {
        p++;
        continue;
      }
      if (code === OPT_END || p + 2 > end) return;

      const valueEnd = p + 2 + b[o + p + 1]!;
      if (valueEnd > end) return; // truncated option: keep what came before it
      this.record(code, p + 2);
      p = valueEnd;
    }
  }

  private record(code: number, valueOffset: number): void {
    if (this.first[code] === 0) {
      this.first[code] = valueOffset;
      return;
    }

    this.repeated[code] = 1;
    if (this.repeatCount === this.repeatCodes.length) this.growRepeats();
    this.repeatCodes[this.repeatCount] = code;
    this.repeatOffsets[this.repeatCount] = valueOffset;
    this.repeatCount++;
  }

  // Only packets with many repeated options get here; the larger table is kept for later packets.
  private growRepeats(): void {
    const codes = new Uint8Array(this.repeatCodes.length * 2);
    const offsets = new Uint16Array(this.repeatOffsets.length * 2);
    codes.set(this.repeatCodes);
    offsets.set(this.repeatOffsets);
    this.repeatCodes = codes;
    this.repeatOffsets = offsets;
  }

  /** Joins all instances of `code` in wire order (RFC 3396 §5) into a new array and caches it. */
  private join(code: number): Uint8Array {
    let total = this.valueLength(this.first[code]!);
    for (let i = 0; i < this.repeatCount; i++) {
      if (this.repeatCodes[i] === code) total += this.valueLength(this.repeatOffsets[i]!);
    }

    const joined = new Uint8Array(total);
    let at = 0;
    joined.set(this.valueAt(this.first[code]!), at);
    at += this.valueLength(this.first[code]!);
    for (let i = 0; i < this.repeatCount; i++) {
      if (this.repeatCodes[i] !== code) continue;
      const value = this.valueAt(this.repeatOffsets[i]!);
      joined.set(value, at);
      at += value.length;
    }

    this.joined[code] = joined;
    return joined;
  }

  private valueLength(valueOffset: number): number {
    return this.buf[this.base + valueOffset - 1]!;
  }

  private valueAt(valueOffset: number): Uint8Array {
    const start = this.base + valueOffset;
    return this.buf.subarray(start, start + this.valueLength(valueOffset));
  }

  private optionU8(code: number): number | undefined {
    const value = this.option(code);
    return value !== undefined && value.length === 1 ? value[0] : undefined;
  }

  private optionU32(code: number): number | undefined {
    const value = this.option(code);
    if (value === undefined || value.length !== 4) return undefined;
    return ((value[0]! << 24) | (value[1]! << 16) | (value[2]! << 8) | value[3]!) >>> 0;
  }

  private readU32(offset: number): number {
    const b = this.buf;
    const i = this.base + offset;
    return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
  }
}

/** Message types a client may send to a server (RFC 2131 §3, Table 2). */
function isClientMessageType(type: number): boolean {
  return (
    type === MSG_DHCPDISCOVER ||
    type === MSG_DHCPREQUEST ||
    type === MSG_DHCPDECLINE ||
    type === MSG_DHCPRELEASE ||
    type === MSG_DHCPINFORM
  );
}

/** True for codes that can carry a value: 1..254 (0 is PAD and 255 is END). */
function isOptionCode(code: number): boolean {
  return (code & 0xff) === code && code !== OPT_PAD && code !== OPT_END;
}

/** Decodes the first `end` bytes one character per byte, so no byte is lost or replaced. */
function latin1(bytes: Uint8Array, end: number): string {
  let text = '';
  for (let i = 0; i < end; i++) text += String.fromCharCode(bytes[i]!);
  return text;
}
