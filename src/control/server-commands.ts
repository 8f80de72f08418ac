// Commands built into kea-dhcp4 (ctrl_dhcp4_srv in Kea 2.2): list-commands, version-get,
// status-get, config-get, config-test, dhcp-disable, dhcp-enable and shutdown. Answers have Kea's
// shapes and texts. Not supported here: config-set, config-reload, config-write and the statistic
// commands, which get result 2 like any unknown command.

import { createRequire } from 'node:module';

import { parseConfigText } from '../config/load.js';
import type { ServerConfig } from '../config/types.js';
import { CommandArgumentError, RESULT_ERROR, RESULT_SUCCESS, answer } from './answer.js';
import type { ControlAnswer } from './answer.js';
import { checkKnownKeys, describe, readInteger } from './args.js';
import type { Args } from './args.js';
import type { CommandTable } from './commands.js';
import type { DisableOrigin, NetworkState } from './network-state.js';

/** Adds keys to the status-get arguments; the HA module adds `high-availability` this way. */
export type StatusPart = () => Record<string, unknown>;

export interface ServerCommandContext {
  config: ServerConfig;
  networkState: NetworkState;
  /** Unix milliseconds when the server started and when its configuration was last loaded. */
  startedAtMs: number;
  configLoadedAtMs: number;
  /** Starts a clean shutdown; called after the reply to `shutdown` is on its way. */
  shutdown(exitValue: number): void;
  statusParts: readonly StatusPart[];
  nowMs: () => number;
}

const CONFIG_TEST_OK = 'Configuration seems sane. Control-socket, hook-libraries, and D2 configuration were sanity checked, but not applied.';

/** Top-level keys of other Kea servers that a shared configuration file may carry next to Dhcp4. */
const OTHER_SERVER_KEYS = ['Dhcp6', 'DhcpDdns', 'Control-agent', 'Netconf'];

/** Adds the built-in server commands to the table. */
export function registerServerCommands(table: CommandTable, ctx: ServerCommandContext): void {
  table.register('list-commands', () => answer(RESULT_SUCCESS, undefined, table.names()));
  table.register('version-get', () => versionAnswer());
  table.register('status-get', () => statusAnswer(ctx));
  table.register('config-get', () => answer(RESULT_SUCCESS, undefined, { Dhcp4: ctx.config.raw }));
  table.register('config-test', (args) => testConfig(ctx.config, args));
  table.register('dhcp-disable', (args) => disableService(ctx.networkState, args));
  table.register('dhcp-enable', (args) => enableService(ctx.networkState, args));
  table.register('shutdown', (args) => shutdown(ctx, args));
}

function versionAnswer(): ControlAnswer {
  const version = packageVersion();
  const extended = `${version} (nestor, a DHCPv4 server compatible with Kea 2.2)\nNode.js ${process.version}`;
  return answer(RESULT_SUCCESS, version, { extended });
}

/** Kea 2.2's status-get with multi-threading reported off, so the thread and queue keys are left out as Kea does. */
function statusAnswer(ctx: ServerCommandContext): ControlAnswer {
  const now = ctx.nowMs();
  const status: Record<string, unknown> = {
    pid: process.pid,
    uptime: Math.floor((now - ctx.startedAtMs) / 1000),
    reload: Math.floor((now - ctx.configLoadedAtMs) / 1000),
    'multi-threading-enabled': false,
    sockets: { status: 'ready' },
  };
  for (const part of ctx.statusParts) Object.assign(status, part());
  return answer(RESULT_SUCCESS, undefined, status);
}

/** Loads the given Dhcp4 object with the server's own loader and reports its errors; applies nothing. */
function testConfig(config: ServerConfig, args: Args | undefined): ControlAnswer {
  if (args === undefined || args['Dhcp4'] === undefined) throw new CommandArgumentError("Missing mandatory 'Dhcp4' parameter.");
  checkKnownKeys('config-test', args, ['Dhcp4'], OTHER_SERVER_KEYS);
  const dhcp4 = args['Dhcp4'];
  if (typeof dhcp4 !== 'object' || dhcp4 === null || Array.isArray(dhcp4)) throw new CommandArgumentError("'Dhcp4' parameter expected to be a map.");

  // Includes resolve against the running configuration's folder, as they would for the file itself.
  const { issues } = parseConfigText(JSON.stringify({ Dhcp4: dhcp4 }), config.sourcePath);
  const errors = issues.filter((issue) => issue.severity === 'error');
  if (errors.length > 0) return answer(RESULT_ERROR, errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  return answer(RESULT_SUCCESS, CONFIG_TEST_OK);
}

function disableService(state: NetworkState, args: Args | undefined): ControlAnswer {
  checkKnownKeys('dhcp-disable', args, ['max-period', 'origin', 'origin-id']);
  const maxPeriod = args?.['max-period'];
  if (maxPeriod !== undefined) {
    if (typeof maxPeriod !== 'number' || !Number.isInteger(maxPeriod)) throw new CommandArgumentError("'max-period' argument must be a number");
    if (maxPeriod <= 0) throw new CommandArgumentError("'max-period' must be positive integer");
  }
  const origin = readOrigin('dhcp-disable', args);

  state.disable(origin, maxPeriod);
  return answer(RESULT_SUCCESS, maxPeriod === undefined ? 'DHCPv4 service disabled' : `DHCPv4 service disabled for ${maxPeriod} seconds`);
}

function enableService(state: NetworkState, args: Args | undefined): ControlAnswer {
  checkKnownKeys('dhcp-enable', args, ['origin', 'origin-id']);
  state.enable(readOrigin('dhcp-enable', args));
  return answer(RESULT_SUCCESS, 'DHCP service successfully enabled');
}

/**
 * Reads who disables or enables: `origin` "user" (the default) or "ha-partner" as Kea 2.2 sends
 * it. Kea 2.6 and later also send a number (`origin-id`, or an integer `origin`). There 1 is the
 * user and 1000 to 2999 are HA relationships, which all share the one HA flag here.
 */
function readOrigin(command: string, args: Args | undefined): DisableOrigin {
  const numeric = args?.['origin-id'] ?? (typeof args?.['origin'] === 'number' ? args['origin'] : undefined);
  if (numeric !== undefined) {
    if (numeric === 1) return 'user';
    if (typeof numeric === 'number' && Number.isInteger(numeric) && numeric >= 1000 && numeric <= 2999) return 'ha';
    throw new CommandArgumentError(`invalid value used for 'origin' parameter: ${describe(numeric)}`);
  }

  const origin = args?.['origin'];
  if (origin === undefined || origin === 'user') return 'user';
  if (typeof origin !== 'string') throw new CommandArgumentError(`'origin' argument must be a string (in the '${command}' command)`);
  if (origin === 'ha-partner') return 'ha';
  throw new CommandArgumentError(`invalid value used for 'origin' parameter: ${origin}`);
}

function shutdown(ctx: ServerCommandContext, args: Args | undefined): ControlAnswer {
  checkKnownKeys('shutdown', args, ['exit-value']);
  const value = args?.['exit-value'];
  if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value))) {
    throw new CommandArgumentError("parameter 'exit-value' is not an integer");
  }
  const exitValue = readInteger('shutdown', args, 'exit-value', -2147483648, 2147483647) ?? 0;

  // The reply goes out first: the transports write it in the current turn of the event loop.
  setImmediate(() => ctx.shutdown(exitValue));
  return answer(RESULT_SUCCESS, 'Shutting down.');
}

function packageVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('../../package.json') as { version: string }).version;
}
