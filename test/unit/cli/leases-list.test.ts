import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import { afterEach, describe, expect, it } from 'vitest';

import { runLeasesList } from '../../../src/cli/leases-list.js';
import { openLeaseStore } from '../../../src/leases/lmdb-store.js';
import { makeLease, makeTempDir } from '../leases/helpers/leases.js';

const LEASES = 25_000; // three pages of 10,000

const temps: Array<() => void> = [];

afterEach(() => {
  for (const remove of temps.splice(0)) remove();
});

/** Write a configuration and a lease database with `count` leases; return the configuration path. */
async function databaseWith(count: number): Promise<string> {
  const { dir, remove } = makeTempDir('leases-list');
  temps.push(remove);
  const path = join(dir, 'leases4.lmdb');
  const store = openLeaseStore({ path });
  for (let first = 0; first < count; first += 5_000) {
    store.transact((tx) => {
      for (let i = first; i < Math.min(count, first + 5_000); i++) tx.put(makeLease(i));
    });
  }
  await store.close();
  const configPath = join(dir, 'nestor.json');
  const config = {
    Dhcp4: {
      'lease-database': { type: 'lmdb', name: path },
      subnet4: [{ id: 1, subnet: '198.18.0.0/15', pools: [{ pool: '198.18.0.10 - 198.19.255.250' }] }],
    },
  };
  writeFileSync(configPath, JSON.stringify(config));
  return configPath;
}

/** A stream that takes `accepted` writes, then fails every later one as a closed pipe does. */
class ClosingPipe extends Writable {
  writes = 0;
  text = '';

  constructor(private readonly accepted: number) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.writes++;
    if (this.writes > this.accepted) {
      callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      return;
    }
    this.text += chunk.toString();
    callback();
  }
}

describe('leases list output', () => {
  it('prints every lease to a reader that stays', async () => {
    const configPath = await databaseWith(LEASES);
    const out = new ClosingPipe(Number.POSITIVE_INFINITY);

    expect(await runLeasesList(['-c', configPath], out)).toBe(0);
    const lines = out.text.trimEnd().split('\n');
    expect(lines).toHaveLength(LEASES + 1);
    expect(lines[0]).toMatch(/^ip-address/);
  });

  it('stops quietly when the reader closes the pipe', async () => {
    const configPath = await databaseWith(LEASES);
    const out = new ClosingPipe(1);

    expect(await runLeasesList(['-c', configPath], out)).toBe(0);
    expect(out.text.split('\n').length).toBeGreaterThan(10_000);
    expect(out.writes).toBe(2);
    expect(out.listenerCount('error')).toBe(0);
  });

  it('reports other write errors', async () => {
    const configPath = await databaseWith(10);
    const out = new Writable({
      write: (_chunk, _encoding, callback) => callback(Object.assign(new Error('write EIO'), { code: 'EIO' })),
    });

    await expect(runLeasesList(['-c', configPath], out)).rejects.toMatchObject({ code: 'EIO' });
  });
});
