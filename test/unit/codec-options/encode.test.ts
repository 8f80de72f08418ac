import { describe, expect, it } from 'vitest';

import { encodeOptionData, findOptionByCode, findOptionByName, splitCsv, STANDARD_OPTION_DEFS } from '../../../src/codec/options/index.js';
import type { OptionDef } from '../../../src/codec/options/index.js';

function def(name: string): OptionDef {
  const found = findOptionByName(name);
  if (found === undefined) throw new Error(`no definition for ${name}`);
  return found;
}

function hex(bytes: Uint8Array | string): string {
  if (typeof bytes === 'string') return `error: ${bytes}`;
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

describe('option registry: lookups', () => {
  it('finds definitions by name and by code', () => {
    expect(findOptionByName('routers')?.code).toBe(3);
    expect(findOptionByCode(119)?.name).toBe('domain-search');
    expect(findOptionByCode(108)?.name).toBe('v6-only-preferred');
    expect(findOptionByCode(121)?.name).toBe('classless-static-route');
  });

  it('returns undefined for unknown names and codes', () => {
    expect(findOptionByName('no-such-option')).toBeUndefined();
    expect(findOptionByCode(250)).toBeUndefined();
  });

  it('has unique names and codes', () => {
    expect(new Set(STANDARD_OPTION_DEFS.map((d) => d.name)).size).toBe(STANDARD_OPTION_DEFS.length);
    expect(new Set(STANDARD_OPTION_DEFS.map((d) => d.code)).size).toBe(STANDARD_OPTION_DEFS.length);
  });
});

describe('option encoding: csv values', () => {
  const cases: Array<[name: string, data: string, bytes: string]> = [
    ['routers', '198.18.0.1', 'c6 12 00 01'],
    ['routers', '198.18.0.1, 198.18.0.2', 'c6 12 00 01 c6 12 00 02'],
    ['domain-name-servers', '198.18.0.53,198.18.0.54', 'c6 12 00 35 c6 12 00 36'],
    ['subnet-mask', '255.255.255.0', 'ff ff ff 00'],
    ['time-offset', '-25200', 'ff ff 9d 90'],
    ['default-ip-ttl', '0xf0', 'f0'],
    ['default-ip-ttl', '64', '40'],
    ['interface-mtu', '1500', '05 dc'],
    ['v6-only-preferred', '1800', '00 00 07 08'],
    ['ip-forwarding', 'true', '01'],
    ['ip-forwarding', '0', '00'],
    ['domain-name', 'example.org', '65 78 61 6d 70 6c 65 2e 6f 72 67'],
    ['tftp-server-name', 'tftp', '74 66 74 70'],
    ['domain-search', 'a.example, b.org', '01 61 07 65 78 61 6d 70 6c 65 00 01 62 03 6f 72 67 00'],
    ['classless-static-route', '10.8.0.0/24 - 172.16.0.10, 0.0.0.0/0 - 172.16.0.1', '18 0a 08 00 ac 10 00 0a 00 ac 10 00 01'],
    ['classless-static-route', '10.0.0.0/8 - 198.18.0.1', '08 0a c6 12 00 01'],
    ['classless-static-route', '198.18.0.1/32 - 198.18.0.254', '20 c6 12 00 01 c6 12 00 fe'],
    ['path-mtu-plateau-table', '3072, 4096', '0c 00 10 00'],
    ['nwip-suboptions', '1A BB CA FE', '1a bb ca fe'],
    ['slp-directory-agent', 'true, 198.18.0.1, 198.18.0.2', '01 c6 12 00 01 c6 12 00 02'],
    ['client-ndi', '0, 1, 0', '00 01 00'],
    ['uuid-guid', '0, 1A BB', '00 1a bb'],
    ['v4-portparams', '2, 3/4', '02 04 30 00'],
    ['option-6rd', '24, 96, 2001:db8::f001, 198.18.0.1', '18 60 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 f0 01 c6 12 00 01'],
    ['option-6rd', '0, 0, ::ffff:198.18.0.1, 198.18.0.2', '00 00 00 00 00 00 00 00 00 00 00 00 ff ff c6 12 00 01 c6 12 00 02'],
    ['boot-file-name', 'EST5EDT4\\,M3.2.0', '45 53 54 35 45 44 54 34 2c 4d 33 2e 32 2e 30'],
  ];

  it.each(cases)('%s with %j encodes to %s', (name, data, bytes) => {
    expect(hex(encodeOptionData(def(name), data, true))).toBe(bytes);
  });

  it('takes only the first value of a single-value option, as Kea does', () => {
    expect(hex(encodeOptionData(def('domain-name'), 'a.org, b.org', true))).toBe('61 2e 6f 72 67');
  });

  it('encodes an empty container option to no bytes', () => {
    expect(hex(encodeOptionData(def('vendor-encapsulated-options'), '', true))).toBe('');
  });
});

describe('option encoding: hex data (csv-format false)', () => {
  const cases: Array<[name: string, data: string, bytes: string]> = [
    ['broadcast-address', 'ffff8000', 'ff ff 80 00'],
    ['broadcast-address', '0xFFFF8000', 'ff ff 80 00'],
    ['routers', 'c6:12:00:01', 'c6 12 00 01'],
    ['routers', 'c6 12 0 1', 'c6 12 00 01'],
    ['default-ip-ttl', '0x1', '01'],
    ['vendor-encapsulated-options', '01:04:c6:12:00:01', '01 04 c6 12 00 01'],
    ['classless-static-route', '18:0a:08:00:ac:10:00:0a', '18 0a 08 00 ac 10 00 0a'],
  ];

  it.each(cases)('%s with %j encodes to %s', (name, data, bytes) => {
    expect(hex(encodeOptionData(def(name), data, false))).toBe(bytes);
  });
});

describe('option encoding: invalid values', () => {
  const cases: Array<[name: string, data: string, csv: boolean, message: string]> = [
    ['routers', '198.18.0', true, "'198.18.0' is not a valid IPv4 address (expected dotted-quad form such as 198.18.0.1)"],
    ['routers', '198.18.0.01', true, "'198.18.0.01' is not a valid IPv4 address (expected dotted-quad form such as 198.18.0.1)"],
    ['default-ip-ttl', '256', true, "'256' is not a valid uint8 (expected an integer from 0 to 255, decimal or 0x hex)"],
    ['interface-mtu', '-1', true, "'-1' is not a valid uint16 (expected an integer from 0 to 65535, decimal or 0x hex)"],
    ['time-offset', '2147483648', true, "'2147483648' is not a valid int32 (expected an integer from -2147483648 to 2147483647, decimal or 0x hex)"],
    ['ip-forwarding', 'yes', true, "'yes' is not a valid boolean (expected true, false, 1 or 0)"],
    ['domain-search', 'a..org', true, "'a..org' is not a valid domain name (each label must have 1 to 63 characters)"],
    ['routers', '', true, "option 'routers' needs a value (data is empty)"],
    ['client-ndi', '0, 1', true, "option 'client-ndi' needs 3 values (uint8, uint8, uint8), got 2"],
    ['classless-static-route', '10.8.0.0/24 172.16.0.10', true, "'10.8.0.0/24 172.16.0.10' is not a valid classless static route (expected destination/length - router, such as 10.8.0.0/24 - 172.16.0.10)"],
    ['classless-static-route', '10.8.0.1/24 - 172.16.0.10', true, "'10.8.0.1/24 - 172.16.0.10' has host bits set in the destination (expected the network address of the /24)"],
    ['routers', 'c6:12:00', false, "option 'routers' needs a non-zero multiple of 4 octets, got 3"],
    ['broadcast-address', 'ffff80', false, "option 'broadcast-address' needs exactly 4 octets, got 3"],
    ['routers', 'zz', false, "'zz' is not valid hex (expected octets such as 0a:0b:0c, 0a 0b 0c or 0x0a0b0c)"],
    ['routers', '0a::0b', false, "'0a::0b' is not valid hex (expected octets such as 0a:0b:0c, 0a 0b 0c or 0x0a0b0c)"],
    ['classless-static-route', '21:0a', false, 'route at octet 0 has prefix length 33 (expected 0 to 32)'],
    ['vendor-encapsulated-options', 'x', true, "option 'vendor-encapsulated-options' takes no value in csv form (expected empty data, or hex with csv-format false)"],
  ];

  it.each(cases)('%s with %j (csv %s) is rejected', (name, data, csv, message) => {
    expect(encodeOptionData(def(name), data, csv)).toBe(message);
  });
});

describe('option encoding: csv splitting', () => {
  it('keeps escaped commas and drops empty values', () => {
    expect(splitCsv('a\\,b, c,,d')).toEqual(['a,b', 'c', 'd']);
  });

  it('returns no values for empty data', () => {
    expect(splitCsv('')).toEqual([]);
  });
});
