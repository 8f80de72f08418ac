// UDP ingress and egress for the relay path: a non-blocking socket read in batches with recvmmsg
// each time libuv reports it readable (or, with a receive interval, on a timer while requests keep
// coming), and written in batches with sendmmsg. All native work is in
// native/udp.cc and native/poll.cc; this class validates options, keeps counters and logs.

import type { Logger } from 'pino';

import { nestorError } from '../errors.js';
import type { NestorError } from '../errors.js';
import { logMessage } from '../log/logger.js';
import { MAX_BATCH, META_WORDS, RX_FLAG_TRUNCATED, RX_FLAGS } from './batch.js';
import type { RxBatch, TxBatch } from './batch.js';
import { formatIpv4 } from './interfaces.js';
import { errnoName, nativeSocketError, requireNative } from './native.js';
import type { NativeAddon } from './native.js';

export interface UdpOpenOptions {
  /** Local IPv4 address in host order; 0 binds to every address. */
  bindAddress: number;
  port: number;
  /** Binds the socket to this interface (SO_BINDTODEVICE) when set. */
  ifname?: string;
  /** Receive and send buffer size in bytes; default 4 MiB (capped by net.core.*mem_max without CAP_NET_ADMIN). */
  recvBufferBytes?: number;
  /** Datagrams per receive call, 1 to MAX_BATCH; default 64. */
  batchSize?: number;
  /** Bytes per receive slot; longer datagrams are cut and flagged truncated. Default 4096. */
  slotBytes?: number;
  /**
   * Milliseconds between reads while traffic trickles in; 0 (default) reads as soon as the socket is
   * readable. With N, a read that finds fewer datagrams than one batch switches to reading every N ms,
   * until a read finds none or a full batch. One wakeup then reads what arrived in N ms.
   */
  receiveIntervalMs?: number;
  log?: Logger;
}

const DEFAULT_BATCH_SIZE = 64;
const DEFAULT_SLOT_BYTES = 4096;
const DEFAULT_BUFFER_BYTES = 4 * 1024 * 1024;
const MAX_SLOT_BYTES = 65536;
// The same limit as Dhcp4.nestor.receive-interval-ms in src/config/globals.ts.
const MAX_RECEIVE_INTERVAL_MS = 100;
// RFC 2131 section 2: DHCP clients must accept messages of up to 576 bytes, so smaller slots would
// cut ordinary packets.
const MIN_SLOT_BYTES = 576;
// IFNAMSIZ (16) minus the terminating NUL.
const MAX_IFNAME_LENGTH = 15;

// Receive calls per readiness callback. A socket still readable afterwards is reported again on the
// next loop turn, so timers and other I/O run between rounds under a flood.
const MAX_ROUNDS_PER_WAKEUP = 16;

// Repeated receive or send errors are logged at most once per interval, with the count in between.
const ERROR_LOG_INTERVAL_MS = 10_000;

export class UdpBatchSocket {
  /** Datagrams received. */
  received = 0;
  /** Datagrams received longer than a slot (cut). */
  truncated = 0;
  /** Datagrams handed to the kernel. */
  sent = 0;
  /** Datagrams not sent because the kernel rejected them or the send buffer was full. */
  sendErrors = 0;
  /** Failed receive calls. */
  receiveErrors = 0;

  private readonly batch: RxBatch;
  /** Datagrams one receive call can return. */
  private readonly batchSize: number;
  private readonly onReadable = (): void => this.readReady();
  private readonly onInterval = (): void => this.readOnTimer();
  private onBatch: ((batch: RxBatch) => void) | undefined;
  private watchId = 0;
  private intervalTimer: NodeJS.Timeout | undefined;
  private isClosed = false;
  private lastReceiveErrorLogMs = -Infinity;
  private lastSendErrorLogMs = -Infinity;
  private unloggedErrors = 0;

  private constructor(
    private readonly addon: NativeAddon,
    private readonly fd: number,
    private readonly name: string,
    private readonly slotBytes: number,
    private readonly log: Logger | undefined,
    private readonly receiveIntervalMs: number,
    batchSize: number,
  ) {
    this.batchSize = batchSize;
    this.batch = {
      count: 0,
      data: new Uint8Array(batchSize * slotBytes),
      meta: new Uint32Array(batchSize * META_WORDS),
    };
  }

  /** Opens and binds the socket; throws NESTOR_ERR_NATIVE_SOCKET or NESTOR_ERR_NATIVE_LOAD. */
  static open(opts: UdpOpenOptions): UdpBatchSocket {
    const ifname = opts.ifname ?? '';
    const name = `udp socket '${formatIpv4(opts.bindAddress)}:${opts.port}'${ifname ? ` on '${ifname}'` : ''}`;
    const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
    const slotBytes = opts.slotBytes ?? DEFAULT_SLOT_BYTES;
    const bufferBytes = opts.recvBufferBytes ?? DEFAULT_BUFFER_BYTES;
    const receiveIntervalMs = opts.receiveIntervalMs ?? 0;
    checkOptions(name, opts, batchSize, slotBytes, bufferBytes, receiveIntervalMs);

    const addon = requireNative();
    const fd = addon.udpOpen(opts.bindAddress >>> 0, opts.port, ifname, bufferBytes);
    if (fd < 0) throw nativeSocketError(fd, name, 'open');

    const socket = new UdpBatchSocket(addon, fd, name, slotBytes, opts.log, receiveIntervalMs, batchSize);
    if (opts.log) {
      const ip = `${formatIpv4(opts.bindAddress)}:${opts.port}`;
      logMessage(opts.log, 'IO_UDP_OPENED', { ip, iface: ifname || undefined });
    }
    return socket;
  }

  /**
   * Calls onBatch with each received batch until close(). The batch object and its buffers are
   * reused: they are valid only during the callback.
   */
  start(onBatch: (batch: RxBatch) => void): void {
    if (this.isClosed) throw new Error(`${this.name}: start called after close`);
    if (this.watchId !== 0) throw new Error(`${this.name}: start called twice`);
    this.onBatch = onBatch;
    const id = this.watch();
    if (id < 0) throw nativeSocketError(id, this.name, 'watch');
  }

  /** Sends the batch; returns the number of datagrams the kernel accepted. */
  send(tx: TxBatch): number {
    if (this.isClosed || tx.count === 0) return 0;
    const rc = this.addon.udpSend(this.fd, tx.data, tx.meta, tx.count);
    const sent = rc < 0 ? 0 : rc;
    this.sent += sent;
    if (sent < tx.count) {
      this.sendErrors += tx.count - sent;
      this.logSendErrors(tx.count - sent, rc);
    }
    return sent;
  }

  /** Stops receiving and closes the socket; later calls do nothing. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.stopWatch();
    clearTimeout(this.intervalTimer);
    this.intervalTimer = undefined;
    this.addon.closeFd(this.fd);
    if (this.log) logMessage(this.log, 'IO_UDP_CLOSED', { count: this.received });
  }

  /** Start the readiness watch; returns its id, or a negative errno when libuv rejected it. */
  private watch(): number {
    const id = this.addon.pollStart(this.fd, this.onReadable);
    if (id > 0) this.watchId = id;
    return id;
  }

  private stopWatch(): void {
    if (this.watchId !== 0) this.addon.pollStop(this.watchId);
    this.watchId = 0;
  }

  private readReady(): void {
    const read = this.drain();
    if (this.receiveIntervalMs === 0 || this.isClosed || !this.isTrickle(read)) return;
    // Requests come one or a few per wakeup, so read on a timer until traffic stops or grows.
    this.stopWatch();
    this.readLater();
  }

  private readOnTimer(): void {
    this.intervalTimer = undefined;
    if (this.isClosed) return;
    if (this.isTrickle(this.drain())) {
      if (!this.isClosed) this.readLater();
      return;
    }
    // Nothing came, or a full batch did. Reading when the socket is readable has no delay, and under
    // load it finds full batches anyway.
    const id = this.watch();
    if (id > 0) return;
    // libuv rejected a watch it granted before: count it and keep reading on the timer.
    this.receiveErrors += 1;
    this.logReceiveError(id);
    this.readLater();
  }

  private readLater(): void {
    this.intervalTimer = setTimeout(this.onInterval, this.receiveIntervalMs);
  }

  /** Tell whether a drain that read `read` datagrams found some, but fewer than one receive batch. */
  private isTrickle(read: number): boolean {
    return read > 0 && read < this.batchSize;
  }

  /** Reads until the socket is empty or MAX_ROUNDS_PER_WAKEUP reads; returns the datagrams read. */
  private drain(): number {
    const batch = this.batch;
    const max = this.batchSize;
    let total = 0;
    for (let round = 0; round < MAX_ROUNDS_PER_WAKEUP && !this.isClosed; round++) {
      const count = this.addon.udpRecv(this.fd, batch.data, this.slotBytes, batch.meta, max);
      if (count < 0) {
        this.receiveErrors += 1;
        this.logReceiveError(count);
        return total;
      }
      if (count === 0) return total;

      total += count;
      this.received += count;
      for (let i = 0; i < count; i++) {
        if ((batch.meta[i * META_WORDS + RX_FLAGS]! & RX_FLAG_TRUNCATED) !== 0) this.truncated += 1;
      }
      batch.count = count;
      this.onBatch?.(batch);
      if (count < max) return total;
    }
    return total;
  }

  private logReceiveError(rc: number): void {
    const now = Date.now();
    if (!this.log || now - this.lastReceiveErrorLogMs < ERROR_LOG_INTERVAL_MS) return;
    this.lastReceiveErrorLogMs = now;
    logMessage(this.log, 'IO_UDP_RECEIVE_FAILED', { err: errnoName(rc), count: this.receiveErrors });
  }

  private logSendErrors(failed: number, rc: number): void {
    this.unloggedErrors += failed;
    const now = Date.now();
    if (!this.log || now - this.lastSendErrorLogMs < ERROR_LOG_INTERVAL_MS) return;
    this.lastSendErrorLogMs = now;
    const err = rc < 0 ? errnoName(rc) : 'partial';
    logMessage(this.log, 'IO_UDP_SEND_FAILED', { err, count: this.unloggedErrors });
    this.unloggedErrors = 0;
  }
}

function checkOptions(
  name: string,
  opts: UdpOpenOptions,
  batchSize: number,
  slotBytes: number,
  bufferBytes: number,
  receiveIntervalMs: number,
): void {
  const invalid = (what: string): NestorError => nestorError('NATIVE_SOCKET', `${name}: ${what}`);
  if (!isUint(opts.bindAddress, 0xffffffff)) {
    throw invalid(`bind address ${opts.bindAddress} is invalid (expected an unsigned 32-bit integer)`);
  }
  if (!isUint(opts.port, 65535)) throw invalid(`port ${opts.port} is invalid (expected 0 to 65535)`);
  if (!isUint(batchSize, MAX_BATCH) || batchSize === 0) {
    throw invalid(`batch size ${batchSize} is invalid (expected 1 to ${MAX_BATCH})`);
  }
  if (!isUint(slotBytes, MAX_SLOT_BYTES) || slotBytes < MIN_SLOT_BYTES) {
    throw invalid(`slot size ${slotBytes} is invalid (expected ${MIN_SLOT_BYTES} to ${MAX_SLOT_BYTES} bytes)`);
  }
  if (!isUint(bufferBytes, 0x7fffffff)) {
    throw invalid(`buffer size ${bufferBytes} is invalid (expected 0 to 2147483647 bytes)`);
  }
  if (!isUint(receiveIntervalMs, MAX_RECEIVE_INTERVAL_MS)) {
    throw invalid(`receive interval ${receiveIntervalMs} ms is invalid (expected 0 to ${MAX_RECEIVE_INTERVAL_MS})`);
  }
  if ((opts.ifname ?? '').length > MAX_IFNAME_LENGTH) {
    throw invalid(`interface name '${opts.ifname}' is too long (at most ${MAX_IFNAME_LENGTH} characters)`);
  }
}

function isUint(value: number, max: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= max;
}
