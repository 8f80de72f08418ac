import { describe, expect, it } from 'vitest';

import { formatIssues, summarizeConfig } from '../../../src/config/check.js';
import { parseConfigText } from '../../../src/config/load.js';

const SUBNET = { id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.10 - 198.18.0.20' }] };

function errorsOf(dhcp4: Record<string, unknown>): string[] {
  const result = parseConfigText(JSON.stringify({ Dhcp4: dhcp4 }), '/tmp/nestor-test.json');
  const errors = result.issues.filter((i) => i.severity === 'error').map((i) => `${i.path}: ${i.message}`);
  if (errors.length > 0) expect(result.config).toBeUndefined();
  return errors;
}

function withSubnet(fields: Record<string, unknown>): Record<string, unknown> {
  return { subnet4: [{ ...SUBNET, ...fields }] };
}

describe('config load: invalid values', () => {
  const cases: Array<[what: string, dhcp4: Record<string, unknown>, error: string]> = [
    ['a negative lifetime', { 'valid-lifetime': -5 }, "Dhcp4.valid-lifetime: invalid value '-5' (expected an integer from 0 to 4294967295)"],
    ['a real lifetime', { 'valid-lifetime': 7200.5 }, "Dhcp4.valid-lifetime: invalid value '7200.5' (expected an integer from 0 to 4294967295)"],
    ['a string lifetime', { 'valid-lifetime': '7200' }, "Dhcp4.valid-lifetime: invalid value '7200' (a string; expected an integer from 0 to 4294967295)"],
    ['min above valid', { 'valid-lifetime': 100, 'min-valid-lifetime': 200, 'max-valid-lifetime': 300 }, "Dhcp4.min-valid-lifetime: value '200' is greater than valid-lifetime '100' (expected min ≤ valid ≤ max)"],
    ['max below valid', { 'valid-lifetime': 400, 'max-valid-lifetime': 300 }, "Dhcp4.max-valid-lifetime: value '300' is less than valid-lifetime '400' (expected min ≤ valid ≤ max)"],
    ['renew not below rebind', { 'renew-timer': 2000, 'rebind-timer': 1000 }, "Dhcp4.renew-timer: value '2000' is not less than rebind-timer '1000' (expected renew < rebind < valid-lifetime)"],
    ['rebind not below valid', { 'rebind-timer': 7200 }, "Dhcp4.rebind-timer: value '7200' is not less than valid-lifetime '7200' (expected renew < rebind < valid-lifetime)"],
    ['t1 above t2', { 't1-percent': 0.9, 't2-percent': 0.8 }, "Dhcp4.t1-percent: value '0.9' is not less than t2-percent '0.8' (expected 0 < t1-percent < t2-percent < 1)"],
    ['t2 of one', { 't2-percent': 1 }, "Dhcp4.t2-percent: invalid value '1' (expected a number greater than 0 and less than 1)"],
    ['a string boolean', { authoritative: 'yes' }, "Dhcp4.authoritative: invalid value 'yes' (a string; expected true or false)"],
    ['a bad next-server', { 'next-server': '198.18.0' }, "Dhcp4.next-server: invalid value '198.18.0' (expected an IPv4 address such as 198.18.0.1)"],
    ['an unknown socket type', { 'interfaces-config': { 'dhcp-socket-type': 'tcp' } }, "Dhcp4.interfaces-config.dhcp-socket-type: invalid value 'tcp' (expected one of 'raw', 'udp')"],
    ['a bad interface address', { 'interfaces-config': { interfaces: ['eth0/1.2.3'] } }, "Dhcp4.interfaces-config.interfaces[0]: invalid value 'eth0/1.2.3' (expected an interface name, 'name/address' or '*')"],
    ['an SQL lease database', { 'lease-database': { type: 'mysql' } }, "Dhcp4.lease-database.type: invalid value 'mysql' (expected 'memfile' or 'lmdb' (both store leases in LMDB; SQL lease databases are not supported yet))"],
    ['a TCP control socket', { 'control-socket': { 'socket-type': 'tcp', 'socket-name': '/tmp/s' } }, "Dhcp4.control-socket.socket-type: invalid value 'tcp' (expected one of 'unix')"],
    ['a control socket without a name', { 'control-socket': { 'socket-type': 'unix' } }, 'Dhcp4.control-socket.socket-name: missing (expected the path of the UNIX socket)'],
    ['an unknown identifier type', { 'host-reservation-identifiers': ['mac'] }, "Dhcp4.host-reservation-identifiers[0]: invalid value 'mac' (expected one of hw-address, duid, circuit-id, client-id, flex-id)"],
    ['a too long max-reclaim-time', { 'expired-leases-processing': { 'max-reclaim-time': 20000 } }, "Dhcp4.expired-leases-processing.max-reclaim-time: invalid value '20000' (expected an integer from 0 to 10000)"],
    ['an unknown severity', { loggers: [{ name: 'kea-dhcp4', severity: 'VERBOSE' }] }, "Dhcp4.loggers[0].severity: invalid value 'VERBOSE' (expected one of 'FATAL', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'NONE')"],
    ['a debuglevel of 100', { loggers: [{ name: 'kea-dhcp4', severity: 'DEBUG', debuglevel: 100 }] }, "Dhcp4.loggers[0].debuglevel: invalid value '100' (expected an integer from 0 to 99)"],
    ['too many workers', { nestor: { workers: 65 } }, "Dhcp4.nestor.workers: invalid value '65' (expected an integer from 0 to 64)"],
    ['port zero', { nestor: { 'server-port': 0 } }, "Dhcp4.nestor.server-port: invalid value '0' (expected an integer from 1 to 65535)"],
    ['both reservation forms', { 'reservation-mode': 'all', 'reservations-global': true }, 'Dhcp4.reservation-mode: cannot be combined with reservations-global, reservations-in-subnet, reservations-out-of-pool at the same level (expected only one of the two forms)'],
    ['an unknown reservation-mode', { 'reservation-mode': 'some' }, "Dhcp4.reservation-mode: invalid value 'some' (expected one of 'all', 'out-of-pool', 'global', 'disabled')"],
    ['a subnet id of zero', withSubnet({ id: 0 }), "Dhcp4.subnet4[0].id: invalid value '0' (expected an integer from 1 to 4294967294)"],
    ['a subnet id of 2^32-1', withSubnet({ id: 4294967295 }), "Dhcp4.subnet4[0].id: invalid value '4294967295' (expected an integer from 1 to 4294967294)"],
    ['a subnet without prefix', { subnet4: [{ id: 1 }] }, 'Dhcp4.subnet4[0].subnet: missing (expected a prefix such as 198.18.0.0/24)'],
    ['a malformed prefix', withSubnet({ subnet: '198.18.0.0/33' }), "Dhcp4.subnet4[0].subnet: invalid value '198.18.0.0/33' (expected a prefix such as 198.18.0.0/24)"],
    ['a reversed pool', withSubnet({ pools: [{ pool: '198.18.0.200 - 198.18.0.10' }] }), "Dhcp4.subnet4[0].pools[0].pool: range '198.18.0.200 - 198.18.0.10' is invalid: reversed (start must not exceed end)"],
    ['a malformed pool', withSubnet({ pools: [{ pool: '198.18.0.1 to 198.18.0.9' }] }), "Dhcp4.subnet4[0].pools[0].pool: range '198.18.0.1 to 198.18.0.9' is invalid: expected 'first - last' or 'address/length'"],
    ['a pool outside the subnet', withSubnet({ pools: [{ pool: '198.18.1.1 - 198.18.1.9' }] }), "Dhcp4.subnet4[0].pools[0].pool: range '198.18.1.1 - 198.18.1.9' is outside the subnet (expected addresses in 198.18.0.0/24)"],
    ['overlapping pools', withSubnet({ pools: [{ pool: '198.18.0.10 - 198.18.0.20' }, { pool: '198.18.0.16/28' }] }), "Dhcp4.subnet4[0].pools[1].pool: range '198.18.0.16/28' overlaps the pool at Dhcp4.subnet4[0].pools[0] (expected disjoint pools)"],
    ['a bad relay address', withSubnet({ relay: { 'ip-addresses': ['198.18.0.300'] } }), "Dhcp4.subnet4[0].relay.ip-addresses[0]: invalid value '198.18.0.300' (expected an IPv4 address such as 198.18.0.1)"],
    ['duplicate subnet ids', { subnet4: [SUBNET, { ...SUBNET, subnet: '198.18.1.0/24', pools: [] }] }, 'Dhcp4.subnet4[1].id: subnet id 1 is already used by Dhcp4.subnet4[0] (expected unique ids)'],
    ['duplicate prefixes', { subnet4: [SUBNET, { ...SUBNET, id: 2, pools: [] }] }, "Dhcp4.subnet4[1].subnet: subnet '198.18.0.0/24' is already defined by Dhcp4.subnet4[0] (expected each prefix once)"],
    ['a subnet timer above the lifetime', withSubnet({ 'renew-timer': 8000 }), "Dhcp4.subnet4[0].renew-timer: value '8000' is not less than valid-lifetime '7200' (expected renew < rebind < valid-lifetime)"],
    ['an unknown option name', { 'option-data': [{ name: 'gateway', data: '1.2.3.4' }] }, "Dhcp4.option-data[0].name: unknown option name 'gateway' (expected a standard DHCPv4 option name, or a code with hex data)"],
    ['an option name and code that disagree', { 'option-data': [{ name: 'routers', code: 6, data: '1.2.3.4' }] }, "Dhcp4.option-data[0].code: code 6 does not match option name 'routers' (expected 3)"],
    ['an option without name or code', { 'option-data': [{ data: '1.2.3.4' }] }, 'Dhcp4.option-data[0]: option has neither name nor code (expected at least one of them)'],
    ['option code 255', { 'option-data': [{ code: 255, data: '00' }] }, "Dhcp4.option-data[0].code: invalid value '255' (expected an integer from 1 to 254)"],
    ['an undefined code in csv form', { 'option-data': [{ code: 250, data: 'abc', 'csv-format': true }] }, 'Dhcp4.option-data[0].csv-format: option code 250 has no standard definition, so its data must be hex (expected csv-format false)'],
    ['an undefined code with non-hex data', { 'option-data': [{ code: 250, data: 'xyz' }] }, "Dhcp4.option-data[0].data: option code 250: 'xyz' is not valid hex (expected octets such as 0a:0b:0c, 0a 0b 0c or 0x0a0b0c)"],
    ['a bad router address', withSubnet({ 'option-data': [{ name: 'routers', data: '198.18.0.1, 198.18.0' }] }), "Dhcp4.subnet4[0].option-data[0].data: option 'routers' (3): '198.18.0' is not a valid IPv4 address (expected dotted-quad form such as 198.18.0.1)"],
    ['a bad pool option', withSubnet({ pools: [{ pool: '198.18.0.10 - 198.18.0.20', 'option-data': [{ name: 'interface-mtu', data: '70000' }] }] }), "Dhcp4.subnet4[0].pools[0].option-data[0].data: option 'interface-mtu' (26): '70000' is not a valid uint16 (expected an integer from 0 to 65535, decimal or 0x hex)"],
    ['a reservation outside the subnet', withSubnet({ reservations: [{ 'hw-address': '02:00:00:00:00:01', 'ip-address': '198.18.1.5' }] }), "Dhcp4.subnet4[0].reservations[0].ip-address: address '198.18.1.5' is outside the subnet (expected an address in 198.18.0.0/24)"],
    ['a reservation with two identifiers', withSubnet({ reservations: [{ 'hw-address': '02:00:00:00:00:01', 'client-id': '01:02' }] }), 'Dhcp4.subnet4[0].reservations[0]: found 2 host identifiers (expected exactly one of hw-address, client-id, circuit-id, duid, flex-id)'],
    ['a bad hw-address', withSubnet({ reservations: [{ 'hw-address': '02:00:zz' }] }), "Dhcp4.subnet4[0].reservations[0].hw-address: invalid value '02:00:zz' (expected hex octets such as 02:00:00:00:00:01)"],
    ['a duplicate hw-address', withSubnet({ reservations: [{ 'hw-address': '02:00:00:00:00:01' }, { 'hw-address': '02-00-00-00-00-01' }] }), 'Dhcp4.subnet4[0].reservations[1]: duplicate reservation for hw-address 02:00:00:00:00:01 (already reserved at Dhcp4.subnet4[0].reservations[0])'],
    ['a duplicate reserved address', withSubnet({ reservations: [{ 'hw-address': '02:00:00:00:00:01', 'ip-address': '198.18.0.5' }, { 'circuit-id': "'x'", 'ip-address': '198.18.0.5' }] }), "Dhcp4.subnet4[0].reservations[1].ip-address: address '198.18.0.5' is already reserved at Dhcp4.subnet4[0].reservations[0] (expected each address reserved once)"],
    ['a too long server-hostname', { 'server-hostname': 'x'.repeat(64) }, `Dhcp4.server-hostname: invalid value '${'x'.repeat(64)}' (expected at most 63 octets)`],
    ['a hook entry without library', { 'hooks-libraries': [{ parameters: {} }] }, 'Dhcp4.hooks-libraries[0].library: missing (expected the path of a hook library)'],
  ];

  it.each(cases)('%s is an error naming path, value and expectation', (_what, dhcp4, error) => {
    expect(errorsOf(dhcp4)).toEqual([error]);
  });
});

describe('config load: values of the wrong JSON type', () => {
  const cases: Array<[what: string, dhcp4: Record<string, unknown>, error: string]> = [
    ['a boolean lifetime', { 'valid-lifetime': true }, "Dhcp4.valid-lifetime: invalid value 'true' (a boolean; expected an integer from 0 to 4294967295)"],
    ['a list lifetime', { 'valid-lifetime': [3600] }, 'Dhcp4.valid-lifetime: invalid value [3600] (a list; expected an integer from 0 to 4294967295)'],
    ['a null lifetime', { 'valid-lifetime': null }, 'Dhcp4.valid-lifetime: invalid value null (expected an integer from 0 to 4294967295)'],
    ['a string t1-percent', { 't1-percent': '0.5' }, "Dhcp4.t1-percent: invalid value '0.5' (a string; expected a number greater than 0 and less than 1)"],
    ['a number boolean', { authoritative: 1 }, "Dhcp4.authoritative: invalid value '1' (a number; expected true or false)"],
    ['a number string', { 'server-hostname': 42 }, "Dhcp4.server-hostname: invalid value '42' (a number; expected a string)"],
    ['a number enum', { 'interfaces-config': { 'dhcp-socket-type': 1 } }, "Dhcp4.interfaces-config.dhcp-socket-type: invalid value '1' (a number; expected one of 'raw', 'udp')"],
    ['an object subnet list', { subnet4: {} }, 'Dhcp4.subnet4: invalid value {} (an object; expected a list)'],
    ['a list lease database', { 'lease-database': [] }, 'Dhcp4.lease-database: invalid value [] (a list; expected an object)'],
    ['a string option list', { 'option-data': 'routers' }, "Dhcp4.option-data: invalid value 'routers' (a string; expected a list of options)"],
    ['a number subnet entry', { subnet4: [1] }, "Dhcp4.subnet4[0]: invalid value '1' (a number; expected an object with id, subnet and pools)"],
    ['a number interface', { 'interfaces-config': { interfaces: [7] } }, "Dhcp4.interfaces-config.interfaces[0]: invalid value '7' (a number; expected an interface name, 'name/address' or '*')"],
    ['a number relay address', withSubnet({ relay: { 'ip-addresses': [3232235521] } }), "Dhcp4.subnet4[0].relay.ip-addresses[0]: invalid value '3232235521' (a number; expected an IPv4 address such as 198.18.0.1)"],
    ['a string hook list', { 'hooks-libraries': 'libdhcp_ha.so' }, "Dhcp4.hooks-libraries: invalid value 'libdhcp_ha.so' (a string; expected a list of hook libraries)"],
    ['a string logger entry', { loggers: ['kea-dhcp4'] }, "Dhcp4.loggers[0]: invalid value 'kea-dhcp4' (a string; expected an object with name and severity)"],
    ['a string reservation list', withSubnet({ reservations: 'none' }), "Dhcp4.subnet4[0].reservations: invalid value 'none' (a string; expected a list of reservations)"],
    ['a string nestor section', { nestor: 'fast' }, "Dhcp4.nestor: invalid value 'fast' (a string; expected an object)"],
  ];

  it.each(cases)('%s names the JSON type it found', (_what, dhcp4, error) => {
    expect(errorsOf(dhcp4)).toEqual([error]);
  });

  it('names no type for a value of the right type', () => {
    expect(errorsOf({ 'valid-lifetime': 7200.5 })).toEqual(["Dhcp4.valid-lifetime: invalid value '7200.5' (expected an integer from 0 to 4294967295)"]);
  });
});

describe('config load: unknown keys', () => {
  const cases: Array<[what: string, dhcp4: Record<string, unknown>, error: string]> = [
    ['a misspelt global key', { 'valid-liftime': 7200 }, "Dhcp4.valid-liftime: unknown parameter (did you mean 'valid-lifetime'?)"],
    ['pool for pools', withSubnet({ pool: [{ pool: '198.18.0.30 - 198.18.0.40' }] }), "Dhcp4.subnet4[0].pool: unknown parameter (did you mean 'pools'?)"],
    ['two swapped letters', { 'lease-database': { type: 'memfile', nmae: '/tmp/l' } }, "Dhcp4.lease-database.nmae: unknown parameter (did you mean 'name'?)"],
    ['underscores for hyphens', { renew_timer: 100 }, "Dhcp4.renew_timer: unknown parameter (did you mean 'renew-timer'?)"],
    ['capital letters', { 'Valid-Lifetime': 100 }, "Dhcp4.Valid-Lifetime: unknown parameter (did you mean 'valid-lifetime'?)"],
    ['a prefix of a key', { interfaces: ['eth0'] }, "Dhcp4.interfaces: unknown parameter (did you mean 'interfaces-config'?)"],
    ['an unsupported key misspelt', { 'shared-network': [] }, "Dhcp4.shared-network: unknown parameter (did you mean 'shared-networks'?)"],
    ['a key with no near match', { 'made-up-key': 1 }, 'Dhcp4.made-up-key: unknown parameter (remove it or correct its name)'],
    ['a pool key', withSubnet({ pools: [{ pool: '198.18.0.10 - 198.18.0.20', option_data: [] }] }), "Dhcp4.subnet4[0].pools[0].option_data: unknown parameter (did you mean 'option-data'?)"],
    ['a reservation key', withSubnet({ reservations: [{ 'hw-adress': '02:00:00:00:00:01', 'hw-address': '02:00:00:00:00:01' }] }), "Dhcp4.subnet4[0].reservations[0].hw-adress: unknown parameter (did you mean 'hw-address'?)"],
    ['an option key', { 'option-data': [{ name: 'routers', data: '198.18.0.1', 'always-sent': true }] }, "Dhcp4.option-data[0].always-sent: unknown parameter (did you mean 'always-send'?)"],
    ['a logger key', { loggers: [{ name: 'kea-dhcp4', severty: 'INFO' }] }, "Dhcp4.loggers[0].severty: unknown parameter (did you mean 'severity'?)"],
    ['a nestor key', { nestor: { worker: 2 } }, "Dhcp4.nestor.worker: unknown parameter (did you mean 'workers'?)"],
    ['a multi-threading key', { 'multi-threading': { 'thread-pool': 4 } }, "Dhcp4.multi-threading.thread-pool: unknown parameter (did you mean 'thread-pool-size'?)"],
    ['a dhcp-ddns key', { 'dhcp-ddns': { 'enable-update': false } }, "Dhcp4.dhcp-ddns.enable-update: unknown parameter (did you mean 'enable-updates'?)"],
    ['a relay key', withSubnet({ relay: { 'ip-adresses': ['198.18.0.1'] } }), "Dhcp4.subnet4[0].relay.ip-adresses: unknown parameter (did you mean 'ip-addresses'?)"],
  ];

  it.each(cases)('%s is an error with a suggestion where one is close', (_what, dhcp4, error) => {
    expect(errorsOf(dhcp4)).toEqual([error]);
  });
});

describe('config load: pools that overlap across subnets', () => {
  it('is an error naming both pool paths', () => {
    const subnet4 = [
      { id: 1, subnet: '198.18.0.0/23', pools: [{ pool: '198.18.1.0 - 198.18.1.99' }, { pool: '198.18.0.10 - 198.18.0.20' }] },
      { id: 2, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.15 - 198.18.0.30' }] },
    ];
    expect(errorsOf({ subnet4 })).toEqual([
      "Dhcp4.subnet4[1].pools[0].pool: range '198.18.0.15 - 198.18.0.30' overlaps the pool at Dhcp4.subnet4[0].pools[1] of subnet id 1 " +
        '(expected pools of different subnets to be disjoint, because an address in both could be leased under two subnet ids)',
    ]);
  });

  it('reports the pool later in the file', () => {
    const subnet4 = [
      { id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.50 - 198.18.0.60' }] },
      { id: 2, subnet: '198.18.0.0/23', pools: [{ pool: '198.18.0.0/26' }] },
    ];
    expect(errorsOf({ subnet4 })).toEqual([
      "Dhcp4.subnet4[1].pools[0].pool: range '198.18.0.0/26' overlaps the pool at Dhcp4.subnet4[0].pools[0] of subnet id 1 " +
        '(expected pools of different subnets to be disjoint, because an address in both could be leased under two subnet ids)',
    ]);
  });

  it('accepts adjacent pools in nested subnets', () => {
    const subnet4 = [
      { id: 1, subnet: '198.18.0.0/23', pools: [{ pool: '198.18.1.0 - 198.18.1.99' }] },
      { id: 2, subnet: '198.18.1.0/24', pools: [{ pool: '198.18.1.100 - 198.18.1.200' }] },
    ];
    expect(errorsOf({ subnet4 })).toEqual([]);
  });
});

describe('config load: document-level problems', () => {
  it('reports a syntax error with file, line and column', () => {
    const result = parseConfigText('{\n "Dhcp4": { "valid-lifetime": 10 x }\n}', '/tmp/nestor-test.json');
    expect(result.config).toBeUndefined();
    expect(result.issues).toEqual([
      { severity: 'error', path: '/tmp/nestor-test.json:2:34', message: `expected ',' or '}' after the value of "valid-lifetime"` },
    ]);
  });

  it('reports a missing Dhcp4 object', () => {
    const result = parseConfigText('{ "Dhcp6": {} }', '/tmp/nestor-test.json');
    expect(result.issues.filter((i) => i.severity === 'error')).toEqual([
      { severity: 'error', path: 'Dhcp4', message: 'missing (expected an object with the DHCPv4 server configuration)' },
    ]);
  });

  it('does not throw on arbitrary JSON values', () => {
    for (const text of ['null', '[]', '42', '"Dhcp4"', '{ "Dhcp4": [] }', '{ "Dhcp4": { "subnet4": {} } }', '{ "Dhcp4": { "subnet4": [null, 1, []] } }']) {
      const result = parseConfigText(text, '/tmp/nestor-test.json');
      expect(result.config, text).toBeUndefined();
      expect(result.issues.length, text).toBeGreaterThan(0);
    }
  });
});

describe('config check: report text', () => {
  it('formats one line per issue, errors first', () => {
    const text = formatIssues([
      { severity: 'warning', path: 'Dhcp4.shared-networks', message: 'not supported yet, ignored' },
      { severity: 'error', path: 'Dhcp4.valid-lifetime', message: "invalid value '-5' (expected an integer from 0 to 4294967295)" },
    ]);
    expect(text).toBe(
      "error: Dhcp4.valid-lifetime: invalid value '-5' (expected an integer from 0 to 4294967295)\n" +
        'warning: Dhcp4.shared-networks: not supported yet, ignored',
    );
  });

  it('keeps file order within each severity', () => {
    const result = parseConfigText(
      JSON.stringify({ Dhcp4: { 'client-classes': [], 'valid-liftime': 1, 'sanity-checks': {}, 'renew-timer': -1, subnet4: [SUBNET] } }),
      '/tmp/nestor-test.json',
    );
    expect(formatIssues(result.issues).split('\n')).toEqual([
      "error: Dhcp4.valid-liftime: unknown parameter (did you mean 'valid-lifetime'?)",
      "error: Dhcp4.renew-timer: invalid value '-1' (expected an integer from 0 to 4294967295)",
      'warning: Dhcp4.client-classes: not supported yet, ignored',
      'warning: Dhcp4.sanity-checks: not supported yet, ignored',
    ]);
  });

  it('formats no issues as an empty text', () => {
    expect(formatIssues([])).toBe('');
  });

  it('summarizes subnets, pools, reservations and the lease database', () => {
    const dhcp4 = {
      'lease-database': { type: 'lmdb', name: '/tmp/l.lmdb' },
      subnet4: [{ ...SUBNET, reservations: [{ 'hw-address': '02:00:00:00:00:01', 'ip-address': '198.18.0.5' }] }],
    };
    const { config } = parseConfigText(JSON.stringify({ Dhcp4: dhcp4 }), '/tmp/nestor-test.json');
    expect(config).toBeDefined();
    expect(summarizeConfig(config!)).toBe(
      [
        '1 subnet(s), 11 pool address(es) in total',
        '  subnet 1 198.18.0.0/24: 1 pool(s), 1 reservation(s), valid-lifetime 7200 s',
        '    pool 198.18.0.10 - 198.18.0.20: 11 address(es)',
        'lease database: LMDB at /tmp/l.lmdb (configured type lmdb)',
        'interfaces: (none), socket type raw',
      ].join('\n'),
    );
  });

  it('says plainly that no subnet is configured', () => {
    const { config } = parseConfigText(JSON.stringify({ Dhcp4: { 'lease-database': { type: 'lmdb', name: '/tmp/l.lmdb' } } }), '/tmp/nestor-test.json');
    expect(config).toBeDefined();
    expect(summarizeConfig(config!)).toBe(
      [
        'no subnet is configured, so the server answers no client',
        'lease database: LMDB at /tmp/l.lmdb (configured type lmdb)',
        'interfaces: (none), socket type raw',
      ].join('\n'),
    );
  });
});
