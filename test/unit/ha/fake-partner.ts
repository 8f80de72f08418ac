// A scripted HA peer for scenario tests, and a harness that starts an HaService against it. The
// fake answers the commands a Kea 2.2 server sends to its partner (ha-heartbeat, lease4-update,
// lease4-del, lease4-get-page, dhcp-disable, dhcp-enable, ha-sync-complete-notify, ha-reset,
// ha-maintenance-notify) and list-commands, which lists no lease4-bulk-update, with Kea's result
// codes and texts. It records every request and can be set to throw (a transport failure), to
// answer another result code, to delay an answer, or to report a given state, clock offset,
// scopes and unsent-update count. The harness runs under vitest fake timers, so the caller must
// call vi.useFakeTimers() before startHa().

import type { Duplex } from 'node:stream';

import pino from 'pino';
import type { Logger } from 'pino';
import { vi } from 'vitest';

import { NetworkState } from '../../../src/control/network-state.js';
import { parseHaConfig } from '../../../src/ha/ha-config.js';
import { HaService } from '../../../src/ha/service.js';
import type { PeerAnswer, PeerLink } from '../../../src/ha/service.js';
import type { HaConfig, HaMode, HaPeerConfig, HaState } from '../../../src/ha/types.js';
import { formatIpv4, parseIpv4 } from '../../../src/leases/lease-json.js';
import { MemoryLeaseStore } from '../../../src/leases/memory-store.js';
import type { Lease4 } from '../../../src/leases/types.js';

/** One request the fake received. */
export interface RecordedRequest {
  command: string;
  args: Record<string, unknown> | undefined;
  timeoutMs: number;
  /** Fake-clock time when the request arrived, Unix ms. */
  atMs: number;
}

/** A scripted outcome: an answer, or 'throw' for a transport failure. */
export type Outcome = PeerAnswer | 'throw';

interface Rule {
  command: string;
  match: ((args: Record<string, unknown> | undefined) => boolean) | undefined;
  outcome: Outcome;
  remaining: number;
}

export interface RuleOptions {
  /** How many requests the rule applies to; unlimited by default. */
  times?: number;
  /** Applies the rule only to requests whose arguments match. */
  match?: (args: Record<string, unknown> | undefined) => boolean;
}

/** Commands the fake serves, as a Kea 2.2 partner lists them (it has no lease4-bulk-update). */
const KEA_COMMANDS = [
  'dhcp-disable', 'dhcp-enable', 'ha-continue', 'ha-heartbeat', 'ha-maintenance-cancel', 'ha-maintenance-notify', 'ha-maintenance-start',
  'ha-reset', 'ha-scopes', 'ha-sync', 'ha-sync-complete-notify', 'lease4-del', 'lease4-get-page', 'lease4-update', 'list-commands', 'status-get',
];

export class FakePartner {
  /** State reported in ha-heartbeat answers. */
  state: HaState = 'waiting';
  /** Added to the fake clock for the heartbeat `date-time`. */
  clockOffsetMs = 0;
  scopes: string[] = [];
  unsentUpdateCount = 0;
  /** When true, every request throws, as a stopped server's connection does. */
  isDown = false;
  /** Whether this peer's DHCP service is on, as dhcp-disable, dhcp-enable and the sync notification set it. */
  isDhcpEnabled = true;
  /** Leases in Kea JSON with `cltt`, keyed by host-order address. */
  readonly leases = new Map<number, Record<string, unknown>>();
  readonly requests: RecordedRequest[] = [];
  private readonly rules: Rule[] = [];
  private readonly delays = new Map<string, number>();
  private stateBeforeMaintenance: HaState | undefined;
  isClosed = false;
  /** When true the fake is a nestor peer: it lists and serves lease4-bulk-update. */
  isNestor = false;
  /** Result of the link's openUpgrade; undefined refuses the upgrade, as a listener without the protocol does. */
  upgrade: (() => Promise<Duplex | 'refused'>) | undefined;
  /** Protocols the service requested an upgrade to, in order. */
  readonly upgradeRequests: string[] = [];

  constructor(readonly name: string) {}

  /** The PeerLink that HaService's connect() returns for this peer. */
  link(): PeerLink {
    return {
      send: (command, args, timeoutMs) => this.receive(command, args, timeoutMs),
      openUpgrade: (protocol) => {
        this.upgradeRequests.push(protocol);
        return this.upgrade?.() ?? Promise.resolve('refused');
      },
      close: () => {
        this.isClosed = true;
      },
    };
  }

  /** Answers `command` with this result code instead of the normal answer. */
  answerWith(command: string, result: number, text?: string, options: RuleOptions = {}): void {
    this.script(command, text === undefined ? { result } : { result, text }, options);
  }

  /** Makes `command` throw, as a refused connection or a timeout does. */
  failOn(command: string, options: RuleOptions = {}): void {
    this.script(command, 'throw', options);
  }

  /** Delays every answer to `command` by this many fake-clock ms. */
  delay(command: string, ms: number): void {
    this.delays.set(command, ms);
  }

  /** Requests of one command, in arrival order. */
  sent(command: string): RecordedRequest[] {
    return this.requests.filter((r) => r.command === command);
  }

  /** Command names of every request except the list-commands probes, in arrival order. */
  commands(): string[] {
    return this.requests.map((r) => r.command).filter((c) => c !== 'list-commands');
  }

  /** `command ip-address` of every lease4-update and lease4-del, in arrival order. */
  leaseCommands(): string[] {
    return this.requests.filter((r) => r.command === 'lease4-update' || r.command === 'lease4-del').map((r) => `${r.command} ${String(r.args?.['ip-address'])}`);
  }

  /** Stores a lease given in Kea JSON with `cltt`. */
  addLease(json: Record<string, unknown>): void {
    this.leases.set(parseIpv4(json['ip-address'])!, { ...json });
  }

  private script(command: string, outcome: Outcome, options: RuleOptions): void {
    this.rules.push({ command, match: options.match, outcome, remaining: options.times ?? Number.POSITIVE_INFINITY });
  }

  private async receive(command: string, args: Record<string, unknown> | undefined, timeoutMs: number): Promise<PeerAnswer> {
    this.requests.push({ command, args: args === undefined ? undefined : structuredClone(args), timeoutMs, atMs: Date.now() });
    const wait = this.delays.get(command);
    if (wait !== undefined) await new Promise((resolve) => setTimeout(resolve, wait));
    if (this.isDown) throw new Error(`connect ECONNREFUSED (fake peer ${this.name} is down)`);

    const rule = this.rules.find((r) => r.command === command && r.remaining > 0 && (r.match === undefined || r.match(args)));
    if (rule !== undefined) {
      rule.remaining--;
      if (rule.outcome === 'throw') throw new Error(`socket hang up (fake peer ${this.name} failed '${command}')`);
      return { ...rule.outcome };
    }
    return this.answer(command, args);
  }

  private answer(command: string, args: Record<string, unknown> | undefined): PeerAnswer {
    switch (command) {
      case 'ha-heartbeat':
        return {
          result: 0,
          text: 'HA peer status returned.',
          arguments: {
            state: this.state,
            'date-time': new Date(Date.now() + this.clockOffsetMs).toUTCString(),
            scopes: [...this.scopes],
            'unsent-update-count': this.unsentUpdateCount,
          },
        };
      case 'lease4-update':
        return this.updateLease(args ?? {});
      case 'lease4-del': {
        const address = parseIpv4(args?.['ip-address']);
        if (address === undefined || !this.leases.delete(address)) return { result: 3, text: 'IPv4 lease not found.' };
        return { result: 0, text: 'IPv4 lease deleted.' };
      }
      case 'lease4-get-page':
        return this.page(args ?? {});
      case 'dhcp-disable': {
        this.isDhcpEnabled = false;
        const period = args?.['max-period'];
        return { result: 0, text: period === undefined ? 'DHCPv4 service disabled' : `DHCPv4 service disabled for ${String(period)} seconds` };
      }
      case 'dhcp-enable':
        this.isDhcpEnabled = true;
        return { result: 0, text: 'DHCP service successfully enabled' };
      case 'ha-sync-complete-notify':
        this.isDhcpEnabled = true;
        return { result: 0, text: 'Server successfully notified about the synchronization completion.' };
      case 'ha-reset':
        if (this.state === 'waiting') return { result: 0, text: 'HA state machine already in WAITING state.' };
        this.state = 'waiting';
        return { result: 0, text: 'HA state machine reset.' };
      case 'ha-maintenance-notify':
        return this.maintenanceNotify(args?.['cancel'] === true);
      case 'list-commands':
        return { result: 0, arguments: this.isNestor ? [...KEA_COMMANDS, 'lease4-bulk-update'].sort() : [...KEA_COMMANDS] };
      case 'lease4-bulk-update':
        if (!this.isNestor) return { result: 2, text: `'${command}' command not supported.` };
        return this.bulkUpdate(args ?? {});
      default:
        return { result: 2, text: `'${command}' command not supported.` };
    }
  }

  // nestor's lease4-bulk-update: one result per change, in order; a rule on lease4-update with a match
  // applies to the matching entries, so a test can reject single changes of a bulk request.
  private bulkUpdate(args: Record<string, unknown>): PeerAnswer {
    const entries = args['leases'] as Record<string, unknown>[];
    const results = entries.map((entry) => {
      const { operation, ...rest } = entry;
      const command = operation === 'delete' ? 'lease4-del' : 'lease4-update';
      const rule = this.rules.find((r) => r.command === command && r.remaining > 0 && r.match !== undefined && r.match(rest));
      if (rule !== undefined && rule.outcome !== 'throw') {
        rule.remaining--;
        return { ...rule.outcome };
      }
      return this.answer(command, command === 'lease4-update' ? { ...rest, 'force-create': true } : rest);
    });
    return { result: 0, text: `${results.length} IPv4 lease change(s) applied.`, arguments: { results } };
  }

  private updateLease(args: Record<string, unknown>): PeerAnswer {
    const address = parseIpv4(args['ip-address']);
    if (address === undefined) return { result: 1, text: "missing parameter 'ip-address'" };
    const exists = this.leases.has(address);
    if (!exists && args['force-create'] !== true) return { result: 1, text: 'failed to update the lease with address ' + String(args['ip-address']) };
    const json: Record<string, unknown> = { ...args };
    delete json['force-create'];
    delete json['expire'];
    json['cltt'] = (args['expire'] as number) - (args['valid-lft'] as number);
    this.leases.set(address, json);
    return { result: 0, text: exists ? 'IPv4 lease updated.' : 'IPv4 lease added.' };
  }

  // Kea's lease4-get-page: leases strictly after `from`, in ascending address order, at most `limit`.
  private page(args: Record<string, unknown>): PeerAnswer {
    const from = args['from'] === 'start' ? -1 : parseIpv4(args['from']);
    const limit = args['limit'];
    if (from === undefined || typeof limit !== 'number') return { result: 1, text: 'invalid lease4-get-page arguments' };
    const addresses = [...this.leases.keys()].filter((a) => a > from).sort((a, b) => a - b).slice(0, limit);
    const leases = addresses.map((a) => ({ ...this.leases.get(a)! }));
    return { result: leases.length > 0 ? 0 : 3, text: `${leases.length} IPv4 lease(s) found.`, arguments: { leases, count: leases.length } };
  }

  private maintenanceNotify(cancel: boolean): PeerAnswer {
    if (cancel) {
      if (this.state !== 'in-maintenance') return { result: 1, text: 'Unable to cancel the maintenance for the server not in the in-maintenance state.' };
      this.state = this.stateBeforeMaintenance ?? 'waiting';
      return { result: 0, text: 'Server maintenance successfully canceled.' };
    }
    if (this.state === 'backup' || this.state === 'partner-in-maintenance' || this.state === 'terminated') {
      return { result: 1001, text: `Unable to transition the server from the ${this.state} to in-maintenance state.` };
    }
    this.stateBeforeMaintenance = this.state;
    this.state = 'in-maintenance';
    return { result: 0, text: 'Server is in-maintenance state.' };
  }
}

// ---- configuration -------------------------------------------------------------------------

/** Short timers for scenario tests, in ms. */
export const TIMERS = { 'heartbeat-delay': 1000, 'max-response-delay': 3000, 'max-ack-delay': 2000, 'max-unacked-clients': 2 };

export interface ConfigOptions {
  /** Name of this server: server1 (primary), server2 (secondary or standby) or server3 (backup). */
  thisServer?: string;
  mode?: HaMode;
  /** Adds server3 as a backup; passive-backup always has it. */
  withBackup?: boolean;
  /** auto-failover of server1 and server2. */
  autoFailover?: boolean;
  /** Extra relationship parameters, such as sync-leases or state-machine. */
  parameters?: Record<string, unknown>;
}

/** Builds a validated HaConfig with the short timers; throws with the issues when it is invalid. */
export function haConfig(options: ConfigOptions = {}): HaConfig {
  const mode = options.mode ?? 'load-balancing';
  const autoFailover = options.autoFailover ?? true;
  const peers: Record<string, unknown>[] = [{ name: 'server1', url: 'http://198.18.0.1:8001/', role: 'primary', 'auto-failover': autoFailover }];
  if (mode !== 'passive-backup') {
    const role = mode === 'load-balancing' ? 'secondary' : 'standby';
    peers.push({ name: 'server2', url: 'http://198.18.0.2:8001/', role, 'auto-failover': autoFailover });
  }
  if (options.withBackup === true || mode === 'passive-backup') peers.push({ name: 'server3', url: 'http://198.18.0.3:8001/', role: 'backup' });

  const relationship = { 'this-server-name': options.thisServer ?? 'server1', mode, peers, ...TIMERS, ...options.parameters };
  const result = parseHaConfig({ 'high-availability': [relationship] }, 'parameters');
  if (result.config === undefined) throw new Error(`invalid test HA config: ${JSON.stringify(result.issues)}`);
  return result.config;
}

// ---- harness -------------------------------------------------------------------------------

/** One log call: level, catalogue id and fields. */
export interface LogEntry {
  level: string;
  msgId: string;
  fields: Record<string, unknown>;
}

export interface HaHarness {
  service: HaService;
  /** The active partner (server2, or server1 when this server is server2); undefined without one. */
  partner: FakePartner;
  /** Every peer's fake by name. */
  peers: Map<string, FakePartner>;
  store: MemoryLeaseStore;
  networkState: NetworkState;
  log: Logger;
  logs: LogEntry[];
  /** Catalogue ids logged so far. */
  messageIds(): string[];
  /** State transitions so far as 'from → to'. */
  transitions(): string[];
  stop(): void;
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

/** Builds an HaService with fakes for every peer, a memory store and a real NetworkState, then starts it. */
export function startHa(config: HaConfig, options: { store?: MemoryLeaseStore; start?: boolean } = {}): HaHarness {
  const log = pino({ level: 'silent' });
  const logs: LogEntry[] = [];
  for (const level of LEVELS) {
    vi.spyOn(log, level).mockImplementation(((obj: unknown) => {
      const fields = (typeof obj === 'object' && obj !== null ? obj : {}) as Record<string, unknown>;
      logs.push({ level, msgId: String(fields['msgId']), fields });
    }) as never);
  }

  const peers = new Map<string, FakePartner>();
  for (const peer of config.peers) if (peer.name !== config.thisServerName) peers.set(peer.name, new FakePartner(peer.name));
  const store = options.store ?? new MemoryLeaseStore();
  const networkState = new NetworkState(() => undefined, log);
  const service = new HaService({
    config,
    store,
    log,
    networkState,
    connect: (peer: HaPeerConfig) => peers.get(peer.name)!.link(),
    nowMs: () => Date.now(),
  });
  if (options.start !== false) service.start();

  const partnerName = config.partner?.name;
  return {
    service,
    partner: partnerName === undefined ? new FakePartner('none') : peers.get(partnerName)!,
    peers,
    store,
    networkState,
    log,
    logs,
    messageIds: () => logs.map((e) => e.msgId),
    transitions: () => logs.filter((e) => e.msgId === 'HA_STATE_TRANSITION').map((e) => `${String(e.fields['from'])} → ${String(e.fields['to'])}`),
    stop: () => {
      service.stop();
      networkState.close();
    },
  };
}

/** Advances the fake clock by n heartbeat periods of 1000 ms, running every timer and promise on the way. */
export async function heartbeats(n = 1): Promise<void> {
  await vi.advanceTimersByTimeAsync(n * TIMERS['heartbeat-delay']);
}

/**
 * Heartbeat period of nestor while the pair starts up (waiting, syncing, ready) and the partner
 * answers; Kea keeps heartbeat-delay there.
 */
export const STARTUP_BEAT_MS = 500;

/** Runs the first heartbeat, which start() sends at once (Kea waits heartbeat-delay), and what it starts. */
export async function firstHeartbeat(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}

/** Fake-clock start for every scenario, a whole second so RFC 1123 dates round-trip exactly. */
export const T0 = Date.UTC(2026, 11, 4, 19, 0, 0);

// ---- leases --------------------------------------------------------------------------------

/** Builds a lease in 198.18.0.0/24; `host` is the last octet. */
export function lease(host: number, overrides: Partial<Lease4> = {}): Lease4 {
  return {
    address: (0xc6120000 | host) >>> 0,
    hwAddress: Uint8Array.of(0x00, 0x0c, 0x01, 0x02, 0x03, host),
    htype: 1,
    clientId: undefined,
    subnetId: 1,
    validLifetime: 600,
    cltt: 1796412203,
    state: 0,
    hostname: '',
    fqdnFwd: false,
    fqdnRev: false,
    ...overrides,
  };
}

/** Kea JSON (the `cltt` form of lease4-get-page) of a lease in 198.18.0.0/24. */
export function leaseJson(host: number, cltt: number): Record<string, unknown> {
  return {
    'ip-address': formatIpv4((0xc6120000 | host) >>> 0),
    'hw-address': `00:0c:01:02:03:${host.toString(16).padStart(2, '0')}`,
    'subnet-id': 1,
    cltt,
    'valid-lft': 600,
    'fqdn-fwd': false,
    'fqdn-rev': false,
    hostname: '',
    state: 0,
  };
}

/** Summarises by parity which RFC 3074 buckets (0-255) the service accepts. */
export function acceptedBuckets(service: HaService): { even: boolean; odd: boolean; all: boolean; none: boolean } {
  let accepted = 0;
  let even = false;
  let odd = false;
  for (let bucket = 0; bucket < 256; bucket++) {
    if (!service.accepts(bucket)) continue;
    accepted++;
    if (bucket % 2 === 0) even = true;
    else odd = true;
  }
  return { even, odd, all: accepted === 256, none: accepted === 0 };
}
