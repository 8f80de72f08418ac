// Reply encoder: writes one BOOTREPLY (RFC 2131 §2, §4.1) for a decoded request and a reply plan
// straight into a caller-owned buffer.
//
// Header: op is 2 and secs is 0. htype, hlen, chaddr, xid, giaddr and hops are copied from the
// request (Kea 2.2 copies hops too). flags, ciaddr, yiaddr, siaddr, sname and file come from the
// plan, never from the request's sname or file bytes.
// Options: 53 first, then the plan's options in order, then option 82 echoed verbatim as the
// last option (RFC 3046 §2.2), then END. A value longer than 255 bytes becomes consecutive
// instances of the same code (RFC 3396). The reply is padded with zeros to the 300-byte BOOTP
// minimum (RFC 951 §3).
// Size (RFC 2131 §4.1, RFC 2132 §9.3): the message never exceeds plan.maxMessageSize. When the
// options do not fit, they continue in `file` and then `sname` (option 52), using only fields the
// plan leaves empty. When they still do not fit, options are dropped from the end of
// plan.options, except 1, 51 and 54.

import {
  BOOTP_MIN_LEN,
  BOOTREPLY,
  CHADDR_LEN,
  DHCP_DEFAULT_MAX_MESSAGE,
  FILE_LEN,
  MAGIC_COOKIE,
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
  OFF_SIADDR,
  OFF_SNAME,
  OFF_XID,
  OFF_YIADDR,
  OPT_DHCP_MESSAGE_TYPE,
  OPT_END,
  OPT_IP_ADDRESS_LEASE_TIME,
  OPT_OPTION_OVERLOAD,
  OPT_PAD,
  OPT_RELAY_AGENT_INFORMATION,
  OPT_SERVER_IDENTIFIER,
  OPT_SUBNET_MASK,
  OPTION_MAX_LEN,
  OVERLOAD_FILE,
  OVERLOAD_SNAME,
  SNAME_LEN,
} from './constants.js';
import type { ReplyPlan, RequestView } from './types.js';

export { buildRequest, type RequestFields, type RequestOptionValue } from './request-builder.js';

const AREA_MAIN = 0;
const AREA_FILE = 1;
const AREA_SNAME = 2;

// State of the option layout for one encodeReply call. Kept at module level so an encode
// allocates nothing: each worker thread has its own copy, and encodeReply never re-enters.
const areaStart = new Int32Array(3);
const areaEnd = new Int32Array(3); // exclusive; the last byte of each area is kept for END
const areaCursor = new Int32Array(3);
const areaOrder = new Int32Array(3); // areas in RFC 3396 order: options field, then file, then sname
let areaCount = 0;
let currentOrder = 0; // index into areaOrder; options never go back to an earlier area
let areaUsedMask = 0;
/** Per plan.options index: 0 emitted, 1 dropped to save space, 2 skipped as invalid. */
let optionState = new Uint8Array(64);

const textEncoder = new TextEncoder();

/**
 * Writes one BOOTREPLY for `request` and `plan` at out[offset..] and returns its length, or 0 when
 * not even the options that are never dropped fit within `capacity` and plan.maxMessageSize, or
 * when `capacity` is below the 300-byte minimum. Never throws on request or plan data (the fuzz test checks this for any decodable request).
 * A plan.maxMessageSize below 548 (or not a number) counts as 548, the size every client must
 * accept (RFC 2131 §2). Options with code 0, 52, 53 or 255, or not an integer in 0..255, are skipped.
 */
export function encodeReply(
  request: RequestView,
  plan: ReplyPlan,
  out: Uint8Array,
  offset: number,
  capacity: number,
): number {
  if (!Number.isInteger(offset) || offset < 0 || offset > out.length) return 0;
  const maxMessageSize = plan.maxMessageSize >= DHCP_DEFAULT_MAX_MESSAGE ? plan.maxMessageSize : DHCP_DEFAULT_MAX_MESSAGE;
  const limit = Math.floor(Math.min(capacity, out.length - offset, maxMessageSize));
  if (!(limit >= BOOTP_MIN_LEN)) return 0;

  const relayInfo = plan.echoRelayAgentInfo ? request.relayAgentInfo() : undefined;
  const options = plan.options;
  markInvalidOptions(options);

  let isOverloaded = false;
  for (;;) {
    if (layOut(plan, relayInfo, limit, false, undefined, 0)) break;
    if (layOut(plan, relayInfo, limit, true, undefined, 0)) {
      isOverloaded = true;
      break;
    }
    if (!dropLastOptional(options)) return 0;
  }

  // Measure pass done: zero the message, then write the header and the same layout for real.
  const mainEnd = areaCursor[AREA_MAIN]! + 1; // + END
  const length = Math.max(BOOTP_MIN_LEN, mainEnd);
  out.fill(0, offset, offset + length);
  writeHeader(request, plan, out, offset);
  layOut(plan, relayInfo, limit, isOverloaded, out, offset);
  return length;
}

/** Lays the options out (measure only when `out` is undefined) and returns whether they fit. */
function layOut(
  plan: ReplyPlan,
  relayInfo: Uint8Array | undefined,
  limit: number,
  isOverloaded: boolean,
  out: Uint8Array | undefined,
  offset: number,
): boolean {
  setUpAreas(plan, limit, isOverloaded);
  if (isOverloaded && areaCount === 1) return false; // neither file nor sname is free

  const messageType = plan.messageType & 0xff;
  if (!place(OPT_DHCP_MESSAGE_TYPE, undefined, messageType, out, offset)) return false;
  // RFC 2131 §4.1: option 52 itself stays in the options field; its value is set once known.
  const overloadAt = areaCursor[AREA_MAIN]!;
  if (isOverloaded && !place(OPT_OPTION_OVERLOAD, undefined, 0, out, offset)) return false;

  const options = plan.options;
  for (let i = 0; i < options.length; i++) {
    if (optionState[i] !== 0) continue;
    const [code, value] = options[i]!;
    if (!place(code, value, 0, out, offset)) return false;
  }
  if (relayInfo !== undefined && !place(OPT_RELAY_AGENT_INFORMATION, relayInfo, 0, out, offset)) return false;

  if (out !== undefined) finishAreas(out, offset, isOverloaded, overloadAt);
  return true;
}

function setUpAreas(plan: ReplyPlan, limit: number, isOverloaded: boolean): void {
  areaStart[AREA_MAIN] = OFF_OPTIONS;
  areaEnd[AREA_MAIN] = limit - 1;
  areaStart[AREA_FILE] = OFF_FILE;
  areaEnd[AREA_FILE] = OFF_FILE + FILE_LEN - 1;
  areaStart[AREA_SNAME] = OFF_SNAME;
  areaEnd[AREA_SNAME] = OFF_SNAME + SNAME_LEN - 1;
  for (let a = 0; a < 3; a++) areaCursor[a] = areaStart[a]!;

  areaCount = 0;
  currentOrder = 0;
  areaUsedMask = 0;
  areaOrder[areaCount++] = AREA_MAIN;
  if (!isOverloaded) return;
  if (plan.file === '') areaOrder[areaCount++] = AREA_FILE;
  if (plan.sname === '') areaOrder[areaCount++] = AREA_SNAME;
}

/**
 * Places one option, split into instances of at most 255 bytes, each in the current area or a
 * later one, so the RFC 3396 order (options field, file, sname) matches the emission order.
 * Writes it when `out` is given. A one-byte option passes `value` undefined and its
 * byte in `byte`. Returns false when an instance fits in no remaining area.
 */
function place(code: number, value: Uint8Array | undefined, byte: number, out: Uint8Array | undefined, offset: number): boolean {
  const total = value === undefined ? 1 : value.length;
  let done = 0;
  do {
    const chunk = Math.min(total - done, OPTION_MAX_LEN);
    const size = 2 + chunk;
    while (currentOrder < areaCount && !fits(areaOrder[currentOrder]!, size)) currentOrder++;
    if (currentOrder === areaCount) return false;

    const area = areaOrder[currentOrder]!;
    const at = areaCursor[area]!;
    if (out !== undefined) {
      out[offset + at] = code;
      out[offset + at + 1] = chunk;
      if (value === undefined) out[offset + at + 2] = byte;
      else copyBytes(value, done, chunk, out, offset + at + 2);
    }
    areaCursor[area] = at + size;
    areaUsedMask |= 1 << area;
    done += chunk;
  } while (done < total);
  return true;
}

/**
 * Copies `length` bytes of `from`, starting at `start`, to out[at..]. A byte loop, because
 * subarray() of a small typed array would first move its bytes to a buffer of their own.
 */
function copyBytes(from: Uint8Array, start: number, length: number, out: Uint8Array, at: number): void {
  for (let i = 0; i < length; i++) out[at + i] = from[start + i]!;
}

/** True when `size` more bytes fit in `area` with room left for END. */
function fits(area: number, size: number): boolean {
  return areaCursor[area]! + size <= areaEnd[area]!;
}

/** Writes END after the last option of each used area and the final option 52 value. */
function finishAreas(out: Uint8Array, offset: number, isOverloaded: boolean, overloadAt: number): void {
  out[offset + areaCursor[AREA_MAIN]!] = OPT_END;
  if (!isOverloaded) return;

  let overload = 0;
  if ((areaUsedMask & (1 << AREA_FILE)) !== 0) {
    out[offset + areaCursor[AREA_FILE]!] = OPT_END;
    overload |= OVERLOAD_FILE;
  }
  if ((areaUsedMask & (1 << AREA_SNAME)) !== 0) {
    out[offset + areaCursor[AREA_SNAME]!] = OPT_END;
    overload |= OVERLOAD_SNAME;
  }
  out[offset + overloadAt + 2] = overload;
}

function writeHeader(request: RequestView, plan: ReplyPlan, out: Uint8Array, offset: number): void {
  const chaddr = request.chaddr();
  const hlen = Math.min(request.hlen, CHADDR_LEN, chaddr.length);

  out[offset + OFF_OP] = BOOTREPLY;
  out[offset + OFF_HTYPE] = request.htype;
  out[offset + OFF_HLEN] = hlen;
  out[offset + OFF_HOPS] = request.hops;
  writeU32(out, offset + OFF_XID, request.xid);
  // secs stays 0 (RFC 2131 Table 3).
  out[offset + OFF_FLAGS] = (plan.flags >>> 8) & 0xff;
  out[offset + OFF_FLAGS + 1] = plan.flags & 0xff;
  writeU32(out, offset + OFF_CIADDR, plan.ciaddr);
  writeU32(out, offset + OFF_YIADDR, plan.yiaddr);
  writeU32(out, offset + OFF_SIADDR, plan.siaddr);
  writeU32(out, offset + OFF_GIADDR, request.giaddr);
  out.set(chaddr.subarray(0, hlen), offset + OFF_CHADDR);
  writeText(out, offset + OFF_SNAME, SNAME_LEN, plan.sname);
  writeText(out, offset + OFF_FILE, FILE_LEN, plan.file);
  writeU32(out, offset + OFF_COOKIE, MAGIC_COOKIE);
}

/** Writes `text` as UTF-8 into a zeroed field, cut so that at least one NUL terminator remains. */
function writeText(out: Uint8Array, at: number, fieldLength: number, text: string): void {
  if (typeof text !== 'string' || text.length === 0) return;
  textEncoder.encodeInto(text, out.subarray(at, at + fieldLength - 1));
}

function writeU32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = (value >>> 16) & 0xff;
  out[at + 2] = (value >>> 8) & 0xff;
  out[at + 3] = value & 0xff;
}

function markInvalidOptions(options: ReplyPlan['options']): void {
  if (optionState.length < options.length) optionState = new Uint8Array(Math.max(options.length, optionState.length * 2));
  for (let i = 0; i < options.length; i++) {
    const [code, value] = options[i]!;
    const isValid =
      (code & 0xff) === code &&
      code !== OPT_PAD &&
      code !== OPT_END &&
      code !== OPT_DHCP_MESSAGE_TYPE &&
      code !== OPT_OPTION_OVERLOAD &&
      value instanceof Uint8Array;
    optionState[i] = isValid ? 0 : 2;
  }
}

/** Drops the last option of the plan that may be dropped; false when none is left. */
function dropLastOptional(options: ReplyPlan['options']): boolean {
  for (let i = options.length - 1; i >= 0; i--) {
    if (optionState[i] !== 0) continue;
    const code = options[i]![0];
    if (code === OPT_SUBNET_MASK || code === OPT_IP_ADDRESS_LEASE_TIME || code === OPT_SERVER_IDENTIFIER) continue;
    if (code === OPT_RELAY_AGENT_INFORMATION) continue;
    optionState[i] = 1;
    return true;
  }
  return false;
}
