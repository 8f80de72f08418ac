// Test helpers for the engine: configurations with Kea's defaults, a request view over a plain
// object, and a harness that runs one request inside a MemoryLeaseStore transaction.

import pino from 'pino';

import { parseIp } from '../../../src/codec/addr.js';
import type { RequestView } from '../../../src/codec/types.js';
import type { ConfiguredOption, OptionSet, PoolConfig, ReservationConfig, ServerConfig, SubnetConfig } from '../../../src/config/types.js';
import { Engine } from '../../../src/engine/engine.js';
import type { EngineOptions } from '../../../src/engine/engine.js';
import { DeliveryKind } from '../../../src/engine/types.js';
import type { EngineResult, Ingress } from '../../../src/engine/types.js';
import { MemoryLeaseStore } from '../../../src/leases/memory-store.js';
import { LeaseState } from '../../../src/leases/types.js';
import type { Lease4 } from '../../../src/leases/types.js';

export const NOW = 1_800_000_000;
export const BROADCAST = 0xffffffff;

/** Parses a dotted quad; throws on a typo so a test cannot pass on a bad literal. */
export function ip(text: string): number {
  const value = parseIp(text);
  if (value === undefined) throw new Error(`bad address literal '${text}'`);
  return value;
}

export function mac(last: number, prefix = 0x01): Uint8Array {
  return Uint8Array.of(0x02, 0, 0, 0, prefix, last);
}

export function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

export function text(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

export function u32(value: number): Uint8Array {
  return Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

export function options(entries: Array<[number, Uint8Array, boolean?]>): OptionSet {
  const map = new Map<number, ConfiguredOption>();
  for (const [code, data, alwaysSend] of entries) map.set(code, { code, data, alwaysSend: alwaysSend ?? false });
  return map;
}

export function pool(first: string, last: string, extra: Partial<PoolConfig> = {}): PoolConfig {
  return { first: ip(first), last: ip(last), clientClass: undefined, options: new Map(), ...extra };
}

export function reservation(extra: Partial<ReservationConfig>): ReservationConfig {
  return {
    hwAddress: undefined,
    clientId: undefined,
    circuitId: undefined,
    ipAddress: undefined,
    hostname: undefined,
    nextServer: undefined,
    serverHostname: undefined,
    bootFileName: undefined,
    options: new Map(),
    ...extra,
  };
}

/** Builds a subnet with Kea 2.2 defaults from a prefix such as '198.18.0.0/24'. */
export function subnet(id: number, prefix: string, extra: Partial<SubnetConfig> = {}): SubnetConfig {
  const [address, length] = prefix.split('/') as [string, string];
  const prefixLength = Number(length);
  const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
  const network = (ip(address) & mask) >>> 0;
  const validLifetime = extra.validLifetime ?? 3600;
  const base = {
    id,
    subnet: prefix,
    network,
    prefixLength,
    mask,
    broadcast: (network | ~mask) >>> 0,
    pools: [],
    relayAddresses: [],
    interface: undefined,
    reservations: [],
    options: new Map(),
    validLifetime,
    minValidLifetime: validLifetime,
    maxValidLifetime: validLifetime,
    renewTimer: undefined,
    rebindTimer: undefined,
    calculateTeeTimes: false,
    t1Percent: 0.5,
    t2Percent: 0.875,
    matchClientId: true,
    authoritative: false,
    echoClientId: true,
    nextServer: 0,
    serverHostname: '',
    bootFileName: '',
    reservationsInSubnet: true,
    reservationsOutOfPool: false,
    serverId: undefined,
    clientClass: undefined,
  };
  return { ...base, ...extra } as SubnetConfig;
}

/** Builds the lab network: 198.18.0.0/24 on eth0 with pool .100–.199, router .1, DNS .53, NTP .123, domain kc.example. */
export function labSubnet(extra: Partial<SubnetConfig> = {}): SubnetConfig {
  return subnet(1, '198.18.0.0/24', {
    interface: 'eth0',
    pools: [pool('198.18.0.100', '198.18.0.199')],
    options: options([
      [3, u32(ip('198.18.0.1'))],
      [6, u32(ip('198.18.0.53'))],
      [15, text('kc.example')],
      [42, u32(ip('198.18.0.123'))],
    ]),
    ...extra,
  });
}

export function makeConfig(extra: Partial<ServerConfig> = {}): ServerConfig {
  return {
    interfaces: [{ name: 'eth0', address: undefined }],
    socketType: 'raw',
    leaseDatabase: { type: 'memfile', path: '/nonexistent/leases', persist: false },
    subnets: [labSubnet()],
    options: new Map(),
    globalReservations: [],
    reservationsGlobal: false,
    declineProbationPeriodSec: 86400,
    hostReservationIdentifiers: ['hw-address', 'duid', 'circuit-id', 'client-id'],
    expiredLeases: {
      reclaimTimerWaitTimeSec: 10,
      flushReclaimedTimerWaitTimeSec: 25,
      holdReclaimedTimeSec: 3600,
      maxReclaimLeases: 100,
      maxReclaimTimeMs: 250,
      unwarnedReclaimCycles: 5,
    },
    controlSocket: undefined,
    loggers: [],
    hasLeaseCommands: false,
    haParameters: undefined,
    ha: undefined,
    nestor: { workers: 0, serverPort: 67, clientPort: 68, lmdbMapSizeBytes: 1 << 20, commitWindowUs: 0, receiveIntervalMs: 0 },
    sourcePath: '/nonexistent/kea.json',
    raw: {},
    ...extra,
  };
}

/** Fields of a fake request; options are raw values by code (option 82 as its raw sub-option bytes). */
export interface FakeRequest {
  messageType: number;
  chaddr?: Uint8Array;
  htype?: number;
  hlen?: number;
  hops?: number;
  xid?: number;
  flags?: number;
  ciaddr?: number;
  giaddr?: number;
  options?: Array<[number, Uint8Array]>;
}

/** RequestView over a plain object, with the same length rules as the codec's getters. */
export class FakeView implements RequestView {
  readonly op = 1;
  readonly htype: number;
  readonly hlen: number;
  readonly hops: number;
  readonly xid: number;
  readonly secs = 0;
  readonly flags: number;
  readonly ciaddr: number;
  readonly yiaddr = 0;
  readonly siaddr = 0;
  readonly giaddr: number;
  readonly messageType: number;
  private readonly hw: Uint8Array;
  private readonly opts: Map<number, Uint8Array>;

  constructor(fields: FakeRequest) {
    this.messageType = fields.messageType;
    this.hw = fields.chaddr ?? mac(1);
    this.htype = fields.htype ?? 1;
    this.hlen = fields.hlen ?? this.hw.length;
    this.hops = fields.hops ?? 0;
    this.xid = fields.xid ?? 0x11223344;
    this.flags = fields.flags ?? 0;
    this.ciaddr = fields.ciaddr ?? 0;
    this.giaddr = fields.giaddr ?? 0;
    this.opts = new Map(fields.options ?? []);
  }

  chaddr(): Uint8Array {
    return this.hw.subarray(0, this.hlen);
  }
  has(code: number): boolean {
    return this.opts.has(code);
  }
  option(code: number): Uint8Array | undefined {
    return this.opts.get(code);
  }
  requestedIp(): number | undefined {
    return this.address(50);
  }
  serverId(): number | undefined {
    return this.address(54);
  }
  clientId(): Uint8Array | undefined {
    const v = this.opts.get(61);
    return v !== undefined && v.length >= 2 ? v : undefined;
  }
  maxMessageSize(): number | undefined {
    const v = this.opts.get(57);
    return v !== undefined && v.length === 2 ? (v[0]! << 8) | v[1]! : undefined;
  }
  parameterRequestList(): Uint8Array | undefined {
    return this.opts.get(55);
  }
  requestedLeaseTime(): number | undefined {
    return this.address(51);
  }
  relayAgentInfo(): Uint8Array | undefined {
    const v = this.opts.get(82);
    return v !== undefined && v.length > 0 ? v : undefined;
  }
  relaySubOption(sub: number): Uint8Array | undefined {
    const v = this.relayAgentInfo();
    if (v === undefined) return undefined;
    for (let i = 0; i + 1 < v.length; ) {
      const len = v[i + 1]!;
      if (v[i] === sub) return v.subarray(i + 2, i + 2 + len);
      i += 2 + len;
    }
    return undefined;
  }
  private address(code: number): number | undefined {
    const v = this.opts.get(code);
    return v !== undefined && v.length === 4 ? ((v[0]! << 24) | (v[1]! << 16) | (v[2]! << 8) | v[3]!) >>> 0 : undefined;
  }
}

/** Option 82 bytes from sub-options. */
export function relayInfo(...subs: Array<[number, Uint8Array]>): Uint8Array {
  const parts: number[] = [];
  for (const [code, value] of subs) parts.push(code, value.length, ...value);
  return Uint8Array.from(parts);
}

/** Builds the ingress of a direct broadcast from a client on eth0 of the lab network. */
export function directIngress(extra: Partial<Ingress> = {}): Ingress {
  return {
    ifindex: 2,
    ifname: 'eth0',
    sourceAddress: 0,
    sourcePort: 68,
    destinationAddress: BROADCAST,
    localAddress: ip('198.18.0.1'),
    isFailover: false,
    ...extra,
  };
}

export function relayIngress(extra: Partial<Ingress> = {}): Ingress {
  return directIngress({ ifname: 'eth1', sourceAddress: ip('198.18.5.1'), sourcePort: 67, destinationAddress: ip('198.18.1.1'), localAddress: ip('198.18.1.1'), ...extra });
}

export type Shard = { index: number; count: number } | undefined;

/** The two worker layouts every allocation suite runs under. */
export const SHARDS: Array<[string, Shard]> = [
  ['one worker', undefined],
  ['worker 1 of 2', { index: 1, count: 2 }],
];

/** An Engine over a MemoryLeaseStore, with the clock and the server addresses of the lab. */
export class Harness {
  readonly store = new MemoryLeaseStore();
  readonly engine: Engine;
  readonly config: ServerConfig;
  nowSec = NOW;

  constructor(config: ServerConfig = makeConfig(), shard: Shard = undefined, extra: Partial<EngineOptions> = {}) {
    this.config = config;
    this.engine = new Engine(config, {
      log: pino({ level: 'silent' }),
      serverAddresses: [ip('198.18.0.1'), ip('198.18.1.1')],
      ...(shard !== undefined ? { shard } : {}),
      ...extra,
    });
  }

  send(fields: FakeRequest, ingress: Ingress = directIngress()): EngineResult {
    const result: EngineResult = {
      reply: undefined,
      delivery: { kind: DeliveryKind.BROADCAST, address: 0, port: 0 },
      outcome: '',
      changes: [],
    };
    const view = new FakeView(fields);
    this.store.transact((tx) => this.engine.handle(view, ingress, this.nowSec, tx, result));
    return result;
  }

  /** Runs DISCOVER then SELECTING REQUEST and returns the ACKed address (throws when no ACK). */
  lease(chaddr: Uint8Array, extraOptions: Array<[number, Uint8Array]> = [], ingress: Ingress = directIngress(), giaddr = 0): number {
    const offer = this.send({ messageType: 1, chaddr, giaddr, options: extraOptions }, ingress);
    if (offer.reply === undefined) throw new Error(`no offer: ${offer.outcome}`);
    const serverId = option(offer, 54)!;
    const ack = this.send({ messageType: 3, chaddr, giaddr, options: [...extraOptions, [54, serverId], [50, u32(offer.reply.yiaddr)]] }, ingress);
    if (ack.outcome !== 'ack') throw new Error(`no ack: ${ack.outcome}`);
    return ack.reply!.yiaddr;
  }

  /** Stores a lease directly. */
  put(lease: Partial<Lease4> & { address: number }): void {
    const full: Lease4 = {
      hwAddress: mac(1),
      htype: 1,
      clientId: undefined,
      subnetId: 1,
      validLifetime: 3600,
      cltt: this.nowSec,
      state: LeaseState.DEFAULT,
      hostname: '',
      fqdnFwd: false,
      fqdnRev: false,
      ...lease,
    };
    this.store.transact((tx) => tx.put(full));
  }
}

export function option(result: EngineResult, code: number): Uint8Array | undefined {
  return result.reply?.options.find(([c]) => c === code)?.[1];
}

export function optionCodes(result: EngineResult): number[] {
  return result.reply?.options.map(([c]) => c) ?? [];
}

export function readU32(value: Uint8Array | undefined): number | undefined {
  if (value === undefined) return undefined;
  return ((value[0]! << 24) | (value[1]! << 16) | (value[2]! << 8) | value[3]!) >>> 0;
}
