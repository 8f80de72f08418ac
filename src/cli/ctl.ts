// `nestor ctl COMMAND [--args JSON] [-c FILE | --socket PATH]`: send one Kea-style command over the
// server's UNIX control socket and print the answer. Exit codes: 0 for result 0 (success) or 3
// (nothing found), 1 for any other result or a failure to reach the server, 2 for usage errors.

import { createConnection } from 'node:net';
import { parseArgs } from 'node:util';

import { loadConfig } from '../config/load.js';
import { CliError, nestorError } from '../errors.js';

/** How long ctl waits for the whole response; lease4-get-all on a large database takes a while. */
const ANSWER_TIMEOUT_MS = 60_000;

export const CTL_HELP = `usage: nestor ctl COMMAND [--args JSON] (-c FILE | --socket PATH)

Send one control command to a running server over its UNIX control socket and print the JSON answer.
Commands and their arguments are Kea's (see docs/control.md); 'nestor ctl list-commands' lists them.
The socket is the one named by FILE's Dhcp4.control-socket.socket-name, or PATH. It has mode 0600, so
run ctl as the user that runs the server.

options:
  -a, --args JSON          the command's arguments, a JSON map such as '{"ip-address": "198.18.0.10"}'
  -c, --config FILE        configuration file naming the control socket
  -s, --socket PATH        path of the control socket (instead of -c)

exit codes: 0 result 0 (success) or 3 (empty), 1 any other result or the server cannot be reached,
2 usage error

examples:
  nestor ctl status-get -c /etc/kea/kea-dhcp4.conf
  nestor ctl lease4-get --args '{"ip-address": "198.18.0.10"}' --socket /run/kea/kea4-ctrl-socket
  nestor ctl dhcp-disable --args '{"max-period": 60}' -c /etc/kea/kea-dhcp4.conf
`;

/** Runs `nestor ctl` with the arguments after "ctl"; resolves to the exit code. */
export async function runCtl(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      args: { type: 'string', short: 'a' },
      config: { type: 'string', short: 'c' },
      socket: { type: 'string', short: 's' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new CliError('NESTOR_ERR_CLI_USAGE', `ctl: expected one COMMAND, got ${positionals.length}`);
  const command = positionals[0] as string;
  const args = values.args === undefined ? undefined : parseArgsOption(values.args);
  const path = socketPath(values.config, values.socket);

  const request = JSON.stringify(args === undefined ? { command } : { command, arguments: args });
  const text = await sendCommand(path, request);

  let reply: unknown;
  try {
    reply = JSON.parse(text);
  } catch {
    throw nestorError('CONTROL_CONNECT', `${path}: the response is not JSON: ${text.slice(0, 200)}`);
  }
  process.stdout.write(`${JSON.stringify(reply, null, 2)}\n`);
  const result = (reply as { result?: unknown }).result;
  return result === 0 || result === 3 ? 0 : 1;
}

function parseArgsOption(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CliError('NESTOR_ERR_CLI_USAGE', `ctl: --args is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError('NESTOR_ERR_CLI_USAGE', `ctl: --args must be a JSON map such as '{"ip-address": "198.18.0.10"}', not ${text}`);
  }
  return value as Record<string, unknown>;
}

/** Returns the socket path from --socket, or from the configuration's control-socket. */
function socketPath(configPath: string | undefined, socket: string | undefined): string {
  if (socket !== undefined && configPath !== undefined) throw new CliError('NESTOR_ERR_CLI_USAGE', 'ctl: give either -c FILE or --socket PATH, not both');
  if (socket !== undefined) return socket;
  if (configPath === undefined) throw new CliError('NESTOR_ERR_CLI_USAGE', 'ctl: missing -c FILE or --socket PATH (where to find the control socket)');

  const { config, issues } = loadConfig(configPath);
  if (config === undefined) {
    const first = issues.find((i) => i.severity === 'error');
    throw nestorError('CONFIG_INVALID', `${first?.path}: ${first?.message} (run 'nestor config check ${configPath}')`);
  }
  if (config.controlSocket === undefined) {
    throw nestorError('CONTROL_CONNECT', `${configPath}: Dhcp4.control-socket is not configured, so the server opens no control socket (add "control-socket": { "socket-type": "unix", "socket-name": PATH } and restart it)`);
  }
  return config.controlSocket.path;
}

/** Connects, writes the command and reads until the server closes the connection. */
function sendCommand(path: string, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const chunks: Buffer[] = [];
    socket.setTimeout(ANSWER_TIMEOUT_MS, () => {
      socket.destroy();
      reject(nestorError('CONTROL_CONNECT', `${path}: no response within ${ANSWER_TIMEOUT_MS / 1000} s`));
    });
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', (err: NodeJS.ErrnoException) => reject(nestorError('CONTROL_CONNECT', `${path}: ${connectFailure(err)}`)));
  });
}

function connectFailure(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT':
      return 'no control socket here (the server is not running, or it uses another socket-name)';
    case 'ECONNREFUSED':
      return 'nothing listens on this socket (a file left by a server that stopped; start the server)';
    case 'EACCES':
      return 'permission denied (the socket has mode 0600: run as the user that runs the server)';
    case 'ENOTSOCK':
      return 'not a socket';
    default:
      return err.message;
  }
}
