import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { ControlAnswer, ControlRequest } from '../../../src/control/answer.js';
import { ControlHttpServer } from '../../../src/control/http.js';
import type { BasicAuthClient } from '../../../src/control/http.js';
import { MAX_REPLY_BYTES, PeerClient, PeerRequestError } from '../../../src/ha/peer-client.js';
import type { PeerClientOptions } from '../../../src/ha/peer-client.js';
import type { HaPeerConfig } from '../../../src/ha/types.js';

const silent = pino({ level: 'silent' });

function peerAt(port: number, overrides: Partial<HaPeerConfig> = {}): HaPeerConfig {
  const path = overrides.path ?? '/';
  return {
    name: 'server2', url: `http://127.0.0.1:${port}${path}`, scheme: 'http', host: '127.0.0.1', port, path,
    role: 'secondary', autoFailover: true,
    basicAuthUser: undefined, basicAuthPassword: undefined, basicAuthPasswordFile: undefined,
    trustAnchor: undefined, certFile: undefined, keyFile: undefined,
    ...overrides,
  };
}

/** Everything a test opened, closed in afterEach even when the test failed. */
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function client(port: number, options: Omit<Partial<PeerClientOptions>, 'peer'> & { peer?: Partial<HaPeerConfig> } = {}): PeerClient {
  const peerClient = new PeerClient({ ...options, log: silent, peer: peerAt(port, options.peer) });
  cleanups.push(() => peerClient.close());
  return peerClient;
}

async function controlServer(handler: (request: ControlRequest) => Promise<ControlAnswer>, auth?: BasicAuthClient[]): Promise<number> {
  const server = new ControlHttpServer({ host: '127.0.0.1', port: 0, handler, auth, log: silent });
  await server.start();
  cleanups.push(() => server.stop());
  return server.address().port;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

/** Starts a TCP proxy in front of port that counts the connections the client opens. */
async function countingProxy(port: number): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const proxy = createServer((downstream) => {
    connections++;
    const upstream = connect(port, '127.0.0.1');
    for (const s of [downstream, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => { downstream.destroy(); upstream.destroy(); });
    }
    downstream.pipe(upstream).pipe(downstream);
  });
  cleanups.push(() => { for (const s of sockets) s.destroy(); });
  return { port: await listen(proxy), connections: () => connections };
}

interface RawRequest {
  /** Request line and headers, without the blank line. */
  head: string;
  body: string;
  /** 1-based number of the connection it came on. */
  connection: number;
}

/**
 * A raw HTTP peer: parses each request (head plus Content-Length body) on every connection and
 * hands it to respond, which writes whatever bytes the test needs.
 */
class RawPeer {
  readonly requests: RawRequest[] = [];
  connections = 0;
  closedConnections = 0;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  constructor(private readonly respond: (request: RawRequest, socket: Socket, index: number) => void) {
    this.server = createServer((socket) => this.accept(socket));
  }

  async start(): Promise<number> {
    cleanups.push(() => { for (const s of this.sockets) s.destroy(); });
    return listen(this.server);
  }

  private accept(socket: Socket): void {
    const connection = ++this.connections;
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => { this.closedConnections++; });

    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = buffer.subarray(0, end).toString('latin1');
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buffer.length < end + 4 + length) return;
        const request = { head, body: buffer.subarray(end + 4, end + 4 + length).toString('utf8'), connection };
        buffer = buffer.subarray(end + 4 + length);
        this.requests.push(request);
        this.respond(request, socket, this.requests.length - 1);
      }
    });
  }
}

function httpReply(status: number, body: string, headers: string[] = []): string {
  const reason = status === 200 ? 'OK' : 'Error';
  return [`HTTP/1.1 ${status} ${reason}`, 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`, ...headers, '', body].join('\r\n');
}

const OK_REPLY = httpReply(200, '[ { "result": 0, "text": "ok" } ]');

async function rawPeer(respond: (request: RawRequest, socket: Socket, index: number) => void): Promise<{ peer: RawPeer; port: number }> {
  const peer = new RawPeer(respond);
  return { peer, port: await peer.start() };
}

async function rejection(promise: Promise<unknown>): Promise<PeerRequestError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof PeerRequestError) return err;
    throw err;
  }
  throw new Error('the request resolved, a PeerRequestError was expected');
}

describe('PeerClient: request head', () => {
  it('sends POST to the URL path with Kea headers and body', async () => {
    const { peer, port } = await rawPeer((_request, socket) => socket.write(OK_REPLY));
    const peerClient = client(port, { peer: { path: '/kea', basicAuthUser: 'kea-peer', basicAuthPassword: 's3cret' } });

    await peerClient.send('lease4-update', { 'ip-address': '198.18.0.10' }, 1000);

    const [line, ...headerLines] = peer.requests[0]!.head.split('\r\n');
    const headers = new Map(headerLines.map((h) => [h.slice(0, h.indexOf(':')).toLowerCase(), h.slice(h.indexOf(':') + 1).trim()]));
    expect(line).toBe('POST /kea HTTP/1.1');
    expect(headers.get('host')).toBe('127.0.0.1');
    expect(headers.get('content-type')).toBe('application/json');
    expect(headers.get('authorization')).toBe(`Basic ${Buffer.from('kea-peer:s3cret').toString('base64')}`);
    expect(Number(headers.get('content-length'))).toBe(Buffer.byteLength(peer.requests[0]!.body));
    expect(headers.has('transfer-encoding')).toBe(false);
    expect(JSON.parse(peer.requests[0]!.body)).toEqual({ command: 'lease4-update', service: ['dhcp4'], arguments: { 'ip-address': '198.18.0.10' } });
  });

  it('leaves out arguments and Authorization when absent', async () => {
    const { peer, port } = await rawPeer((_request, socket) => socket.write(OK_REPLY));
    const peerClient = client(port, { peer: { basicAuthUser: '', basicAuthPassword: 'unused' } });

    await peerClient.send('ha-heartbeat', undefined, 1000);

    expect(peer.requests[0]!.head).toMatch(/^POST \/ HTTP\/1\.1\r\n/);
    expect(peer.requests[0]!.head).not.toMatch(/authorization/i);
    expect(JSON.parse(peer.requests[0]!.body)).toEqual({ command: 'ha-heartbeat', service: ['dhcp4'] });
  });

  it('reads the password file once, without its trailing newline', async () => {
    const { peer, port } = await rawPeer((_request, socket) => socket.write(OK_REPLY));
    const reads: string[] = [];
    const readFile = (path: string): Buffer => {
      reads.push(path);
      return Buffer.from('s3cret\n');
    };
    const peerClient = client(port, { readFile, peer: { basicAuthUser: 'kea-peer', basicAuthPasswordFile: '/etc/kea/peer-password' } });

    await peerClient.send('ha-heartbeat', undefined, 1000);
    await peerClient.send('ha-heartbeat', undefined, 1000);

    expect(reads).toEqual(['/etc/kea/peer-password']);
    const expected = `Basic ${Buffer.from('kea-peer:s3cret').toString('base64')}`;
    for (const request of peer.requests) expect(request.head).toContain(`\r\nAuthorization: ${expected}`);
  });

  it('throws NESTOR_ERR_CONFIG_READ for an unreadable password file', () => {
    const readFile = (path: string): Buffer => {
      throw new Error(`ENOENT: no such file or directory, open '${path}'`);
    };
    const construct = (): PeerClient => new PeerClient({ log: silent, readFile, peer: peerAt(8001, { basicAuthUser: 'kea-peer', basicAuthPasswordFile: '/missing' }) });
    expect(construct).toThrow(expect.objectContaining({ code: 'NESTOR_ERR_CONFIG_READ' }));
    expect(construct).toThrow("peer 'server2' (http://127.0.0.1:8001/): cannot read basic-auth-password-file '/missing'");
  });
});

describe('PeerClient: against the control HTTP server', () => {
  it('resolves with element 0 of the list reply', async () => {
    const port = await controlServer(async () => ({ result: 0, text: 'HA peer status returned.', arguments: { state: 'load-balancing' } }));
    const answer = await client(port).send('ha-heartbeat', undefined, 1000);
    expect(answer).toEqual({ result: 0, text: 'HA peer status returned.', arguments: { state: 'load-balancing' } });
  });

  it.each([1, 2, 3, 4, 1001])('passes result %i through', async (result) => {
    const port = await controlServer(async () => ({ result, text: 'from the handler' }));
    const answer = await client(port).send('lease4-update', { 'ip-address': '198.18.0.10' }, 1000);
    expect(answer).toEqual({ result, text: 'from the handler' });
  });

  it('authenticates when the server requires it', async () => {
    const port = await controlServer(async (request) => ({ result: 0, text: request.command }), [{ user: 'kea-peer', password: 's3cret' }]);
    const answer = await client(port, { peer: { basicAuthUser: 'kea-peer', basicAuthPassword: 's3cret' } }).send('ha-heartbeat', undefined, 1000);
    expect(answer).toEqual({ result: 0, text: 'ha-heartbeat' });
  });

  it('rejects a 401 without credentials as http', async () => {
    const port = await controlServer(async () => ({ result: 0 }), [{ user: 'kea-peer', password: 's3cret' }]);
    const error = await rejection(client(port).send('ha-heartbeat', undefined, 1000));
    expect(error.kind).toBe('http');
    expect(error.peer).toBe('server2');
    expect(error.command).toBe('ha-heartbeat');
    expect(error.message).toBe(`peer 'server2' (http://127.0.0.1:${port}/): HTTP 401 in reply to 'ha-heartbeat': Unauthorized`);
  });

  it('reuses one connection for sequential sends', async () => {
    const proxy = countingProxy(await controlServer(async () => ({ result: 0 })));
    const { port, connections } = await proxy;
    const peerClient = client(port);

    await peerClient.send('ha-heartbeat', undefined, 1000);
    await peerClient.send('lease4-update', { 'ip-address': '198.18.0.10' }, 1000);
    await peerClient.send('ha-heartbeat', undefined, 1000);

    expect(connections()).toBe(1);
  });

  it('runs at most maxConnections requests in parallel', async () => {
    let running = 0;
    let maxRunning = 0;
    const handler = async (): Promise<ControlAnswer> => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((resolve) => setTimeout(resolve, 40));
      running--;
      return { result: 0 };
    };
    const { port, connections } = await countingProxy(await controlServer(handler));
    const peerClient = client(port, { maxConnections: 2 });

    const sends = Array.from({ length: 5 }, (_, i) => peerClient.send('lease4-update', { 'ip-address': `198.18.0.${10 + i}` }, 2000));
    expect(peerClient.inFlight).toBe(5);
    const answers = await Promise.all(sends);

    expect(answers).toEqual(Array(5).fill({ result: 0 }));
    expect(maxRunning).toBe(2);
    expect(connections()).toBe(2);
    expect(peerClient.inFlight).toBe(0);
  });
});

describe('PeerClient: replies Kea would not accept', () => {
  it.each([
    ['a map body', httpReply(403, '{ "result": 403, "text": "Forbidden" }'), 'http', "HTTP 403 in reply to 'ha-heartbeat': Forbidden"],
    ['invalid JSON', httpReply(200, '[ { "result": 0, '), 'format', 'body is not valid JSON'],
    ['an empty list', httpReply(200, '[]'), 'format', "element 0 of the list is not an answer with an integer 'result'"],
    ['a list without result', httpReply(200, '[ { "text": "ok" } ]'), 'format', "element 0 of the list is not an answer with an integer 'result'"],
    ['a fractional result', httpReply(200, '[ { "result": 0.5 } ]'), 'format', "integer 'result'"],
    ['a text that is not a string', httpReply(200, '[ { "result": 0, "text": 7 } ]'), 'format', "'text' of the answer is not a string"],
    ['a JSON string', httpReply(200, '"ok"'), 'format', 'neither a list nor a map'],
    ['a chunked body', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n[]\r\n0\r\n\r\n', 'format', 'no Content-Length header'],
    ['an oversized Content-Length', `HTTP/1.1 200 OK\r\nContent-Length: ${MAX_REPLY_BYTES + 1}\r\n\r\n[`, 'format', `exceeds the limit of ${MAX_REPLY_BYTES} bytes`],
    ['a malformed status line', 'HTTP/1.1 two hundred\r\n\r\n', 'format', 'invalid reply'],
  ])('rejects %s', async (_name, reply, kind, text) => {
    const { port } = await rawPeer((_request, socket) => socket.write(reply));
    const error = await rejection(client(port).send('ha-heartbeat', undefined, 1000));
    expect(error.kind).toBe(kind);
    expect(error.message).toContain(`peer 'server2' (http://127.0.0.1:${port}/): `);
    expect(error.message).toContain(text);
  });

  it('rejects a body without Content-Length ended by close', async () => {
    const { port } = await rawPeer((_request, socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n[ { "result": 0 } ]'));
    const error = await rejection(client(port).send('ha-heartbeat', undefined, 1000));
    expect(error.kind).toBe('format');
    expect(error.message).toContain("invalid reply to 'ha-heartbeat': no Content-Length header");
  });

  it('rejects a reply cut off inside the body as connect', async () => {
    const { port } = await rawPeer((_request, socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n[ { "result"'));
    const error = await rejection(client(port).send('ha-heartbeat', undefined, 1000));
    expect(error.kind).toBe('connect');
  });

  it('accepts a reply with a charset and a non-200 status', async () => {
    const { port } = await rawPeer((_request, socket) => socket.write(httpReply(500, '[ { "result": 1, "text": "failed" } ]', ['X-Extra: 1']).replace('application/json', 'application/json; charset=utf-8')));
    const answer = await client(port).send('ha-heartbeat', undefined, 1000);
    expect(answer).toEqual({ result: 1, text: 'failed' });
  });
});

describe('PeerClient: connection failures', () => {
  it('rejects with timeout and closes the connection when no reply comes', async () => {
    const { peer, port } = await rawPeer(() => undefined);
    const peerClient = client(port);

    const startedAt = Date.now();
    const error = await rejection(peerClient.send('ha-heartbeat', undefined, 200));

    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(190);
    expect(error.kind).toBe('timeout');
    expect(error.message).toBe(`peer 'server2' (http://127.0.0.1:${port}/): no answer to 'ha-heartbeat' within 200 ms`);
    await expect.poll(() => peer.closedConnections).toBe(1);
    expect(peerClient.inFlight).toBe(0);
  });

  it('rejects a refused connection as connect', async () => {
    const closed = createServer();
    const port = await listen(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const error = await rejection(client(port).send('ha-heartbeat', undefined, 1000));
    expect(error.kind).toBe('connect');
    expect(error.message).toMatch(new RegExp(`^peer 'server2' \\(http://127\\.0\\.0\\.1:${port}/\\): connection failed while sending 'ha-heartbeat': .*ECONNREFUSED`));
  });

  it('resends once on a new connection after a reset on a reused one', async () => {
    // 1. the peer replies to the first request, 2. it drops that connection when the second arrives,
    // 3. the client resends the second request on a new connection, and the peer replies there.
    const { peer, port } = await rawPeer((request, socket, index) => {
      if (index === 1) return void socket.destroy();
      socket.write(httpReply(200, `[ { "result": 0, "text": "reply ${index}" } ]`));
    });
    const peerClient = client(port);

    await peerClient.send('ha-heartbeat', undefined, 1000);
    const answer = await peerClient.send('lease4-update', { 'ip-address': '198.18.0.10' }, 1000);

    expect(answer).toEqual({ result: 0, text: 'reply 2' });
    expect(peer.requests.map((r) => r.connection)).toEqual([1, 1, 2]);
    expect(JSON.parse(peer.requests[2]!.body).command).toBe('lease4-update');
  });

  it('sends again after the peer closed an idle connection', async () => {
    const { peer, port } = await rawPeer((_request, socket) => socket.end(OK_REPLY));
    const peerClient = client(port);

    await peerClient.send('ha-heartbeat', undefined, 1000);
    await expect.poll(() => peer.closedConnections).toBe(1);
    const answer = await peerClient.send('ha-heartbeat', undefined, 1000);

    expect(answer).toEqual({ result: 0, text: 'ok' });
    expect(peer.connections).toBe(2);
  });

  it('does not resend after a reset on a new connection', async () => {
    const { peer, port } = await rawPeer((_request, socket) => socket.destroy());
    const error = await rejection(client(port).send('ha-heartbeat', undefined, 1000));
    expect(error.kind).toBe('connect');
    expect(peer.requests).toHaveLength(1);
  });

  it('does not resend after a timeout on a reused connection', async () => {
    const { peer, port } = await rawPeer((_request, socket, index) => {
      if (index === 0) socket.write(OK_REPLY);
    });
    const peerClient = client(port);

    await peerClient.send('ha-heartbeat', undefined, 1000);
    const error = await rejection(peerClient.send('ha-heartbeat', undefined, 150));

    expect(error.kind).toBe('timeout');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(peer.requests).toHaveLength(2);
  });

  it('rejects sends in flight and after close as connect', async () => {
    const { port } = await rawPeer(() => undefined);
    const peerClient = client(port);

    const inFlight = rejection(peerClient.send('ha-heartbeat', undefined, 1000));
    await new Promise((resolve) => setTimeout(resolve, 30));
    peerClient.close();
    const early = await inFlight;
    const late = await rejection(peerClient.send('ha-heartbeat', undefined, 1000));

    expect(early.kind).toBe('connect');
    expect(early.message).toContain("client closed while 'ha-heartbeat' was in flight");
    expect(late.kind).toBe('connect');
    expect(late.message).toBe(`peer 'server2' (http://127.0.0.1:${port}/): client is closed, 'ha-heartbeat' was not sent`);
  });
});

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Creates a CA, a server certificate for 127.0.0.1 and a client certificate in dir, plus an unrelated CA. */
function createCertificates(dir: string): void {
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');

  for (const ca of ['ca', 'other-ca']) openssl('req', '-x509', ...newKey, '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '1', '-subj', `/CN=${ca}`);
  for (const name of ['server', 'client']) {
    openssl('req', ...newKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    const extension = name === 'server' ? ['-extfile', 'server.ext'] : [];
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', ...extension);
  }
}

describe.skipIf(!hasOpenssl())('PeerClient: https peer', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nestor-peer-tls-'));
    createCertificates(dir);
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  async function tlsServer(): Promise<number> {
    const read = (name: string): Buffer => readFileSync(join(dir, name));
    const tls = { cert: read('server.pem'), key: read('server.key'), ca: read('ca.pem'), requireClientCert: true };
    const server = new ControlHttpServer({ host: '127.0.0.1', port: 0, tls, handler: async (request) => ({ result: 0, text: request.command }), log: silent });
    await server.start();
    cleanups.push(() => server.stop());
    return server.address().port;
  }

  function tlsPeer(port: number, trustAnchor: string): Partial<HaPeerConfig> {
    return {
      scheme: 'https', url: `https://127.0.0.1:${port}/`,
      trustAnchor: join(dir, trustAnchor), certFile: join(dir, 'client.pem'), keyFile: join(dir, 'client.key'),
    };
  }

  it('sends with a client certificate and verifies the server', async () => {
    const port = await tlsServer();
    const answer = await client(port, { peer: tlsPeer(port, 'ca.pem') }).send('ha-heartbeat', undefined, 2000);
    expect(answer).toEqual({ result: 0, text: 'ha-heartbeat' });
  });

  it('rejects a server certificate from another CA as connect', async () => {
    const port = await tlsServer();
    const error = await rejection(client(port, { peer: tlsPeer(port, 'other-ca.pem') }).send('ha-heartbeat', undefined, 2000));
    expect(error.kind).toBe('connect');
    expect(error.message).toContain("connection failed while sending 'ha-heartbeat'");
  });
});
