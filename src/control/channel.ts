// The control channel as the server sees it: the command table with every built-in command, the
// network state that dhcp-disable and dhcp-enable change, and the UNIX control socket when the
// configuration names one. The HA module extends it through `commands.register`,
// `addStatusPart` and `networkState`, and serves the same table over ControlHttpServer.

import type { Logger } from 'pino';

import type { ServerConfig } from '../config/types.js';
import type { LeaseStore } from '../leases/types.js';
import type { ControlAnswer, ControlRequest } from './answer.js';
import { CommandTable } from './commands.js';
import { registerLeaseQueries } from './lease-queries.js';
import { registerLeaseWrites } from './lease-writes.js';
import { NetworkState } from './network-state.js';
import { registerServerCommands } from './server-commands.js';
import type { StatusPart } from './server-commands.js';
import { UnixControlSocket } from './unix-socket.js';

export interface ControlChannelDeps {
  config: ServerConfig;
  store: LeaseStore;
  log: Logger;
  /** Turns answering DHCP clients on or off; called only when the combined state changes. */
  setServiceEnabled(enabled: boolean, reason: string): void;
  /** Starts a clean stop of the whole server; the `shutdown` command calls it after replying. */
  shutdown(exitValue: number): void;
  /** Unix milliseconds when the server started; defaults to when the channel is built. */
  startedAtMs?: number;
  /** Unix milliseconds when the configuration was loaded; defaults to startedAtMs. */
  configLoadedAtMs?: number;
  /** Clocks, replaced by tests. */
  nowMs?: () => number;
}

export class ControlChannel {
  readonly commands: CommandTable;
  readonly networkState: NetworkState;
  private readonly statusParts: StatusPart[] = [];
  private readonly socket: UnixControlSocket | undefined;

  constructor(private readonly deps: ControlChannelDeps) {
    const nowMs = deps.nowMs ?? Date.now;
    const startedAtMs = deps.startedAtMs ?? nowMs();

    this.commands = new CommandTable(deps.log);
    this.networkState = new NetworkState((enabled, reason) => deps.setServiceEnabled(enabled, reason), deps.log);
    registerServerCommands(this.commands, {
      config: deps.config,
      networkState: this.networkState,
      startedAtMs,
      configLoadedAtMs: deps.configLoadedAtMs ?? startedAtMs,
      shutdown: (exitValue) => deps.shutdown(exitValue),
      statusParts: this.statusParts,
      nowMs,
    });
    registerLeaseQueries(this.commands, deps.store);
    registerLeaseWrites(this.commands, {
      config: deps.config,
      store: deps.store,
      log: deps.log,
      nowSec: () => Math.floor(nowMs() / 1000),
    });

    const path = deps.config.controlSocket?.path;
    this.socket = path === undefined ? undefined : new UnixControlSocket({ path, log: deps.log, handler: (text) => this.commands.executeText(text) });
  }

  /** Adds keys to status-get's arguments, such as HA's `high-availability` list. */
  addStatusPart(part: StatusPart): void {
    this.statusParts.push(part);
  }

  /** Runs one command text, as the UNIX socket does; for tests and in-process callers. */
  executeText(text: string): Promise<ControlAnswer> {
    return this.commands.executeText(text);
  }

  /** Runs one parsed command; the handler to give a ControlHttpServer. */
  execute(request: ControlRequest): Promise<ControlAnswer> {
    return this.commands.execute(request);
  }

  /** Opens the UNIX control socket when one is configured. */
  async start(): Promise<void> {
    await this.socket?.start();
  }

  /** Closes the socket and stops the max-period timer. */
  async stop(): Promise<void> {
    this.networkState.close();
    await this.socket?.stop();
  }
}
