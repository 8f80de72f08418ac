// hooks-libraries: the lease commands library and the high-availability library are recognised
// by file name. The HA parameters are validated here by the HA module's parser, so `config check`
// and the server report their mistakes like any other. Any other hook library is reported,
// because the function it adds is missing.

import { basename } from 'node:path';

import { parseHaConfig } from '../ha/ha-config.js';
import type { HaConfig } from '../ha/types.js';
import { Issues, checkKeys, isObject, readString } from './issues.js';

const LEASE_CMDS = 'libdhcp_lease_cmds.so';
const HA = 'libdhcp_ha.so';

export interface HookSettings {
  hasLeaseCommands: boolean;
  /** Raw parameters of libdhcp_ha.so; undefined when the library is not listed. */
  haParameters: unknown;
  /** The validated HA relationship; undefined when the library is not listed or its parameters have errors. */
  ha: HaConfig | undefined;
}

export function parseHooks(issues: Issues, list: unknown, path: string): HookSettings {
  const result: HookSettings = { hasLeaseCommands: false, haParameters: undefined, ha: undefined };
  if (list === undefined) return result;
  if (!Array.isArray(list)) {
    issues.invalid(path, list, 'a list of hook libraries', 'list');
    return result;
  }
  list.forEach((entry, i) => {
    const entryPath = `${path}[${i}]`;
    if (!isObject(entry)) {
      issues.invalid(entryPath, entry, 'an object with library and parameters', 'object');
      return;
    }
    checkKeys(issues, entry, entryPath, { handled: ['library', 'parameters'] });
    const library = readString(issues, entry, 'library', entryPath);
    if (library === undefined) {
      if (entry.library === undefined) issues.error(`${entryPath}.library`, 'missing (expected the path of a hook library)');
      return;
    }
    const name = basename(library);
    if (name === LEASE_CMDS) {
      result.hasLeaseCommands = true;
    } else if (name === HA) {
      if (result.haParameters !== undefined) issues.error(entryPath, `${HA} is listed twice (expected it once)`);
      result.haParameters = entry.parameters ?? {};
      const parsed = parseHaConfig(result.haParameters, `${entryPath}.parameters`);
      issues.list.push(...parsed.issues);
      result.ha = parsed.config;
    } else {
      issues.warning(`${entryPath}.library`, `hook library '${name}' is not supported, so what it adds is missing (nestor recognises ${LEASE_CMDS} and ${HA})`);
    }
  });
  return result;
}
