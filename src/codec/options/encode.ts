// Config text → option value bytes, with Kea's option-data rules: with csv-format true the data
// is a comma-separated list of values (a backslash escapes a comma), read with the option's
// definition; with csv-format false the data is hex and is only checked against the definition.
// Like Kea, a single-value option takes the first value and ignores the rest, and a record takes
// one value per field (for an array record the last field repeats).

import type { OptionDef, OptionFieldType } from './defs.js';
import { parseHexBytes, writeField } from './fields.js';
import { checkClasslessRoutes, writeClasslessRoute } from './routes.js';

/** Encoded bytes plus the values that were given but not used (so a loader can warn). */
export interface EncodedOption {
  bytes: Uint8Array;
  ignoredValues: string[];
}

const FIXED_SIZES: Partial<Record<OptionFieldType, number>> = {
  boolean: 1,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  'ipv4-address': 4,
  'ipv6-address': 16,
  psid: 3,
};

/** Encodes option-data text with the definition; returns an error text when the data is invalid. */
export function encodeOptionData(def: OptionDef, data: string, csvFormat: boolean): Uint8Array | string {
  const result = encodeOptionDataDetailed(def, data, csvFormat);
  return typeof result === 'string' ? result : result.bytes;
}

/** Same as encodeOptionData, and also reports the values it ignored. */
export function encodeOptionDataDetailed(def: OptionDef, data: string, csvFormat: boolean): EncodedOption | string {
  if (!csvFormat) {
    const bytes = parseHexBytes(data);
    if (typeof bytes === 'string') return bytes;
    const problem = checkWireValue(def, bytes);
    return problem === undefined ? { bytes, ignoredValues: [] } : problem;
  }

  const values = splitCsv(data);
  if (def.type === 'empty') {
    if (values.length > 0) return `option '${def.name}' takes no value in csv form (expected empty data, or hex with csv-format false)`;
    return { bytes: new Uint8Array(0), ignoredValues: [] };
  }
  if (values.length === 0) return `option '${def.name}' needs a value (data is empty)`;

  const out: number[] = [];
  const ignoredValues: string[] = [];
  const problem =
    def.type === 'record'
      ? writeRecord(def, values, out, ignoredValues)
      : writeValues(def, values, out, ignoredValues);
  return problem === undefined ? { bytes: Uint8Array.from(out), ignoredValues } : problem;
}

/**
 * Splits csv data on commas that are not escaped by a backslash ("\," is a literal comma and
 * "\\" a literal backslash), trims each value and drops empty ones, as Kea does.
 */
export function splitCsv(data: string): string[] {
  const values: string[] = [];
  let current = '';
  for (let i = 0; i < data.length; i++) {
    const c = data[i];
    if (c === '\\' && (data[i + 1] === ',' || data[i + 1] === '\\')) {
      current += data[i + 1];
      i++;
    } else if (c === ',') {
      values.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  values.push(current);
  return values.filter((v) => v.length > 0).map((v) => v.trim());
}

function writeValues(def: OptionDef, values: string[], out: number[], ignored: string[]): string | undefined {
  const used = def.isArray || def.type === 'classless-routes' ? values : values.slice(0, 1);
  ignored.push(...values.slice(used.length));
  for (const value of used) {
    const problem =
      def.type === 'classless-routes'
        ? writeClasslessRoute(value, out)
        : writeField(def.type as OptionFieldType, value, out);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function writeRecord(def: OptionDef, values: string[], out: number[], ignored: string[]): string | undefined {
  const fields = def.recordFields;
  if (values.length < fields.length) {
    return `option '${def.name}' needs ${fields.length} values (${fields.join(', ')}), got ${values.length}`;
  }
  for (let i = 0; i < values.length; i++) {
    if (i >= fields.length && !def.isArray) {
      ignored.push(...values.slice(i));
      break;
    }
    const type = fields[Math.min(i, fields.length - 1)];
    const problem = writeField(type, values[i], out);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** Checks hex-given bytes against the definition's wire layout; returns an error text when they do not fit. */
function checkWireValue(def: OptionDef, bytes: Uint8Array): string | undefined {
  if (def.type === 'classless-routes') return checkClasslessRoutes(bytes);
  if (def.type === 'empty' || def.type === 'binary') return undefined;
  if (def.type === 'record') {
    const minimum = def.recordFields.reduce((sum, t) => sum + (FIXED_SIZES[t] ?? 0), 0);
    if (bytes.length < minimum) return `option '${def.name}' needs at least ${minimum} octets, got ${bytes.length}`;
    return undefined;
  }

  const size = FIXED_SIZES[def.type];
  if (size === undefined) {
    // string and fqdn: any non-empty value.
    return bytes.length === 0 ? `option '${def.name}' must not be empty` : undefined;
  }
  if (def.isArray) {
    if (bytes.length === 0 || bytes.length % size !== 0) {
      return `option '${def.name}' needs a non-zero multiple of ${size} octets, got ${bytes.length}`;
    }
  } else if (bytes.length !== size) {
    return `option '${def.name}' needs exactly ${size} octets, got ${bytes.length}`;
  }
  return undefined;
}
