// The state of this server's active partner, as Kea 2.2's CommunicationState4 tracks it:
// the partner's last reported state, scopes and unsent-update count, when it last answered a
// heartbeat, the clock skew, and the clients that seem to get no answer from it while
// communication is interrupted (the unacked-clients rule of max-ack-delay and
// max-unacked-clients). Only a successful heartbeat refreshes the contact time; any failed
// request marks the partner unavailable.
//
// One deliberate difference from Kea 2.2: the clock skew is forgotten when communication fails
// (Kea 2.4 does the same), so a server whose partner's clock was fixed is not terminated again by a
// stale value.

import type { HaConfig, HaState } from './types.js';

/** Skew above which a warning is logged, in seconds (a constant in every Kea version). */
export const CLOCK_SKEW_WARN_SEC = 30;
/** Skew above which the server goes to terminated, in seconds. */
export const CLOCK_SKEW_TERMINATE_SEC = 60;

/** The contents of a successful heartbeat response. */
export interface HeartbeatReport {
  state: HaState;
  /** The partner's clock, Unix milliseconds (1-second resolution). */
  partnerTimeMs: number;
  scopes: readonly string[];
  unsentUpdateCount: number | undefined;
}

/** The fields of a query that the unacked-clients rule reads. */
export interface AnalyzedQuery {
  secs: number;
  chaddr: Uint8Array;
  clientId: Uint8Array | undefined;
}

export class CommunicationState {
  /** The partner's state; undefined until the first heartbeat succeeds or fails. */
  partnerState: HaState | undefined;
  partnerScopes: readonly string[] = [];
  /** Unsent-update counts from the previous and the latest heartbeat. */
  previousUnsentCount = 0;
  latestUnsentCount = 0;
  private unsentCountAtPartnerDown = 0;
  /** Partner clock minus ours, in whole seconds; undefined when unknown. */
  clockSkewSec: number | undefined;
  /** Unix ms of the last successful heartbeat; starts at construction, as Kea's does. */
  lastContactMs: number;
  /** True once any heartbeat succeeded. */
  isInTouch = false;
  analyzedPackets = 0;
  private readonly clients = new Map<string, boolean>();
  private unackedCount = 0;

  constructor(
    private readonly config: HaConfig,
    nowMs: number,
  ) {
    this.lastContactMs = nowMs;
  }

  /** Records a successful heartbeat: refreshes the contact time and clears the unacked clients. */
  recordHeartbeat(report: HeartbeatReport, nowMs: number): void {
    this.partnerState = report.state;
    this.partnerScopes = report.scopes;
    this.previousUnsentCount = this.latestUnsentCount;
    if (report.unsentUpdateCount !== undefined) this.latestUnsentCount = report.unsentUpdateCount;
    this.clockSkewSec = Math.round((report.partnerTimeMs - nowMs) / 1000);
    this.lastContactMs = nowMs;
    this.isInTouch = true;
    this.clearClients();
  }

  /** Records a failed request to the partner (heartbeat, lease update or any other command). */
  markUnavailable(): void {
    this.partnerState = 'unavailable';
    this.clockSkewSec = undefined;
  }

  /** Returns true when no heartbeat succeeded for longer than max-response-delay. */
  isInterrupted(nowMs: number): boolean {
    return nowMs - this.lastContactMs > this.config.maxResponseDelayMs;
  }

  /** Milliseconds since the last successful heartbeat. */
  sinceContactMs(nowMs: number): number {
    return nowMs - this.lastContactMs;
  }

  /**
   * Remembers the partner's unsent-update count when this server enters partner-down, so that
   * hasPartnerNewUnsentUpdates() compares against it rather than only against the previous
   * heartbeat as Kea 2.2 does. Kea misses a partner that served clients while the link was cut
   * when the first heartbeat after the cut finds it in waiting or syncing and the next in ready.
   */
  markPartnerDown(): void {
    this.unsentCountAtPartnerDown = this.latestUnsentCount;
  }

  /** True when the partner's unsent-update count is not zero and changed since this server entered partner-down (or since the previous heartbeat). */
  hasPartnerNewUnsentUpdates(): boolean {
    if (this.latestUnsentCount === 0) return false;
    return this.latestUnsentCount !== this.previousUnsentCount || this.latestUnsentCount !== this.unsentCountAtPartnerDown;
  }

  /** True when |skew| exceeds the warning threshold. */
  isClockSkewHigh(): boolean {
    return this.clockSkewSec !== undefined && Math.abs(this.clockSkewSec) > CLOCK_SKEW_WARN_SEC;
  }

  /** True when |skew| exceeds the threshold that terminates HA. */
  isClockSkewTerminal(): boolean {
    return this.clockSkewSec !== undefined && Math.abs(this.clockSkewSec) > CLOCK_SKEW_TERMINATE_SEC;
  }

  /**
   * Looks at a query that belongs to the partner while communication is interrupted. A client whose
   * `secs` exceeds max-ack-delay counts as unacked: the partner seems not to answer it.
   */
  analyze(query: AnalyzedQuery, nowMs: number): void {
    if (!this.isInterrupted(nowMs)) return;
    this.analyzedPackets++;
    let secs = query.secs;
    // Some clients send secs in little-endian order; Kea swaps a value whose low byte is zero.
    if (secs > 255 && (secs & 0xff) === 0) secs = ((secs & 0xff) << 8) | (secs >>> 8);
    const key = `${hex(query.chaddr)}/${query.clientId === undefined ? '' : hex(query.clientId)}`;
    const isUnacked = secs * 1000 > this.config.maxAckDelayMs;
    const known = this.clients.get(key);
    if (known === true) return;
    this.clients.set(key, isUnacked);
    if (isUnacked) this.unackedCount++;
  }

  /** Kea's failure detection: max-unacked-clients 0, or more distinct unacked clients than it allows. */
  isFailureDetected(): boolean {
    return this.config.maxUnackedClients === 0 || this.unackedCount > this.config.maxUnackedClients;
  }

  get unackedClients(): number {
    return this.unackedCount;
  }

  get connectingClients(): number {
    return this.clients.size - this.unackedCount;
  }

  /** Unacked clients still needed before failure is detected (0 while communication works), as status-get reports it. */
  unackedClientsLeft(nowMs: number): number {
    if (!this.isInterrupted(nowMs)) return 0;
    return Math.max(0, this.config.maxUnackedClients - this.unackedCount + 1);
  }

  private clearClients(): void {
    this.clients.clear();
    this.unackedCount = 0;
    this.analyzedPackets = 0;
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
