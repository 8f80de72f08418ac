// The control socket named by Dhcp4.control-socket.socket-name: a UNIX stream socket that reads
// one JSON command per connection, writes one JSON answer map and closes, as kea-dhcp4's own
// control socket does. A connection that sends nothing complete within 10 s is closed (Kea's
// fixed control-channel timeout). At start a stale socket file is removed, but a socket that
// another process still listens on is left alone and the start fails. The file is created with
// mode 0600 and removed at stop.

import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

import type { Logger } from 'pino';

import { nestorError } from '../errors.js';
import { logMessage } from '../log/logger.js';
import { errorAnswer } from './answer.js';
import type { ControlAnswer } from './answer.js';
import { MAX_COMMAND_BYTES, findCommandEnd } from './parse.js';

/** Kea closes a control connection that stays incomplete this long. */
export const CONNECTION_TIMEOUT_MS = 10_000;

/** How long stop() lets connections finish writing their answer before it cuts them. */
const STOP_GRACE_MS = 1_000;

/** Runs one command text and returns its answer; CommandTable.executeText fits. */
export type CommandTextHandler = (text: string) => Promise<ControlAnswer>;

export interface UnixControlSocketOptions {
  path: string;
  handler: CommandTextHandler;
  log: Logger;
}

export class UnixControlSocket {
  private server: Server | undefined;
  private readonly connections = new Set<Socket>();
  /** Inode of the socket file we created, so stop() never unlinks a file someone put there since. */
  private inode: number | undefined;

  constructor(private readonly options: UnixControlSocketOptions) {}

  get path(): string {
    return this.options.path;
  }

  /** Binds and listens; throws NESTOR_ERR_CONTROL_SOCKET when the path is in use, not a socket, or cannot be bound. */
  async start(): Promise<void> {
    const { path, log } = this.options;
    await removeStaleSocket(path, log);

    // allowHalfOpen: a client may end its side after the command and still read the answer.
    const server = createServer({ allowHalfOpen: true }, (socket) => this.serve(socket));
    await listenPrivately(server, path);
    chmodSync(path, 0o600);
    this.inode = lstatSync(path).ino;
    this.server = server;
    logMessage(log, 'CONTROL_SOCKET_OPENED', { path });
  }

  /** Stops accepting, lets open connections finish briefly, and removes the socket file. */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;

    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.connections) socket.end();
    const grace = setTimeout(() => {
      for (const socket of this.connections) socket.destroy();
    }, STOP_GRACE_MS);
    await closed;
    clearTimeout(grace);

    this.removeOwnFile();
    logMessage(this.options.log, 'CONTROL_SOCKET_CLOSED', { path: this.options.path });
  }

  private serve(socket: Socket): void {
    this.connections.add(socket);
    socket.on('close', () => this.connections.delete(socket));
    socket.on('error', (err) => logMessage(this.options.log, 'CONTROL_CONNECTION_ERROR', { path: this.options.path, err: err.message }));
    socket.setTimeout(CONNECTION_TIMEOUT_MS, () => socket.destroy());
    socket.setEncoding('utf8');

    let text = '';
    let isDone = false;
    const finish = (reply: Promise<ControlAnswer> | ControlAnswer): void => {
      isDone = true;
      socket.pause();
      void Promise.resolve(reply).then((result) => {
        if (!socket.destroyed) socket.end(JSON.stringify(result));
      });
    };

    socket.on('data', (chunk: string) => {
      if (isDone) return;
      text += chunk;
      if (Buffer.byteLength(text, 'utf8') > MAX_COMMAND_BYTES) {
        return finish(errorAnswer(`command is too large: more than ${MAX_COMMAND_BYTES} bytes`));
      }
      const end = findCommandEnd(text);
      if (typeof end === 'number') return finish(this.options.handler(text.slice(0, end)));
      if (end !== 'incomplete') return finish(errorAnswer(end));
    });
    // A client that half-closes before the command is complete gets the parse error of what it sent.
    socket.on('end', () => {
      if (isDone) return;
      if (text.trim() === '') return void socket.end();
      finish(this.options.handler(text));
    });
  }

  private removeOwnFile(): void {
    try {
      if (lstatSync(this.options.path).ino === this.inode) unlinkSync(this.options.path);
    } catch {
      // already gone: Node removes the socket file itself when the server closes
    }
  }
}

/** Listens on path with umask 0177, so the socket is never reachable by others, even before chmod. */
async function listenPrivately(server: Server, path: string): Promise<void> {
  let previous: number | undefined;
  try {
    previous = process.umask(0o177);
  } catch {
    previous = undefined; // worker threads cannot change the umask; chmod below still applies
  }
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    throw nestorError('CONTROL_SOCKET', `control-socket.socket-name: cannot listen on '${path}': ${(err as Error).message}`);
  } finally {
    if (previous !== undefined) process.umask(previous);
  }
}

/** Removes a socket file that no process listens on; throws when the path is live or is not a socket. */
async function removeStaleSocket(path: string, log: Logger): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return; // nothing there
  }
  if (!isSocket) {
    throw nestorError('CONTROL_SOCKET', `control-socket.socket-name: '${path}' exists and is not a socket (expected a free path or a stale socket file)`);
  }
  if (await isListening(path)) {
    throw nestorError('CONTROL_SOCKET', `control-socket.socket-name: another process listens on '${path}' (stop it, or give this server another socket-name)`);
  }
  unlinkSync(path);
  logMessage(log, 'CONTROL_SOCKET_STALE_REMOVED', { path });
}

/** True when a connect to the socket succeeds. */
function isListening(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}
