// `nestor config check FILE`: print the loader's findings and a summary; exit 1 on errors.

import { formatIssues, summarizeConfig } from '../config/check.js';
import { loadConfig } from '../config/load.js';
import { CliError } from '../errors.js';

export function runConfigCheck(argv: string[]): number {
  if (argv.length !== 1 || argv[0].startsWith('-')) {
    throw new CliError('NESTOR_ERR_CLI_USAGE', 'config check: expected exactly one argument, the configuration file');
  }
  const { config, issues } = loadConfig(argv[0]);
  const errors = issues.filter((i) => i.severity === 'error').length;
  const warnings = issues.length - errors;

  if (issues.length > 0) process.stdout.write(`${formatIssues(issues)}\n`);
  if (config && errors === 0) process.stdout.write(`${summarizeConfig(config)}\n`);
  process.stdout.write(`${argv[0]}: ${errors} error(s), ${warnings} warning(s)\n`);
  return errors > 0 || !config ? 1 : 0;
}
