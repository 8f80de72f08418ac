// Error classes and the one registry of error codes (NESTOR_ERR_<AREA>_<WHAT>). Operator mistakes
// (configuration, command line, control input) are thrown as NestorError with a code; packet-level
// outcomes are never exceptions. docs/errors.md has a row for every code, checked by a unit test.

export class NestorError extends Error {
  readonly code: string;
  readonly data: Record<string, unknown> | undefined;

  constructor(code: string, message: string, data?: Record<string, unknown>) {
    super(message);
    this.name = 'NestorError';
    this.code = code;
    this.data = data;
  }
}

export class ConfigError extends NestorError {
  override name = 'ConfigError';
}

export class NativeError extends NestorError {
  override name = 'NativeError';
}

export class LeaseStoreError extends NestorError {
  override name = 'LeaseStoreError';
}

export class CliError extends NestorError {
  override name = 'CliError';
}

type ErrorClass = new (code: string, message: string, data?: Record<string, unknown>) => NestorError;

export const E = {
  CONFIG_INVALID: { code: 'NESTOR_ERR_CONFIG_INVALID', cls: ConfigError },
  CONFIG_READ: { code: 'NESTOR_ERR_CONFIG_READ', cls: ConfigError },
  CONFIG_SYNTAX: { code: 'NESTOR_ERR_CONFIG_SYNTAX', cls: ConfigError },
  CONFIG_INCLUDE: { code: 'NESTOR_ERR_CONFIG_INCLUDE', cls: ConfigError },
  IFACE_NOT_FOUND: { code: 'NESTOR_ERR_IFACE_NOT_FOUND', cls: NativeError },
  IFACE_NO_ADDRESS: { code: 'NESTOR_ERR_IFACE_NO_ADDRESS', cls: NativeError },
  NATIVE_LOAD: { code: 'NESTOR_ERR_NATIVE_LOAD', cls: NativeError },
  NATIVE_SOCKET: { code: 'NESTOR_ERR_NATIVE_SOCKET', cls: NativeError },
  LEASES_OPEN: { code: 'NESTOR_ERR_LEASES_OPEN', cls: LeaseStoreError },
  LEASES_WRITE: { code: 'NESTOR_ERR_LEASES_WRITE', cls: LeaseStoreError },
  SERVER_RUNNING: { code: 'NESTOR_ERR_SERVER_RUNNING', cls: NestorError },
  CLI_USAGE: { code: 'NESTOR_ERR_CLI_USAGE', cls: CliError },
  CONTROL_SOCKET: { code: 'NESTOR_ERR_CONTROL_SOCKET', cls: NestorError },
  CONTROL_HTTP: { code: 'NESTOR_ERR_CONTROL_HTTP', cls: NestorError },
  CONTROL_CONNECT: { code: 'NESTOR_ERR_CONTROL_CONNECT', cls: NestorError },
} as const satisfies Record<string, { code: string; cls: ErrorClass }>;

/** Codes that were used once and must never be reused. */
export const RETIRED_CODES: readonly string[] = [];

export type ErrorKey = keyof typeof E;

/** Build the registered error for key with a message that names the path, the value and what was expected. */
export function nestorError(key: ErrorKey, message: string, data?: Record<string, unknown>): NestorError {
  const entry = E[key];
  return new entry.cls(entry.code, message, data);
}

/** Rebuild an error that crossed a worker boundary as { code, message, data }. */
export function reviveError(wire: { code?: unknown; message?: unknown; data?: unknown }): Error {
  const message = typeof wire.message === 'string' ? wire.message : 'unknown error';
  const entry = Object.values(E).find((e) => e.code === wire.code);
  if (!entry) return new Error(message);
  const data = typeof wire.data === 'object' && wire.data !== null ? (wire.data as Record<string, unknown>) : undefined;
  return new entry.cls(entry.code, message, data);
}
