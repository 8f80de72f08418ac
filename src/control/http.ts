// HTTP/1.1 transport for Kea control commands, in the form Kea's HA peers and Control Agent use:
// POST with `Content-Type: application/json` (exactly, in any letter case) and a Content-Length
// body; the answer is a JSON list holding one answer map, with Content-Length, on a connection that
// stays open unless the client asks to close it. Transport errors get a status other than 200 and
// a JSON map `{ "result": <status>, "text": <reason> }`, as Kea does. The request path is ignored,
// as in Kea. One deliberate difference: Kea answers a method other than POST with 400, this server
// with 405 and an `Allow: POST` header. Binds only to the host and port it is given. A listener
// built with `upgrades` also lets an authenticated client switch the connection to another
// protocol (HTTP Upgrade). The HA peer listener offers the lease stream this way (ha/lease-stream.ts).

import { timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';

import type { Logger } from 'pino';

import { nestorError } from '../errors.js';
import { logMessage } from '../log/logger.js';
import type { ControlAnswer, ControlRequest } from './answer.js';
import { MAX_COMMAND_BYTES, checkEnvelope, isRequest, stripComments } from './parse.js';

/** Kea's limit for receiving a whole request; a slower request gets 408. */
const REQUEST_TIMEOUT_MS = 10_000;
/** Kea closes an idle persistent connection after this long. */
const IDLE_TIMEOUT_MS = 30_000;
/** TCP keepalive on a connection that switched protocols, which has no idle timeout, so a vanished peer's connection ends. */
export const UPGRADED_KEEPALIVE_MS = 15_000;

export interface BasicAuthClient {
  user: string;
  password: string;
}

export interface ControlHttpTls {
  /** PEM server certificate chain and key. */
  cert: string | Buffer;
  key: string | Buffer;
  /** PEM trust anchor for client certificates. */
  ca?: string | Buffer;
  /** Demand and verify client certificates (Kea's require-client-certs, default true in Kea). */
  requireClientCert?: boolean;
}

export interface ControlHttpOptions {
  /** Address to bind, for example '127.0.0.1' or a peer's own address; there is no default. */
  host: string;
  /** TCP port; 0 picks a free one (see address()). */
  port: number;
  /** When set, every request needs HTTP basic authentication as one of these clients. */
  auth?: readonly BasicAuthClient[];
  /** Realm named in the WWW-Authenticate header. */
  realm?: string;
  tls?: ControlHttpTls;
  /** Largest accepted body in bytes; MAX_COMMAND_BYTES by default. */
  maxBodyBytes?: number;
  /** How long an idle persistent connection stays open; Kea's 30 s by default. */
  idleTimeoutMs?: number;
  handler: (request: ControlRequest) => Promise<ControlAnswer>;
  /**
   * Protocols a client may switch to with `GET` and `Upgrade: <name>`, after the same basic
   * authentication (and TLS) as a command. Each gets the connection after the 101 response.
   */
  upgrades?: Readonly<Record<string, UpgradeHandler>>;
  log: Logger;
}

/** Takes over a connection that switched protocols. `head` contains bytes that arrived with the request. */
export type UpgradeHandler = (socket: Duplex, head: Buffer, remote: string) => void;

export class ControlHttpServer {
  private server: Server | undefined;
  private readonly credentials: Buffer[];
  /** Connections that switched protocols; the HTTP server no longer tracks them, so stop() ends them here. */
  private readonly upgraded = new Set<Duplex>();

  constructor(private readonly options: ControlHttpOptions) {
    if (options.host === '') throw new Error('ControlHttpServer: host must name the address to bind');
    this.credentials = (options.auth ?? []).map((c) => Buffer.from(`Basic ${Buffer.from(`${c.user}:${c.password}`).toString('base64')}`));
  }

  /** Binds and listens; throws NESTOR_ERR_CONTROL_HTTP when the address cannot be bound. */
  async start(): Promise<void> {
    const { host, port, tls, log } = this.options;
    const listener = (req: IncomingMessage, res: ServerResponse): void => this.serve(req, res);
    const server = tls === undefined
      ? createHttpServer(listener)
      : createHttpsServer({ cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: tls.requireClientCert ?? true, rejectUnauthorized: tls.requireClientCert ?? true }, listener);
    server.requestTimeout = REQUEST_TIMEOUT_MS;
    server.keepAliveTimeout = this.options.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
    // Without an upgrade listener, Node serves an upgrade request as a plain request (405 here).
    if (this.options.upgrades !== undefined) server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));

    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      throw nestorError('CONTROL_HTTP', `cannot listen for control commands on ${host} port ${port}: ${(err as Error).message}`);
    }
    this.server = server;
    logMessage(log, 'CONTROL_HTTP_LISTENING', { peer: `${host}:${this.address().port}`, tls: tls !== undefined });
  }

  /** Returns the bound address and port (useful after binding port 0). */
  address(): AddressInfo {
    const address = this.server?.address();
    if (address === null || address === undefined || typeof address === 'string') throw new Error('ControlHttpServer is not listening');
    return address;
  }

  /** Stops accepting and closes every connection. */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    setImmediate(() => server.closeAllConnections());
    for (const socket of this.upgraded) socket.destroy();
    await closed;
    logMessage(this.options.log, 'CONTROL_HTTP_CLOSED', { peer: `${this.options.host}:${this.options.port}` });
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    const problem = this.checkRequest(req);
    if (problem !== undefined) return sendStatus(res, problem.status, problem.headers);

    const limit = this.options.maxBodyBytes ?? MAX_COMMAND_BYTES;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > limit) return sendStatus(res, 413, { Connection: 'close' });
      void this.answer(Buffer.concat(chunks).toString('utf8'), res);
    });
  }

  /** Responds to an upgrade request with 101 and hands the connection over, or with an error status and closes it. */
  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const refuse = (status: number, headers = ''): void => {
      socket.end(`HTTP/1.1 ${status} ${STATUS_TEXTS[status] ?? 'Error'}\r\n${headers}Content-Length: 0\r\nConnection: close\r\n\r\n`);
    };
    if (req.method !== 'GET') return refuse(405, 'Allow: GET\r\n');
    if (this.credentials.length > 0 && !this.isAuthorized(req.headers.authorization)) {
      return refuse(401, `WWW-Authenticate: Basic realm="${this.options.realm ?? 'nestor'}"\r\n`);
    }
    const protocol = req.headers.upgrade ?? '';
    const handler = Object.hasOwn(this.options.upgrades ?? {}, protocol) ? this.options.upgrades![protocol] : undefined;
    if (handler === undefined) return refuse(400);

    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${protocol}\r\n\r\n`);
    const tcp = socket as Socket;
    tcp.setNoDelay?.(true);
    tcp.setKeepAlive?.(true, UPGRADED_KEEPALIVE_MS);
    this.upgraded.add(socket);
    socket.once('close', () => this.upgraded.delete(socket));
    handler(socket, head, `${tcp.remoteAddress ?? '?'}:${tcp.remotePort ?? '?'}`);
  }

  /** Header checks in Kea's order; returns the status to send, or undefined when the request may proceed. */
  private checkRequest(req: IncomingMessage): { status: number; headers?: Record<string, string> } | undefined {
    if (req.method !== 'POST') return { status: 405, headers: { Allow: 'POST' } };
    if (this.credentials.length > 0 && !this.isAuthorized(req.headers.authorization)) {
      return { status: 401, headers: { 'WWW-Authenticate': `Basic realm="${this.options.realm ?? 'nestor'}"` } };
    }
    if (req.headers['content-type']?.toLowerCase() !== 'application/json') return { status: 400 };
    if (req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] === undefined) return { status: 400 };

    const length = Number(req.headers['content-length']);
    if (length > (this.options.maxBodyBytes ?? MAX_COMMAND_BYTES)) return { status: 413, headers: { Connection: 'close' } };
    return undefined;
  }

  private isAuthorized(header: string | undefined): boolean {
    if (header === undefined) return false;
    const given = Buffer.from(header);
    // Compare against every client without stopping early, so the timing reveals nothing about which matched.
    let isMatch = false;
    for (const expected of this.credentials) {
      if (expected.length === given.length && timingSafeEqual(expected, given)) isMatch = true;
    }
    return isMatch;
  }

  private async answer(body: string, res: ServerResponse): Promise<void> {
    let value: unknown;
    try {
      value = JSON.parse(stripComments(body));
    } catch {
      return sendStatus(res, 400);
    }
    const request = checkEnvelope(value);
    const reply = isRequest(request) ? await this.options.handler(request) : request;
    sendJson(res, 200, [reply]);
  }
}

function sendStatus(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  sendJson(res, status, { result: status, text: STATUS_TEXTS[status] ?? 'Error' });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

const STATUS_TEXTS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Payload Too Large',
};
