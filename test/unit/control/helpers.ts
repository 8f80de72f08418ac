// Shared fixtures for the control tests: a loaded configuration with two subnets, a channel over a
// MemoryLeaseStore with fake server hooks, and a lease builder.

import pino from 'pino';

import { parseConfigText } from '../../../src/config/load.js';
import type { ServerConfig } from '../../../src/config/types.js';
import { ControlChannel } from '../../../src/control/channel.js';
import type { ControlAnswer } from '../../../src/control/answer.js';
import { MemoryLeaseStore } from '../../../src/leases/memory-store.js';
import { LeaseState } from '../../../src/leases/types.js';
import type { Lease4 } from '../../../src/leases/types.js';

export const NOW_SEC = 1_800_000_000;

export const TEST_DHCP4 = {
  'interfaces-config': { interfaces: [] },
  'lease-database': { type: 'lmdb', name: '/nonexistent/leases4.lmdb' },
  'valid-lifetime': 3600,
  subnet4: [
    { id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.10 - 198.18.0.100' }] },
    { id: 2, subnet: '198.18.1.0/24', 'valid-lifetime': 600, pools: [{ pool: '198.18.1.10 - 198.18.1.100' }] },
  ],
};

/** Loads TEST_DHCP4 plus extra top-level keys; throws when the loader reports an error. */
export function testConfig(extra: Record<string, unknown> = {}): ServerConfig {
  const { config, issues } = parseConfigText(JSON.stringify({ Dhcp4: { ...TEST_DHCP4, ...extra } }), '/nonexistent/nestor.json');
  if (config === undefined) throw new Error(`test configuration is invalid: ${JSON.stringify(issues)}`);
  return config;
}

export interface Harness {
  channel: ControlChannel;
  store: MemoryLeaseStore;
  /** setServiceEnabled calls in order. */
  serviceChanges: Array<{ enabled: boolean; reason: string }>;
  shutdowns: number[];
  /** Sends a command map and returns the answer. */
  send(command: string, args?: unknown, extra?: Record<string, unknown>): Promise<ControlAnswer>;
  clock: { ms: number };
}

export function harness(config: ServerConfig = testConfig()): Harness {
  const store = new MemoryLeaseStore();
  const serviceChanges: Harness['serviceChanges'] = [];
  const shutdowns: number[] = [];
  const clock = { ms: NOW_SEC * 1000 };
  const channel = new ControlChannel({
    config,
    store,
    log: pino({ level: 'silent' }),
    setServiceEnabled: (enabled, reason) => serviceChanges.push({ enabled, reason }),
    shutdown: (exitValue) => shutdowns.push(exitValue),
    startedAtMs: clock.ms - 90_000,
    configLoadedAtMs: clock.ms - 30_000,
    nowMs: () => clock.ms,
  });
  const send = (command: string, args?: unknown, extra: Record<string, unknown> = {}): Promise<ControlAnswer> =>
    channel.executeText(JSON.stringify(args === undefined ? { command, ...extra } : { command, arguments: args, ...extra }));
  return { channel, store, serviceChanges, shutdowns, send, clock };
}

/** A default-state lease of client 00:0c:01:02:03:<last byte of address> in subnet 1. */
export function lease(address: number, overrides: Partial<Lease4> = {}): Lease4 {
  return {
    address,
    hwAddress: Uint8Array.of(0x00, 0x0c, 0x01, 0x02, 0x03, address & 0xff),
    htype: 1,
    clientId: undefined,
    subnetId: 1,
    validLifetime: 3600,
    cltt: NOW_SEC - 100,
    state: LeaseState.DEFAULT,
    hostname: '',
    fqdnFwd: false,
    fqdnRev: false,
    ...overrides,
  };
}

/** 198.18.0.<n> in host order. */
export function net0(n: number): number {
  return (0xc6120000 + n) >>> 0;
}

/** 198.18.1.<n> in host order. */
export function net1(n: number): number {
  return (0xc6120100 + n) >>> 0;
}
