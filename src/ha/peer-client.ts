// HTTP client that sends Kea control commands to one HA peer, shaped as Kea 2.2's HA hook sends
// them: POST to the peer URL's path with `Host: <peer IP>` (no port), optional basic
// authentication, and a Content-Length body `{ command, service: ['dhcp4'], arguments? }`, on
// kept-alive HTTP/1.1 connections. Node's http client also sends `Connection: keep-alive`, which
// Kea 2.2 does not send but accepts. Replies are judged as Kea 2.2's HAService::verifyAsyncResponse
// does: the reply needs Content-Length and a JSON list whose first element has an integer `result`,
// and a map body is a transport error from the peer's HTTP listener. Result codes are passed
// through because the caller judges them.
// One addition to Kea: a request that fails with ECONNRESET or EPIPE on a reused connection before
// the reply head arrived is sent once more on a new connection. The peer most likely closed an
// idle connection just as the request went out. Kea 2.2 counts such a failure as lost contact.

import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

import type { Logger } from 'pino';

import { UPGRADED_KEEPALIVE_MS } from '../control/http.js';
import { nestorError } from '../errors.js';
import { logMessage } from '../log/logger.js';
import type { HaPeerConfig } from './types.js';

const DEFAULT_MAX_CONNECTIONS = 4;
/** Largest reply body accepted; a lease4-get-page reply with 10000 leases is about 2.5 MB. */
export const MAX_REPLY_BYTES = 64 * 1024 * 1024;
/** Idle connections are closed after this long, before Kea's listener closes them after 30 s. */
const IDLE_CONNECTION_TIMEOUT_MS = 20_000;
/** Failures that mean the peer closed the connection before it read the request. */
const STALE_CONNECTION_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE']);

export interface PeerAnswer {
  result: number;
  text?: string;
  arguments?: unknown;
}

/**
 * Why a request failed: 'connect' when no connection could be made or it broke (also after
 * close()), 'timeout' when no reply came in time, 'http' when the peer's HTTP listener rejected the
 * request with a map body, 'format' when the reply is not a Kea answer list.
 */
export type PeerErrorKind = 'connect' | 'timeout' | 'http' | 'format';

export class PeerRequestError extends Error {
  override name = 'PeerRequestError';

  constructor(
    readonly kind: PeerErrorKind,
    /** Name of the peer in the HA configuration. */
    readonly peer: string,
    readonly command: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface PeerClientOptions {
  peer: HaPeerConfig;
  log: Logger;
  /** Parallel keep-alive connections to this peer; default 4. */
  maxConnections?: number;
  /** Reads basic-auth-password-file and TLS files; defaults to fs.readFileSync (tests replace it). */
  readFile?: (path: string) => Buffer;
}

type Agent = HttpAgent | HttpsAgent;

export class PeerClient {
  private readonly peer: HaPeerConfig;
  private readonly log: Logger;
  /** Kept-alive connections shared by all requests. */
  private readonly agent: Agent;
  /** Opens one connection per request, closed after the reply; used only to resend after a reset. */
  private readonly freshAgent: Agent;
  private readonly headers: Record<string, string>;
  private pending = 0;
  private isClosed = false;

  constructor(options: PeerClientOptions) {
    const { peer } = options;
    const readFile = options.readFile ?? ((path: string) => readFileSync(path));
    this.peer = peer;
    this.log = options.log;

    const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    if (!Number.isInteger(maxConnections) || maxConnections < 1) {
      throw new RangeError(`peer '${peer.name}' (${peer.url}): maxConnections must be a positive integer, got ${maxConnections}`);
    }
    this.agent = createAgent(peer, readFile, { keepAlive: true, maxSockets: maxConnections, timeout: IDLE_CONNECTION_TIMEOUT_MS });
    this.freshAgent = createAgent(peer, readFile, { keepAlive: false, maxSockets: maxConnections });

    // Header order as Kea 2.2 sends it; Content-Length follows per request.
    this.headers = { Host: peer.host.includes(':') ? `[${peer.host}]` : peer.host };
    const authorization = basicAuthorization(peer, readFile);
    if (authorization !== undefined) this.headers['Authorization'] = authorization;
  }

  /** Requests currently waiting for a reply. */
  get inFlight(): number {
    return this.pending;
  }

  /**
   * POSTs `{ command, service: ['dhcp4'], arguments? }` to the peer as Kea 2.2 does and resolves
   * with element 0 of the JSON list reply, whatever its result code. Rejects with PeerRequestError.
   * timeoutMs bounds the whole request, including a resend after a reset.
   */
  send(command: string, args: Record<string, unknown> | undefined, timeoutMs: number): Promise<PeerAnswer> {
    if (this.isClosed) return Promise.reject(this.failure('connect', command, `client is closed, '${command}' was not sent`));

    const envelope = args === undefined ? { command, service: ['dhcp4'] } : { command, service: ['dhcp4'], arguments: args };
    const body = Buffer.from(JSON.stringify(envelope));
    this.pending++;
    return this.exchange(command, body, timeoutMs).finally(() => {
      this.pending--;
    });
  }

  /**
   * Requests that the peer's listener switch a new connection to `protocol` (HTTP Upgrade, with
   * this peer's authentication and TLS). Resolves with the connection after a 101 response, or
   * 'refused' when the listener responds with any other status. Rejects with PeerRequestError kind 'connect'
   * when no connection could be made. The caller owns the connection and bounds the wait.
   */
  openUpgrade(protocol: string): Promise<Duplex | 'refused'> {
    if (this.isClosed) return Promise.reject(this.failure('connect', protocol, `client is closed, '${protocol}' was not opened`));
    return new Promise((resolve, reject) => {
      const req = this.request('GET', this.freshAgent, { Connection: 'Upgrade', Upgrade: protocol });
      req.on('upgrade', (_res: IncomingMessage, socket: Duplex, head: Buffer) => {
        const tcp = socket as Socket;
        tcp.setNoDelay?.(true);
        tcp.setKeepAlive?.(true, UPGRADED_KEEPALIVE_MS);
        if (head.length > 0) socket.unshift(head);
        resolve(socket);
      });
      req.on('response', (res: IncomingMessage) => {
        res.resume();
        resolve('refused');
      });
      req.on('error', (err: NodeJS.ErrnoException) => reject(this.connectionFailure(protocol, err)));
      req.end();
    });
  }

  /** Closes every connection; requests in flight and later sends reject with kind 'connect'. */
  close(): void {
    this.isClosed = true;
    this.agent.destroy();
    this.freshAgent.destroy();
  }

  private exchange(command: string, body: Buffer, timeoutMs: number): Promise<PeerAnswer> {
    return new Promise((resolve, reject) => {
      let current: ClientRequest | undefined;
      let isSettled = false;

      const settle = (error: PeerRequestError | undefined, reply?: PeerAnswer): void => {
        if (isSettled) return;
        isSettled = true;
        clearTimeout(timer);
        if (error === undefined) resolve(reply!);
        else reject(error);
      };

      const timer = setTimeout(() => {
        settle(this.failure('timeout', command, `no answer to '${command}' within ${timeoutMs} ms`));
        current?.destroy();
      }, timeoutMs);

      const start = (agent: Agent, isResend: boolean): void => {
        const req = this.post(agent, body);
        current = req;
        let hasReplyHead = false;

        req.on('response', (res: IncomingMessage) => {
          hasReplyHead = true;
          this.readReply(command, res).then((reply) => settle(undefined, reply), (error: PeerRequestError) => settle(error));
        });
        req.on('error', (err: NodeJS.ErrnoException) => {
          if (isSettled) return;
          if (this.shouldResend(req, err, hasReplyHead, isResend)) {
            logMessage(this.log, 'HA_PEER_REQUEST_RESENT', { peer: this.peer.name, command, err: err.message });
            start(this.freshAgent, true);
            return;
          }
          settle(this.connectionFailure(command, err));
        });
        req.end(body);
      };

      start(this.agent, false);
    });
  }

  private post(agent: Agent, body: Buffer): ClientRequest {
    return this.request('POST', agent, { 'Content-Length': String(body.length), 'Content-Type': 'application/json' });
  }

  /** Starts a request to the peer URL with the peer's own headers (Host, Authorization) and `headers` after them. */
  private request(method: string, agent: Agent, headers: Record<string, string>): ClientRequest {
    const { peer } = this;
    const options: RequestOptions = { method, host: peer.host, port: peer.port, path: peer.path, agent, headers: { ...this.headers, ...headers } };
    return peer.scheme === 'https' ? httpsRequest(options) : httpRequest(options);
  }

  private shouldResend(req: ClientRequest, err: NodeJS.ErrnoException, hasReplyHead: boolean, isResend: boolean): boolean {
    if (isResend || hasReplyHead || this.isClosed) return false;
    return req.reusedSocket && err.code !== undefined && STALE_CONNECTION_CODES.has(err.code);
  }

  /** Reads the body (bounded, Content-Length required) and judges it. */
  private readReply(command: string, res: IncomingMessage): Promise<PeerAnswer> {
    return new Promise((resolve, reject) => {
      const invalid = (reason: string): void => {
        reject(this.failure('format', command, `invalid reply to '${command}': ${reason}`));
        res.destroy();
      };

      const lengthHeader = res.headers['content-length'];
      if (lengthHeader === undefined || res.headers['transfer-encoding'] !== undefined) {
        return invalid('no Content-Length header (a Kea peer needs one, and chunked or close-delimited bodies are not accepted)');
      }
      const length = Number(lengthHeader);
      if (length > MAX_REPLY_BYTES) return invalid(`body of ${length} bytes exceeds the limit of ${MAX_REPLY_BYTES} bytes`);

      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        try {
          resolve(this.judgeReply(command, res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
        } catch (error) {
          reject(error);
        }
      });
      res.on('error', (err: NodeJS.ErrnoException) => reject(this.connectionFailure(command, err)));
      res.on('close', () => {
        if (!res.complete) reject(this.failure('connect', command, `connection closed before the whole reply to '${command}' arrived`));
      });
    });
  }

  /** Returns element 0 of a list reply; throws PeerRequestError for a map or malformed body. */
  private judgeReply(command: string, status: number, text: string): PeerAnswer {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw this.failure('format', command, `invalid reply to '${command}': body is not valid JSON (HTTP ${status})`, err);
    }

    if (Array.isArray(body)) return this.firstAnswer(command, body);
    if (isPlainObject(body)) {
      const reason = typeof body['text'] === 'string' ? `: ${body['text']}` : '';
      throw this.failure('http', command, `HTTP ${status} in reply to '${command}'${reason}`);
    }
    throw this.failure('format', command, `invalid reply to '${command}': body is neither a list nor a map (HTTP ${status})`);
  }

  private firstAnswer(command: string, list: unknown[]): PeerAnswer {
    const first = list[0];
    if (!isPlainObject(first) || !Number.isInteger(first['result'])) {
      throw this.failure('format', command, `invalid reply to '${command}': element 0 of the list is not an answer with an integer 'result'`);
    }
    if (first['text'] !== undefined && typeof first['text'] !== 'string') {
      throw this.failure('format', command, `invalid reply to '${command}': 'text' of the answer is not a string`);
    }

    const reply: PeerAnswer = { result: first['result'] as number };
    if (first['text'] !== undefined) reply.text = first['text'];
    if (first['arguments'] !== undefined) reply.arguments = first['arguments'];
    return reply;
  }

  private connectionFailure(command: string, err: NodeJS.ErrnoException): PeerRequestError {
    if (err.code?.startsWith('HPE_')) return this.failure('format', command, `invalid reply to '${command}': ${err.message}`, err);
    if (this.isClosed) return this.failure('connect', command, `client closed while '${command}' was in flight`, err);
    return this.failure('connect', command, `connection failed while sending '${command}': ${err.message}`, err);
  }

  private failure(kind: PeerErrorKind, command: string, detail: string, cause?: unknown): PeerRequestError {
    const message = `peer '${this.peer.name}' (${this.peer.url}): ${detail}`;
    return new PeerRequestError(kind, this.peer.name, command, message, cause === undefined ? undefined : { cause });
  }
}

function createAgent(peer: HaPeerConfig, readFile: (path: string) => Buffer, options: { keepAlive: boolean; maxSockets: number; timeout?: number }): Agent {
  if (peer.scheme === 'http') return new HttpAgent(options);

  // Kea verifies the server certificate of every peer. ha-config accepts all three TLS files or
  // none, so an https peer also gets a client certificate.
  // NOTE: Kea also accepts a directory of CA certificates as trust-anchor; reading one fails here.
  const tls = {
    ca: readPeerFile(peer, 'trust-anchor', peer.trustAnchor, readFile),
    cert: readPeerFile(peer, 'cert-file', peer.certFile, readFile),
    key: readPeerFile(peer, 'key-file', peer.keyFile, readFile),
    rejectUnauthorized: true,
  };
  return new HttpsAgent({ ...options, ...tls });
}

/** Builds the Authorization header value; returns undefined when basic-auth-user is empty or absent, as Kea does. */
function basicAuthorization(peer: HaPeerConfig, readFile: (path: string) => Buffer): string | undefined {
  if (peer.basicAuthUser === undefined || peer.basicAuthUser === '') return undefined;

  let password = peer.basicAuthPassword ?? '';
  const file = readPeerFile(peer, 'basic-auth-password-file', peer.basicAuthPasswordFile, readFile);
  if (file !== undefined) password = file.toString('utf8').replace(/\r?\n$/, '');
  return `Basic ${Buffer.from(`${peer.basicAuthUser}:${password}`).toString('base64')}`;
}

function readPeerFile(peer: HaPeerConfig, parameter: string, path: string | undefined, readFile: (path: string) => Buffer): Buffer | undefined {
  if (path === undefined || path === '') return undefined;
  try {
    return readFile(path);
  } catch (err) {
    throw nestorError('CONFIG_READ', `peer '${peer.name}' (${peer.url}): cannot read ${parameter} '${path}': ${(err as Error).message}`);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
