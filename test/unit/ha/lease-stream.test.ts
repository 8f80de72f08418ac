// The lease stream between nestor peers: its frames and its checks on what a peer sends. Also a real
// exchange through the peer HTTP listener's upgrade: authentication, a listener that does not offer
// the stream, a malformed frame, and a connection that breaks mid-request.

import { connect } from 'node:net';

import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { ControlHttpServer } from '../../../src/control/http.js';
import type { BasicAuthClient, UpgradeHandler } from '../../../src/control/http.js';
import type { LeaseChange } from '../../../src/engine/types.js';
import { applyStreamChanges } from '../../../src/ha/bulk.js';
import {
  FRAME_RESULTS, FRAME_UPDATE, FrameReader, LEASE_STREAM_PROTOCOL, LeaseStreamClient, LeaseStreamError, MAX_PAYLOAD_BYTES,
  decodeErrorPayload, decodeResultsPayload, decodeUpdatePayload, encodeErrorFrame, encodeResultsFrame, encodeUpdateFrame, serveLeaseStream,
} from '../../../src/ha/lease-stream.js';
import type { StreamChange } from '../../../src/ha/lease-stream.js';
import { PeerClient } from '../../../src/ha/peer-client.js';
import type { HaPeerConfig } from '../../../src/ha/types.js';
import { CommitGroup } from '../../../src/leases/commit-group.js';
import { MemoryLeaseStore } from '../../../src/leases/memory-store.js';
import { makeConfig } from '../engine/helpers.js';
import { lease } from './fake-partner.js';

const silent = pino({ level: 'silent' });
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const update = (host: number, overrides = {}): LeaseChange => ({ kind: 'update', lease: lease(host, overrides) });
const remove = (host: number): LeaseChange => ({ kind: 'delete', lease: lease(host) });

/** Returns the single frame in `bytes`. */
function onlyFrame(bytes: Buffer): { type: number; id: number; payload: Buffer } {
  const frames = new FrameReader().push(bytes);
  expect(frames).toHaveLength(1);
  return frames[0]!;
}

describe('lease stream frames', () => {
  it('carries updates and deletes with every lease field', () => {
    const full = lease(10, { clientId: Uint8Array.of(1, 2, 3), hostname: 'pc-ü', fqdnFwd: true, state: 1, validLifetime: 0xffffffff });
    const f = onlyFrame(encodeUpdateFrame(7, [{ kind: 'update', lease: full }, remove(11), update(12)]));
    expect(f.type).toBe(FRAME_UPDATE);
    expect(f.id).toBe(7);
    expect(decodeUpdatePayload(f.payload)).toEqual([
      { kind: 'update', lease: full },
      { kind: 'delete', address: lease(11).address },
      { kind: 'update', lease: lease(12) },
    ]);
  });

  it('reassembles frames split or joined', () => {
    const bytes = Buffer.concat([encodeUpdateFrame(1, [update(1)]), encodeUpdateFrame(2, [remove(2)])]);
    const reader = new FrameReader();
    const ids: number[] = [];
    for (let i = 0; i < bytes.length; i++) ids.push(...reader.push(bytes.subarray(i, i + 1)).map((f) => f.id));
    expect(ids).toEqual([1, 2]);
    expect(new FrameReader().push(bytes).map((f) => f.id)).toEqual([1, 2]);
  });

  it('fails only the entry whose lease record is malformed', () => {
    const bytes = encodeUpdateFrame(3, [update(1), update(2), update(3)]);
    const payload = Buffer.from(onlyFrame(bytes).payload);
    // The second record starts after the count (2) and the first entry (7 + its record).
    const firstRecordLength = payload.readUInt16BE(2 + 5);
    const second = 2 + 7 + firstRecordLength;
    payload[second + 7 + 16] = 30; // hardware address length beyond 20 bytes
    const changes = decodeUpdatePayload(payload);
    expect(changes.map((c) => c.kind)).toEqual(['update', 'invalid', 'update']);
    expect(changes[1]).toEqual({ kind: 'invalid', text: expect.stringMatching(/^lease 198\.18\.0\.2: hardware address of 30 bytes/) });
  });

  it('rejects payloads whose structure does not add up', () => {
    const payload = onlyFrame(encodeUpdateFrame(4, [update(1)])).payload;
    expect(() => decodeUpdatePayload(payload.subarray(0, payload.length - 1))).toThrow(LeaseStreamError);
    expect(() => decodeUpdatePayload(Buffer.concat([payload, Buffer.of(0)]))).toThrow(/1 bytes after its last entry/);
    const badOp = Buffer.from(payload);
    badOp[2] = 9;
    expect(() => decodeUpdatePayload(badOp)).toThrow(/operation 9/);
    expect(() => decodeUpdatePayload(Buffer.of(0xff, 0xff))).toThrow(/65535 changes/);
    const head = Buffer.alloc(9);
    head.writeUInt32BE(MAX_PAYLOAD_BYTES + 1, 0);
    expect(() => new FrameReader().push(head)).toThrow(/exceeds the limit/);
  });

  it('carries per-change results and whole-request errors, with long texts cut', () => {
    const results = [{ result: 0 }, { result: 3, text: 'IPv4 lease not found.' }, { result: 1, text: 'x'.repeat(5000) }];
    const f = onlyFrame(encodeResultsFrame(9, results));
    expect(f.type).toBe(FRAME_RESULTS);
    const decoded = decodeResultsPayload(f.payload);
    expect(decoded.slice(0, 2)).toEqual(results.slice(0, 2));
    expect(decoded[2]).toEqual({ result: 1, text: 'x'.repeat(1024) });
    expect(decodeErrorPayload(onlyFrame(encodeErrorFrame(9, 1, 'disk full')).payload)).toEqual({ result: 1, text: 'disk full' });
    expect(() => decodeResultsPayload(Buffer.of(0, 1, 1, 0, 5))).toThrow(LeaseStreamError);
  });
});

describe('lease stream through the peer listener', () => {
  function peerAt(port: number, overrides: Partial<HaPeerConfig> = {}): HaPeerConfig {
    return {
      name: 'server2', url: `http://127.0.0.1:${port}/`, scheme: 'http', host: '127.0.0.1', port, path: '/',
      role: 'secondary', autoFailover: true,
      basicAuthUser: undefined, basicAuthPassword: undefined, basicAuthPasswordFile: undefined,
      trustAnchor: undefined, certFile: undefined, keyFile: undefined,
      ...overrides,
    };
  }

  async function listener(upgrades: Record<string, UpgradeHandler> | undefined, auth?: BasicAuthClient[]): Promise<ControlHttpServer> {
    const server = new ControlHttpServer({
      host: '127.0.0.1', port: 0, auth, upgrades, log: silent,
      handler: () => Promise.resolve({ result: 0, text: 'ok' }),
    });
    await server.start();
    cleanups.push(() => server.stop());
    return server;
  }

  /** Starts a listener that stores streamed changes in `store` through a group commit, as a server does. */
  async function storingListener(store: MemoryLeaseStore, auth?: BasicAuthClient[]): Promise<number> {
    const ctx = { config: makeConfig(), store, log: silent, nowSec: () => 1_800_000_000 };
    const commits = new CommitGroup(store, { windowUs: 0, maxQueued: 256, log: silent });
    const server = await listener({
      [LEASE_STREAM_PROTOCOL]: (socket, head, remote) => serveLeaseStream(socket, head, { apply: (changes) => applyStreamChanges(ctx, changes, commits), remote, log: silent }),
    }, auth);
    return server.address().port;
  }

  function streamTo(port: number, peer: Partial<HaPeerConfig> = {}, onEvent?: (event: 'open' | 'refused') => void): LeaseStreamClient {
    const link = new PeerClient({ peer: peerAt(port, peer), log: silent });
    const stream = new LeaseStreamClient(() => link.openUpgrade(LEASE_STREAM_PROTOCOL), 'peer server2', onEvent);
    cleanups.push(() => {
      stream.close();
      link.close();
    });
    return stream;
  }

  it('stores changes with per-change results', async () => {
    const store = new MemoryLeaseStore();
    store.transact((tx) => tx.put(lease(20)));
    const port = await storingListener(store);
    const events: string[] = [];
    const stream = streamTo(port, {}, (event) => events.push(event));

    const outside = update(30, { address: 0xc613c801 }); // 198.19.200.1, in no configured subnet
    const first = await stream.send([update(10, { hostname: 'printer' }), remove(20), remove(21), outside], 5000);
    expect(first).toEqual({
      kind: 'results',
      results: [{ result: 0 }, { result: 0 }, { result: 3, text: 'IPv4 lease not found.' }, { result: 1, text: expect.stringMatching(/198\.19\.200\.1/) }],
    });
    expect(store.get(lease(10).address)?.hostname).toBe('printer');
    expect(store.get(lease(20).address)).toBeUndefined();

    const several = await Promise.all([1, 2, 3].map((n) => stream.send([update(100 + n)], 5000)));
    expect(several.map((o) => o !== 'refused' && o.kind)).toEqual(['results', 'results', 'results']);
    expect([101, 102, 103].every((host) => store.get(lease(host).address) !== undefined)).toBe(true);
    expect(events).toEqual(['open']);
  });

  it('needs the listener credentials, and a listener without the protocol refuses it', async () => {
    const store = new MemoryLeaseStore();
    const port = await storingListener(store, [{ user: 'ha', password: 'secret' }]);
    const events: string[] = [];
    expect(await streamTo(port, { basicAuthUser: 'ha', basicAuthPassword: 'wrong' }, (e) => events.push(e)).send([update(1)], 5000)).toBe('refused');
    expect(events).toEqual(['refused']);
    expect(store.get(lease(1).address)).toBeUndefined();
    expect(await streamTo(port, { basicAuthUser: 'ha', basicAuthPassword: 'secret' }).send([update(1)], 5000)).toMatchObject({ kind: 'results' });

    const plain = await listener(undefined);
    const refused = streamTo(plain.address().port);
    expect(await refused.send([update(2)], 5000)).toBe('refused');
    expect(refused.refused).toBe(true);
  });

  it('answers an error for the whole request when its commit fails', async () => {
    const store = new MemoryLeaseStore();
    const port = await storingListener(store);
    vi.spyOn(store, 'transact').mockImplementation(() => {
      throw new Error('database is full');
    });
    expect(await streamTo(port).send([update(1)], 5000)).toEqual({ kind: 'invalid', error: 'result 1: database is full' });
  });

  it('rejects other protocols and methods', async () => {
    const server = await listener({ [LEASE_STREAM_PROTOCOL]: (socket) => socket.destroy() });
    /** Sends an upgrade request and returns the status line of the response. */
    const ask = async (head: string): Promise<string> => {
      const socket = connect(server.address().port, '127.0.0.1');
      cleanups.push(() => { socket.destroy(); });
      const closed = new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (chunk: Buffer) => { text += chunk.toString('latin1'); });
        socket.on('close', () => resolve(text.split('\r\n')[0]!));
      });
      socket.write(`${head}\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n\r\n`);
      return closed;
    };
    expect(await ask('GET / HTTP/1.1\r\nUpgrade: websocket')).toBe('HTTP/1.1 400 Bad Request');
    expect(await ask(`POST / HTTP/1.1\r\nUpgrade: ${LEASE_STREAM_PROTOCOL}`)).toBe('HTTP/1.1 405 Method Not Allowed');
  });

  it('closes a connection that sends a malformed frame, and logs why', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const server = await listener({ [LEASE_STREAM_PROTOCOL]: (socket, head, remote) => serveLeaseStream(socket, head, { apply: () => Promise.resolve([]), remote, log }) });
    const socket = connect(server.address().port, '127.0.0.1');
    cleanups.push(() => { socket.destroy(); });
    const closed = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => { text += chunk.toString('latin1'); });
      socket.on('close', () => resolve(text));
    });
    const bad = encodeUpdateFrame(1, [update(1)]);
    bad[4] = FRAME_RESULTS; // a results frame sent to the listener
    socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: ${LEASE_STREAM_PROTOCOL}\r\n\r\n`);
    socket.write(bad);
    expect(await closed).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(lines.join('')).toMatch(/HA_LEASE_STREAM_INVALID.*frame type 2 sent to the listener/);
  });

  it('fails in-flight requests on a broken connection', async () => {
    const store = new MemoryLeaseStore();
    let release: (() => void) | undefined;
    const ctx = { config: makeConfig(), store, log: silent, nowSec: () => 1_800_000_000 };
    const server = await listener({
      [LEASE_STREAM_PROTOCOL]: (socket, head, remote) => serveLeaseStream(socket, head, {
        apply: async (changes) => {
          if (release === undefined) {
            // The first request gets no response: the listener drops the connection instead.
            await new Promise<void>((resolve) => { release = resolve; });
            socket.destroy();
            return [];
          }
          return applyStreamChanges(ctx, changes, undefined);
        },
        remote, log: silent,
      }),
    });
    const stream = streamTo(server.address().port);
    const stalled = stream.send([update(1)], 5000);
    await vi.waitFor(() => expect(release).toBeDefined());
    release!();
    await expect(stalled).rejects.toThrow(/lease stream connection broke/);
    expect(await stream.send([update(2)], 5000)).toMatchObject({ kind: 'results', results: [{ result: 0 }] });
  });

  it('times out an unanswered request and reconnects', async () => {
    // The first connection never responds. The timeout closes it, and the next update opens another.
    let connections = 0;
    const store = new MemoryLeaseStore();
    const ctx = { config: makeConfig(), store, log: silent, nowSec: () => 1_800_000_000 };
    const server = await listener({
      [LEASE_STREAM_PROTOCOL]: (socket, head, remote) => {
        connections++;
        const apply = connections === 1 ? () => new Promise<never>(() => undefined) : (changes: StreamChange[]) => applyStreamChanges(ctx, changes, undefined);
        serveLeaseStream(socket, head, { apply, remote, log: silent });
      },
    });
    const events: string[] = [];
    const stream = streamTo(server.address().port, {}, (event) => events.push(event));
    await expect(stream.send([update(1)], 200)).rejects.toThrow(/lease stream update timed out: no response within 200 ms/);
    expect(await stream.send([update(2)], 5000)).toMatchObject({ kind: 'results', results: [{ result: 0 }] });
    expect(connections).toBe(2);
    expect(events).toEqual(['open', 'open']);
  });
});
