// The lease stream: lease4-bulk-update between two nestor peers without HTTP and JSON per request.
// The sender requests that its peer's HTTP listener switch protocols (`Upgrade: nestor-lease-stream/1`,
// with the same basic authentication and TLS as every other peer request). Once the listener
// responds with 101, the connection carries binary frames both ways and stays open. Each request
// carries an id, so several can be in flight and their results come back by id. A listener that
// does not know the protocol responds to the GET with an HTTP status, and the sender keeps
// lease4-bulk-update in JSON. Kea peers never see an upgrade request, because they never get lease4-bulk-update.
//
// Every integer is big-endian. A frame is a 9-byte head and a payload:
//
// | offset | size | field                                                     |
// |--------|------|-----------------------------------------------------------|
// | 0      | 4    | payload length in bytes                                   |
// | 4      | 1    | type: 1 update (to the listener), 2 results, 3 error      |
// | 5      | 4    | request id, chosen by the sender, echoed in the response  |
//
// Update payload: the number of changes (2 bytes), then per change an operation byte:
//   1 update: address (4), record length (2), the lease record as the store keeps it (record.ts)
//   2 delete: address (4)
// Results payload: the number of results (2 bytes), then per change the result code (1 byte: 0 done,
// 3 a delete found no lease, 1 rejected) and, for every code but 0, a UTF-8 text with its length (2).
// Error payload (the request failed as a whole, for example its commit): result code (1), text
// length (2), text. A frame the receiver cannot read ends the connection.

import type { Duplex } from 'node:stream';

import type { Logger } from 'pino';

import { RESULT_ERROR, RESULT_SUCCESS } from '../control/answer.js';
import type { LeaseChange } from '../engine/types.js';
import { MAX_CLIENT_ID_BYTES, MAX_HW_ADDRESS_BYTES, formatIpv4 } from '../leases/lease-json.js';
import { decodeLease, encodeLease } from '../leases/record.js';
import type { Lease4 } from '../leases/types.js';
import { logMessage } from '../log/logger.js';
import type { BulkResult } from './bulk.js';
import { MAX_BULK_CHANGES } from './bulk.js';

/** Value of the Upgrade header that requests this protocol. */
export const LEASE_STREAM_PROTOCOL = 'nestor-lease-stream/1';

export const FRAME_UPDATE = 1;
export const FRAME_RESULTS = 2;
export const FRAME_ERROR = 3;
const HEAD_BYTES = 9;
const OP_UPDATE = 1;
const OP_DELETE = 2;
const RECORD_HEADER_BYTES = 20;
const RECORD_VERSION = 1;
const MAX_HOSTNAME_BYTES = 0xffff;
/** Largest payload either side accepts: a full update of leases with the longest fields the record allows. */
export const MAX_PAYLOAD_BYTES = 2 + MAX_BULK_CHANGES * (1 + 4 + 2 + RECORD_HEADER_BYTES + MAX_HW_ADDRESS_BYTES + MAX_CLIENT_ID_BYTES + MAX_HOSTNAME_BYTES);
/** Maximum bytes of text kept in a result; longer texts are cut. */
const MAX_TEXT_BYTES = 1024;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** One change as the listener reads it: a lease to store, an address to delete, or why the entry is unusable. */
export type StreamChange =
  | { kind: 'update'; lease: Lease4 }
  | { kind: 'delete'; address: number }
  | { kind: 'invalid'; text: string };

export interface Frame {
  type: number;
  id: number;
  payload: Buffer;
}

/** Thrown for bytes that break the protocol; the connection that carried them is closed. */
export class LeaseStreamError extends Error {
  override name = 'LeaseStreamError';
}

// ---- frames --------------------------------------------------------------------------------

function frame(type: number, id: number, payloadBytes: number): Buffer {
  const out = Buffer.allocUnsafe(HEAD_BYTES + payloadBytes);
  out.writeUInt32BE(payloadBytes, 0);
  out[4] = type;
  out.writeUInt32BE(id >>> 0, 5);
  return out;
}

/** Encodes the changes of one request as an update frame. Throws a RangeError for more than MAX_BULK_CHANGES. */
export function encodeUpdateFrame(id: number, changes: readonly LeaseChange[]): Buffer {
  if (changes.length > MAX_BULK_CHANGES) throw new RangeError(`an update frame contains at most ${MAX_BULK_CHANGES} changes, not ${changes.length}`);
  const records = changes.map((change) => (change.kind === 'delete' ? undefined : encodeLease(change.lease)));
  let size = 2;
  for (const record of records) size += record === undefined ? 5 : 7 + record.length;
  const out = frame(FRAME_UPDATE, id, size);
  let at = writeCount(out, changes.length);
  changes.forEach((change, i) => {
    const record = records[i];
    out[at] = record === undefined ? OP_DELETE : OP_UPDATE;
    out.writeUInt32BE(change.lease.address >>> 0, at + 1);
    at += 5;
    if (record !== undefined) at = writeSized(out, at, record);
  });
  return out;
}

/** Writes the 2-byte entry count that starts an update or results payload and returns the offset after it. */
function writeCount(out: Buffer, count: number): number {
  out.writeUInt16BE(count, HEAD_BYTES);
  return HEAD_BYTES + 2;
}

/** Writes `bytes` after their 2-byte length at out[at..] and returns the offset after them. */
function writeSized(out: Buffer, at: number, bytes: Uint8Array): number {
  out.writeUInt16BE(bytes.length, at);
  out.set(bytes, at + 2);
  return at + 2 + bytes.length;
}

/**
 * Reads an update payload. An entry whose record is malformed becomes an 'invalid' change with the
 * reason, so it fails alone. A payload whose counts and lengths do not add up throws LeaseStreamError.
 */
export function decodeUpdatePayload(payload: Buffer): StreamChange[] {
  if (payload.length < 2) throw new LeaseStreamError(`update payload of ${payload.length} bytes has no change count`);
  const count = payload.readUInt16BE(0);
  if (count > MAX_BULK_CHANGES) throw new LeaseStreamError(`update contains ${count} changes (expected at most ${MAX_BULK_CHANGES})`);
  const changes: StreamChange[] = [];
  let at = 2;
  for (let i = 0; i < count; i++) {
    if (at + 5 > payload.length) throw new LeaseStreamError(`update entry ${i} is cut off at byte ${at} of ${payload.length}`);
    const op = payload[at]!;
    const address = payload.readUInt32BE(at + 1);
    at += 5;
    if (op === OP_DELETE) {
      changes.push({ kind: 'delete', address });
      continue;
    }
    if (op !== OP_UPDATE) throw new LeaseStreamError(`update entry ${i} has operation ${op} (expected ${OP_UPDATE} update or ${OP_DELETE} delete)`);
    if (at + 2 > payload.length) throw new LeaseStreamError(`update entry ${i} is cut off at byte ${at} of ${payload.length}`);
    const length = payload.readUInt16BE(at);
    at += 2;
    if (at + length > payload.length) throw new LeaseStreamError(`update entry ${i}: record of ${length} bytes runs past the payload end`);
    const record = payload.subarray(at, at + length);
    at += length;
    const problem = checkRecord(record);
    changes.push(problem === undefined ? { kind: 'update', lease: decodeLease(address, record) } : { kind: 'invalid', text: `lease ${formatIpv4(address)}: ${problem}` });
  }
  if (at !== payload.length) throw new LeaseStreamError(`update payload has ${payload.length - at} bytes after its last entry`);
  return changes;
}

/** Returns why a lease record from a peer cannot be read, or undefined when its lengths and version hold. */
function checkRecord(record: Buffer): string | undefined {
  if (record.length < RECORD_HEADER_BYTES) return `record of ${record.length} bytes is shorter than its ${RECORD_HEADER_BYTES}-byte header`;
  if (record[0] !== RECORD_VERSION) return `record format ${record[0]} is not ${RECORD_VERSION}`;
  const hwLength = record[16]!;
  const clientIdLength = record[17]!;
  const hostnameLength = record.readUInt16BE(18);
  if (hwLength > MAX_HW_ADDRESS_BYTES) return `hardware address of ${hwLength} bytes (expected at most ${MAX_HW_ADDRESS_BYTES})`;
  if ((record[2]! & 4) === 0 && clientIdLength !== 0) return 'client id bytes without the client id flag';
  const expected = RECORD_HEADER_BYTES + hwLength + clientIdLength + hostnameLength;
  if (record.length !== expected) return `record of ${record.length} bytes, but its lengths add up to ${expected}`;
  if (record[1]! > 2) return `state ${record[1]} (expected 0, 1 or 2)`;
  return undefined;
}

/** Encodes the per-change results of one request. */
export function encodeResultsFrame(id: number, results: readonly BulkResult[]): Buffer {
  const texts = results.map((r) => (r.result === RESULT_SUCCESS ? undefined : cut(utf8.encode(r.text ?? ''))));
  let size = 2;
  for (const text of texts) size += text === undefined ? 1 : 3 + text.length;
  const out = frame(FRAME_RESULTS, id, size);
  let at = writeCount(out, results.length);
  results.forEach((r, i) => {
    out[at++] = r.result & 0xff;
    const text = texts[i];
    if (text !== undefined) at = writeSized(out, at, text);
  });
  return out;
}

/** Reads a results payload; throws LeaseStreamError when it is malformed. */
export function decodeResultsPayload(payload: Buffer): BulkResult[] {
  if (payload.length < 2) throw new LeaseStreamError(`results payload of ${payload.length} bytes has no count`);
  const count = payload.readUInt16BE(0);
  const results: BulkResult[] = [];
  let at = 2;
  for (let i = 0; i < count; i++) {
    if (at + 1 > payload.length) throw new LeaseStreamError(`result ${i} is cut off at byte ${at} of ${payload.length}`);
    const result = payload[at++]!;
    if (result === RESULT_SUCCESS) {
      results.push({ result });
      continue;
    }
    if (at + 2 > payload.length) throw new LeaseStreamError(`result ${i} is cut off at byte ${at} of ${payload.length}`);
    const length = payload.readUInt16BE(at);
    if (at + 2 + length > payload.length) throw new LeaseStreamError(`result ${i}: text of ${length} bytes runs past the payload end`);
    results.push({ result, text: utf8Decoder.decode(payload.subarray(at + 2, at + 2 + length)) });
    at += 2 + length;
  }
  if (at !== payload.length) throw new LeaseStreamError(`results payload has ${payload.length - at} bytes after its last result`);
  return results;
}

/** Encodes the failure of a whole request. */
export function encodeErrorFrame(id: number, result: number, text: string): Buffer {
  const bytes = cut(utf8.encode(text));
  const out = frame(FRAME_ERROR, id, 3 + bytes.length);
  out[HEAD_BYTES] = result & 0xff;
  writeSized(out, HEAD_BYTES + 1, bytes);
  return out;
}

/** Reads an error payload; throws LeaseStreamError when it is malformed. */
export function decodeErrorPayload(payload: Buffer): { result: number; text: string } {
  if (payload.length < 3 || payload.length !== 3 + payload.readUInt16BE(1)) throw new LeaseStreamError(`error payload of ${payload.length} bytes does not match its text length`);
  return { result: payload[0]!, text: utf8Decoder.decode(payload.subarray(3)) };
}

function cut(bytes: Uint8Array): Uint8Array {
  return bytes.length <= MAX_TEXT_BYTES ? bytes : bytes.subarray(0, MAX_TEXT_BYTES);
}

/** Splits a byte stream into frames; keeps a partial frame until the rest arrives. */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  /** Adds bytes and returns every frame they complete. Throws LeaseStreamError for a payload over MAX_PAYLOAD_BYTES. */
  push(chunk: Buffer): Frame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Frame[] = [];
    let at = 0;
    while (this.pending.length - at >= HEAD_BYTES) {
      const length = this.pending.readUInt32BE(at);
      if (length > MAX_PAYLOAD_BYTES) throw new LeaseStreamError(`frame payload of ${length} bytes exceeds the limit of ${MAX_PAYLOAD_BYTES}`);
      if (this.pending.length - at < HEAD_BYTES + length) break;
      frames.push({ type: this.pending[at + 4]!, id: this.pending.readUInt32BE(at + 5), payload: this.pending.subarray(at + HEAD_BYTES, at + HEAD_BYTES + length) });
      at += HEAD_BYTES + length;
    }
    this.pending = at === this.pending.length ? Buffer.alloc(0) : this.pending.subarray(at);
    return frames;
  }
}

// ---- listener side -------------------------------------------------------------------------

export interface LeaseStreamServeOptions {
  /** Stores the changes of one request and resolves with one result per change, in order. */
  apply(changes: StreamChange[]): Promise<BulkResult[]>;
  /** Address and port of the peer, for logs. */
  remote: string;
  log: Logger;
}

/** Serves update frames on a connection that switched to the lease stream; `head` holds bytes that came with the upgrade request. */
export function serveLeaseStream(socket: Duplex, head: Buffer, options: LeaseStreamServeOptions): void {
  const reader = new FrameReader();
  const fail = (err: Error): void => {
    logMessage(options.log, 'HA_LEASE_STREAM_INVALID', { peer: options.remote, err: err.message });
    socket.destroy();
  };
  const onFrame = (f: Frame): void => {
    if (f.type !== FRAME_UPDATE) throw new LeaseStreamError(`frame type ${f.type} sent to the listener (expected ${FRAME_UPDATE} update)`);
    const changes = decodeUpdatePayload(f.payload);
    options.apply(changes).then(
      (results) => {
        if (!socket.destroyed) socket.write(encodeResultsFrame(f.id, results));
      },
      (err: unknown) => {
        if (!socket.destroyed) socket.write(encodeErrorFrame(f.id, RESULT_ERROR, (err as Error).message));
      },
    );
  };
  const onData = (chunk: Buffer): void => {
    try {
      for (const f of reader.push(chunk)) onFrame(f);
    } catch (err) {
      fail(err as Error);
    }
  };
  socket.on('data', onData);
  socket.on('error', () => socket.destroy());
  if (head.length > 0) onData(head);
}

// ---- sender side ---------------------------------------------------------------------------

/** Outcome of one update request: per-change results, or why the response as a whole is unusable. */
export type StreamOutcome = { kind: 'results'; results: BulkResult[] } | { kind: 'invalid'; error: string };

/** Opens an upgraded connection to the peer, or resolves 'refused' when its listener responded with an HTTP status. */
export type StreamOpener = () => Promise<Duplex | 'refused'>;

interface Waiter {
  resolve: (outcome: StreamOutcome) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  expected: number;
}

/**
 * The sending end of the lease stream to one peer. The connection opens on the first request and
 * again after it breaks or a request on it times out. A request that breaks with its connection
 * rejects, as an HTTP request would; nothing is resent, because the caller judges the partner from
 * the failure.
 */
export class LeaseStreamClient {
  private socket: Duplex | undefined;
  private opening: Promise<Duplex | 'refused'> | undefined;
  private isRefused = false;
  private isClosed = false;
  private nextId = 1;
  private readonly waiters = new Map<number, Waiter>();
  private reader = new FrameReader();

  /** `onEvent` hears when the connection opens and when the peer refuses the protocol, for logs. */
  constructor(
    private readonly open: StreamOpener,
    private readonly describePeer: string,
    private readonly onEvent: (event: 'open' | 'refused') => void = () => undefined,
  ) {}

  /** True once the peer's listener refused the upgrade; the caller then keeps JSON requests. */
  get refused(): boolean {
    return this.isRefused;
  }

  /**
   * Sends the changes as one update and resolves with the peer's response, or 'refused' when the peer
   * does not speak the protocol. Rejects with an Error for a broken or unreachable connection or a timeout.
   */
  async send(changes: readonly LeaseChange[], timeoutMs: number): Promise<StreamOutcome | 'refused'> {
    if (this.isClosed) throw new Error(`${this.describePeer}: lease stream is closed`);
    if (this.isRefused) return 'refused';
    const socket = await this.connect(timeoutMs);
    if (socket === 'refused') return 'refused';
    const id = this.nextId;
    this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
    const bytes = encodeUpdateFrame(id, changes);
    return new Promise<StreamOutcome>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(new Error(`${this.describePeer}: lease stream update timed out: no response within ${timeoutMs} ms`));
        // The connection is suspect: after a link cut TCP may hold the next update back for seconds
        // while it retransmits, so the next update opens a new connection, as an HTTP request would.
        socket.destroy();
      }, timeoutMs);
      this.waiters.set(id, { resolve, reject, timer, expected: changes.length });
      socket.write(bytes);
    });
  }

  /** Closes the connection; requests in flight reject. */
  close(): void {
    this.isClosed = true;
    this.socket?.destroy();
    this.failAll(new Error(`${this.describePeer}: lease stream closed while an update was in flight`));
  }

  private async connect(timeoutMs: number): Promise<Duplex | 'refused'> {
    if (this.socket !== undefined && !this.socket.destroyed) return this.socket;
    this.opening ??= this.openWithin(timeoutMs).finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async openWithin(timeoutMs: number): Promise<Duplex | 'refused'> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.describePeer}: lease stream did not open within ${timeoutMs} ms`)), timeoutMs);
    });
    let opened: Duplex | 'refused';
    try {
      opened = await Promise.race([this.open(), timeout]);
    } finally {
      clearTimeout(timer);
    }
    if (opened === 'refused') {
      this.isRefused = true;
      this.onEvent('refused');
      return opened;
    }
    if (this.isClosed) {
      opened.destroy();
      throw new Error(`${this.describePeer}: lease stream is closed`);
    }
    this.attach(opened);
    this.onEvent('open');
    return opened;
  }

  private attach(socket: Duplex): void {
    this.socket = socket;
    this.reader = new FrameReader();
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const f of this.reader.push(chunk)) this.onFrame(f);
      } catch (err) {
        socket.destroy(err as Error);
      }
    });
    const broken = (err?: Error): void => {
      if (this.socket === socket) this.socket = undefined;
      this.failAll(new Error(`${this.describePeer}: lease stream connection broke${err === undefined ? '' : `: ${err.message}`}`));
    };
    socket.on('error', broken);
    socket.on('close', () => broken());
  }

  private onFrame(f: Frame): void {
    const waiter = this.waiters.get(f.id);
    if (waiter === undefined) return; // its request timed out
    this.waiters.delete(f.id);
    clearTimeout(waiter.timer);
    if (f.type === FRAME_ERROR) {
      const { result, text } = decodeErrorPayload(f.payload);
      waiter.resolve({ kind: 'invalid', error: `result ${result}: ${text}` });
      return;
    }
    if (f.type !== FRAME_RESULTS) throw new LeaseStreamError(`frame type ${f.type} from the listener (expected ${FRAME_RESULTS} results or ${FRAME_ERROR} error)`);
    const results = decodeResultsPayload(f.payload);
    if (results.length !== waiter.expected) waiter.resolve({ kind: 'invalid', error: `expected ${waiter.expected} results, got ${results.length}` });
    else waiter.resolve({ kind: 'results', results });
  }

  private failAll(err: Error): void {
    for (const [id, waiter] of this.waiters) {
      this.waiters.delete(id);
      clearTimeout(waiter.timer);
      waiter.reject(err);
    }
  }
}
