// Wires the modules together: configuration, logger, lease store, sockets, dispatcher and the
// periodic jobs (expired-lease reclamation, counter summaries). Besides the CLI, it is the only module
// that imports all the others.

import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';

import type { Logger } from 'pino';

import { ipToString } from './codec/addr.js';
import { loadConfig } from './config/load.js';
import type { ServerConfig } from './config/types.js';
import { Engine } from './engine/engine.js';
import { nestorError } from './errors.js';
import { resolveListenInterfaces } from './io/listen.js';
import type { ListenInterface } from './io/listen.js';
import { Egress } from './io/egress.js';
import { UdpBatchSocket } from './io/udp.js';
import {
  META_WORDS, RX_BUCKET, RX_DST_ADDR, RX_FLAG_TRUNCATED, RX_FLAGS, RX_IFINDEX, RX_LENGTH, RX_OFFSET, RX_SRC_ADDR, RX_SRC_PORT,
  RX_VLAN,
} from './io/batch.js';
import { RawPacketSocket } from './io/raw.js';
import type { RxBatch } from './io/batch.js';
import { openLeaseStore } from './leases/lmdb-store.js';
import type { LeaseStore } from './leases/types.js';
import { createServerLogger } from './log/setup.js';
import { logMessage, setRootLogger } from './log/logger.js';
import { ControlChannel } from './control/channel.js';
import { ControlHttpServer } from './control/http.js';
import type { ControlHttpOptions } from './control/http.js';
import { DhcpView } from './codec/view.js';
import { DecodeOutcome } from './codec/types.js';
import { applyStreamChanges, registerBulkUpdate } from './ha/bulk.js';
import { LEASE_STREAM_PROTOCOL, serveLeaseStream } from './ha/lease-stream.js';
import { registerHaCommands } from './ha/commands.js';
import { PeerClient } from './ha/peer-client.js';
import { HaService } from './ha/service.js';
import { applyHaPoolSplit, haEngineOptions } from './ha/setup.js';
import type { HaConfig } from './ha/types.js';
import { ServerLock } from './server-lock.js';
import { Dispatcher, MAX_BATCH, defaultWorkerCount } from './pipeline/dispatcher.js';
import type { IncomingPacket } from './pipeline/dispatcher.js';
import type { ResultBatch } from './pipeline/batch.js';
import { RESULT_STRIDE } from './pipeline/batch.js';
import { BatchProcessor } from './pipeline/process.js';
import { CommitGroup } from './leases/commit-group.js';

const BROADCAST = 0xffffffff;
const SUMMARY_INTERVAL_MS = 60_000;
/** How often a raw socket whose interface went down is tried again. */
const RAW_REOPEN_INTERVAL_MS = 2_000;
/** Offset of giaddr in a DHCP message (RFC 2131 §2). */
const OFF_GIADDR = 24;
const OPT_CLIENT_IDENTIFIER = 61;
/** SERVER_COMMIT_FAILED is logged at most once per this interval. */
const COMMIT_FAILURE_LOG_INTERVAL_MS = 5_000;
/** Idle time after which the peer listener closes a connection (at least three heartbeat periods). */
const PEER_IDLE_TIMEOUT_MS = 300_000;
/** Message types Kea's HA query filter looks at: DISCOVER, REQUEST, DECLINE, RELEASE, INFORM. */
const HA_FILTERED_TYPES: ReadonlySet<number> = new Set([1, 3, 4, 7, 8]);

export interface ServerOptions {
  configPath: string;
  /** Overrides the configuration's nestor.workers. */
  workers?: number;
  /** Overrides the level from the configuration's loggers. */
  logLevel?: string;
  /** Use this logger instead of building one from the configuration (tests, demo). */
  logger?: Logger;
}

/** Counters since start; outcomes are the engine's outcome names summed over all batches. */
export interface ServerStats {
  received: number;
  truncated: number;
  droppedQueueFull: number;
  /** Requests dropped while dhcp-disable keeps the service off. */
  droppedDisabled: number;
  /** Requests that arrived on both sockets of an interface and were taken from the other one. */
  skippedOtherPath: number;
  commitFailures: number;
  /** Requests of an HA scope this server does not serve in its current state. */
  droppedOutOfScope: number;
  /** Replies dropped because the partner did not acknowledge their lease updates. */
  droppedUnacked: number;
  outcomes: Record<string, number>;
}

export class Server {
  readonly stats: ServerStats = {
    received: 0, truncated: 0, droppedQueueFull: 0, droppedDisabled: 0, skippedOtherPath: 0, commitFailures: 0,
    droppedOutOfScope: 0, droppedUnacked: 0, outcomes: {},
  };
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly packet: IncomingPacket = {
    data: new Uint8Array(0), offset: 0, length: 0, sourceAddress: 0, sourcePort: 0,
    destinationAddress: 0, ifindex: 0, localAddress: 0, bucket: 0, vlan: 0,
  };
  private readonly reopenTimers = new Map<number, NodeJS.Timeout>();
  private control: ControlChannel | undefined;
  private ha: HaService | undefined;
  private peerListener: ControlHttpServer | undefined;
  /** Reads the queries of the partner's scope for the unacked-clients rule, on the main thread. */
  private readonly haView = new DhcpView();
  /** False while dhcp-disable keeps the service off; received requests are dropped, as Kea does. */
  private isServiceEnabled = true;
  private stopped = false;
  private lastCommitFailureLogMs = Number.NEGATIVE_INFINITY;
  private commitFailuresSinceLog = 0;

  private constructor(
    readonly config: ServerConfig,
    readonly log: Logger,
    readonly store: LeaseStore,
    private readonly lock: ServerLock,
    private readonly engine: Engine,
    private readonly listeners: ListenInterface[],
    private readonly sockets: Map<number, UdpBatchSocket>,
    private readonly rawSockets: Map<number, RawPacketSocket>,
    private readonly dispatcher: Dispatcher,
    private readonly egress: Egress,
    readonly workers: number,
    private readonly commits: CommitGroup,
  ) {}

  /** Load the configuration, open the store and the sockets, and start serving. Throws a NestorError on any operator mistake. */
  static async start(opts: ServerOptions): Promise<Server> {
    const { config: loaded, issues } = loadConfig(opts.configPath);
    const errors = issues.filter((i) => i.severity === 'error');
    if (!loaded || errors.length > 0) {
      const lines = errors.map((i) => `${i.path}: ${i.message}`).join('\n  ');
      throw nestorError('CONFIG_INVALID', `${opts.configPath}: configuration has ${errors.length} error(s):\n  ${lines}`);
    }

    const log = opts.logger ?? createServerLogger(loaded.loggers, opts.logLevel);
    setRootLogger(log);
    for (const issue of issues) logMessage(log, 'SERVER_CONFIG_WARNING', { path: issue.path, reason: issue.message });
    const { config, description: poolSplit } = applyHaPoolSplit(loaded);
    if (poolSplit !== '') logMessage(log, 'HA_POOLS_SPLIT', { pools: poolSplit.split('\n') });

    const listeners = resolveListenInterfaces(config.interfaces);
    if (listeners.length === 0) logMessage(log, 'SERVER_NO_INTERFACES', {});
    const serverAddresses = listeners.map((l) => l.address);

    const lock = ServerLock.acquire(config.leaseDatabase.path);
    let store: LeaseStore;
    try {
      store = openLeaseStore({ path: config.leaseDatabase.path, mapSizeBytes: config.nestor.lmdbMapSizeBytes, log });
    } catch (err) {
      lock.release();
      throw err;
    }
    const engine = new Engine(config, { log, serverAddresses, ...(config.ha === undefined ? {} : haEngineOptions(config.ha)) });
    const workers = opts.workers ?? config.nestor.workers ?? defaultWorkerCount();

    const sockets = new Map<number, UdpBatchSocket>();
    const rawSockets = new Map<number, RawPacketSocket>();
    try {
      for (const l of listeners) {
        // The raw socket first: without CAP_NET_RAW its error names the interface and the way out
        // (root, the capability, or dhcp-socket-type udp), which is the one an operator needs.
        if (config.socketType === 'raw') rawSockets.set(l.ifindex, RawPacketSocket.open({ ifname: l.name, log }));
        sockets.set(l.ifindex, UdpBatchSocket.open({
          bindAddress: 0, port: config.nestor.serverPort, ifname: l.name, receiveIntervalMs: config.nestor.receiveIntervalMs,
        }));
      }
    } catch (err) {
      for (const s of sockets.values()) s.close();
      for (const s of rawSockets.values()) s.close();
      await store.close();
      lock.release();
      throw err;
    }

    let server: Server | undefined;
    // Write passes of batches (inline mode) and the partner's lease updates share commits.
    const commits = new CommitGroup(store, { windowUs: config.nestor.commitWindowUs, maxQueued: MAX_BATCH, log });
    const dispatcher = new Dispatcher({
      workers,
      configPath: config.sourcePath,
      serverAddresses,
      logLevel: log.level,
      inline: workers === 0 ? new BatchProcessor(engine, store, log) : undefined,
      commits,
      onResult: (result) => server?.sendResult(result),
      isFailover: () => server?.ha?.isFailover() ?? false,
      log,
    });
    const egress = new Egress(sockets, rawSockets, config.nestor.serverPort);
    server = new Server(config, log, store, lock, engine, listeners, sockets, rawSockets, dispatcher, egress, workers, commits);
    if (config.controlSocket !== undefined || config.ha !== undefined) {
      const running = server;
      const control = new ControlChannel({
        config, store, log,
        setServiceEnabled: (enabled) => { running.isServiceEnabled = enabled; },
        shutdown: () => process.kill(process.pid, 'SIGTERM'),
      });
      try {
        await control.start();
      } catch (err) {
        await running.stop();
        throw err;
      }
      control.addStatusPart(() => running.socketStatus());
      running.control = control;
      if (config.ha !== undefined) {
        try {
          await running.startHa(config.ha, control);
        } catch (err) {
          await running.stop();
          throw err;
        }
      }
    }
    server.begin();
    return server;
  }

  /** Builds the HA service and opens the listener its peers send commands to (this server's own peer URL). */
  private async startHa(haConfig: HaConfig, control: ControlChannel): Promise<void> {
    const log = this.log;
    const ha = new HaService({
      config: haConfig,
      store: this.store,
      log,
      networkState: control.networkState,
      connect: (peer) => new PeerClient({ peer, log }),
    });
    registerHaCommands(control.commands, ha);
    const writeContext = { config: this.config, store: this.store, log, nowSec: () => Math.floor(Date.now() / 1000) };
    registerBulkUpdate(control.commands, writeContext, this.commits);
    control.addStatusPart(() => ha.statusReport());
    this.ha = ha;

    const self = haConfig.thisServer;
    // Kea 2.2 does not resend a request that meets a connection its peer closed, so idle
    // connections stay open well beyond a heartbeat period and the client side closes them.
    const idleTimeoutMs = Math.max(PEER_IDLE_TIMEOUT_MS, 3 * haConfig.heartbeatDelayMs);
    // A nestor peer sends its lease updates on the lease stream, which it opens through this listener.
    const upgrades = {
      [LEASE_STREAM_PROTOCOL]: (socket: Duplex, head: Buffer, remote: string) => serveLeaseStream(socket, head, {
        apply: (changes) => applyStreamChanges(writeContext, changes, this.commits), remote, log,
      }),
    };
    const options: ControlHttpOptions = { host: self.host, port: self.port, handler: (request) => control.execute(request), upgrades, log, realm: 'nestor-ha', idleTimeoutMs };
    const password = self.basicAuthPassword ?? (self.basicAuthPasswordFile === undefined ? undefined : readFileSync(self.basicAuthPasswordFile, 'utf8').replace(/\r?\n$/, ''));
    // Kea's own listener accepts anyone. nestor requires the credentials its peers are configured
    // to send to it (this server's entry in peers), so a copied configuration protects both sides.
    if (self.basicAuthUser !== undefined && self.basicAuthUser !== '') options.auth = [{ user: self.basicAuthUser, password: password ?? '' }];
    if (self.scheme === 'https' && self.certFile !== undefined && self.keyFile !== undefined) {
      options.tls = {
        cert: readFileSync(self.certFile), key: readFileSync(self.keyFile),
        ca: self.trustAnchor === undefined ? undefined : readFileSync(self.trustAnchor),
        requireClientCert: haConfig.requireClientCerts,
      };
    }
    this.peerListener = new ControlHttpServer(options);
    try {
      await this.peerListener.start();
    } catch (err) {
      throw nestorError('CONTROL_HTTP', `high-availability: this server '${haConfig.thisServerName}' must listen for its peers at its own peer URL ` +
        `'${self.url}', but ${(err as Error).message.replace(/ \[NESTOR_ERR_\w+\]$/, '')}; check that ${self.host} is an address of this host and the port is free`);
    }
  }

  private begin(): void {
    for (const [ifindex, socket] of this.sockets) socket.start((batch) => this.receive(batch, ifindex, false));
    for (const [ifindex, socket] of this.rawSockets) this.startRaw(ifindex, socket);

    const reclaimMs = Math.max(1, this.config.expiredLeases.reclaimTimerWaitTimeSec) * 1000;
    this.timers.push(setInterval(() => this.reclaim(), reclaimMs).unref());
    this.timers.push(setInterval(() => this.logSummary(), SUMMARY_INTERVAL_MS).unref());

    if (this.ha !== undefined) {
      const ha = this.ha.config;
      logMessage(this.log, 'HA_SERVICE_STARTED', {
        server: ha.thisServerName, mode: ha.mode, role: ha.thisServer.role, url: ha.thisServer.url,
        peer: ha.peers.filter((p) => p !== ha.thisServer).map((p) => `${p.name} (${p.role}) ${p.url}`),
      });
      this.ha.start();
    }
    logMessage(this.log, 'SERVER_STARTED', {
      iface: this.listeners.map((l) => `${l.name}/${ipToString(l.address)}`),
      port: this.config.nestor.serverPort,
      socketType: this.config.socketType,
      workers: this.workers,
      commitWindowUs: this.config.nestor.commitWindowUs,
      receiveIntervalMs: this.config.nestor.receiveIntervalMs,
      leaseDatabase: this.config.leaseDatabase.path,
      subnets: this.config.subnets.length,
    });
  }

  /** Build the `sockets` part of status-get in Kea's form: 'retrying' while a raw socket waits for its interface. */
  private socketStatus(): Record<string, unknown> {
    if (this.reopenTimers.size === 0) return { sockets: { status: 'ready' } };
    const names = this.listeners.filter((l) => this.reopenTimers.has(l.ifindex)).map((l) => l.name);
    return { sockets: { status: 'retrying', errors: names.map((n) => `raw socket on interface '${n}' is closed: the interface is down; retrying every 2 s`) } };
  }

  private startRaw(ifindex: number, socket: RawPacketSocket): void {
    socket.onError = (err) => this.rawSocketBroken(ifindex, socket, err);
    socket.start((batch) => this.receive(batch, ifindex, true));
  }

  /** Serve an interface whose raw socket broke (down or removed) through UDP only, and reopen the raw socket when it can. */
  private rawSocketBroken(ifindex: number, socket: RawPacketSocket, err: Error): void {
    if (this.rawSockets.get(ifindex) !== socket) return;
    this.rawSockets.delete(ifindex);
    socket.close();
    logMessage(this.log, 'SERVER_IFACE_DOWN', { iface: socket.ifname, err: err.message });

    const timer = setInterval(() => {
      if (this.stopped) return;
      let reopened: RawPacketSocket;
      try {
        reopened = RawPacketSocket.open({ ifname: socket.ifname, log: this.log });
      } catch {
        return; // still down: the next tick tries again
      }
      clearInterval(timer);
      this.reopenTimers.delete(ifindex);
      this.rawSockets.set(ifindex, reopened);
      this.startRaw(ifindex, reopened);
      logMessage(this.log, 'SERVER_IFACE_RESTORED', { iface: socket.ifname });
    }, RAW_REOPEN_INTERVAL_MS);
    this.reopenTimers.set(ifindex, timer);
  }

  private receive(batch: RxBatch, socketIfindex: number, fromRaw: boolean): void {
    if (!this.isServiceEnabled) {
      this.stats.droppedDisabled += batch.count;
      return;
    }
    const p = this.packet;
    p.data = batch.data;
    const ha = this.ha;
    const isAnalyzing = ha !== undefined && ha.wantsAnalysis();
    for (let i = 0; i < batch.count; i++) {
      const row = i * META_WORDS;
      this.stats.received++;
      if ((batch.meta[row + RX_FLAGS] & RX_FLAG_TRUNCATED) !== 0) {
        this.stats.truncated++;
        continue;
      }
      p.offset = batch.meta[row + RX_OFFSET];
      p.length = batch.meta[row + RX_LENGTH];
      // With raw sockets, every request to port 67 on the interface reaches both sockets: the raw
      // socket takes the ones from directly attached clients (giaddr 0) and the UDP socket the relayed ones.
      if (fromRaw ? !isGiaddrZero(batch.data, p.offset, p.length) : this.rawSockets.has(socketIfindex) && isGiaddrZero(batch.data, p.offset, p.length)) {
        this.stats.skippedOtherPath++;
        continue;
      }
      if (ha !== undefined && !ha.accepts(batch.meta[row + RX_BUCKET])) {
        this.stats.droppedOutOfScope++;
        if (isAnalyzing) this.analyzeForHa(ha, batch.data, p.offset, p.length);
        continue;
      }
      p.sourceAddress = batch.meta[row + RX_SRC_ADDR];
      p.sourcePort = batch.meta[row + RX_SRC_PORT];
      p.destinationAddress = batch.meta[row + RX_DST_ADDR];
      p.ifindex = batch.meta[row + RX_IFINDEX] || socketIfindex;
      p.bucket = batch.meta[row + RX_BUCKET];
      p.vlan = batch.meta[row + RX_VLAN];
      p.localAddress = this.localAddressFor(p.ifindex, p.destinationAddress);
      if (!this.dispatcher.add(p)) this.stats.droppedQueueFull++;
    }
    this.dispatcher.flush();
  }

  /** Shows a query of the partner's scope to the unacked-clients rule (only while communication is interrupted). */
  private analyzeForHa(ha: HaService, data: Uint8Array, offset: number, length: number): void {
    const view = this.haView;
    if (view.reset(data, offset, length) !== DecodeOutcome.OK || !HA_FILTERED_TYPES.has(view.messageType)) return;
    ha.analyze({ secs: view.secs, chaddr: view.chaddr(), clientId: view.option(OPT_CLIENT_IDENTIFIER) });
  }

  /** Return the request's own destination when it was unicast to us, else the receiving interface's address. */
  private localAddressFor(ifindex: number, destination: number): number {
    const listener = this.listeners.find((l) => l.ifindex === ifindex) ?? this.listeners[0];
    if (destination !== BROADCAST && destination !== 0 && this.listeners.some((l) => l.address === destination)) return destination;
    return listener?.address ?? 0;
  }

  private sendResult(result: ResultBatch): void {
    for (const [name, count] of Object.entries(result.outcomes)) {
      this.stats.outcomes[name] = (this.stats.outcomes[name] ?? 0) + count;
    }
    if (result.error) {
      this.stats.commitFailures++;
      // Every batch fails the same way while the database is full: one line per interval, with the count.
      const now = Date.now();
      this.commitFailuresSinceLog++;
      if (now - this.lastCommitFailureLogMs >= COMMIT_FAILURE_LOG_INTERVAL_MS) {
        logMessage(this.log, 'SERVER_COMMIT_FAILED', { err: result.error.message, code: result.error.code, count: this.commitFailuresSinceLog });
        this.lastCommitFailureLogMs = now;
        this.commitFailuresSinceLog = 0;
      }
      return;
    }
    const ha = this.ha;
    if (ha !== undefined && result.changes.length > 0) {
      // Kea's rule: a reply whose lease the partner must store leaves only after the partner has it.
      if (ha.needsAcknowledgement()) {
        void ha.replicate(result.changes, result.changeOwners).then(({ failedReplies }) => {
          if (this.stopped) return;
          this.stats.droppedUnacked += failedReplies.size;
          this.egress.send(failedReplies.size === 0 ? result : withoutReplies(result, failedReplies));
        });
        return;
      }
      void ha.replicate(result.changes, result.changeOwners);
    }
    if (result.count === 0) return;

    this.egress.send(result);
  }

  private reclaim(): void {
    if (this.stopped) return;
    const limits = this.config.expiredLeases;
    try {
      const count = this.engine.reclaimExpired(this.store, Math.floor(Date.now() / 1000), limits.maxReclaimLeases, limits.maxReclaimTimeMs);
      if (count > 0) logMessage(this.log, 'SERVER_LEASES_RECLAIMED', { count });
    } catch (err) {
      logMessage(this.log, 'SERVER_RECLAIM_FAILED', { err });
    }
  }

  private logSummary(): void {
    logMessage(this.log, 'SERVER_COUNTERS', { ...this.stats, ...this.dispatcher.counters, ...this.egress.counters, ...this.commitCounters(), ...this.ha?.summary() });
  }

  /** Returns the group-commit counters for the log: commits, the jobs (batches and partner updates) they carried, failed commits. */
  private commitCounters(): Record<string, number> {
    const { commits, jobs, failedCommits } = this.commits.counters;
    return { leaseCommits: commits, leaseCommitJobs: jobs, leaseCommitsFailed: failedCommits };
  }

  /** Stop receiving, finish in-flight batches, close workers and the store. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.ha?.stop();
    await this.peerListener?.stop();
    await this.control?.stop();
    for (const t of this.timers) clearInterval(t);
    for (const t of this.reopenTimers.values()) clearInterval(t);
    for (const s of this.sockets.values()) s.close();
    for (const s of this.rawSockets.values()) s.close();
    await this.dispatcher.close();
    // Partner updates may still wait for a commit when the batches go through workers.
    await this.commits.drain();
    await this.store.close();
    this.lock.release();
    logMessage(this.log, 'SERVER_STOPPED', { ...this.stats, ...this.egress.counters, ...this.commitCounters() });
  }
}

/** Copies a result batch without the replies at the given indexes. The reply bytes are shared, not copied. */
function withoutReplies(result: ResultBatch, dropped: ReadonlySet<number>): ResultBatch {
  const meta = new Uint32Array(result.meta.length);
  let keptCount = 0;
  for (let i = 0; i < result.count; i++) {
    if (dropped.has(i)) continue;
    meta.set(result.meta.subarray(i * RESULT_STRIDE, (i + 1) * RESULT_STRIDE), keptCount * RESULT_STRIDE);
    keptCount++;
  }
  return { ...result, count: keptCount, meta };
}

/** True when the DHCP message's giaddr is 0.0.0.0 (a request from a directly attached client); short messages count as direct. */
function isGiaddrZero(data: Uint8Array, offset: number, length: number): boolean {
  if (length < OFF_GIADDR + 4) return true;
  const at = offset + OFF_GIADDR;
  return (data[at] | data[at + 1] | data[at + 2] | data[at + 3]) === 0;
}
