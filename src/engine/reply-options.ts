// Reply contents: lease time, T1/T2, the option list in emission order, header fields, and the
// DHCPNAK shape.
//
// Option order after 53 (which the encoder writes first): 54, 51, 58, 59, 1, then the options of
// the parameter request list in the client's order (RFC 2132 §9.8: the server tries to follow
// it), then configured always-send options, then Kea's basic set (3, 6, 15) when configured, then
// the answers to options the client sent (12, 81, 118, 61). Each code appears once. Values come
// from the reservation, then the pool, then the subnet (already merged with the global options).
// Options that change client behaviour (80, 108, 116, 121) go out only when the client listed
// them in option 55, never through always-send. Option 82 is echoed by the encoder, last.

import {
  MSG_DHCPNAK,
  OPT_CLASSLESS_STATIC_ROUTE,
  OPT_CLIENT_FQDN,
  OPT_CLIENT_IDENTIFIER,
  OPT_DOMAIN_NAME,
  OPT_DOMAIN_NAME_SERVER,
  OPT_HOST_NAME,
  OPT_IP_ADDRESS_LEASE_TIME,
  OPT_MESSAGE,
  OPT_RAPID_COMMIT,
  OPT_REBINDING_TIME,
  OPT_RENEWAL_TIME,
  OPT_ROUTER,
  OPT_SERVER_IDENTIFIER,
  OPT_SUBNET_MASK,
  OPT_SUBNET_SELECTION,
  OPT_AUTO_CONFIGURE,
  OPT_V6_ONLY_PREFERRED,
  DHCP_DEFAULT_MAX_MESSAGE,
  IP_UDP_HEADER_LEN,
  FLAG_BROADCAST,
  RAI_SERVER_ID_OVERRIDE,
} from '../codec/constants.js';
import type { ReplyPlan, RequestView } from '../codec/types.js';
import type { OptionSet, PoolConfig, ReservationConfig, SubnetConfig } from '../config/types.js';
import { INFINITE_LIFETIME } from './core.js';
import type { RequestContext } from './core.js';
import { readAddress } from './select-subnet.js';

/** Options the server never sends unless the client listed them in option 55. */
const REQUEST_ONLY = new Set([OPT_RAPID_COMMIT, OPT_V6_ONLY_PREFERRED, OPT_AUTO_CONFIGURE, OPT_CLASSLESS_STATIC_ROUTE]);

/** Codes the option list builder writes itself or that the encoder owns; configured values are skipped. */
const NOT_CONFIGURABLE = new Set([0, 50, 51, 52, 53, 54, 55, 57, 58, 59, 61, 82, 255]);

/** Kea's basic set, sent when configured even if not requested (Kea appendBasicOptions). */
const BASIC_OPTIONS = [OPT_ROUTER, OPT_DOMAIN_NAME_SERVER, OPT_DOMAIN_NAME];

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** RFC 4702 §2.1 flag bits of option 81. */
const FQDN_S = 0x01;
const FQDN_O = 0x02;
const FQDN_E = 0x04;
const FQDN_N = 0x08;

/** Lease times of one reply. */
export interface LeaseTimes {
  validSec: number;
  /** T1, or undefined when not sent. */
  renewSec: number | undefined;
  /** T2, or undefined when not sent. */
  rebindSec: number | undefined;
}

/**
 * Lease time for a new or extended lease: a requested time (option 51) is clamped into
 * [min-valid-lifetime, max-valid-lifetime]; without a request the subnet's valid-lifetime applies
 * (Kea getValidLft, which also ignores the expiry of an existing binding).
 */
export function chooseValidLifetime(req: RequestView, subnet: SubnetConfig): number {
  const requested = req.requestedLeaseTime();
  if (requested === undefined) return subnet.validLifetime;
  return Math.min(Math.max(requested, subnet.minValidLifetime), subnet.maxValidLifetime);
}

/**
 * T1 and T2 the Kea way (Kea setTeeTimes): configured renew/rebind timers, else percentages of the
 * lease when calculate-tee-times is on, else none. T2 is sent only below the lease time and T1
 * only below T2 (or below the lease time when T2 is not sent). RFC 2131 §4.4.5 gives the
 * client's own defaults of 0.5 and 0.875 when a server sends neither.
 */
export function chooseLeaseTimes(validSec: number, subnet: SubnetConfig): LeaseTimes {
  if (validSec === INFINITE_LIFETIME) return { validSec, renewSec: undefined, rebindSec: undefined };

  let rebind = subnet.rebindTimer ?? (subnet.calculateTeeTimes ? Math.round(validSec * subnet.t2Percent) : 0);
  let renew = subnet.renewTimer ?? (subnet.calculateTeeTimes ? Math.round(validSec * subnet.t1Percent) : 0);
  if (!(rebind > 0 && rebind < validSec)) rebind = 0;
  const renewLimit = rebind > 0 ? rebind : validSec;
  if (!(renew > 0 && renew < renewLimit)) renew = 0;
  return { validSec, renewSec: renew > 0 ? renew : undefined, rebindSec: rebind > 0 ? rebind : undefined };
}

/** Server identifier for replies: the subnet's configured one, else the RFC 5107 override, else the receiving address. */
export function replyServerId(ctx: RequestContext): number {
  const configured = ctx.subnet?.config.serverId;
  if (configured !== undefined) return configured;
  const override = readAddress(ctx.req.relaySubOption(RAI_SERVER_ID_OVERRIDE));
  if (override !== undefined) return override;
  return ctx.ingress.localAddress;
}

/** Maximum reply size from option 57: the client's limit minus the IP and UDP headers, never below 548. */
export function replyMaxMessageSize(req: RequestView): number {
  const requested = req.maxMessageSize();
  if (requested === undefined) return DHCP_DEFAULT_MAX_MESSAGE;
  return Math.max(DHCP_DEFAULT_MAX_MESSAGE, requested - IP_UDP_HEADER_LEN);
}

/**
 * Builds an OFFER or ACK plan. `times` is undefined for the ACK to a DHCPINFORM, which carries
 * no lease options (RFC 2131 §4.3.5).
 */
export function buildReplyPlan(
  ctx: RequestContext,
  messageType: number,
  yiaddr: number,
  ciaddr: number,
  times: LeaseTimes | undefined,
  pool: PoolConfig | undefined,
): ReplyPlan {
  const subnet = ctx.subnet?.config;
  const reservation = ctx.reservation;
  const options: Array<[number, Uint8Array]> = [];
  const emitted = new Set<number>();

  pushOnce(options, emitted, OPT_SERVER_IDENTIFIER, u32(replyServerId(ctx)));
  if (times !== undefined) {
    pushOnce(options, emitted, OPT_IP_ADDRESS_LEASE_TIME, u32(times.validSec));
    if (times.renewSec !== undefined) pushOnce(options, emitted, OPT_RENEWAL_TIME, u32(times.renewSec));
    if (times.rebindSec !== undefined) pushOnce(options, emitted, OPT_REBINDING_TIME, u32(times.rebindSec));
  }
  const sets = optionSets(ctx, pool);
  pushOnce(options, emitted, OPT_SUBNET_MASK, configured(sets, OPT_SUBNET_MASK) ?? (subnet !== undefined ? u32(subnet.mask) : undefined));

  const prl = ctx.req.parameterRequestList();
  if (prl !== undefined) {
    for (const code of prl) pushOnce(options, emitted, code, answerFor(ctx, sets, code, true));
  }
  for (const set of sets) {
    for (const option of set.values()) {
      if (option.alwaysSend && !REQUEST_ONLY.has(option.code)) pushOnce(options, emitted, option.code, answerFor(ctx, sets, option.code, false));
    }
  }
  for (const code of BASIC_OPTIONS) pushOnce(options, emitted, code, configured(sets, code));
  for (const code of [OPT_HOST_NAME, OPT_CLIENT_FQDN, OPT_SUBNET_SELECTION, OPT_CLIENT_IDENTIFIER]) {
    pushOnce(options, emitted, code, answerFor(ctx, sets, code, false));
  }

  return {
    messageType,
    ciaddr,
    yiaddr,
    siaddr: reservation?.nextServer ?? subnet?.nextServer ?? 0,
    flags: ctx.req.flags,
    sname: reservation?.serverHostname ?? subnet?.serverHostname ?? '',
    file: reservation?.bootFileName ?? subnet?.bootFileName ?? '',
    options,
    echoRelayAgentInfo: ctx.req.relayAgentInfo() !== undefined,
    maxMessageSize: replyMaxMessageSize(ctx.req),
  };
}

/**
 * Builds a DHCPNAK (RFC 2131 Table 3): 54, a short 56 text, 61 echoed (RFC 6842), 82 echoed;
 * yiaddr, ciaddr and siaddr zero; no sname or file. A relayed NAK sets the broadcast bit so the
 * relay broadcasts it on the client's link (RFC 2131 §4.3.2).
 */
export function buildNakPlan(ctx: RequestContext, reason: string): ReplyPlan {
  const options: Array<[number, Uint8Array]> = [
    [OPT_SERVER_IDENTIFIER, u32(replyServerId(ctx))],
    [OPT_MESSAGE, utf8Encoder.encode(reason)],
  ];
  const clientId = ctx.req.clientId();
  if (clientId !== undefined && (ctx.subnet?.config.echoClientId ?? true)) options.push([OPT_CLIENT_IDENTIFIER, clientId]);

  return {
    messageType: MSG_DHCPNAK,
    ciaddr: 0,
    yiaddr: 0,
    siaddr: 0,
    flags: ctx.req.giaddr !== 0 ? ctx.req.flags | FLAG_BROADCAST : ctx.req.flags,
    sname: '',
    file: '',
    options,
    echoRelayAgentInfo: ctx.req.relayAgentInfo() !== undefined,
    maxMessageSize: replyMaxMessageSize(ctx.req),
  };
}

/** Host name for a lease: the reservation's, else the client's option 12 without a trailing NUL. */
export function leaseHostname(ctx: RequestContext): string {
  if (ctx.reservation?.hostname !== undefined) return ctx.reservation.hostname;
  const sent = ctx.req.option(OPT_HOST_NAME);
  return sent !== undefined ? decodeText(sent) : '';
}

function optionSets(ctx: RequestContext, pool: PoolConfig | undefined): OptionSet[] {
  const sets: OptionSet[] = [];
  const reservation: ReservationConfig | undefined = ctx.reservation;
  if (reservation !== undefined && reservation.options.size > 0) sets.push(reservation.options);
  if (pool !== undefined && pool.options.size > 0) sets.push(pool.options);
  // An INFORM from a network without a subnet is answered from the global options.
  sets.push(ctx.subnet !== undefined ? ctx.subnet.config.options : ctx.globalOptions);
  return sets;
}

function pushOnce(options: Array<[number, Uint8Array]>, emitted: Set<number>, code: number, value: Uint8Array | undefined): void {
  if (value === undefined || emitted.has(code)) return;
  emitted.add(code);
  options.push([code, value]);
}

function configured(sets: readonly OptionSet[], code: number): Uint8Array | undefined {
  if (NOT_CONFIGURABLE.has(code)) return undefined;
  for (const set of sets) {
    const option = set.get(code);
    if (option !== undefined) return option.data;
  }
  return undefined;
}

/** The value to send for code, or undefined to leave it out. */
function answerFor(ctx: RequestContext, sets: readonly OptionSet[], code: number, isRequested: boolean): Uint8Array | undefined {
  switch (code) {
    case OPT_HOST_NAME: {
      const reserved = ctx.reservation?.hostname;
      if (reserved !== undefined && reserved !== '') return utf8Encoder.encode(reserved);
      const sent = ctx.req.option(OPT_HOST_NAME);
      if (sent !== undefined && decodeText(sent) !== '') return utf8Encoder.encode(decodeText(sent));
      return isRequested ? configured(sets, code) : undefined;
    }
    case OPT_CLIENT_FQDN:
      return answerFqdn(ctx.req.option(OPT_CLIENT_FQDN));
    case OPT_SUBNET_SELECTION:
      return ctx.req.option(OPT_SUBNET_SELECTION);
    case OPT_CLIENT_IDENTIFIER:
      return (ctx.subnet?.config.echoClientId ?? true) ? ctx.req.clientId() : undefined;
    default:
      if (!isRequested && REQUEST_ONLY.has(code)) return undefined;
      return configured(sets, code);
  }
}

/**
 * Answers option 81 for a server that performs no DNS updates (RFC 4702 §2.1 and §4): N set, S
 * clear, O set when the client asked the server to update (S), the client's E bit, both RCODEs
 * 255, and the client's domain name unchanged.
 */
function answerFqdn(sent: Uint8Array | undefined): Uint8Array | undefined {
  if (sent === undefined || sent.length < 3) return undefined;
  const clientFlags = sent[0]!;
  const answer = new Uint8Array(sent.length);
  answer.set(sent);
  answer[0] = FQDN_N | (clientFlags & FQDN_E) | ((clientFlags & FQDN_S) !== 0 ? FQDN_O : 0);
  answer[1] = 255;
  answer[2] = 255;
  return answer;
}

function decodeText(bytes: Uint8Array): string {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return utf8Decoder.decode(bytes.subarray(0, end));
}

function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  out[0] = value >>> 24;
  out[1] = (value >>> 16) & 0xff;
  out[2] = (value >>> 8) & 0xff;
  out[3] = value & 0xff;
  return out;
}
