// Types shared by the HA module: the validated `high-availability` relationship of libdhcp_ha.so
// (Kea 2.2 parameter names, timers in milliseconds), and the state and role names. Names keep
// Kea's wire spelling because the partner may be a Kea server.

export type HaMode = 'load-balancing' | 'hot-standby' | 'passive-backup';

export type HaRole = 'primary' | 'secondary' | 'standby' | 'backup';

/** HA states as Kea 2.2 reports them; 'unavailable' is the partner state while its heartbeats fail. */
export type HaState =
  | 'waiting'
  | 'syncing'
  | 'ready'
  | 'load-balancing'
  | 'hot-standby'
  | 'communication-recovery'
  | 'partner-down'
  | 'partner-in-maintenance'
  | 'in-maintenance'
  | 'passive-backup'
  | 'backup'
  | 'terminated'
  | 'unavailable';

/** Pause setting of one state in `state-machine.states`. */
export type HaPauseMode = 'always' | 'once' | 'never';

export interface HaPeerConfig {
  name: string;
  /** The URL as written in the configuration. */
  url: string;
  scheme: 'http' | 'https';
  /** IPv4 address, or IPv6 address without brackets. */
  host: string;
  /** Port from the URL; 80 for http and 443 for https when the URL has none. */
  port: number;
  /** Path from the URL, '/' when the URL has none. */
  path: string;
  role: HaRole;
  autoFailover: boolean;
  basicAuthUser: string | undefined;
  basicAuthPassword: string | undefined;
  /** Path of the file that contains the password. This module does not read it. */
  basicAuthPasswordFile: string | undefined;
  /** TLS files after inheritance from the relationship level; undefined when TLS is off for this peer. */
  trustAnchor: string | undefined;
  certFile: string | undefined;
  keyFile: string | undefined;
}

export interface HaMultiThreadingConfig {
  enableMultiThreading: boolean;
  httpDedicatedListener: boolean;
  /** 0 means the DHCP thread-pool size (Kea 2.2 rule). */
  httpListenerThreads: number;
  httpClientThreads: number;
}

export interface HaStatePause {
  state: HaState;
  pause: HaPauseMode;
}

/** One validated HA relationship, deeply frozen. */
export interface HaConfig {
  mode: HaMode;
  thisServerName: string;
  thisServer: HaPeerConfig;
  /**
   * The other active server (secondary or primary in load-balancing, standby or primary in
   * hot-standby); undefined in passive-backup and on a backup server.
   */
  partner: HaPeerConfig | undefined;
  primary: HaPeerConfig;
  /** The secondary in load-balancing, the standby in hot-standby, undefined in passive-backup. */
  secondary: HaPeerConfig | undefined;
  backups: readonly HaPeerConfig[];
  /** All peers in configuration order. */
  peers: readonly HaPeerConfig[];

  heartbeatDelayMs: number;
  maxResponseDelayMs: number;
  maxAckDelayMs: number;
  maxUnackedClients: number;
  maxRejectedLeaseUpdates: number;
  delayedUpdatesLimit: number;
  syncLeases: boolean;
  syncTimeoutMs: number;
  syncPageLimit: number;
  sendLeaseUpdates: boolean;
  waitBackupAck: boolean;
  requireClientCerts: boolean;
  restrictCommands: boolean;
  multiThreading: HaMultiThreadingConfig;
  statePauses: readonly HaStatePause[];
}
