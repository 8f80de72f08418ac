// `nestor serve`: run the server in the foreground until SIGTERM or SIGINT.

import { parseArgs } from 'node:util';

import { CliError } from '../errors.js';
import { Server } from '../server.js';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

export async function runServe(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      workers: { type: 'string', short: 'w' },
      'log-level': { type: 'string', short: 'l' },
    },
    strict: true,
  });
  if (!values.config) throw new CliError('NESTOR_ERR_CLI_USAGE', 'serve: missing -c FILE (the configuration file)');
  const workers = values.workers === undefined ? undefined : parseWorkers(values.workers);
  const logLevel = values['log-level'];
  if (logLevel !== undefined && !LEVELS.includes(logLevel)) {
    throw new CliError('NESTOR_ERR_CLI_USAGE', `serve: --log-level '${logLevel}' is invalid (expected one of ${LEVELS.join(', ')})`);
  }

  const server = await Server.start({ configPath: values.config, workers, logLevel });
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  await server.stop();
  return 0;
}

function parseWorkers(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 64) {
    throw new CliError('NESTOR_ERR_CLI_USAGE', `serve: --workers '${text}' is invalid (expected an integer from 0 to 64)`);
  }
  return n;
}
