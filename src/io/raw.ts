// AF_PACKET ingress and egress for directly attached clients, which have no IPv4 address yet.
// Requests arrive in a TPACKET_V3 receive ring behind a BPF filter (IPv4 UDP to port 67), which is
// drained in batches each time libuv reports the socket readable. Replies are Ethernet/IPv4/UDP
// frames built natively and sent with one sendmmsg per batch. Receive meta has the same layout as the UDP path plus the source MAC and
// VLAN words (see batch.ts). All native work is in native/raw_*.cc; this class validates options,
// reports a broken socket and logs.

import type { Logger } from 'pino';

import { nestorError } from '../errors.js';
import type { NestorError } from '../errors.js';
import { logMessage } from '../log/logger.js';
import { MAX_BATCH, META_WORDS, RX_FLAG_TRUNCATED, RX_FLAGS } from './batch.js';
import type { RxBatch, TxBatch } from './batch.js';
import { errnoName, rawSocketError, requireNative } from './native.js';
import type { NativeAddon } from './native.js';

export interface RawOpenOptions {
  /** Interface to bind to; it must be an Ethernet interface that is up. */
  ifname: string;
  /** Datagrams per receive call, 1 to MAX_BATCH; default 64. */
  batchSize?: number;
  /** Bytes per receive slot; longer DHCP messages are cut and flagged truncated. Default 2048. */
  slotBytes?: number;
  /** Bytes per ring block, a multiple of 4096; default 256 KiB. */
  blockBytes?: number;
  /** Blocks in the ring, 1 to 4096; default 8. */
  blockCount?: number;
  /** Bytes per ring frame, a multiple of 16 from 256; frames longer than that are cut. Default 2048. */
  frameBytes?: number;
  /** Time after which the kernel hands over a block that is not full, in ms (1 to 1000); default 10. */
  blockTimeoutMs?: number;
  /** Delivers 802.1Q-tagged frames with their tag in RX_VLAN; default false (dropped and counted). */
  acceptVlan?: boolean;
  log?: Logger;
}

/** Counters of one raw socket since it was opened. */
export interface RawStats {
  /** Frames read from the ring, that is frames that passed the kernel filter. */
  seen: number;
  /** Datagrams handed to the batch callback. */
  delivered: number;
  badIpChecksum: number;
  badUdpChecksum: number;
  /** First IPv4 fragments to port 67; later fragments are dropped by the filter without a count. */
  fragment: number;
  /** Frames that passed the filter but are not IPv4 UDP to port 67 (an IPv4 version or IHL that is wrong). */
  notDhcp: number;
  /** Frames whose headers or length fields run past the frame end. */
  truncated: number;
  /** 802.1Q-tagged frames dropped because acceptVlan is off. */
  vlanTagged: number;
  /** Frames the kernel queued to the socket (PACKET_STATISTICS tp_packets). */
  kernelPackets: number;
  /** Frames the kernel dropped because the ring was full (PACKET_STATISTICS tp_drops). */
  kernelDrops: number;
  /** Delivered datagrams longer than their slot (cut, RX_FLAG_TRUNCATED). */
  cut: number;
  /** Frames handed to the kernel. */
  sent: number;
  /** Frames not sent because the kernel rejected them or the send buffer was full. */
  sendErrors: number;
}

const DEFAULT_BATCH_SIZE = 64;
const DEFAULT_SLOT_BYTES = 2048;
const DEFAULT_BLOCK_BYTES = 256 * 1024;
const DEFAULT_BLOCK_COUNT = 8;
const DEFAULT_FRAME_BYTES = 2048;
const DEFAULT_BLOCK_TIMEOUT_MS = 10;
// RFC 2131 section 2: DHCP clients must accept messages of up to 576 bytes, so smaller slots would
// cut ordinary packets.
const MIN_SLOT_BYTES = 576;
const MAX_SLOT_BYTES = 65536;
const PAGE_BYTES = 4096;
const MAX_BLOCK_COUNT = 4096;
const MIN_FRAME_BYTES = 256;
const MAX_RING_BYTES = 1024 * 1024 * 1024;
// IFNAMSIZ (16) minus the terminating NUL.
const MAX_IFNAME_LENGTH = 15;
const FLAG_ACCEPT_VLAN = 1;

// Order of the counters rawStats writes (RawCounter in native/raw.h).
const NATIVE_COUNTERS = [
  'seen',
  'delivered',
  'badIpChecksum',
  'badUdpChecksum',
  'fragment',
  'notDhcp',
  'truncated',
  'vlanTagged',
  'kernelPackets',
  'kernelDrops',
] as const;

// Receive calls per readiness callback. A ring still readable afterwards is reported again on the
// next loop turn, so timers and other I/O run between rounds under a flood.
const MAX_ROUNDS_PER_WAKEUP = 16;

// Errors of rawSend that mean the interface is gone or down, so the socket must be reopened.
const BROKEN_SEND_ERRORS = new Set(['ENETDOWN', 'ENODEV', 'ENXIO']);

// Repeated send errors are logged at most once per interval, with the count in between.
const ERROR_LOG_INTERVAL_MS = 10_000;

export class RawPacketSocket {
  /** Index of the interface the socket is bound to. */
  readonly ifindex: number;
  /** The interface's MAC address, the source of every frame sent. */
  readonly mac: Uint8Array;
  /** The interface's MTU when the socket was opened; larger frames are rejected by the kernel. */
  readonly mtu: number;
  /**
   * Callback run once when the socket stops working because its interface went down or was
   * removed. isBroken is then true and receiving has stopped, so close() it and open a new one.
   */
  onError: ((err: NestorError) => void) | undefined;

  private readonly batch: RxBatch;
  private readonly counters = new Float64Array(NATIVE_COUNTERS.length);
  private readonly onReadable = (status: number): void => this.drain(status);
  private onBatch: ((batch: RxBatch) => void) | undefined;
  private watchId = 0;
  private isClosed = false;
  private broken = false;
  private cut = 0;
  private sent = 0;
  private sendErrors = 0;
  private unloggedSendErrors = 0;
  private lastSendErrorLogMs = -Infinity;

  private constructor(
    private readonly addon: NativeAddon,
    private readonly handle: number,
    readonly ifname: string,
    private readonly slotBytes: number,
    private readonly log: Logger | undefined,
    batchSize: number,
  ) {
    const info = new Uint32Array(4);
    addon.rawInfo(handle, info);
    this.ifindex = info[0]!;
    this.mtu = info[1]!;
    this.mac = Uint8Array.of(info[2]! >>> 8, info[2]! & 0xff, info[3]! >>> 24, (info[3]! >>> 16) & 0xff, (info[3]! >>> 8) & 0xff, info[3]! & 0xff);
    this.batch = {
      count: 0,
      data: new Uint8Array(batchSize * slotBytes),
      meta: new Uint32Array(batchSize * META_WORDS),
    };
  }

  /** Opens the socket on opts.ifname; throws NESTOR_ERR_NATIVE_SOCKET or NESTOR_ERR_NATIVE_LOAD. */
  static open(opts: RawOpenOptions): RawPacketSocket {
    const ring = {
      blockBytes: opts.blockBytes ?? DEFAULT_BLOCK_BYTES,
      blockCount: opts.blockCount ?? DEFAULT_BLOCK_COUNT,
      frameBytes: opts.frameBytes ?? DEFAULT_FRAME_BYTES,
      blockTimeoutMs: opts.blockTimeoutMs ?? DEFAULT_BLOCK_TIMEOUT_MS,
    };
    const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
    const slotBytes = opts.slotBytes ?? DEFAULT_SLOT_BYTES;
    checkOptions(opts.ifname, batchSize, slotBytes, ring);

    const addon = requireNative();
    const flags = opts.acceptVlan === true ? FLAG_ACCEPT_VLAN : 0;
    const handle = addon.rawOpen(opts.ifname, ring.blockBytes, ring.blockCount, ring.frameBytes, ring.blockTimeoutMs, flags);
    if (handle < 0) throw rawSocketError(handle, opts.ifname, 'open');

    const socket = new RawPacketSocket(addon, handle, opts.ifname, slotBytes, opts.log, batchSize);
    if (opts.log) {
      logMessage(opts.log, 'IO_RAW_OPENED', { iface: opts.ifname, mac: formatMacBytes(socket.mac) });
    }
    return socket;
  }

  /** True once the socket has stopped working; close it and open a new one. */
  get isBroken(): boolean {
    return this.broken;
  }

  /**
   * Calls onBatch with each received batch until close() or until the socket breaks. The batch
   * object and its buffers are reused: they are valid only during the callback.
   */
  start(onBatch: (batch: RxBatch) => void): void {
    const name = `raw socket on interface '${this.ifname}'`;
    if (this.isClosed) throw new Error(`${name}: start called after close`);
    if (this.watchId !== 0) throw new Error(`${name}: start called twice`);
    this.onBatch = onBatch;
    const id = this.addon.pollStart(this.addon.rawFd(this.handle), this.onReadable);
    if (id < 0) throw rawSocketError(id, this.ifname, 'watch');
    this.watchId = id;
  }

  /** Builds and sends the frames of tx (send meta as in batch.ts); returns how many the kernel accepted. */
  send(tx: TxBatch): number {
    if (this.isClosed || tx.count === 0) return 0;
    const rc = this.addon.rawSend(this.handle, tx.data, tx.meta, tx.count);
    const sent = rc < 0 ? 0 : rc;
    this.sent += sent;
    if (sent < tx.count) {
      this.sendErrors += tx.count - sent;
      this.logSendErrors(tx.count - sent, rc);
      if (rc < 0 && BROKEN_SEND_ERRORS.has(errnoName(rc))) this.markBroken(rc, 'send');
    }
    return sent;
  }

  /** Returns the counters since open (a new object each call). */
  stats(): RawStats {
    if (!this.isClosed) this.addon.rawStats(this.handle, this.counters);
    const result = { cut: this.cut, sent: this.sent, sendErrors: this.sendErrors } as RawStats;
    NATIVE_COUNTERS.forEach((name, i) => {
      result[name] = this.counters[i]!;
    });
    return result;
  }

  /** Stops receiving and closes the socket; later calls do nothing. */
  close(): void {
    if (this.isClosed) return;
    const stats = this.stats();
    this.isClosed = true;
    this.stopWatch();
    this.addon.rawClose(this.handle);
    if (this.log) {
      logMessage(this.log, 'IO_RAW_CLOSED', { iface: this.ifname, count: stats.delivered });
    }
  }

  private stopWatch(): void {
    if (this.watchId !== 0) this.addon.pollStop(this.watchId);
    this.watchId = 0;
  }

  // status < 0 means libuv reported a poll error and has stopped watching, so the ring is read
  // until the socket's error comes out, and the socket is broken either way.
  private drain(status: number): void {
    const batch = this.batch;
    const max = batch.meta.length / META_WORDS;
    for (let round = 0; round < MAX_ROUNDS_PER_WAKEUP && !this.isClosed; round++) {
      const count = this.addon.rawRecv(this.handle, batch.data, this.slotBytes, batch.meta, max);
      if (count < 0) {
        this.markBroken(count, 'receive');
        return;
      }
      if (count === 0) break;

      for (let i = 0; i < count; i++) {
        if ((batch.meta[i * META_WORDS + RX_FLAGS]! & RX_FLAG_TRUNCATED) !== 0) this.cut += 1;
      }
      batch.count = count;
      this.onBatch?.(batch);
      if (count < max && status === 0) return;
    }
    if (status < 0 && !this.isClosed) this.markBroken(status, 'receive');
  }

  private markBroken(rc: number, action: string): void {
    if (this.broken) return;
    this.broken = true;
    this.stopWatch();
    const err = rawSocketError(rc, this.ifname, action);
    if (this.log) logMessage(this.log, 'IO_RAW_BROKEN', { iface: this.ifname, err: errnoName(rc) });
    this.onError?.(err);
  }

  private logSendErrors(failed: number, rc: number): void {
    this.unloggedSendErrors += failed;
    const now = Date.now();
    if (!this.log || now - this.lastSendErrorLogMs < ERROR_LOG_INTERVAL_MS) return;
    this.lastSendErrorLogMs = now;
    const err = rc < 0 ? errnoName(rc) : 'partial';
    logMessage(this.log, 'IO_RAW_SEND_FAILED', { iface: this.ifname, err, count: this.unloggedSendErrors });
    this.unloggedSendErrors = 0;
  }
}

interface RingOptions {
  blockBytes: number;
  blockCount: number;
  frameBytes: number;
  blockTimeoutMs: number;
}

function checkOptions(ifname: string, batchSize: number, slotBytes: number, ring: RingOptions): void {
  const invalid = (what: string): NestorError =>
    nestorError('NATIVE_SOCKET', `raw socket on interface '${ifname}': ${what}`);
  if (typeof ifname !== 'string' || ifname.length === 0 || ifname.length > MAX_IFNAME_LENGTH) {
    throw invalid(`interface name is invalid (expected 1 to ${MAX_IFNAME_LENGTH} characters)`);
  }
  if (!isUint(batchSize, MAX_BATCH) || batchSize === 0) {
    throw invalid(`batch size ${batchSize} is invalid (expected 1 to ${MAX_BATCH})`);
  }
  if (!isUint(slotBytes, MAX_SLOT_BYTES) || slotBytes < MIN_SLOT_BYTES) {
    throw invalid(`slot size ${slotBytes} is invalid (expected ${MIN_SLOT_BYTES} to ${MAX_SLOT_BYTES} bytes)`);
  }
  if (!isUint(ring.blockBytes, MAX_RING_BYTES) || ring.blockBytes === 0 || ring.blockBytes % PAGE_BYTES !== 0) {
    throw invalid(`ring block size ${ring.blockBytes} is invalid (expected a positive multiple of ${PAGE_BYTES} bytes)`);
  }
  if (!isUint(ring.blockCount, MAX_BLOCK_COUNT) || ring.blockCount === 0) {
    throw invalid(`ring block count ${ring.blockCount} is invalid (expected 1 to ${MAX_BLOCK_COUNT})`);
  }
  if (ring.blockBytes * ring.blockCount > MAX_RING_BYTES) {
    throw invalid(`ring size ${ring.blockBytes * ring.blockCount} is invalid (expected at most ${MAX_RING_BYTES} bytes)`);
  }
  if (!isUint(ring.frameBytes, ring.blockBytes) || ring.frameBytes < MIN_FRAME_BYTES || ring.frameBytes % 16 !== 0) {
    throw invalid(
      `ring frame size ${ring.frameBytes} is invalid (expected a multiple of 16 from ${MIN_FRAME_BYTES} to the block size ${ring.blockBytes})`,
    );
  }
  if (!isUint(ring.blockTimeoutMs, 1000) || ring.blockTimeoutMs === 0) {
    throw invalid(`ring block timeout ${ring.blockTimeoutMs} ms is invalid (expected 1 to 1000 ms)`);
  }
}

function isUint(value: number, max: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= max;
}

function formatMacBytes(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':');
}
