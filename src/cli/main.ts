// The `nestor` command: argument parsing, help texts and exit codes. Each subcommand lives in its own
// file; this one only routes. Exit codes: 0 success, 1 failure (invalid configuration, runtime error),
// 2 usage error (unknown command or option).

import { createRequire } from 'node:module';

import { CliError, NestorError } from '../errors.js';
import { runConfigCheck } from './config-check.js';
import { runCtl } from './ctl.js';
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
  if (command !== undefined && command in HELP && command !== 'main' && (rest.includes('--help') || rest.includes('-h'))) {
    return printHelp(command);
  }
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
      case 'ctl':
        return await runCtl(rest);
      default:
        if (command.startsWith('-')) throw new CliError('NESTOR_ERR_CLI_USAGE', `unknown option '${command}'`);
        throw new CliError('NESTOR_ERR_CLI_USAGE', `unknown command '${command}'`);
    }
  } catch (err) {
    return reportError(err, command);
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
export function reportError(err: unknown, command?: string): number {
  const usage = commandUsage(command);
  if (err instanceof CliError) {
    process.stderr.write(`nestor: ${err.message}\n${usage}`);
    return EXIT_USAGE;
  }
  if (err instanceof NestorError) {
    process.stderr.write(`nestor: ${err.message} [${err.code}]\n`);
    return EXIT_FAILURE;
  }
  if (err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    // Node's parser messages start with a capital and end with a hint; keep the first sentence in our style.
    const text = err.message.split(/\.(?:\s|$)/)[0];
    process.stderr.write(`nestor: ${command ?? ''}: ${text.charAt(0).toLowerCase()}${text.slice(1)}\n${usage}`);
    return EXIT_USAGE;
  }
  process.stderr.write(`nestor: internal error: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  return EXIT_FAILURE;
}

/** The usage lines of a command's help, or the general usage line. */
function commandUsage(command: string | undefined): string {
  const help = command === undefined ? undefined : HELP[command as keyof typeof HELP];
  if (help === undefined || command === 'main') return USAGE;
  const usageLines = help.split('\n\n')[0];
  return `${usageLines}\n(nestor help ${command} for details)\n`;
}

function packageVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('../../package.json') as { version: string }).version;
}
