// The pid-file lock next to the lease database: one server per database, and a clear error when the
// database's folder is missing.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { ServerLock } from '../../../src/server-lock.js';

let dir: string | undefined;

afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('server lock: the lease database pid file', () => {
  it('writes this process id next to the database and removes it on release', () => {
    dir = mkdtempSync(join(tmpdir(), 'nestor-lock-'));
    const lock = ServerLock.acquire(join(dir, 'leases4.lmdb'));
    expect(readFileSync(join(dir, 'leases4.lmdb.pid'), 'utf8')).toBe(`${process.pid}\n`);
    lock.release();
    expect(() => readFileSync(join(dir!, 'leases4.lmdb.pid'))).toThrow();
  });

  it('names the missing folder instead of failing with an internal error', () => {
    dir = mkdtempSync(join(tmpdir(), 'nestor-lock-'));
    const path = join(dir, 'absent', 'leases4.lmdb');
    expect(() => ServerLock.acquire(path)).toThrow(expect.objectContaining({
      code: 'NESTOR_ERR_LEASES_OPEN',
      message: expect.stringContaining(`the folder '${join(dir, 'absent')}' must exist`),
    }));
  });
});
