// The response to a control command, which Kea's code calls an "answer": a JSON map with an
// integer `result`, an optional `text` and optional `arguments`. Result codes and their meanings follow Kea 2.2 (command_interpreter.h),
// plus 4 (conflict), which Kea sends from 2.4 on.

/** The command succeeded. */
export const RESULT_SUCCESS = 0;
/** The command failed: bad arguments or an error while running it. */
export const RESULT_ERROR = 1;
/** The command is not supported by this server. */
export const RESULT_UNSUPPORTED = 2;
/** The command ran but found nothing to return or to change. */
export const RESULT_EMPTY = 3;
/** The request conflicts with this server's configuration or state (Kea 2.4 and later). */
export const RESULT_CONFLICT = 4;

export type ResultCode = typeof RESULT_SUCCESS | typeof RESULT_ERROR | typeof RESULT_UNSUPPORTED | typeof RESULT_EMPTY | typeof RESULT_CONFLICT;

/** One answer to one command, serialised as-is over both transports. */
export interface ControlAnswer {
  result: number;
  text?: string;
  arguments?: unknown;
}

/** A command after the envelope checks: name, arguments map (undefined when absent) and service list. */
export interface ControlRequest {
  command: string;
  arguments: Record<string, unknown> | undefined;
  service: readonly string[] | undefined;
}

/** Builds an answer; arguments are left out when undefined, as Kea does. */
export function answer(result: number, text?: string, args?: unknown): ControlAnswer {
  const reply: ControlAnswer = { result };
  if (text !== undefined) reply.text = text;
  if (args !== undefined) reply.arguments = args;
  return reply;
}

/** Builds a result-1 answer with the text. */
export function errorAnswer(text: string): ControlAnswer {
  return { result: RESULT_ERROR, text };
}

/**
 * Thrown by argument checks inside a handler and turned into an answer by the command table, so a
 * handler can validate in straight-line code. Never escapes the table.
 */
export class CommandArgumentError extends Error {
  constructor(message: string, readonly result: number = RESULT_ERROR) {
    super(message);
    this.name = 'CommandArgumentError';
  }
}
