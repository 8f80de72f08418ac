// The command table: command name to handler. Every command over either transport goes through
// execute(), which turns argument errors and unexpected faults into Kea-style answers, so a caller
// always gets one answer map and never an exception. Unknown names get result 2, as Kea does.

import type { Logger } from 'pino';

import { logMessage } from '../log/logger.js';
import { CommandArgumentError, RESULT_ERROR, RESULT_UNSUPPORTED, answer } from './answer.js';
import type { ControlAnswer, ControlRequest } from './answer.js';
import type { Args } from './args.js';
import { isRequest, parseCommand } from './parse.js';

/** Runs one command. It may throw CommandArgumentError for bad arguments; anything else thrown is logged as a fault. */
export type CommandHandler = (args: Args | undefined, request: ControlRequest) => ControlAnswer | Promise<ControlAnswer>;

export class CommandTable {
  private readonly handlers = new Map<string, CommandHandler>();

  constructor(private readonly log: Logger) {}

  /** Adds a command; the HA module adds its own (`ha-heartbeat` and the rest) the same way. Throws on a duplicate name. */
  register(name: string, handler: CommandHandler): void {
    if (this.handlers.has(name)) throw new Error(`control command '${name}' is registered twice`);
    this.handlers.set(name, handler);
  }

  has(name: string): boolean {
    return this.handlers.has(name);
  }

  /** Registered command names in alphabetical order, as Kea's list-commands returns them. */
  names(): string[] {
    return [...this.handlers.keys()].sort();
  }

  /** Parses command text (Kea JSON with comments) and runs it. */
  async executeText(text: string): Promise<ControlAnswer> {
    const parsed = parseCommand(text);
    if (!isRequest(parsed)) return parsed;
    return this.execute(parsed);
  }

  /** Runs a request whose envelope was already checked. */
  async execute(request: ControlRequest): Promise<ControlAnswer> {
    const handler = this.handlers.get(request.command);
    if (handler === undefined) return answer(RESULT_UNSUPPORTED, `'${request.command}' command not supported.`);

    logMessage(this.log, 'CONTROL_COMMAND_RECEIVED', { command: request.command });
    try {
      return await handler(request.arguments, request);
    } catch (err) {
      if (err instanceof CommandArgumentError) return answer(err.result, err.message);
      logMessage(this.log, 'CONTROL_COMMAND_FAILED', { command: request.command, err });
      const reason = err instanceof Error ? err.message : String(err);
      return answer(RESULT_ERROR, `error while running the '${request.command}' command: ${reason}`);
    }
  }
}
