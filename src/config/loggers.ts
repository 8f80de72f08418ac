// Kea's loggers list (Dhcp4.loggers, or the top-level Logging.loggers of Kea 1.5 files): each
// logger's severity becomes a pino level and its output_options name where lines go. Rotation
// settings (maxver, maxsize), flush and pattern are accepted and have no effect in nestor.

import { Issues, checkKeys, isObject, readEnum, readInt, readString } from './issues.js';
import type { LoggerConfig } from './types.js';

const SEVERITIES = ['FATAL', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'NONE'] as const;

const LEVELS: Record<(typeof SEVERITIES)[number], LoggerConfig['level']> = {
  FATAL: 'fatal',
  ERROR: 'error',
  WARN: 'warn',
  INFO: 'info',
  DEBUG: 'debug',
  NONE: 'silent',
};

/** Kea debuglevels above this map to pino's trace level (Kea logs packet contents at 55 and up). */
const TRACE_DEBUGLEVEL = 50;

export function parseLoggers(issues: Issues, list: unknown, path: string): LoggerConfig[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    issues.invalid(path, list, 'a list of loggers', 'list');
    return [];
  }
  const loggers: LoggerConfig[] = [];
  list.forEach((entry, i) => {
    const entryPath = `${path}[${i}]`;
    if (!isObject(entry)) {
      issues.invalid(entryPath, entry, 'an object with name and severity', 'object');
      return;
    }
    checkKeys(issues, entry, entryPath, { handled: ['name', 'severity', 'debuglevel', 'output_options', 'output-options'] });
    const name = readString(issues, entry, 'name', entryPath);
    if (entry.name === undefined) issues.error(`${entryPath}.name`, 'missing (expected a logger name such as kea-dhcp4)');
    const severity = readEnum(issues, entry, 'severity', entryPath, SEVERITIES) ?? 'INFO';
    const debugLevel = readInt(issues, entry, 'debuglevel', entryPath, { min: 0, max: 99 }) ?? 0;
    const outputKey = entry.output_options !== undefined ? 'output_options' : 'output-options';
    const outputs = parseOutputs(issues, entry[outputKey], `${entryPath}.${outputKey}`);
    if (name === undefined) return;

    const level = severity === 'DEBUG' && debugLevel > TRACE_DEBUGLEVEL ? 'trace' : LEVELS[severity];
    loggers.push({ name, level, outputs: outputs.length > 0 ? outputs : ['stdout'] });
  });
  return loggers;
}

function parseOutputs(issues: Issues, list: unknown, path: string): string[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    issues.invalid(path, list, 'a list of outputs', 'list');
    return [];
  }
  const outputs: string[] = [];
  list.forEach((entry, i) => {
    const entryPath = `${path}[${i}]`;
    if (!isObject(entry)) {
      issues.invalid(entryPath, entry, "an object with output: 'stdout', 'stderr', 'syslog' or a file path", 'object');
      return;
    }
    checkKeys(issues, entry, entryPath, { handled: ['output'], silent: ['maxver', 'maxsize', 'flush', 'pattern'] });
    const output = readString(issues, entry, 'output', entryPath);
    if (output === undefined || output === '') {
      issues.invalid(`${entryPath}.output`, entry.output, "'stdout', 'stderr', 'syslog' or a file path", 'string');
      return;
    }
    outputs.push(output);
  });
  return outputs;
}
