// option-data lists (global, subnet, pool and reservation level) → encoded option sets, with
// Kea's rules. An entry names its option by `name`, `code` or both, which must agree. Its `data`
// is csv text read with the option's definition, or hex when `csv-format` is false. An option
// without a definition must be given as hex. Only the "dhcp4" space is served.

import { encodeOptionDataDetailed, findOptionByCode, findOptionByName, parseHexBytes } from '../codec/options/index.js';
import type { OptionDef } from '../codec/options/index.js';
import { Issues, checkKeys, isObject, quote, readBool, readInt, readString } from './issues.js';
import type { JsonObject } from './issues.js';
import type { ConfiguredOption, OptionSet } from './types.js';

const ENTRY_KEYS = {
  handled: ['name', 'code', 'data', 'csv-format', 'always-send', 'space'],
  unsupported: ['never-send', 'client-classes'],
};

/** Parses one option-data list; entries with errors are reported and left out. */
export function parseOptionData(issues: Issues, list: unknown, path: string): Map<number, ConfiguredOption> {
  const options = new Map<number, ConfiguredOption>();
  if (list === undefined) return options;
  if (!Array.isArray(list)) {
    issues.invalid(path, list, 'a list of options', 'list');
    return options;
  }

  list.forEach((entry, i) => {
    const entryPath = `${path}[${i}]`;
    if (!isObject(entry)) {
      issues.invalid(entryPath, entry, 'an object with name or code, and data', 'object');
      return;
    }
    const option = parseOptionEntry(issues, entry, entryPath);
    if (option === undefined) return;
    if (options.has(option.code)) {
      issues.warning(entryPath, `option code ${option.code} is configured more than once at this level, only the first is used`);
      return;
    }
    options.set(option.code, option);
  });
  return options;
}

/** Merges option sets; for each code the entry from a later set wins. */
export function mergeOptions(...sets: ReadonlyArray<OptionSet>): Map<number, ConfiguredOption> {
  const merged = new Map<number, ConfiguredOption>();
  for (const set of sets) for (const [code, option] of set) merged.set(code, option);
  return merged;
}

function parseOptionEntry(issues: Issues, entry: JsonObject, path: string): ConfiguredOption | undefined {
  checkKeys(issues, entry, path, ENTRY_KEYS);

  const space = readString(issues, entry, 'space', path) ?? 'dhcp4';
  if (space !== 'dhcp4') {
    issues.warning(`${path}.space`, `option space '${space}' is not supported yet, option ignored`);
    return undefined;
  }

  if (usesCustomDefinition(issues, entry, path)) return undefined;
  const found = resolveDefinition(issues, entry, path);
  if (found === undefined) return undefined;
  const { code, def } = found;

  const data = entry.data === undefined ? '' : readString(issues, entry, 'data', path);
  const csvFlag = readBool(issues, entry, 'csv-format', path);
  const alwaysSend = readBool(issues, entry, 'always-send', path) ?? false;
  if (data === undefined) return undefined;

  const bytes = def === undefined ? encodeUndefined(issues, code, data, csvFlag, path) : encodeDefined(issues, def, data, csvFlag ?? true, path);
  if (bytes === undefined) return undefined;
  return Object.freeze({ code, data: bytes, alwaysSend });
}

function usesCustomDefinition(issues: Issues, entry: JsonObject, path: string): boolean {
  const custom = issues.customOptionDefs;
  const byName = typeof entry.name === 'string' && custom.has(entry.name) && findOptionByName(entry.name) === undefined;
  const byCode = typeof entry.code === 'number' && [...custom.values()].includes(entry.code) && findOptionByCode(entry.code) === undefined;
  if (byName || byCode) {
    issues.warning(path, `option ${quote(entry.name ?? entry.code)} uses a custom definition from option-def, which is not supported yet; the option is not sent`);
  }
  return byName || byCode;
}

/** Finds the option's code and definition from name and/or code; undefined after reporting an error. */
function resolveDefinition(issues: Issues, entry: JsonObject, path: string): { code: number; def: OptionDef | undefined } | undefined {
  const name = readString(issues, entry, 'name', path);
  const code = readInt(issues, entry, 'code', path, { min: 1, max: 254 });
  if (entry.code !== undefined && code === undefined) return undefined;
  if (entry.name !== undefined && name === undefined) return undefined;

  if (name === undefined && code === undefined) {
    issues.error(path, 'option has neither name nor code (expected at least one of them)');
    return undefined;
  }
  if (name === undefined) return { code: code as number, def: findOptionByCode(code as number) };

  const def = findOptionByName(name);
  if (def === undefined) {
    issues.error(`${path}.name`, `unknown option name ${quote(name)} (expected a standard DHCPv4 option name, or a code with hex data)`);
    return undefined;
  }
  if (code !== undefined && code !== def.code) {
    issues.error(`${path}.code`, `code ${code} does not match option name '${name}' (expected ${def.code})`);
    return undefined;
  }
  return { code: def.code, def };
}

function encodeDefined(issues: Issues, def: OptionDef, data: string, csvFormat: boolean, path: string): Uint8Array | undefined {
  if (def.type === 'empty' && def.encapsulates !== '' && data === '') {
    issues.warning(path, `option '${def.name}' (${def.code}) carries sub-options of space '${def.encapsulates}', which are not supported yet; the option is not sent`);
    return undefined;
  }
  const result = encodeOptionDataDetailed(def, data, csvFormat);
  if (typeof result === 'string') {
    issues.error(`${path}.data`, `option '${def.name}' (${def.code}): ${result}`);
    return undefined;
  }
  if (result.ignoredValues.length > 0) {
    const ignored = result.ignoredValues.map((v) => `'${v}'`).join(', ');
    issues.warning(`${path}.data`, `option '${def.name}' takes one value, so ${ignored} is ignored (write \\, for a comma inside the value)`);
  }
  return result.bytes;
}

function encodeUndefined(issues: Issues, code: number, data: string, csvFlag: boolean | undefined, path: string): Uint8Array | undefined {
  if (csvFlag === true) {
    issues.error(`${path}.csv-format`, `option code ${code} has no standard definition, so its data must be hex (expected csv-format false)`);
    return undefined;
  }
  const bytes = parseHexBytes(data);
  if (typeof bytes === 'string') {
    issues.error(`${path}.data`, `option code ${code}: ${bytes}`);
    return undefined;
  }
  return bytes;
}
