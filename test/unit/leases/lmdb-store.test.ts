// LMDB-specific behaviour of the lease store: files on disk, reopening, read-only opens, size
// limits, concurrent writers in threads and processes, and crashes.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { openLeaseStore } from '../../../src/leases/lmdb-store.js';
import { LeaseState } from '../../../src/leases/types.js';
import { BASE_ADDRESS, makeLease, makeTempDir } from './helpers/leases.js';
import { TS_EXEC_ARGV, collectOutput, helperPath, waitForClose } from './helpers/processes.js';

let temp: ReturnType<typeof makeTempDir>;
let path: string;

beforeEach(() => {
  temp = makeTempDir('lmdb');
  path = join(temp.dir, 'var', 'lib', 'nestor', 'leases.mdb');
});
afterEach(() => {
  temp.remove();
});

function captureLog(): { log: pino.Logger; ids: () => string[] } {
  const records: { msgId?: string }[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void records.push(JSON.parse(line) as { msgId?: string }) });
  return { log, ids: () => records.map((r) => r.msgId ?? '') };
}

describe('lmdb store: files and reopening', () => {
  it('creates directories, data and lock files', async () => {
    const store = openLeaseStore({ path });
    await store.close();
    expect(existsSync(path)).toBe(true);
    expect(existsSync(`${path}-lock`)).toBe(true);
  });

  it('keeps leases and indexes across reopen', async () => {
    const leases = [
      makeLease(1, { clientId: new Uint8Array([1, 2, 3]), hostname: 'a.example', fqdnFwd: true, cltt: 100, validLifetime: 50 }),
      makeLease(2, { state: LeaseState.DECLINED, hwAddress: new Uint8Array(0) }),
      makeLease(3, { subnetId: 7, validLifetime: 0xffffffff }),
    ];
    const first = openLeaseStore({ path });
    first.transact((tx) => leases.forEach((l) => tx.put(l)));
    await first.close();

    const second = openLeaseStore({ path });
    expect(second.page(-1, 10)).toEqual(leases);
    expect(second.findByClientId(1, new Uint8Array([1, 2, 3]))).toEqual([leases[0]]);
    expect(second.findByHwAddress(7, leases[2]!.hwAddress)).toEqual([leases[2]]);
    expect(second.expiredBefore(1000, 10)).toEqual([leases[0]]);
    expect(second.count()).toBe(3);
    await second.close();
  });

  it('logs the open and the close', async () => {
    const capture = captureLog();
    const store = openLeaseStore({ path, log: capture.log });
    await store.close();
    expect(capture.ids()).toEqual(['LEASES_DB_OPENED', 'LEASES_DB_CLOSED']);
  });
});

describe('lmdb store: open failures', () => {
  it('names path and cause for a file parent', () => {
    writeFileSync(join(temp.dir, 'plain-file'), 'x');
    const badPath = join(temp.dir, 'plain-file', 'leases.mdb');
    expect(() => openLeaseStore({ path: badPath })).toThrow(
      expect.objectContaining({ code: 'NESTOR_ERR_LEASES_OPEN', message: expect.stringMatching(/plain-file\/leases\.mdb': cannot open the lease database \(.*(ENOTDIR|EEXIST).*\); a part of the path is a file/) }),
    );
  });

  it('rejects a file that is not an LMDB database', () => {
    mkdirSync(join(temp.dir, 'junk'));
    const junkPath = join(temp.dir, 'junk', 'leases.mdb');
    writeFileSync(junkPath, Buffer.alloc(64 * 1024, 0x5a));
    expect(() => openLeaseStore({ path: junkPath })).toThrow(
      expect.objectContaining({ code: 'NESTOR_ERR_LEASES_OPEN', message: expect.stringContaining('not an LMDB lease database') }),
    );
  });

  it('reports a missing database when read-only', () => {
    expect(() => openLeaseStore({ path, readOnly: true })).toThrow(
      expect.objectContaining({ code: 'NESTOR_ERR_LEASES_OPEN', message: expect.stringContaining('no lease database exists there yet') }),
    );
    expect(existsSync(join(temp.dir, 'var'))).toBe(false);
  });

  it('rejects an invalid map size', () => {
    expect(() => openLeaseStore({ path, mapSizeBytes: 0 })).toThrow(expect.objectContaining({ code: 'NESTOR_ERR_LEASES_OPEN' }));
  });
});

describe('lmdb store: read-only open in another process', () => {
  it('lists the leases of a running writer', async () => {
    const writer = openLeaseStore({ path });
    writer.transact((tx) => {
      tx.put(makeLease(1, { hostname: 'one' }));
      tx.put(makeLease(2, { clientId: new Uint8Array([1, 0xab]) }));
    });

    const child = spawn(process.execPath, [...TS_EXEC_ARGV, helperPath('list-leases.ts'), path], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = collectOutput(child);
    const exit = await waitForClose(child);
    await writer.close();

    expect(exit.code, output.stderr()).toBe(0);
    const listed = JSON.parse(output.lines[0] ?? '{}') as { leases: Record<string, unknown>[]; writeErrorCode: unknown };
    expect(listed.leases.map((l) => l['ip-address'])).toEqual(['198.18.0.1', '198.18.0.2']);
    expect(listed.leases[0]?.['hostname']).toBe('one');
    expect(listed.leases[1]?.['client-id']).toBe('01:ab');
    expect(listed.writeErrorCode).toBe('NESTOR_ERR_LEASES_WRITE');
  });
});

describe('lmdb store: commits off the calling thread', () => {
  it('stores, returns the result and rolls back a throwing fn', async () => {
    const store = openLeaseStore({ path });
    await expect(store.transactAsync((tx) => {
      tx.put(makeLease(1));
      return 'stored';
    })).resolves.toBe('stored');
    expect(store.get(BASE_ADDRESS + 1)).toEqual(makeLease(1));

    await expect(store.transactAsync((tx) => {
      tx.put(makeLease(2));
      throw new Error('engine fault');
    })).rejects.toThrow('engine fault');
    expect(store.get(BASE_ADDRESS + 2)).toBeUndefined();
    expect(store.findByHwAddress(1, makeLease(2).hwAddress)).toEqual([]);

    // A synchronous transaction and an asynchronous one queued together both land.
    const later = store.transactAsync((tx) => tx.put(makeLease(3)));
    store.transact((tx) => tx.put(makeLease(4)));
    await later;
    expect(store.count()).toBe(3);
    await store.close();

    const reopened = openLeaseStore({ path });
    expect(reopened.get(BASE_ADDRESS + 3)).toEqual(makeLease(3));
    await reopened.close();
  });

  it('rejects past the map size limit', async () => {
    const store = openLeaseStore({ path, mapSizeBytes: 64 * 1024 });
    let failure: unknown;
    for (let first = 0; failure === undefined && first < 20_000; first += 40) {
      await store.transactAsync((tx) => {
        for (let i = first; i < first + 40; i++) tx.put(makeLease(i, { hostname: `host-${i}.example.net` }));
      }).catch((err: unknown) => { failure = err; });
    }
    expect(failure).toMatchObject({ code: 'NESTOR_ERR_LEASES_WRITE' });
    expect((failure as Error).message).toMatch(/the lease database is full/);
    await store.close();
  });
});

describe('lmdb store: size limit', () => {
  it('rejects writes past the map size limit', async () => {
    const capture = captureLog();
    const store = openLeaseStore({ path, mapSizeBytes: 64 * 1024, log: capture.log });
    const putBatch = (first: number): void => store.transact((tx) => {
      for (let i = first; i < first + 40; i++) tx.put(makeLease(i, { hostname: `host-${i}.example.net` }));
    });

    let committed = 0;
    let failure: unknown;
    while (failure === undefined && committed < 20_000) {
      try {
        putBatch(committed);
        committed += 40;
      } catch (err) {
        failure = err;
      }
    }
    expect(failure).toMatchObject({ code: 'NESTOR_ERR_LEASES_WRITE' });
    expect((failure as Error).message).toMatch(/leases\.mdb': the lease database is full \(its lease data would exceed the map size limit of 65536 bytes\)/);
    expect(committed).toBeGreaterThan(0);
    expect(() => putBatch(committed)).toThrow(/lease database is full/);

    expect(store.count()).toBe(committed);
    expect(store.get(BASE_ADDRESS + committed - 1)?.hostname).toBe(`host-${committed - 1}.example.net`);
    expect(store.get(BASE_ADDRESS + committed)).toBeUndefined();

    store.transact((tx) => {
      for (let i = 0; i < committed / 2; i++) tx.remove(BASE_ADDRESS + i);
    });
    store.transact((tx) => tx.put(makeLease(0)));
    expect(store.get(BASE_ADDRESS)).toEqual(makeLease(0));
    await store.close();

    const ids = capture.ids().filter((id) => id !== 'LEASES_DB_OPENED' && id !== 'LEASES_DB_CLOSED');
    expect(ids).toEqual(['LEASES_DB_FULL', 'LEASES_DB_WRITABLE']);
  });

  it('recovers from a full disk', async () => {
    // 1. The child runs under a 1 MiB file size limit (soft, so it can be raised again), which
    //    makes LMDB's page writes fail with EFBIG as they would with ENOSPC on a full disk.
    const script = `ulimit -S -f 1024 && exec "$0" "$@"`;
    const child = spawn('bash', ['-c', script, process.execPath, ...TS_EXEC_ARGV, helperPath('fill-disk.ts'), path], { stdio: ['pipe', 'pipe', 'pipe'] });
    const output = collectOutput(child);
    const closed = waitForClose(child);

    // 2. Wait for the child to report the failed write, lift its limit, and let it write again.
    const full = await waitForLine(output.lines, 0, closed, output.stderr);
    expect(full).toMatchObject({ phase: 'full', code: 'NESTOR_ERR_LEASES_WRITE' });
    expect(full['message']).toMatch(/the lease database is full \(File too large.*code 27\); lease writes fail until space is freed/);
    expect(full['count']).toBe(full['committed']);
    expect(full['lastHostname']).toBe(`filler-${String(Number(full['committed']) - 1)}.example.net`);

    const lift = spawn('prlimit', [`--pid=${String(child.pid)}`, '--fsize=unlimited:'], { stdio: 'ignore' });
    expect((await waitForClose(lift)).code).toBe(0);
    child.stdin?.write('resume\n');

    const resumed = await waitForLine(output.lines, 1, closed, output.stderr);
    expect(resumed).toMatchObject({ phase: 'resumed', isWritten: true, count: Number(full['committed']) + 1 });
    expect((await closed).code).toBe(0);
  });
});

/** Resolves with stdout line `index` parsed as JSON, or rejects if the child closes first. */
async function waitForLine(lines: string[], index: number, closed: Promise<unknown>, stderr: () => string): Promise<Record<string, unknown>> {
  let isClosed = false;
  void closed.then(() => { isClosed = true; });
  for (;;) {
    const line = lines[index];
    if (line !== undefined) return JSON.parse(line) as Record<string, unknown>;
    if (isClosed) throw new Error(`child closed before writing line ${index}; stderr: ${stderr().slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
