// The HA service of one server. It runs Kea 2.2's state machine (spec §5), heartbeats and failure
// detection (§6), lease updates to the partner and the backups (§8.2, §10), lease synchronisation
// (§7), and the HA commands a partner or an operator sends (§8). It decides which scopes this server
// serves and whether its DHCP service runs; the server applies both to every received query.
//
// The model runs after every heartbeat, after each batch of lease updates and on HA commands, as
// Kea's does, so reactions follow the heartbeat rhythm. A handler returns the next state, or
// undefined to stay; a transition runs the new state's handler at once.

import type { Duplex } from 'node:stream';

import type { Logger } from 'pino';

import { ipToString } from '../codec/addr.js';
import type { LeaseChange } from '../engine/types.js';
import type { LeaseStore } from '../leases/types.js';
import { logMessage } from '../log/logger.js';
import type { NetworkState } from '../control/network-state.js';
import { CommunicationState } from './communication.js';
import type { AnalyzedQuery, HeartbeatReport } from './communication.js';
import { BULK_UPDATE_COMMAND, MAX_BULK_CHANGES, bulkArguments, readBulkResults } from './bulk.js';
import { LEASE_STREAM_PROTOCOL, LeaseStreamClient } from './lease-stream.js';
import type { BulkResult } from './bulk.js';
import { leaseChangeCommand, mergeLeasePage } from './lease-sync.js';
import { servedScopes, scopeOfBucket } from './query-filter.js';
import type { HaConfig, HaPeerConfig, HaState } from './types.js';

/** Element 0 of a partner's response. */
export interface PeerAnswer {
  result: number;
  text?: string;
  arguments?: unknown;
}

/** The connection to one peer: PeerClient in production, a fake in scenario tests. */
export interface PeerLink {
  send(command: string, args: Record<string, unknown> | undefined, timeoutMs: number): Promise<PeerAnswer>;
  /** Switches a new connection to another protocol (HTTP Upgrade); a link without it never uses the lease stream. */
  openUpgrade?(protocol: string): Promise<Duplex | 'refused'>;
  close(): void;
}

/** Kea's request timeout for every HA command except lease4-get-page. */
export const REQUEST_TIMEOUT_MS = 10_000;
/** Kea's result code for a refused maintenance request. */
export const RESULT_MAINTENANCE_NOT_ALLOWED = 1001;

const ALL_STATES: readonly HaState[] = [
  'waiting', 'syncing', 'ready', 'load-balancing', 'hot-standby', 'communication-recovery', 'partner-down',
  'partner-in-maintenance', 'in-maintenance', 'passive-backup', 'backup', 'terminated', 'unavailable',
];

/** States in which the local DHCP service runs (Kea's adjustNetworkState). */
const SERVICE_ON: ReadonlySet<HaState> = new Set<HaState>([
  'load-balancing', 'hot-standby', 'communication-recovery', 'partner-down', 'partner-in-maintenance', 'passive-backup', 'terminated',
]);

/** States without heartbeats. */
const NO_HEARTBEAT: ReadonlySet<HaState> = new Set<HaState>(['passive-backup', 'terminated', 'backup']);

/** States that check the clock skew and terminate on a large one. */
const SKEW_CHECKED: ReadonlySet<HaState> = new Set<HaState>([
  'waiting', 'syncing', 'ready', 'load-balancing', 'hot-standby', 'communication-recovery', 'partner-down', 'partner-in-maintenance',
]);

/** Maximum number of transitions in one model run. The table has no cycle that long. */
const MAX_TRANSITIONS_PER_RUN = 8;
/** lease4-bulk-update requests in flight per peer; later changes wait and go together in the next one. */
const BULK_WINDOW = 2;
/** Page size of a sync from a nestor peer, which serves large pages quickly. Kea peers get sync-page-limit. */
const NESTOR_SYNC_PAGE_LIMIT = 20_000;
/** Heartbeat period while a pair starts up. */
const STARTUP_HEARTBEAT_MS = 500;
/** Clock-skew warnings are logged at most this often. */
const SKEW_WARN_INTERVAL_MS = 60_000;

export interface HaServiceOptions {
  config: HaConfig;
  store: LeaseStore;
  log: Logger;
  networkState: NetworkState;
  /** Opens the link to a peer; called once per peer. */
  connect(peer: HaPeerConfig): PeerLink;
  /** Clock in Unix milliseconds; tests replace it. */
  nowMs?: () => number;
}

/** The outcome of one batch's lease updates: the reply indexes whose updates failed. */
export interface UpdateOutcome {
  failedReplies: ReadonlySet<number>;
}

export class HaService {
  readonly config: HaConfig;
  readonly communication: CommunicationState;
  private currentState: HaState = 'waiting';
  private previousState: HaState = 'waiting';
  /** State to return to when maintenance is cancelled. */
  private stateBeforeMaintenance: HaState | undefined;
  private scopes: readonly string[] = [];
  /** servesParity[0] and [1]: whether queries with an even or an odd bucket are served. */
  private readonly servesParity: [boolean, boolean] = [false, false];
  private readonly links = new Map<string, PeerLink>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  /** The error of the last failed heartbeat that was logged, so a new reason is logged once too. */
  private lastUnreachableReason: string | undefined;
  private isHeartbeatRunning = false;
  private paused = false;
  /** Set by a maintenance cancel: the model waits for the next heartbeat, because the partner's last known state is stale. */
  private isCancelPending = false;
  private readonly pausedOnce = new Set<HaState>();
  private enteredFromMaintenance = false;
  private syncCompleteNotified = false;
  private syncRun: 'idle' | 'running' | 'done' | 'failed' = 'idle';
  private replayRun: 'idle' | 'running' | 'done' | 'failed' = 'idle';
  private readonly backlog: LeaseChange[] = [];
  private backlogOverflowed = false;
  /** Queries whose changes are in the backlog. */
  private backlogQueries = 0;
  private unsentUpdateCount = 0;
  private rejectedClients = new Map<string, number>();
  private rejectedLimitReached = false;
  private lastSkewWarnMs = Number.NEGATIVE_INFINITY;
  private wasReachable = true;
  /** Bulk requests in flight and waiting, per peer. */
  private readonly bulkLanes = new Map<string, BulkLane>();
  /** Peers known to serve lease4-bulk-update (nestor peers), learned from list-commands. */
  private readonly bulkPeers = new Set<string>();
  /** The lease stream to each nestor peer whose link can open one. */
  private readonly streams = new Map<string, LeaseStreamClient>();
  /** Peers whose commands were asked for, or are being asked for, since they last became reachable. */
  private readonly probedPeers = new Set<string>();
  /** The protocol last logged for each peer, so HA_PEER_PROTOCOL appears once per change. */
  private readonly peerProtocols = new Map<string, string>();
  private running = false;
  private stopped = false;
  private readonly nowMs: () => number;
  private readonly log: Logger;
  /** Counters for status-get and the periodic summary. */
  readonly counters = { updatesSent: 0, updatesFailed: 0, updatesQueued: 0, repliesDropped: 0, heartbeatsFailed: 0, syncs: 0 };

  constructor(private readonly options: HaServiceOptions) {
    this.config = options.config;
    this.log = options.log;
    this.nowMs = options.nowMs ?? Date.now;
    this.communication = new CommunicationState(this.config, this.nowMs());
    for (const peer of this.config.peers) {
      if (peer.name !== this.config.thisServerName) this.links.set(peer.name, options.connect(peer));
    }
  }

  get state(): HaState {
    return this.currentState;
  }

  get servedScopeNames(): readonly string[] {
    return this.scopes;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Enters the first state and starts heartbeats. */
  start(): void {
    this.enter('waiting', undefined);
    // The first heartbeat goes at once (Kea waits heartbeat-delay), so a restarted server learns its partner's state without delay.
    this.scheduleHeartbeat(0);
    this.runModel();
  }

  /** Stops timers and closes the links; in-flight requests finish or fail on their own. */
  stop(): void {
    this.stopped = true;
    if (this.heartbeatTimer !== undefined) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    for (const stream of this.streams.values()) stream.close();
    for (const link of this.links.values()) link.close();
  }

  // ---- query filter ------------------------------------------------------------------------

  /** Returns true when this server serves a query with this RFC 3074 bucket in its current state. */
  accepts(bucket: number): boolean {
    const scope = scopeOfBucket(bucket, this.config);
    if (scope === undefined) return false;
    return scope === this.config.primary.name ? this.servesParity[0] : this.servesParity[1];
  }

  /** True while this server serves the partner's clients too, so new leases come from its own pools first. */
  isFailover(): boolean {
    return this.currentState === 'partner-down' || this.currentState === 'partner-in-maintenance';
  }

  /** True when out-of-scope queries should be shown to analyze() (communication is interrupted). */
  wantsAnalysis(): boolean {
    return this.config.partner !== undefined && this.communication.isInterrupted(this.nowMs());
  }

  /** Feeds a query that belongs to the partner into the unacked-clients rule. */
  analyze(query: AnalyzedQuery): void {
    this.communication.analyze(query, this.nowMs());
  }

  // ---- lease updates -----------------------------------------------------------------------

  /** True when committed changes must be acknowledged by a peer before the replies go out. */
  needsAcknowledgement(): boolean {
    if (!this.config.sendLeaseUpdates) return false;
    if (this.config.partner !== undefined && this.shouldSendToPartner()) return true;
    return this.config.mode === 'passive-backup' && this.config.waitBackupAck && this.config.backups.length > 0 && this.config.thisServer.role === 'primary';
  }

  /**
   * Sends the changes of one committed batch to the partner and the backups. owners[i] is the index
   * of the reply that change i belongs to, or -1. Resolves when every update that must be
   * acknowledged has been; the caller then sends every reply not in failedReplies.
   */
  async replicate(changes: readonly LeaseChange[], owners: readonly number[]): Promise<UpdateOutcome> {
    const failed = new Set<number>();
    if (!this.config.sendLeaseUpdates || changes.length === 0 || this.config.thisServer.role === 'backup') return { failedReplies: failed };

    const waits: Promise<void>[] = [];
    for (const peer of this.config.peers) {
      if (peer !== this.config.thisServer && !this.probedPeers.has(peer.name)) this.probePeer(peer);
    }
    const partner = this.config.partner;
    if (partner !== undefined) {
      if (this.shouldSendToPartner()) {
        waits.push(this.sendChanges(partner, changes, owners, failed, true));
      } else if (this.currentState === 'communication-recovery') {
        this.queueBacklog(changes, owners);
      } else {
        this.unsentUpdateCount += countQueries(owners);
      }
    }
    const waitForBackups = this.config.mode === 'passive-backup' && this.config.waitBackupAck;
    for (const backup of this.config.backups) {
      const sending = this.sendChanges(backup, changes, owners, failed, waitForBackups);
      if (waitForBackups) waits.push(sending);
    }
    await Promise.all(waits);
    this.counters.repliesDropped += failed.size;
    return { failedReplies: failed };
  }

  private shouldSendToPartner(): boolean {
    const s = this.currentState;
    return s === 'load-balancing' || s === 'hot-standby' || s === 'partner-in-maintenance';
  }

  /**
   * Queues changes for the partner in communication-recovery. Changes that will never be sent (the
   * backlog overflowed) count as unsent, so the partner's heartbeat shows it missed leases.
   */
  private queueBacklog(changes: readonly LeaseChange[], owners: readonly number[]): void {
    const queries = countQueries(owners);
    if (this.backlogOverflowed) {
      this.unsentUpdateCount += queries;
      return;
    }
    if (this.backlog.length + changes.length > this.config.delayedUpdatesLimit) {
      this.backlogOverflowed = true;
      this.unsentUpdateCount += this.backlogQueries + queries;
      this.backlog.length = 0;
      this.backlogQueries = 0;
      logMessage(this.log, 'HA_BACKLOG_OVERFLOW', { count: this.config.delayedUpdatesLimit });
      return;
    }
    this.backlog.push(...changes);
    this.backlogQueries += queries;
    this.counters.updatesQueued += changes.length;
  }

  /**
   * Sends the changes to a peer: in lease4-bulk-update requests to a nestor peer, else one Kea
   * command per change, all at once over the link's connections. Records the owners of failed changes.
   */
  private async sendChanges(peer: HaPeerConfig, changes: readonly LeaseChange[], owners: readonly number[], failed: Set<number>, isAcked: boolean): Promise<void> {
    const tally: UpdateTally = { peer, owners, failed, isAcked, failures: 0, firstError: undefined };
    if (this.bulkPeers.has(peer.name)) {
      const chunks: Promise<void>[] = [];
      for (let start = 0; start < changes.length; start += MAX_BULK_CHANGES) {
        chunks.push(this.sendBulk(tally, changes.slice(start, start + MAX_BULK_CHANGES), start));
      }
      await Promise.all(chunks);
    } else {
      await Promise.all(changes.map((change, i) => this.sendOne(tally, change, i)));
    }
    if (tally.failures === 0) return;
    logMessage(this.log, 'HA_LEASE_UPDATES_FAILED', { peer: peer.name, count: tally.failures, err: tally.firstError });
    if (peer === this.config.partner) this.runModel();
  }

  /** Sends one change with Kea's lease4-update or lease4-del. */
  private async sendOne(tally: UpdateTally, change: LeaseChange, index: number): Promise<void> {
    const { command, args } = leaseChangeCommand(change);
    try {
      const reply = await this.links.get(tally.peer.name)!.send(command, args, REQUEST_TIMEOUT_MS);
      this.recordOutcome(tally, change, index, reply.result, reply.text, command);
    } catch (err) {
      this.recordOutcome(tally, change, index, undefined, (err as Error).message, command);
    }
  }

  /** Sends changes[0..] (indexes from offset in the batch) as one lease4-bulk-update request. */
  private async sendBulk(tally: UpdateTally, changes: readonly LeaseChange[], offset: number): Promise<void> {
    const outcome = await this.queueBulk(tally.peer, changes);
    if (outcome.kind === 'unsupported') {
      // The peer no longer supports the command (a Kea server took its place), so Kea's commands are used from now on.
      this.bulkPeers.delete(tally.peer.name);
      await Promise.all(changes.map((change, i) => this.sendOne(tally, change, offset + i)));
      return;
    }
    changes.forEach((change, i) => {
      if (outcome.kind === 'results') {
        // A change the partner rejected is a conflict (its configuration differs), not a partner failure.
        const { result, text } = outcome.results[i]!;
        this.recordOutcome(tally, change, offset + i, result === RESULT_ERROR_CODE ? 4 : result, text, BULK_UPDATE_COMMAND);
      } else {
        this.recordOutcome(tally, change, offset + i, outcome.kind === 'transport' ? undefined : RESULT_ERROR_CODE, outcome.error, BULK_UPDATE_COMMAND);
      }
    });
  }

  /**
   * Queues changes for one lease4-bulk-update to the peer. At most BULK_WINDOW requests are in
   * flight per peer. What arrives meanwhile waits and leaves together in the next request, so under
   * load requests grow instead of multiplying. The batches of one group commit are queued in the
   * same task, so they leave in one request at the end of it. A lone change leaves at once.
   */
  private queueBulk(peer: HaPeerConfig, changes: readonly LeaseChange[]): Promise<BulkOutcome> {
    let lane = this.bulkLanes.get(peer.name);
    if (lane === undefined) {
      lane = { waiting: [], inFlight: 0, isFlushQueued: false };
      this.bulkLanes.set(peer.name, lane);
    }
    const queued = lane;
    return new Promise((resolve) => {
      queued.waiting.push({ changes, resolve });
      if (queued.isFlushQueued) return;
      queued.isFlushQueued = true;
      queueMicrotask(() => {
        queued.isFlushQueued = false;
        this.flushBulk(peer, queued);
      });
    });
  }

  private flushBulk(peer: HaPeerConfig, lane: BulkLane): void {
    while (lane.inFlight < BULK_WINDOW && lane.waiting.length > 0) {
      const parts: QueuedBulk[] = [];
      let total = 0;
      while (lane.waiting.length > 0 && (parts.length === 0 || total + lane.waiting[0]!.changes.length <= MAX_BULK_CHANGES)) {
        const part = lane.waiting.shift()!;
        parts.push(part);
        total += part.changes.length;
      }
      lane.inFlight++;
      const changes = parts.flatMap((part) => part.changes);
      void this.sendBulkRequest(peer, changes).then((outcome) => {
        if (outcome.kind !== 'results') return parts.forEach((part) => part.resolve(outcome));
        let at = 0;
        for (const part of parts) {
          part.resolve({ kind: 'results', results: outcome.results.slice(at, at + part.changes.length) });
          at += part.changes.length;
        }
      }).finally(() => {
        lane.inFlight--;
        this.flushBulk(peer, lane);
      });
    }
  }

  /**
   * Sends changes to a nestor peer as one request: on the lease stream when the peer has accepted
   * it, else as lease4-bulk-update in JSON. Never rejects; a failure is an outcome.
   */
  private async sendBulkRequest(peer: HaPeerConfig, changes: readonly LeaseChange[]): Promise<BulkOutcome> {
    const stream = this.streams.get(peer.name);
    if (stream !== undefined && !stream.refused) {
      try {
        const outcome = await stream.send(changes, REQUEST_TIMEOUT_MS);
        if (outcome !== 'refused') return outcome;
      } catch (err) {
        return { kind: 'transport', error: (err as Error).message };
      }
    }
    try {
      const reply = await this.links.get(peer.name)!.send(BULK_UPDATE_COMMAND, bulkArguments(changes), REQUEST_TIMEOUT_MS);
      if (reply.result === 2) return { kind: 'unsupported' };
      const results = readBulkResults(reply, changes.length);
      return typeof results === 'string' ? { kind: 'invalid', error: results } : { kind: 'results', results };
    } catch (err) {
      return { kind: 'transport', error: (err as Error).message };
    }
  }

  /** Counts one change's outcome: result undefined is a transport failure. */
  private recordOutcome(tally: UpdateTally, change: LeaseChange, index: number, result: number | undefined, text: string | undefined, command: string): void {
    this.counters.updatesSent++;
    const isPartner = tally.peer === this.config.partner;
    if (result === 0 || result === 3) {
      if (isPartner) this.rejectedClients.delete(clientKey(change));
      return;
    }
    this.counters.updatesFailed++;
    tally.failures++;
    tally.firstError ??= `${command} ${ipToString(change.lease.address)}: ${result === undefined ? '' : `result ${result}: `}${text ?? ''}`;
    const owner = tally.owners[index];
    if (tally.isAcked && owner !== undefined && owner >= 0) tally.failed.add(owner);
    if (!isPartner) return;
    if (result === 4) {
      this.rejectedClients.set(clientKey(change), this.nowMs());
      this.checkRejectedLimit();
    } else {
      this.communication.markUnavailable();
    }
  }

  /** Kea 2.4's rule: too many distinct clients whose updates the partner rejected ends HA (terminated). */
  private checkRejectedLimit(): void {
    const limit = this.config.maxRejectedLeaseUpdates;
    if (limit === 0 || this.rejectedClients.size < limit || this.currentState === 'terminated') return;
    logMessage(this.log, 'HA_TOO_MANY_REJECTED_UPDATES', { peer: this.config.partner?.name, count: this.rejectedClients.size });
    this.rejectedLimitReached = true;
  }

  /** Asks the peer for its commands, to learn whether it serves lease4-bulk-update. */
  private probePeer(peer: HaPeerConfig): void {
    this.probedPeers.add(peer.name);
    void this.links.get(peer.name)!.send('list-commands', undefined, REQUEST_TIMEOUT_MS).then(
      (reply) => {
        const names = Array.isArray(reply.arguments) ? reply.arguments : [];
        const isBulk = reply.result === 0 && names.includes(BULK_UPDATE_COMMAND);
        this.notePeerProtocol(peer, isBulk ? BULK_UPDATE_COMMAND : 'kea');
        if (isBulk) this.bulkPeers.add(peer.name);
        else this.bulkPeers.delete(peer.name);
        this.setUpStream(peer, isBulk);
      },
      () => this.probedPeers.delete(peer.name), // unreachable: ask again at the next change
    );
  }

  /** Records how lease changes travel to the peer, and logs it when that changed. */
  private notePeerProtocol(peer: HaPeerConfig, protocol: string): void {
    if (this.peerProtocols.get(peer.name) !== protocol) logMessage(this.log, 'HA_PEER_PROTOCOL', { peer: peer.name, protocol });
    this.peerProtocols.set(peer.name, protocol);
  }

  /**
   * Keeps a lease stream for a nestor peer whose link can upgrade, and none for a Kea peer. A stream
   * the peer refused is replaced, because the peer may have been upgraded since.
   */
  private setUpStream(peer: HaPeerConfig, isBulk: boolean): void {
    const current = this.streams.get(peer.name);
    const link = this.links.get(peer.name)!;
    if (!isBulk || link.openUpgrade === undefined) {
      current?.close();
      this.streams.delete(peer.name);
      return;
    }
    if (current !== undefined && !current.refused) return;
    current?.close();
    const onEvent = (event: 'open' | 'refused'): void => this.notePeerProtocol(peer, event === 'open' ? LEASE_STREAM_PROTOCOL : BULK_UPDATE_COMMAND);
    this.streams.set(peer.name, new LeaseStreamClient(() => link.openUpgrade!(LEASE_STREAM_PROTOCOL), `peer '${peer.name}' (${peer.url})`, onEvent));
  }

  // ---- heartbeats --------------------------------------------------------------------------

  private heartbeatsActive(): boolean {
    return this.config.partner !== undefined && this.config.heartbeatDelayMs > 0 && !NO_HEARTBEAT.has(this.currentState) && this.syncRun !== 'running' && !this.stopped;
  }

  private scheduleHeartbeat(delayMs = this.heartbeatDelay()): void {
    if (this.heartbeatTimer !== undefined || this.isHeartbeatRunning || !this.heartbeatsActive()) return;
    this.heartbeatTimer = setTimeout(() => {
      this.heartbeatTimer = undefined;
      void this.heartbeat();
    }, delayMs);
    this.heartbeatTimer.unref();
  }

  /**
   * heartbeat-delay, except while the pair is starting (waiting, syncing, ready): then at most
   * STARTUP_HEARTBEAT_MS, so a pair reaches its normal state in seconds rather than in several
   * heartbeat-delays as Kea's does, even when the partner starts later. Failure detection keeps
   * its timers, because it counts from the last successful heartbeat.
   */
  /** Replaces a pending heartbeat with one sent at once. */
  private heartbeatNow(): void {
    if (this.heartbeatTimer === undefined) return;
    clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    this.scheduleHeartbeat(0);
  }

  private heartbeatDelay(): number {
    const isStarting = this.currentState === 'waiting' || this.currentState === 'syncing' || this.currentState === 'ready';
    return isStarting ? Math.min(this.config.heartbeatDelayMs, STARTUP_HEARTBEAT_MS) : this.config.heartbeatDelayMs;
  }

  private async heartbeat(): Promise<void> {
    const partner = this.config.partner;
    if (partner === undefined || this.stopped) return;
    this.isHeartbeatRunning = true;
    try {
      const reply = await this.links.get(partner.name)!.send('ha-heartbeat', undefined, REQUEST_TIMEOUT_MS);
      const report = readHeartbeat(reply);
      if (typeof report === 'string') throw new Error(report);
      this.communication.recordHeartbeat(report, this.nowMs());
      this.isCancelPending = false;
      if (!this.wasReachable) logMessage(this.log, 'HA_PARTNER_REACHABLE', { peer: partner.name, state: report.state });
      this.lastUnreachableReason = undefined;
      // A partner that comes back may be another program (Kea in a migration): ask again what it serves.
      if (!this.wasReachable || !this.probedPeers.has(partner.name)) this.probePeer(partner);
      this.wasReachable = true;
      this.warnClockSkew();
    } catch (err) {
      this.counters.heartbeatsFailed++;
      this.communication.markUnavailable();
      this.isCancelPending = false;
      // Logged when the partner stops answering and again when the reason changes, for example from a
      // refused connection to HTTP 401 once the partner runs again with credentials this server lacks.
      const reason = (err as Error).message;
      if (this.wasReachable || reason !== this.lastUnreachableReason) logMessage(this.log, 'HA_PARTNER_UNREACHABLE', { peer: partner.name, err: reason });
      this.lastUnreachableReason = reason;
      this.wasReachable = false;
    } finally {
      this.isHeartbeatRunning = false;
    }
    if (this.stopped) return;
    this.runModel();
    this.scheduleHeartbeat();
  }

  private warnClockSkew(): void {
    const now = this.nowMs();
    if (!this.communication.isClockSkewHigh() || now - this.lastSkewWarnMs < SKEW_WARN_INTERVAL_MS) return;
    this.lastSkewWarnMs = now;
    logMessage(this.log, 'HA_HIGH_CLOCK_SKEW', { peer: this.config.partner?.name, skewSec: this.communication.clockSkewSec });
  }

  // ---- the state machine -------------------------------------------------------------------

  /** Runs the current state's handler, and the next one's after each transition. */
  runModel(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      for (let i = 0; i < MAX_TRANSITIONS_PER_RUN; i++) {
        const next = this.paused || this.isCancelPending ? undefined : this.handle();
        if (next === undefined || next === this.currentState) break;
        this.enter(next, this.communication.partnerState);
      }
    } finally {
      this.running = false;
    }
    this.scheduleHeartbeat();
  }

  /** Moves to state and runs its entry actions. Public for commands that force a state. */
  private enter(state: HaState, partnerState: HaState | undefined): void {
    const from = this.currentState;
    this.previousState = from;
    this.currentState = state;
    if (state !== 'communication-recovery') {
      // A backlog left behind unsent (for example on the way to partner-down) counts as unsent
      // updates, so the partner's next read of unsent-update-count makes it resynchronise.
      // Kea 2.2 drops such a backlog without counting it.
      if (this.backlog.length > 0) this.unsentUpdateCount += this.backlogQueries;
      this.backlogQueries = 0;
      this.backlog.length = 0;
      this.backlogOverflowed = false;
      this.replayRun = 'idle';
    }
    if (state !== 'syncing') this.syncRun = 'idle';
    if (state !== 'partner-down') this.syncCompleteNotified = false;
    else this.communication.markPartnerDown();
    this.enteredFromMaintenance = state === 'partner-down' && from === 'partner-in-maintenance';

    this.applyScopes(servedScopes(state, this.config, { isAfterMaintenance: this.enteredFromMaintenance }));
    if (SERVICE_ON.has(state)) this.options.networkState.enable('ha');
    else this.options.networkState.disable('ha');

    // The first entry into waiting at start is not a transition.
    if (from !== state || partnerState !== undefined) logMessage(this.log, 'HA_STATE_TRANSITION', { from, to: state, partnerState: partnerState ?? 'unknown' });
    const pause = this.config.statePauses.find((p) => p.state === state)?.pause ?? 'never';
    if (pause === 'always' || (pause === 'once' && !this.pausedOnce.has(state))) {
      this.pausedOnce.add(state);
      this.paused = true;
      logMessage(this.log, 'HA_STATE_MACHINE_PAUSED', { state });
    }
    if (!this.heartbeatsActive() && this.heartbeatTimer !== undefined) {
      clearTimeout(this.heartbeatTimer);
      this.heartbeatTimer = undefined;
    }
    // Entering a start-up state (after maintenance or ha-reset, for example) shortens a pending
    // heartbeat-delay wait to the start-up period.
    if (from !== state && (state === 'waiting' || state === 'syncing' || state === 'ready')) this.heartbeatNow();
  }

  private applyScopes(scopes: readonly string[]): void {
    this.scopes = scopes;
    this.servesParity[0] = scopes.includes(this.config.primary.name);
    this.servesParity[1] = this.config.secondary !== undefined && this.config.mode === 'load-balancing' && scopes.includes(this.config.secondary.name);
  }

  private handle(): HaState | undefined {
    const state = this.currentState;
    const partner = this.communication.partnerState;
    if (SKEW_CHECKED.has(state) && this.config.partner !== undefined && this.communication.isClockSkewTerminal()) {
      logMessage(this.log, 'HA_CLOCK_SKEW_TERMINATED', { peer: this.config.partner.name, skewSec: this.communication.clockSkewSec });
      return 'terminated';
    }
    if (state !== 'waiting' && SKEW_CHECKED.has(state) && this.partnerContradictsMode(partner)) return 'waiting';
    if (this.rejectedLimitReached && state !== 'terminated') {
      this.rejectedLimitReached = false;
      return 'terminated';
    }

    switch (state) {
      case 'waiting': return this.onWaiting(partner);
      case 'syncing': return this.onSyncing(partner);
      case 'ready': return this.onReady(partner);
      case 'load-balancing':
      case 'hot-standby': return this.onNormal(partner);
      case 'communication-recovery': return this.onCommunicationRecovery(partner);
      case 'partner-down': return this.onPartnerDown(partner);
      case 'partner-in-maintenance': return partner === 'unavailable' ? 'partner-down' : undefined;
      default: return undefined; // in-maintenance, passive-backup, backup and terminated stay until a command or restart
    }
  }

  /** Returns true when the partner reports a state that only a server in another mode can be in. */
  private partnerContradictsMode(partner: HaState | undefined): boolean {
    const mode = this.config.mode;
    if (partner === 'communication-recovery' || partner === 'load-balancing') return mode !== 'load-balancing';
    if (partner === 'hot-standby') return mode !== 'hot-standby';
    return false;
  }

  private normalState(): HaState {
    return this.config.mode === 'load-balancing' ? 'load-balancing' : 'hot-standby';
  }

  private isPrimary(): boolean {
    return this.config.thisServer.role === 'primary';
  }

  private syncOrReady(): HaState {
    return this.config.syncLeases ? 'syncing' : 'ready';
  }

  private onWaiting(partner: HaState | undefined): HaState | undefined {
    if (this.config.thisServer.role === 'backup') return 'backup';
    if (this.config.mode === 'passive-backup') return 'passive-backup';
    if (this.partnerContradictsMode(partner)) return undefined;
    switch (partner) {
      case 'communication-recovery':
      case 'hot-standby':
      case 'load-balancing':
      case 'in-maintenance':
      case 'partner-down':
      case 'partner-in-maintenance':
      case 'ready':
        return this.syncOrReady();
      case 'waiting':
        return this.isPrimary() ? this.syncOrReady() : undefined;
      case 'unavailable':
        return this.shouldPartnerDown() ? 'partner-down' : undefined;
      default:
        return undefined; // syncing, terminated, or not heard from yet
    }
  }

  private onSyncing(partner: HaState | undefined): HaState | undefined {
    if (partner === 'terminated') return 'terminated';
    if (this.syncRun === 'running') return undefined;
    if (this.syncRun === 'done') return 'ready';
    if (partner === 'unavailable' || partner === undefined) {
      if (partner === 'unavailable' && this.shouldPartnerDown()) return 'partner-down';
      if (this.syncRun === 'failed' || partner === undefined) return undefined;
    }
    this.startSync(this.config.partner!, undefined, true);
    return undefined;
  }

  /**
   * Returns the reaction that ready, the normal states and communication-recovery share: follow
   * the partner into maintenance or terminated. Undefined for every other partner state.
   */
  private followMaintenanceOrTermination(partner: HaState | undefined): HaState | undefined {
    switch (partner) {
      case 'in-maintenance':
        return 'partner-in-maintenance';
      case 'partner-in-maintenance':
        return 'in-maintenance';
      case 'terminated':
        return 'terminated';
      default:
        return undefined;
    }
  }

  private onReady(partner: HaState | undefined): HaState | undefined {
    const shared = this.followMaintenanceOrTermination(partner);
    if (shared !== undefined) return shared;
    switch (partner) {
      case 'load-balancing':
      case 'hot-standby':
      case 'communication-recovery':
        return this.normalState();
      case 'ready':
        return this.isPrimary() ? this.normalState() : undefined;
      case 'unavailable':
        return this.shouldPartnerDown() ? 'partner-down' : undefined;
      default:
        return undefined;
    }
  }

  private onNormal(partner: HaState | undefined): HaState | undefined {
    const shared = this.followMaintenanceOrTermination(partner);
    if (shared !== undefined) return shared;
    switch (partner) {
      case 'partner-down':
        return 'waiting';
      case 'unavailable':
        if (this.shouldPartnerDown()) return 'partner-down';
        if (this.config.mode === 'load-balancing' && this.config.delayedUpdatesLimit > 0) return 'communication-recovery';
        return undefined;
      default:
        return undefined;
    }
  }

  private onCommunicationRecovery(partner: HaState | undefined): HaState | undefined {
    const shared = this.followMaintenanceOrTermination(partner);
    if (shared !== undefined) return shared;
    switch (partner) {
      case 'partner-down':
        return 'waiting';
      case 'unavailable':
      case undefined:
        return this.shouldPartnerDown() ? 'partner-down' : undefined;
      case 'waiting':
      case 'syncing':
      case 'ready':
        return this.backlogOverflowed ? 'waiting' : undefined;
      case 'load-balancing':
      case 'communication-recovery':
        return this.recoverFromBacklog();
      default:
        return 'waiting';
    }
  }

  /** Communication works again with a partner in a normal state: replay the backlog, or resynchronise when it overflowed. */
  private recoverFromBacklog(): HaState | undefined {
    if (this.replayRun === 'running') return undefined;
    if (this.replayRun === 'done') return this.normalState();
    if (this.backlogOverflowed || this.replayRun === 'failed') {
      void this.links.get(this.config.partner!.name)!.send('ha-reset', undefined, REQUEST_TIMEOUT_MS).catch(() => undefined);
      return 'waiting';
    }
    if (this.backlog.length === 0) return this.normalState();
    void this.replayBacklog();
    return undefined;
  }

  private async replayBacklog(): Promise<void> {
    this.replayRun = 'running';
    const partner = this.config.partner!;
    const link = this.links.get(partner.name)!;
    const isBulk = this.bulkPeers.has(partner.name);
    let isOk = true;
    let sent = 0;
    // Changes committed while the replay runs join the backlog and go in the next round. The server
    // returns to load-balancing only once the backlog is empty, so none is left behind.
    while (isOk && this.backlog.length > 0 && this.currentState === 'communication-recovery') {
      const entries = this.backlog.splice(0);
      const queries = this.backlogQueries;
      this.backlogQueries = 0;
      isOk = await this.sendBacklog(partner, link, entries, isBulk);
      if (isOk) sent += entries.length;
      else this.unsentUpdateCount += queries;
    }
    if (this.currentState !== 'communication-recovery') return;
    this.replayRun = isOk ? 'done' : 'failed';
    if (isOk) logMessage(this.log, 'HA_BACKLOG_REPLAYED', { peer: partner.name, count: sent });
    this.runModel();
  }

  /**
   * Sends backlog entries in commit order, one request at a time: a nestor partner gets them in
   * bulk requests, a Kea partner one command per change, as Kea replays its queue. Resolves true
   * when the partner stored every one.
   */
  private async sendBacklog(peer: HaPeerConfig, link: PeerLink, entries: readonly LeaseChange[], isBulk: boolean): Promise<boolean> {
    const step = isBulk ? MAX_BULK_CHANGES : 1;
    for (let start = 0; start < entries.length; start += step) {
      const chunk = entries.slice(start, start + step);
      if (isBulk) {
        const outcome = await this.sendBulkRequest(peer, chunk);
        if (outcome.kind !== 'results' || !outcome.results.every((r) => r.result === 0 || r.result === 3)) return false;
        continue;
      }
      try {
        const { command, args } = leaseChangeCommand(chunk[0]!);
        const reply = await link.send(command, args, REQUEST_TIMEOUT_MS);
        if (reply.result !== 0 && reply.result !== 3) return false;
      } catch {
        return false;
      }
    }
    return true;
  }

  private onPartnerDown(partner: HaState | undefined): HaState | undefined {
    const next = this.partnerDownNext(partner);
    // After the partner synced from us and sent its notification, the service stays off until this
    // heartbeat decides. When it keeps us in partner-down, serve again.
    if (next === undefined && this.syncCompleteNotified) {
      this.syncCompleteNotified = false;
      this.options.networkState.enable('ha');
    }
    return next;
  }

  private partnerDownNext(partner: HaState | undefined): HaState | undefined {
    switch (partner) {
      case 'communication-recovery':
      case 'partner-down':
      case 'partner-in-maintenance':
        return 'waiting';
      case 'ready':
        return this.communication.hasPartnerNewUnsentUpdates() ? 'waiting' : this.normalState();
      case 'terminated':
        return 'terminated';
      default:
        return undefined;
    }
  }

  /**
   * Kea's shouldPartnerDown: communication interrupted and either this server does not serve
   * (so it cannot watch the partner's clients) or is the hot-standby primary, or the unacked
   * clients show that the partner does not respond.
   */
  private shouldPartnerDown(): boolean {
    if (!this.communication.isInterrupted(this.nowMs())) return false;
    if (!this.options.networkState.isEnabled()) return true;
    if (this.config.mode === 'hot-standby' && this.isPrimary()) return true;
    return this.communication.isFailureDetected();
  }

  // ---- synchronisation ---------------------------------------------------------------------

  private startSync(peer: HaPeerConfig, maxPeriodSec: number | undefined, isAutomatic: boolean): void {
    this.syncRun = 'running';
    if (this.heartbeatTimer !== undefined) {
      clearTimeout(this.heartbeatTimer);
      this.heartbeatTimer = undefined;
    }
    void this.synchronize(peer, isAutomatic ? Math.max(1, Math.floor(this.config.syncTimeoutMs / 1000)) : maxPeriodSec).then((error) => {
      if (!isAutomatic || this.currentState !== 'syncing') return;
      this.syncRun = error === undefined ? 'done' : 'failed';
      this.runModel();
      // A failed sync is retried at the next model run, which the next heartbeat starts.
      if (this.syncRun === 'failed') this.syncRun = 'idle';
    });
  }

  /**
   * Pulls every lease of the peer, page by page, as Kea 2.2 does: dhcp-disable before each page,
   * lease4-get-page from the last address, merge, then ha-sync-complete-notify (dhcp-enable for a
   * partner that does not know it). Resolves with undefined on success or the error text.
   */
  async synchronize(peer: HaPeerConfig, maxPeriodSec: number | undefined): Promise<string | undefined> {
    const link = this.links.get(peer.name);
    if (link === undefined) return `'${peer.name}' is this server`;
    const started = this.nowMs();
    this.counters.syncs++;
    logMessage(this.log, 'HA_SYNC_STARTED', { peer: peer.name });
    // A nestor peer gets large pages, and the next page is asked for while this one is merged.
    const limit = this.bulkPeers.has(peer.name) ? Math.max(this.config.syncPageLimit, NESTOR_SYNC_PAGE_LIMIT) : this.config.syncPageLimit;
    let total = 0;
    let pages = 0;
    let isDisabled = false;
    const fetchPage = async (from: string): Promise<unknown[]> => {
      const disableArgs: Record<string, unknown> = { origin: 'ha-partner' };
      if (maxPeriodSec !== undefined) disableArgs['max-period'] = maxPeriodSec;
      expectSuccess(await link.send('dhcp-disable', disableArgs, REQUEST_TIMEOUT_MS), 'dhcp-disable');
      isDisabled = true;
      const reply = await link.send('lease4-get-page', { from, limit }, this.config.syncTimeoutMs);
      expectSuccess(reply, 'lease4-get-page');
      const leases = readPage(reply);
      if (typeof leases === 'string') throw new Error(leases);
      return leases;
    };
    try {
      let from = 'start';
      let pending = fetchPage(from);
      for (;;) {
        const leases = await pending;
        const last = leases[leases.length - 1] as Record<string, unknown> | undefined;
        const next = leases.length >= limit && typeof last?.['ip-address'] === 'string' ? last['ip-address'] : undefined;
        if (next !== undefined) {
          pending = fetchPage(next);
          pending.catch(() => undefined); // handled by the await at the top of the next turn
        }
        const merged = mergeLeasePage(this.options.store, leases);
        total += leases.length;
        pages++;
        logMessage(this.log, 'HA_SYNC_PAGE', {
          peer: peer.name, from, count: leases.length, added: merged.added, updated: merged.updated, invalid: merged.invalid, reason: merged.firstInvalid,
        });
        if (next === undefined) break;
        from = next;
      }
      const notify = await link.send('ha-sync-complete-notify', undefined, REQUEST_TIMEOUT_MS);
      if (notify.result === 2) expectSuccess(await link.send('dhcp-enable', { origin: 'ha-partner' }, REQUEST_TIMEOUT_MS), 'dhcp-enable');
      else expectSuccess(notify, 'ha-sync-complete-notify');
      logMessage(this.log, 'HA_SYNC_COMPLETE', { peer: peer.name, count: total, pages, durationMs: this.nowMs() - started });
      return undefined;
    } catch (err) {
      const reason = (err as Error).message;
      logMessage(this.log, 'HA_SYNC_FAILED', { peer: peer.name, count: total, err: reason });
      if (peer === this.config.partner) this.communication.markUnavailable();
      if (isDisabled) await link.send('dhcp-enable', { origin: 'ha-partner' }, REQUEST_TIMEOUT_MS).catch(() => undefined);
      return reason;
    }
  }

  // ---- what commands do --------------------------------------------------------------------

  /** Returns the arguments of this server's ha-heartbeat response. */
  heartbeatArguments(): Record<string, unknown> {
    return {
      state: this.currentState,
      'date-time': new Date(this.nowMs()).toUTCString(),
      scopes: [...this.scopes],
      'unsent-update-count': this.unsentUpdateCount,
    };
  }

  /** Serves again after the partner synced from us, except in partner-down, where the next heartbeat decides. */
  notifySyncComplete(): void {
    if (this.currentState === 'partner-down') {
      this.syncCompleteNotified = true;
      // The next heartbeat decides whether to serve again; send it now instead of waiting up to
      // heartbeat-delay with the service off (Kea waits).
      this.heartbeatNow();
      return;
    }
    this.options.networkState.enable('ha');
  }

  /** ha-reset: back to waiting (and so a resync). Returns false when already waiting. */
  reset(): boolean {
    this.communication.clockSkewSec = undefined;
    if (this.currentState === 'waiting') return false;
    this.paused = false;
    this.enter('waiting', this.communication.partnerState);
    this.runModel();
    return true;
  }

  /** ha-continue: resumes a paused machine; false when it was not paused. */
  resume(): boolean {
    if (!this.paused) return false;
    this.paused = false;
    logMessage(this.log, 'HA_STATE_MACHINE_CONTINUED', { state: this.currentState });
    this.runModel();
    return true;
  }

  /** ha-scopes: serve exactly these scopes until the next transition. */
  setScopes(scopes: readonly string[]): void {
    this.applyScopes(Object.freeze([...scopes]));
    logMessage(this.log, 'HA_SCOPES_SET', { scopes: [...scopes] });
  }

  /** ha-maintenance-notify from the partner; returns the answer's result code and text. */
  maintenanceNotify(cancel: boolean): { result: number; text: string } {
    const state = this.currentState;
    if (cancel) {
      if (state !== 'in-maintenance') return { result: 1, text: 'Unable to cancel the maintenance for the server not in the in-maintenance state.' };
      this.enter(this.stateBeforeMaintenance ?? 'waiting', this.communication.partnerState);
      this.stateBeforeMaintenance = undefined;
      this.isCancelPending = true;
      return { result: 0, text: 'Server maintenance successfully canceled.' };
    }
    if (state === 'backup' || state === 'partner-in-maintenance' || state === 'terminated') {
      return { result: RESULT_MAINTENANCE_NOT_ALLOWED, text: `Unable to transition the server from the ${state} to in-maintenance state.` };
    }
    if (state !== 'in-maintenance') this.stateBeforeMaintenance = state;
    this.enter('in-maintenance', this.communication.partnerState);
    return { result: 0, text: 'Server is in-maintenance state.' };
  }

  /** ha-maintenance-start from an operator: tell the partner, then take over its clients. */
  async startMaintenance(): Promise<{ result: number; text: string }> {
    const state = this.currentState;
    const partner = this.config.partner;
    if (partner === undefined || state === 'backup' || state === 'in-maintenance' || state === 'partner-in-maintenance' || state === 'terminated') {
      return { result: 1, text: `Unable to transition the server from the ${state} to partner-in-maintenance state.` };
    }
    let reply: PeerAnswer | undefined;
    try {
      reply = await this.links.get(partner.name)!.send('ha-maintenance-notify', { cancel: false }, REQUEST_TIMEOUT_MS);
    } catch {
      reply = undefined;
    }
    if (reply?.result === RESULT_MAINTENANCE_NOT_ALLOWED) return { result: 1, text: reply.text ?? 'The partner refused to enter the in-maintenance state.' };
    this.stateBeforeMaintenance = state;
    if (reply?.result === 0) {
      this.enter('partner-in-maintenance', this.communication.partnerState);
      return { result: 0, text: 'Server is now in the partner-in-maintenance state and its partner is in-maintenance state. The partner can be now safely shut down.' };
    }
    this.communication.markUnavailable();
    this.enter('partner-down', 'unavailable');
    return { result: 0, text: 'Server is now in the partner-down state as its partner appears to be offline for maintenance.' };
  }

  /** ha-maintenance-cancel from an operator. */
  async cancelMaintenance(): Promise<{ result: number; text: string }> {
    const partner = this.config.partner;
    if (this.currentState !== 'partner-in-maintenance' || partner === undefined) {
      return { result: 1, text: 'Unable to cancel maintenance request because the server is not in the partner-in-maintenance state.' };
    }
    let reply: PeerAnswer;
    try {
      reply = await this.links.get(partner.name)!.send('ha-maintenance-notify', { cancel: true }, REQUEST_TIMEOUT_MS);
    } catch (err) {
      this.communication.markUnavailable();
      this.runModel();
      return { result: 1, text: `Unable to cancel maintenance: ${(err as Error).message}` };
    }
    if (reply.result !== 0) return { result: 1, text: `Unable to cancel maintenance: the partner answered: ${reply.text ?? reply.result}` };
    this.enter(this.stateBeforeMaintenance ?? 'waiting', this.communication.partnerState);
    this.stateBeforeMaintenance = undefined;
    this.isCancelPending = true;
    return { result: 0, text: 'Server maintenance successfully canceled.' };
  }

  /** ha-sync from an operator: a full synchronisation from the named peer. */
  async syncFrom(peerName: string, maxPeriodSec: number | undefined): Promise<string | undefined> {
    const peer = this.config.peers.find((p) => p.name === peerName);
    if (peer === undefined || peer.name === this.config.thisServerName) return `'${peerName}' is not a peer of this server (expected one of: ${this.peerNames().join(', ')})`;
    return this.synchronize(peer, maxPeriodSec);
  }

  private peerNames(): string[] {
    return this.config.peers.filter((p) => p.name !== this.config.thisServerName).map((p) => `'${p.name}'`);
  }

  /** Returns the `high-availability` part of status-get, in Kea 2.2's shape plus a few fields of later versions. */
  statusReport(): Record<string, unknown> {
    const now = this.nowMs();
    const servers: Record<string, unknown> = {
      local: { role: this.config.thisServer.role, scopes: [...this.scopes], state: this.currentState, 'server-name': this.config.thisServerName },
    };
    const partner = this.config.partner;
    if (partner !== undefined && this.config.thisServer.role !== 'backup') {
      const c = this.communication;
      servers['remote'] = {
        role: partner.role,
        'server-name': partner.name,
        'in-touch': c.isInTouch,
        age: Math.floor(c.sinceContactMs(now) / 1000),
        'last-state': c.partnerState ?? 'unavailable',
        'last-scopes': [...c.partnerScopes],
        'communication-interrupted': c.isInterrupted(now),
        'connecting-clients': c.connectingClients,
        'unacked-clients': c.unackedClients,
        'unacked-clients-left': c.unackedClientsLeft(now),
        'analyzed-packets': c.analyzedPackets,
        'clock-skew': c.clockSkewSec ?? null,
      };
    }
    return { 'high-availability': [{ 'ha-mode': this.config.mode, 'ha-servers': servers }] };
  }

  /** Leases sent, failed and queued, for the periodic counter line. */
  summary(): Record<string, unknown> {
    return { haState: this.currentState, ...this.counters, backlog: this.backlog.length, unsentUpdateCount: this.unsentUpdateCount, paused: this.paused, previousState: this.previousState };
  }
}

type BulkOutcome =
  | { kind: 'results'; results: readonly BulkResult[] }
  | { kind: 'unsupported' }
  | { kind: 'transport' | 'invalid'; error: string };

interface QueuedBulk {
  changes: readonly LeaseChange[];
  resolve: (outcome: BulkOutcome) => void;
}

interface BulkLane {
  waiting: QueuedBulk[];
  inFlight: number;
  /** A flush is scheduled for the end of the current task. */
  isFlushQueued: boolean;
}

interface UpdateTally {
  peer: HaPeerConfig;
  owners: readonly number[];
  failed: Set<number>;
  isAcked: boolean;
  failures: number;
  firstError: string | undefined;
}

const RESULT_ERROR_CODE = 1;

/** Number of distinct queries among the owners of a batch's changes; a change without a reply is its own query. */
function countQueries(owners: readonly number[]): number {
  const seen = new Set<number>();
  let alone = 0;
  for (const owner of owners) {
    if (owner < 0) alone++;
    else seen.add(owner);
  }
  return seen.size + alone;
}

function clientKey(change: LeaseChange): string {
  const lease = change.lease;
  return `${Buffer.from(lease.hwAddress).toString('hex')}/${lease.clientId === undefined ? '' : Buffer.from(lease.clientId).toString('hex')}`;
}

function expectSuccess(reply: PeerAnswer, command: string): void {
  if (reply.result !== 0 && reply.result !== 3) throw new Error(`'${command}' failed with result ${reply.result}: ${reply.text ?? ''}`);
}

/** Reads a heartbeat response as Kea does: result 0 or 3, a known state name and an RFC 1123 date are required. */
export function readHeartbeat(reply: PeerAnswer): HeartbeatReport | string {
  if (reply.result !== 0 && reply.result !== 3) return `ha-heartbeat failed with result ${reply.result}: ${reply.text ?? ''}`;
  const args = reply.arguments as Record<string, unknown> | undefined;
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return 'ha-heartbeat answer has no arguments map';
  const state = args['state'];
  if (typeof state !== 'string' || !ALL_STATES.includes(state as HaState)) return `ha-heartbeat answer has an unknown state ${JSON.stringify(state)}`;
  const dateTime = args['date-time'];
  const partnerTimeMs = typeof dateTime === 'string' ? Date.parse(dateTime) : Number.NaN;
  if (Number.isNaN(partnerTimeMs)) return `ha-heartbeat answer has an unreadable date-time ${JSON.stringify(dateTime)}`;
  const scopes = Array.isArray(args['scopes']) ? (args['scopes'] as unknown[]).filter((s): s is string => typeof s === 'string') : [];
  const unsent = args['unsent-update-count'];
  return {
    state: state as HaState,
    partnerTimeMs,
    scopes,
    unsentUpdateCount: typeof unsent === 'number' && Number.isInteger(unsent) ? unsent : undefined,
  };
}

/** Reads the leases of a lease4-get-page response. Result 3 with an empty list ends the sync. */
function readPage(reply: PeerAnswer): unknown[] | string {
  const args = reply.arguments as Record<string, unknown> | undefined;
  if (typeof args !== 'object' || args === null || !Array.isArray(args['leases'])) return 'lease4-get-page answer has no leases list';
  return args['leases'] as unknown[];
}
