// Whether the DHCP service answers clients, as kea-dhcp4 2.2 tracks it: each origin that disabled
// the service keeps its own flag, and the service runs only when no flag is set. Kea 2.2 has the
// origins user (dhcp-disable from an operator), HA (the local HA state machine and a partner's
// `origin: "ha-partner"` share this one flag) and DB connection. A disable with a max period
// starts a timer that, when it fires, clears every flag, as Kea's delayed enable-all does.

import type { Logger } from 'pino';

import { logMessage } from '../log/logger.js';

export type DisableOrigin = 'user' | 'ha' | 'db-connection';

/** Called with the combined state each time it changes. */
export type ServiceStateListener = (enabled: boolean, reason: string) => void;

export class NetworkState {
  private readonly disabledBy = new Set<DisableOrigin>();
  private enableTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly onChange: ServiceStateListener,
    private readonly log: Logger,
  ) {}

  isEnabled(): boolean {
    return this.disabledBy.size === 0;
  }

  /** Origins that currently keep the service disabled. */
  disabledOrigins(): DisableOrigin[] {
    return [...this.disabledBy];
  }

  /** Sets origin's flag; with maxPeriodSec, every flag is cleared after that many seconds unless enabled earlier. */
  disable(origin: DisableOrigin, maxPeriodSec?: number): void {
    const wasEnabled = this.isEnabled();
    this.disabledBy.add(origin);
    if (maxPeriodSec !== undefined) this.scheduleEnableAll(maxPeriodSec);
    logMessage(this.log, 'CONTROL_SERVICE_DISABLED', { origin, maxPeriodSec });
    if (wasEnabled) this.onChange(false, origin);
  }

  /** Clears origin's flag; the service resumes when no other origin keeps it disabled. */
  enable(origin: DisableOrigin): void {
    if (!this.disabledBy.delete(origin)) return;
    logMessage(this.log, 'CONTROL_SERVICE_ENABLED', { origin, state: this.isEnabled() ? 'enabled' : 'still disabled' });
    if (this.isEnabled()) this.settle(origin);
  }

  /** Clears every flag (the max-period timer and shutdown use this). */
  enableAll(reason: string): void {
    if (this.isEnabled()) return;
    this.disabledBy.clear();
    this.settle(reason);
  }

  /** Stops the max-period timer; the state stays as it is. */
  close(): void {
    if (this.enableTimer !== undefined) clearTimeout(this.enableTimer);
    this.enableTimer = undefined;
  }

  private scheduleEnableAll(maxPeriodSec: number): void {
    this.close();
    this.enableTimer = setTimeout(() => {
      this.enableTimer = undefined;
      if (this.isEnabled()) return;
      logMessage(this.log, 'CONTROL_SERVICE_AUTO_ENABLED', { durationMs: maxPeriodSec * 1000 });
      this.enableAll('max-period');
    }, maxPeriodSec * 1000);
    this.enableTimer.unref();
  }

  private settle(reason: string): void {
    this.close();
    this.onChange(true, reason);
  }
}
