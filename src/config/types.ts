// The validated, frozen server configuration produced by config/load.ts from a Kea Dhcp4 document.
// The hot path reads these objects and never re-checks them. Addresses are unsigned 32-bit
// integers in host order; option values are already encoded to wire bytes.

import type { HaConfig } from '../ha/types.js';

/** One encoded option value from option-data. */
export interface ConfiguredOption {
  code: number;
  data: Uint8Array;
  /** Kea's always-send: include it even when the client did not request it. */
  alwaysSend: boolean;
}

/** Options by code; a more specific level (reservation > pool > subnet > global) wins per code. */
export type OptionSet = ReadonlyMap<number, ConfiguredOption>;

export interface ReservationConfig {
  hwAddress: Uint8Array | undefined;
  clientId: Uint8Array | undefined;
  circuitId: Uint8Array | undefined;
  ipAddress: number | undefined;
  hostname: string | undefined;
  nextServer: number | undefined;
  serverHostname: string | undefined;
  bootFileName: string | undefined;
  options: OptionSet;
}

export interface PoolConfig {
  first: number;
  last: number;
  /** Kea client-class guard ("HA_server1" and the like); undefined for none. */
  clientClass: string | undefined;
  /** Options set on the pool only (not merged with the subnet's). */
  options: OptionSet;
}

/** Per-subnet values with the global ones already applied where the subnet sets none. */
export interface SubnetConfig {
  id: number;
  /** The prefix as written, e.g. "198.18.0.0/24". */
  subnet: string;
  network: number;
  prefixLength: number;
  mask: number;
  broadcast: number;
  pools: readonly PoolConfig[];
  relayAddresses: readonly number[];
  /** Interface name for directly attached clients (subnet4[].interface), undefined for none. */
  interface: string | undefined;
  /** Kea client-class guard of the whole subnet (subnet4[].client-class); undefined for none. */
  clientClass: string | undefined;
  reservations: readonly ReservationConfig[];
  /** Subnet options merged over the global ones. */
  options: OptionSet;
  validLifetime: number;
  minValidLifetime: number;
  maxValidLifetime: number;
  renewTimer: number | undefined;
  rebindTimer: number | undefined;
  calculateTeeTimes: boolean;
  t1Percent: number;
  t2Percent: number;
  matchClientId: boolean;
  authoritative: boolean;
  echoClientId: boolean;
  nextServer: number;
  serverHostname: string;
  bootFileName: string;
  reservationsInSubnet: boolean;
  reservationsOutOfPool: boolean;
  /** Server identifier configured with option 54 (dhcp-server-identifier) for this subnet, if any. */
  serverId: number | undefined;
}

export type HostIdentifierType = 'hw-address' | 'duid' | 'circuit-id' | 'client-id' | 'flex-id';

export interface InterfaceConfig {
  name: string;
  /** Address from the "name/address" form, undefined when only the name was given. */
  address: number | undefined;
}

export interface ExpiredLeasesConfig {
  reclaimTimerWaitTimeSec: number;
  flushReclaimedTimerWaitTimeSec: number;
  holdReclaimedTimeSec: number;
  maxReclaimLeases: number;
  maxReclaimTimeMs: number;
  unwarnedReclaimCycles: number;
}

export interface LoggerConfig {
  name: string;
  /** pino level mapped from Kea's severity: FATAL→fatal, ERROR→error, WARN→warn, INFO→info, DEBUG→debug (debuglevel > 50 → trace). */
  level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** 'stdout', 'stderr', 'syslog' or a file path. */
  outputs: readonly string[];
}

export interface NestorSettings {
  /** Worker threads for request processing; 0 runs everything on the main thread. */
  workers: number | undefined;
  /** UDP port for the relay path; 67 unless a test or the demo sets another. */
  serverPort: number;
  /** Port client replies go to; 68 unless a test or the demo sets another. */
  clientPort: number;
  /** Maximum size of the LMDB map in bytes. */
  lmdbMapSizeBytes: number;
  /** Minimum time in microseconds between two lease commits while requests keep coming. 0 commits each batch at once. */
  commitWindowUs: number;
  /**
   * 0 reads the UDP sockets as soon as a datagram arrives. N: while requests keep coming, read them
   * every N milliseconds instead, one wakeup for all that arrived in between.
   */
  receiveIntervalMs: number;
}

export interface ServerConfig {
  interfaces: readonly InterfaceConfig[];
  /** Kea's dhcp-socket-type; only 'udp' is served until raw sockets land, 'raw' is accepted. */
  socketType: 'raw' | 'udp';
  leaseDatabase: {
    type: 'memfile' | 'lmdb';
    /** Path of the LMDB database file. */
    path: string;
    persist: boolean;
  };
  subnets: readonly SubnetConfig[];
  /** Global options (already merged into each subnet's options; kept for INFORM without a subnet). */
  options: OptionSet;
  /** Global reservations (used when reservations-global is true). */
  globalReservations: readonly ReservationConfig[];
  reservationsGlobal: boolean;
  declineProbationPeriodSec: number;
  hostReservationIdentifiers: readonly HostIdentifierType[];
  expiredLeases: ExpiredLeasesConfig;
  controlSocket: { type: 'unix'; path: string } | undefined;
  loggers: readonly LoggerConfig[];
  /** True when libdhcp_lease_cmds.so was listed; its commands are built in either way. */
  hasLeaseCommands: boolean;
  /** Raw parameters of libdhcp_ha.so, kept unvalidated for the HA module; undefined when not configured. */
  haParameters: unknown;
  /** The validated HA relationship of libdhcp_ha.so; undefined when HA is not configured. */
  ha: HaConfig | undefined;
  nestor: NestorSettings;
  /** Path of the file the configuration was read from. */
  sourcePath: string;
  /** The parsed Dhcp4 object as read (after includes), for config-get. */
  raw: Readonly<Record<string, unknown>>;
}

/** One finding of the loader: errors stop the server, warnings name keys that are ignored. */
export interface ConfigIssue {
  severity: 'error' | 'warning';
  /** JSON path such as "Dhcp4.subnet4[0].pools[1].pool". */
  path: string;
  message: string;
}
