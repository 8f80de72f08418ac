// The `nestor` command: argument parsing, help texts and exit codes. Each subcommand lives in its own
// file; this one only routes. Exit codes: 0 success, 1 failure (invalid configuration, runtime error),
// 2 usage error (unknown command or option).

import { createRequire } from 'node:module';

import { CliError, NestorError } from '../errors.js';
import { runConfigCheck } from './config-check.js';
import { runDemo } from './demo.js';
import { runLeasesList } from './leases-list.js';
import { runServe } from './serve.js';
import { HELP, USAGE } from './help.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Run the CLI with argv (without node and script); resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
        process.stderr.write(USAGE);
        return EXIT_USAGE;
      case '-h':
      case '--help':
      case 'help':
        return printHelp(rest[0]);
      case '-V':
      case '--version':
        process.stdout.write(`${packageVersion()}\n`);
        return EXIT_OK;
      case 'serve':
        return await runServe(rest);
      case 'config':
        if (rest[0] === 'check') return runConfigCheck(rest.slice(1));
        throw new CliError('NESTOR_ERR_CLI_USAGE', `unknown 'config' subcommand '${rest[0] ?? ''}' (expected: check)`);
      case 'leases':
        if (rest[0] === 'list') return await runLeasesList(rest.slice(1));
        throw new CliError('NESTOR_ERR_CLI_USAGE', `unknown 'leases' subcommand '${rest[0] ?? ''}' (expected: list)`);
      case 'demo':
        return await runDemo(rest);
      default:
        throw new CliError('NESTOR_ERR_CLI_USAGE', `unknown command '${command}'`);
    }
  } catch (err) {
    return reportError(err);
  }
}

function printHelp(topic: string | undefined): number {
  const text = topic === undefined ? HELP.main : HELP[topic as keyof typeof HELP];
  if (text === undefined) {
    process.stderr.write(`nestor: no help for '${topic}'\n${USAGE}`);
    return EXIT_USAGE;
  }
  process.stdout.write(text);
  return EXIT_OK;
}

/** Print an error the way an operator needs it and choose the exit code. */
export function reportError(err: unknown): number {
  if (err instanceof CliError) {
    process.stderr.write(`nestor: ${err.message}\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (err instanceof NestorError) {
    process.stderr.write(`nestor: ${err.message} [${err.code}]\n`);
    return EXIT_FAILURE;
  }
  if (err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`nestor: ${err.message}\n${USAGE}`);
    return EXIT_USAGE;
  }
  process.stderr.write(`nestor: internal error: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  return EXIT_FAILURE;
}

function packageVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('../../package.json') as { version: string }).version;
}
