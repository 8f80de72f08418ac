// The LeaseStore on LMDB (lmdb-js 3.5.6). One data file at `path`, beside which LMDB keeps its lock
// file `<path>-lock`, holds four sub-databases: `leases` and three indexes (`by-hw`, `by-cid`,
// `by-expiry`). Key and record layouts are in record.ts.
//
// Durability: transact() runs in lmdb-js `transactionSync`, which commits and fsyncs before it
// returns, so a lease whose transact() returned survives `kill -9`, and a transaction that throws
// writes nothing. Writers in every thread and process are serialised by LMDB's process-shared writer
// lock, so a check-then-put inside transact() is atomic.
//
// Reads: inside transact() they go through the write transaction and see its writes. Outside, they
// read a snapshot that lmdb-js renews once per event-loop turn and after each commit of this
// thread, so a commit by another thread or process may stay unseen until the next turn.
//
// Size limit: the lmdb-js fork of LMDB grows the memory map on demand, so MDB_MAP_FULL practically
// never occurs. mapSizeBytes is therefore enforced here: a transaction that grows the pages in use by
// the four sub-databases beyond it is rolled back with NESTOR_ERR_LEASES_WRITE. The file may exceed
// the limit by LMDB's free pages, which later writes reuse.

import { closeSync, existsSync, mkdirSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';

import { open } from 'lmdb';
import type { Database, RootDatabase } from 'lmdb';
import pino from 'pino';

import { nestorError } from '../errors.js';
import type { NestorError } from '../errors.js';
import { logMessage } from '../log/logger.js';
import type { Logger } from '../log/logger.js';
import { MAX_CLIENT_ID_BYTES, MAX_HW_ADDRESS_BYTES } from './lease-json.js';
import { describeFull, describeOpenFailure, describeWriteFailure, isFullCondition } from './lmdb-errors.js';
import {
  addressFromKey,
  addressKey,
  decodeLease,
  encodeLease,
  expiryKey,
  identifierKey,
  isExpiryIndexed,
  leaseExpiryKey,
  validateLease,
} from './record.js';
import type { Lease4, LeaseStore, LeaseWriter } from './types.js';

/**
 * Environment options for every open of a lease database, in every thread and process. lmdb-js
 * shares one environment per file within a process and keeps the flags of the first opener, so a
 * second opener with other flags would silently get these. overlappingSync is set explicitly
 * because lmdb-js defaults it to true for writers and false for read-only opens.
 */
export const LEASE_ENV_OPTIONS = Object.freeze({
  noSubdir: true,
  maxDbs: 8,
  overlappingSync: false,
  noSync: false,
  useWritemap: false,
});

/**
 * Default size limit, room for roughly 5 million leases: 100,000 leases with 27-byte hostnames,
 * inserted in address order, took about 160 bytes of pages each (record and indexes).
 */
export const DEFAULT_MAP_SIZE_BYTES = 1024 * 1024 * 1024;

const DB_OPTIONS = { keyEncoding: 'binary', encoding: 'binary' } as const;
const EMPTY = Buffer.alloc(0);
const LMDB_MAGIC = 0xbeefc0de;
const LMDB_MAGIC_OFFSET = 24;
const MDB_INVALID = -30793;
const MAX_ADDRESS_KEY = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00]);

export interface OpenLeaseStoreOptions {
  /** Path of the data file; missing parent directories are created (except for a read-only open). */
  path: string;
  /** Limit on the lease data in bytes (default 1 GiB), also the initial LMDB map size. */
  mapSizeBytes?: number;
  /**
   * Open for reading only, e.g. for `nestor leases list` beside a running server. In a process that
   * also writes, open the writer first, because the first open sets the flags for the process.
   */
  readOnly?: boolean;
  log?: Logger;
}

type BinaryDb = Database<Buffer, Buffer>;

interface DbStat {
  treeBranchPageCount: number;
  treeLeafPageCount: number;
  overflowPages: number;
  entryCount: number;
  pageSize: number;
}

/** Opens (creating when absent) the lease database at opts.path; throws NESTOR_ERR_LEASES_OPEN on failure. */
export function openLeaseStore(opts: OpenLeaseStoreOptions): LmdbLeaseStore {
  const mapSizeBytes = opts.mapSizeBytes ?? DEFAULT_MAP_SIZE_BYTES;
  if (!Number.isSafeInteger(mapSizeBytes) || mapSizeBytes <= 0) {
    throw nestorError('LEASES_OPEN', `'${opts.path}': map size ${String(mapSizeBytes)} is invalid (expected a positive number of bytes)`);
  }
  const startMs = performance.now();
  const dbs = openDatabases(opts.path, mapSizeBytes, opts.readOnly === true);
  const store = new LmdbLeaseStore(opts.path, dbs, mapSizeBytes, opts.readOnly === true, opts.log ?? pino({ enabled: false }));
  logMessage(store.log, 'LEASES_DB_OPENED', { count: store.count(), durationMs: Math.round(performance.now() - startMs) });
  return store;
}

interface OpenedDatabases {
  root: RootDatabase<Buffer, Buffer>;
  leases: BinaryDb;
  byHw: BinaryDb;
  byCid: BinaryDb;
  byExpiry: BinaryDb;
}

function openDatabases(path: string, mapSizeBytes: number, isReadOnly: boolean): OpenedDatabases {
  let root: RootDatabase<Buffer, Buffer> | undefined;
  try {
    if (isReadOnly && !existsSync(path)) {
      throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    }
    if (!isReadOnly) mkdirSync(dirname(path), { recursive: true });
    checkLmdbMagic(path);

    root = open<Buffer, Buffer>({ ...LEASE_ENV_OPTIONS, path, mapSize: mapSizeBytes, readOnly: isReadOnly, ...DB_OPTIONS });
    return {
      root,
      leases: root.openDB<Buffer, Buffer>({ name: 'leases', ...DB_OPTIONS }),
      byHw: root.openDB<Buffer, Buffer>({ name: 'by-hw', ...DB_OPTIONS }),
      byCid: root.openDB<Buffer, Buffer>({ name: 'by-cid', ...DB_OPTIONS }),
      byExpiry: root.openDB<Buffer, Buffer>({ name: 'by-expiry', ...DB_OPTIONS }),
    };
  } catch (err) {
    void root?.close();
    throw nestorError('LEASES_OPEN', describeOpenFailure(path, err, isReadOnly), { path });
  }
}

export class LmdbLeaseStore implements LeaseStore {
  readonly path: string;
  readonly log: Logger;
  readonly isReadOnly: boolean;
  readonly mapSizeBytes: number;
  private readonly root: RootDatabase<Buffer, Buffer>;
  private readonly leases: BinaryDb;
  private readonly byHw: BinaryDb;
  private readonly byCid: BinaryDb;
  private readonly byExpiry: BinaryDb;
  private readonly writer: LeaseWriter;
  private isInTransaction = false;
  private isClosed = false;
  /** Set while writes fail for lack of space, so the full and recovered messages are logged once each. */
  private isFull = false;
  private readonly pageSizeBytes: number;

  constructor(path: string, dbs: OpenedDatabases, mapSizeBytes: number, isReadOnly: boolean, log: Logger) {
    this.path = path;
    this.log = log;
    this.isReadOnly = isReadOnly;
    this.mapSizeBytes = mapSizeBytes;
    this.root = dbs.root;
    this.leases = dbs.leases;
    this.byHw = dbs.byHw;
    this.byCid = dbs.byCid;
    this.byExpiry = dbs.byExpiry;
    this.pageSizeBytes = (this.root.getStats() as DbStat).pageSize;
    this.writer = {
      get: (address) => this.get(address),
      findByClientId: (subnetId, clientId) => this.findByClientId(subnetId, clientId),
      findByHwAddress: (subnetId, hwAddress) => this.findByHwAddress(subnetId, hwAddress),
      put: (lease) => this.putInTransaction(lease),
      remove: (address) => this.removeInTransaction(address),
    };
  }

  get(address: number): Lease4 | undefined {
    this.checkOpen();
    const record = this.leases.getBinaryFast(addressKey(address));
    return record === undefined ? undefined : decodeLease(address >>> 0, record);
  }

  findByClientId(subnetId: number, clientId: Uint8Array): Lease4[] {
    this.checkOpen();
    if (clientId.length === 0 || clientId.length > MAX_CLIENT_ID_BYTES) return [];
    return this.findByIdentifier(this.byCid, subnetId, clientId);
  }

  findByHwAddress(subnetId: number, hwAddress: Uint8Array): Lease4[] {
    this.checkOpen();
    if (hwAddress.length === 0 || hwAddress.length > MAX_HW_ADDRESS_BYTES) return [];
    return this.findByIdentifier(this.byHw, subnetId, hwAddress);
  }

  transact<T>(fn: (tx: LeaseWriter) => T): T {
    this.checkCanWrite();
    if (this.isInTransaction) throw new Error('transact() was called inside another transact() on the same store; nest the work in one fn');

    this.isInTransaction = true;
    try {
      const result = this.root.transactionSync(() => this.runChecked(fn));
      this.noteWriteSucceeded();
      return result;
    } catch (err) {
      throw this.translateWriteError(err);
    } finally {
      this.isInTransaction = false;
    }
  }

  async transactAsync<T>(fn: (tx: LeaseWriter) => T): Promise<T> {
    this.checkCanWrite();
    let result: T | undefined;
    try {
      // A child transaction, so a throwing fn leaves nothing behind. lmdb-js runs fn on this thread
      // when its write thread starts the transaction, then commits and fsyncs on that thread.
      await this.root.childTransaction(() => {
        if (this.isInTransaction) throw new Error('transactAsync(): fn started inside another transaction on the same store');
        this.isInTransaction = true;
        try {
          result = this.runChecked(fn);
        } finally {
          this.isInTransaction = false;
        }
      });
    } catch (err) {
      throw this.translateWriteError(err);
    }
    this.noteWriteSucceeded();
    return result as T;
  }

  /** Throws when the store is closed or was opened read-only. */
  private checkCanWrite(): void {
    this.checkOpen();
    if (this.isReadOnly) {
      throw nestorError('LEASES_WRITE', `'${this.path}': the lease database was opened read-only, so it cannot be written`, { path: this.path });
    }
  }

  expiredBefore(nowSec: number, limit: number): Lease4[] {
    this.checkOpen();
    if (!(limit > 0) || !(nowSec > 0)) return [];
    const end = expiryKey(Math.min(Math.ceil(nowSec), Number.MAX_SAFE_INTEGER), 0);
    const addresses: number[] = [];
    for (const key of this.byExpiry.getKeys({ end, limit })) addresses.push(addressFromKey(key));
    return this.getAll(addresses);
  }

  page(after: number, limit: number): Lease4[] {
    this.checkOpen();
    const first = Math.floor(after) + 1;
    if (!(limit > 0) || first > 0xffffffff) return [];
    const leases: Lease4[] = [];
    for (const { key, value } of this.leases.getRange({ start: addressKey(Math.max(first, 0)), end: MAX_ADDRESS_KEY, limit })) {
      leases.push(decodeLease(addressFromKey(key), value));
    }
    return leases;
  }

  count(): number {
    this.checkOpen();
    return (this.leases.getStats() as DbStat).entryCount;
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    await this.root.close();
    logMessage(this.log, 'LEASES_DB_CLOSED');
  }

  /** Runs fn inside the open write transaction, then rolls back (by throwing) if it broke the size limit. */
  private runChecked<T>(fn: (tx: LeaseWriter) => T): T {
    const pagesBefore = this.countPagesInUse();
    const result = fn(this.writer);
    if (isThenable(result)) {
      throw new TypeError('transact(): fn returned a promise; fn must be synchronous because the transaction commits when it returns');
    }

    const pagesAfter = this.countPagesInUse();
    const bytesAfter = pagesAfter * this.pageSizeBytes;
    if (pagesAfter > pagesBefore && bytesAfter > this.mapSizeBytes) {
      throw nestorError('LEASES_WRITE', describeFull(this.path, 'limit', this.mapSizeBytes), { path: this.path, reason: 'map-full' });
    }
    return result;
  }

  private putInTransaction(lease: Lease4): void {
    this.checkWritable();
    validateLease(lease);
    const key = addressKey(lease.address);
    const oldRecord = this.leases.getBinaryFast(key);
    if (oldRecord !== undefined) this.removeIndexEntries(decodeLease(lease.address, oldRecord));

    this.leases.putSync(key, encodeLease(lease));
    if (lease.hwAddress.length > 0) this.byHw.putSync(identifierKey(lease.subnetId, lease.hwAddress, lease.address), EMPTY);
    if (lease.clientId !== undefined && lease.clientId.length > 0) {
      this.byCid.putSync(identifierKey(lease.subnetId, lease.clientId, lease.address), EMPTY);
    }
    if (isExpiryIndexed(lease)) this.byExpiry.putSync(leaseExpiryKey(lease), EMPTY);
  }

  private removeInTransaction(address: number): boolean {
    this.checkWritable();
    const key = addressKey(address);
    const oldRecord = this.leases.getBinaryFast(key);
    if (oldRecord === undefined) return false;
    this.removeIndexEntries(decodeLease(address >>> 0, oldRecord));
    this.leases.removeSync(key);
    return true;
  }

  private removeIndexEntries(old: Lease4): void {
    if (old.hwAddress.length > 0) this.byHw.removeSync(identifierKey(old.subnetId, old.hwAddress, old.address));
    if (old.clientId !== undefined && old.clientId.length > 0) this.byCid.removeSync(identifierKey(old.subnetId, old.clientId, old.address));
    if (isExpiryIndexed(old)) this.byExpiry.removeSync(leaseExpiryKey(old));
  }

  private findByIdentifier(index: BinaryDb, subnetId: number, identifier: Uint8Array): Lease4[] {
    // Every key of this identifier: from address 0.0.0.0 to just past 255.255.255.255 (end is exclusive).
    const start = identifierKey(subnetId, identifier, 0);
    const end = Buffer.allocUnsafe(start.length + 1);
    start.copy(end);
    end.writeUInt32BE(0xffffffff, start.length - 4);
    end[start.length] = 0;
    const addresses: number[] = [];
    for (const key of index.getKeys({ start, end })) addresses.push(addressFromKey(key));
    return this.getAll(addresses);
  }

  /** Fetches the leases an index scan found; a missing one means the index disagrees with `leases`. */
  private getAll(addresses: number[]): Lease4[] {
    const leases: Lease4[] = [];
    for (const address of addresses) {
      const lease = this.get(address);
      if (lease === undefined) throw new Error(`lease database '${this.path}': an index names address ${address} but no lease is stored there`);
      leases.push(lease);
    }
    return leases;
  }

  /**
   * Pages of the four sub-databases, as seen by the open write transaction. Calls the native
   * `db.stat()` of lmdb-js 3.5.6 directly: about 2 µs against 8 µs for the public getStats(), which
   * also reads environment-wide figures. Outside a write transaction it would read a stale snapshot.
   */
  private countPagesInUse(): number {
    let pages = 0;
    for (const db of [this.leases, this.byHw, this.byCid, this.byExpiry]) {
      const stat = readDbStat(db);
      pages += stat.treeBranchPageCount + stat.treeLeafPageCount + stat.overflowPages;
    }
    return pages;
  }

  private translateWriteError(err: unknown): unknown {
    const isLimitError = (err as NestorError | undefined)?.code === 'NESTOR_ERR_LEASES_WRITE' && (err as NestorError).data?.['reason'] === 'map-full';
    if (isLimitError || isFullCondition(err)) {
      const full = isLimitError ? (err as NestorError) : nestorError('LEASES_WRITE', describeFull(this.path, 'disk', this.mapSizeBytes, err), { path: this.path, reason: 'disk-full' });
      if (!this.isFull) logMessage(this.log, 'LEASES_DB_FULL', { err: full.message });
      this.isFull = true;
      return full;
    }
    const failure = describeWriteFailure(this.path, err);
    if (failure === undefined) return err;
    return nestorError('LEASES_WRITE', failure, { path: this.path });
  }

  private noteWriteSucceeded(): void {
    if (!this.isFull) return;
    this.isFull = false;
    logMessage(this.log, 'LEASES_DB_WRITABLE');
  }

  private checkOpen(): void {
    if (this.isClosed) throw new Error(`lease database '${this.path}' is closed`);
  }

  private checkWritable(): void {
    if (!this.isInTransaction) throw new Error('LeaseWriter used after its transact() returned; write only inside fn');
  }
}

/**
 * Throws an MDB_INVALID error when `path` is a non-empty file without LMDB's magic number.
 * NOTE: lmdb-js 3.5.6 crashes the process (SIGSEGV) when it opens such a file, so this check must
 * run first. It reads the first meta page of the lmdb-js fork: the magic 0xBEEFC0DE, little-endian,
 * at byte 24, after the 24-byte page header of 64-bit builds. A damaged file that passes can still crash.
 */
function checkLmdbMagic(path: string): void {
  if (!existsSync(path)) return;
  const header = Buffer.alloc(LMDB_MAGIC_OFFSET + 4);
  const fd = openSync(path, 'r');
  let length: number;
  try {
    length = readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (length === 0) return;
  if (length < header.length || header.readUInt32LE(LMDB_MAGIC_OFFSET) !== LMDB_MAGIC) {
    throw Object.assign(new Error('no LMDB magic number at the start of the file'), { code: MDB_INVALID });
  }
}

/** Statistics of one sub-database through lmdb-js's native handle, or getStats() if that is missing. */
function readDbStat(db: BinaryDb): DbStat {
  const native = (db as unknown as { db?: { stat?: () => DbStat } }).db;
  return typeof native?.stat === 'function' ? native.stat() : (db.getStats() as DbStat);
}

function isThenable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
