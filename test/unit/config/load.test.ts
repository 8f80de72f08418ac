import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import { loadConfig, parseConfigText } from '../../../src/config/load.js';
import type { LoadResult } from '../../../src/config/load.js';
import type { ConfigIssue } from '../../../src/config/types.js';

const SHARED_FIXTURES = '/work/shared/fixtures/kea-configs';
const REPO = resolve(import.meta.dirname, '../../..');

/** A minimal valid subnet for tests that need one. */
const SUBNET = { id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.10 - 198.18.0.20' }] };

const HA_PARAMETERS = {
  'high-availability': [{
    'this-server-name': 's1',
    mode: 'hot-standby',
    peers: [
      { name: 's1', url: 'http://198.18.0.1:8001/', role: 'primary' },
      { name: 's2', url: 'http://198.18.0.2:8001/', role: 'standby' },
    ],
  }],
};

function load(dhcp4: Record<string, unknown>, extra: Record<string, unknown> = {}): LoadResult {
  return parseConfigText(JSON.stringify({ Dhcp4: dhcp4, ...extra }), '/tmp/nestor-test.json');
}

function errors(result: LoadResult): ConfigIssue[] {
  return result.issues.filter((i) => i.severity === 'error');
}

function warnings(result: LoadResult): string[] {
  return result.issues.filter((i) => i.severity === 'warning').map((i) => `${i.path}: ${i.message}`);
}

function loaded(result: LoadResult) {
  expect(errors(result)).toEqual([]);
  if (result.config === undefined) throw new Error('config did not load');
  return result.config;
}

describe('config load: shared Kea fixtures', () => {
  const files = existsSync(SHARED_FIXTURES) ? readdirSync(SHARED_FIXTURES).filter((f) => f.endsWith('.json')) : [];

  it('finds the fixtures', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });

  it.each(files)('%s loads with no errors', (file) => {
    const config = loaded(loadConfig(join(SHARED_FIXTURES, file)));
    expect(config.subnets.map((s) => [s.id, s.subnet])).toEqual([[1, '198.18.0.0/16']]);
    expect(config.hasLeaseCommands).toBe(true);
    expect(config.haParameters).toMatchObject({ 'high-availability': [{ peers: [{ name: 'kea_1' }, { name: 'kea_2' }] }] });
    expect(config.loggers).toEqual([{ name: 'kea-dhcp4', level: 'trace', outputs: ['/usr/local/var/log/kea-dhcp4.log'] }]);
    expect(config.subnets[0].reservationsInSubnet).toBe(false);
    expect(config.hostReservationIdentifiers).toEqual(['hw-address']);
  });

  it('accepts the legacy top-level Logging object with a warning', () => {
    const result = loadConfig(join(SHARED_FIXTURES, 'seed-lb-kea_1-legacy-logging.json'));
    expect(loaded(result).loggers).toHaveLength(1);
    expect(warnings(result)).toContain('Logging: the top-level Logging object is a Kea 1.5 form that Kea 2.x rejects; its loggers are used, move them to Dhcp4.loggers');
  });
});

describe("config load: Kea's own example configurations", () => {
  const folder = ['/usr/share/doc/kea-doc/examples/kea4', '/usr/share/doc/kea/examples/kea4'].find((d) => existsSync(d));
  const files = folder === undefined ? [] : readdirSync(folder).filter((f) => f.endsWith('.json'));

  // Debian's kea-doc installs them; CI installs it, so there a missing folder is a failure, not a skip.
  const skipExamples = folder === undefined && process.env.CI !== 'true';

  it.skipIf(skipExamples)('names a path for every issue in every example', () => {
    expect(folder, "Kea's examples not found: install the Debian package 'kea-doc'").toBeDefined();
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const result = loadConfig(join(folder as string, file));
      for (const issue of result.issues) expect(issue.path, `${file}: ${issue.message}`).toMatch(/^(Dhcp4|Logging|[A-Z][A-Za-z-]+\b|\/.+:\d+:\d+$)/);
      expect(result.config !== undefined || errors(result).length > 0, file).toBe(true);
    }
  });

  it.skipIf(skipExamples)('loads every example without errors', () => {
    expect(folder, "Kea's examples not found: install the Debian package 'kea-doc'").toBeDefined();
    const failing = files.filter((file) => errors(loadConfig(join(folder as string, file))).length > 0);
    expect(failing).toEqual([]);
  });
});

describe('config load: repository HA example pair', () => {
  it('loads both halves with no issues and the same peers', () => {
    const [first, second] = ['examples/ha-load-balancing-1.json', 'examples/ha-load-balancing-2.json'].map((file) => loadConfig(join(REPO, file)));
    expect(first!.issues).toEqual([]);
    expect(second!.issues).toEqual([]);
    const one = loaded(first!).ha!;
    const two = loaded(second!).ha!;
    expect([one.thisServerName, two.thisServerName]).toEqual(['server1', 'server2']);
    expect(one.peers.map((p) => p.url)).toEqual(two.peers.map((p) => p.url));
    expect(one.mode).toBe('load-balancing');
  });
});

describe('config load: repository example', () => {
  it('examples/relay.json loads with no issues', () => {
    const result = loadConfig(join(REPO, 'examples/relay.json'));
    expect(result.issues).toEqual([]);
    const config = loaded(result);
    expect(config.socketType).toBe('udp');
    expect(config.subnets[0].relayAddresses).toEqual([0xc6130001]);
    expect(config.leaseDatabase).toEqual({ type: 'lmdb', path: '/tmp/nestor-relay/leases4.lmdb', persist: true });
  });
});

describe('config load: Kea 2.2 defaults', () => {
  it('applies the defaults to an almost empty configuration', () => {
    const config = loaded(load({ subnet4: [SUBNET] }));
    const subnet = config.subnets[0];
    expect(subnet).toMatchObject({
      validLifetime: 7200,
      minValidLifetime: 7200,
      maxValidLifetime: 7200,
      renewTimer: undefined,
      rebindTimer: undefined,
      calculateTeeTimes: false,
      t1Percent: 0.5,
      t2Percent: 0.875,
      matchClientId: true,
      echoClientId: true,
      authoritative: false,
      nextServer: 0,
      serverHostname: '',
      bootFileName: '',
      reservationsInSubnet: true,
      reservationsOutOfPool: false,
      serverId: undefined,
      clientClass: undefined,
      interface: undefined,
    });

    expect(subnet).toMatchObject({ network: 0xc6120000, prefixLength: 24, mask: 0xffffff00, broadcast: 0xc61200ff });
    expect(subnet.pools).toEqual([{ first: 0xc612000a, last: 0xc6120014, clientClass: undefined, options: new Map() }]);

    expect(config.reservationsGlobal).toBe(false);
    expect(config.declineProbationPeriodSec).toBe(86400);
    expect(config.hostReservationIdentifiers).toEqual(['hw-address', 'duid', 'circuit-id', 'client-id']);
    expect(config.expiredLeases).toEqual({
      reclaimTimerWaitTimeSec: 10,
      flushReclaimedTimerWaitTimeSec: 25,
      holdReclaimedTimeSec: 3600,
      maxReclaimLeases: 100,
      maxReclaimTimeMs: 250,
      unwarnedReclaimCycles: 5,
    });

    expect(config.leaseDatabase).toEqual({ type: 'memfile', path: '/var/lib/nestor/leases4.lmdb', persist: true });
    expect(config.socketType).toBe('raw');
    expect(config.interfaces).toEqual([]);
    expect(config.controlSocket).toBeUndefined();
    expect(config.hasLeaseCommands).toBe(false);
    expect(config.haParameters).toBeUndefined();
    expect(config.nestor).toEqual({ workers: undefined, serverPort: 67, clientPort: 68, lmdbMapSizeBytes: 1024 ** 3, commitWindowUs: 1000, receiveIntervalMs: 0 });
    expect(config.sourcePath).toBe('/tmp/nestor-test.json');
  });

  it('returns a deeply frozen configuration', () => {
    const config = loaded(load({ subnet4: [SUBNET], 'option-data': [{ name: 'routers', data: '198.18.0.1' }] }));
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.subnets[0].pools[0])).toBe(true);
    expect(Object.isFrozen(config.raw)).toBe(true);
    expect(() => (config.options as Map<number, unknown>).set(1, undefined)).toThrow(TypeError);
    expect(() => (config.subnets as unknown[]).push(1)).toThrow(TypeError);
  });
});

describe('config load: inheritance from the global level', () => {
  const dhcp4 = {
    'valid-lifetime': 4000,
    'renew-timer': 1000,
    'rebind-timer': 2000,
    'match-client-id': false,
    authoritative: true,
    'next-server': '198.18.0.2',
    'option-data': [
      { name: 'routers', data: '198.18.0.1' },
      { name: 'domain-name-servers', data: '198.18.0.53' },
    ],
    subnet4: [
      SUBNET,
      {
        id: 2,
        subnet: '198.18.1.0/24',
        'valid-lifetime': 6000,
        'match-client-id': true,
        'option-data': [
          { name: 'routers', data: '198.18.1.1', 'always-send': true },
          { name: 'dhcp-server-identifier', data: '198.18.1.254' },
        ],
        pools: [{ pool: '198.18.1.0/25', 'option-data': [{ code: 42, data: '198.18.1.123' }] }],
      },
    ],
  };

  it('gives a subnet the global values it does not set', () => {
    const [first, second] = loaded(load(dhcp4)).subnets;
    expect(first).toMatchObject({ validLifetime: 4000, renewTimer: 1000, rebindTimer: 2000, matchClientId: false, authoritative: true, nextServer: 0xc6120002 });
    expect(second).toMatchObject({ validLifetime: 6000, renewTimer: 1000, rebindTimer: 2000, matchClientId: true, authoritative: true });
  });

  it('merges subnet options over global options per code', () => {
    const config = loaded(load(dhcp4));
    const [first, second] = config.subnets;
    expect([...first.options.keys()]).toEqual([3, 6]);
    expect(first.options.get(3)).toEqual({ code: 3, data: Uint8Array.of(198, 18, 0, 1), alwaysSend: false });
    expect([...second.options.keys()].sort((a, b) => a - b)).toEqual([3, 6, 54]);
    expect(second.options.get(3)).toEqual({ code: 3, data: Uint8Array.of(198, 18, 1, 1), alwaysSend: true });
    expect(second.serverId).toBe(0xc61201fe);
    expect([...config.options.keys()]).toEqual([3, 6]);
  });

  it('keeps pool options separate and expands a prefix pool', () => {
    const pool = loaded(load(dhcp4)).subnets[1].pools[0];
    expect(pool.first).toBe(0xc6120100);
    expect(pool.last).toBe(0xc612017f);
    expect([...pool.options.keys()]).toEqual([42]);
  });

  it('checks the subnet timers against the inherited lifetime', () => {
    const result = load({ ...dhcp4, subnet4: [{ ...SUBNET, 'valid-lifetime': 1500 }] });
    expect(errors(result)).toEqual([
      { severity: 'error', path: 'Dhcp4.subnet4[0].rebind-timer', message: "value '2000' is not less than valid-lifetime '1500' (expected renew < rebind < valid-lifetime)" },
    ]);
  });
});

describe('config load: reservation-mode and its replacement flags', () => {
  const cases: Array<[mode: string, global: boolean, inSubnet: boolean, outOfPool: boolean]> = [
    ['all', false, true, false],
    ['out-of-pool', false, true, true],
    ['global', true, false, false],
    ['disabled', false, false, false],
  ];

  it.each(cases)('reservation-mode %s maps to global %s, in-subnet %s, out-of-pool %s', (mode, global, inSubnet, outOfPool) => {
    const config = loaded(load({ 'reservation-mode': mode, subnet4: [SUBNET] }));
    expect(config.reservationsGlobal).toBe(global);
    expect(config.subnets[0].reservationsInSubnet).toBe(inSubnet);
    expect(config.subnets[0].reservationsOutOfPool).toBe(outOfPool);
  });

  it('reads the newer flags at subnet level over the global ones', () => {
    const config = loaded(load({ 'reservations-global': true, subnet4: [{ ...SUBNET, 'reservations-out-of-pool': true }] }));
    expect(config.reservationsGlobal).toBe(true);
    expect(config.subnets[0].reservationsOutOfPool).toBe(true);
    expect(config.subnets[0].reservationsInSubnet).toBe(true);
  });
});

describe('config load: reservations', () => {
  it('reads hex and quoted identifiers, addresses and per-host values', () => {
    const reservations = [
      { 'hw-address': '02:00:00:00:00:01', 'ip-address': '198.18.0.5', hostname: 'one', 'next-server': '198.18.0.9', 'boot-file-name': 'pxe.0' },
      { 'client-id': '01 02 00 00 00 00 02', 'ip-address': '198.18.0.6' },
      { 'circuit-id': "'port-7'", 'option-data': [{ name: 'routers', data: '198.18.0.254' }] },
      { 'circuit-id': '0x0a0b' },
    ];
    const [one, two, three, four] = loaded(load({ subnet4: [{ ...SUBNET, reservations }] })).subnets[0].reservations;
    expect(one).toMatchObject({ hwAddress: Uint8Array.of(2, 0, 0, 0, 0, 1), ipAddress: 0xc6120005, hostname: 'one', nextServer: 0xc6120009, bootFileName: 'pxe.0', serverHostname: undefined });
    expect(two).toMatchObject({ clientId: Uint8Array.of(1, 2, 0, 0, 0, 0, 2), ipAddress: 0xc6120006, hwAddress: undefined });
    expect(three.circuitId).toEqual(new TextEncoder().encode('port-7'));
    expect(three.ipAddress).toBeUndefined();
    expect([...three.options.keys()]).toEqual([3]);
    expect(four.circuitId).toEqual(Uint8Array.of(10, 11));
  });

  it('reads global reservations', () => {
    const config = loaded(load({ reservations: [{ 'hw-address': '02:00:00:00:00:01', 'ip-address': '203.0.113.5' }] }));
    expect(config.globalReservations[0].ipAddress).toBe(0xcb007105);
  });
});

describe('config load: nestor settings and hooks', () => {
  it('reads nestor settings from Dhcp4.nestor', () => {
    const config = loaded(load({ nestor: { workers: 4, 'server-port': 6767, 'client-port': 6868, 'lmdb-map-size': 2 ** 30 * 4 } }));
    expect(config.nestor).toEqual({ workers: 4, serverPort: 6767, clientPort: 6868, lmdbMapSizeBytes: 2 ** 32, commitWindowUs: 1000, receiveIntervalMs: 0 });
  });

  it('reads commit-window-us with its range', () => {
    expect(loaded(load({ nestor: { 'commit-window-us': 0 } })).nestor.commitWindowUs).toBe(0);
    expect(loaded(load({ nestor: { 'commit-window-us': 2500 } })).nestor.commitWindowUs).toBe(2500);
    expect(errors(load({ nestor: { 'commit-window-us': 200_000 } }))).toEqual([
      { severity: 'error', path: 'Dhcp4.nestor.commit-window-us', message: "invalid value '200000' (expected an integer from 0 to 100000)" },
    ]);
  });

  it('reads receive-interval-ms with its range', () => {
    expect(loaded(load({ nestor: { 'receive-interval-ms': 0 } })).nestor.receiveIntervalMs).toBe(0);
    expect(loaded(load({ nestor: { 'receive-interval-ms': 2 } })).nestor.receiveIntervalMs).toBe(2);
    expect(errors(load({ nestor: { 'receive-interval-ms': 101 } }))).toEqual([
      { severity: 'error', path: 'Dhcp4.nestor.receive-interval-ms', message: "invalid value '101' (expected an integer from 0 to 100)" },
    ]);
    expect(errors(load({ nestor: { 'receive-interval-ms': 1.5 } }))).toEqual([
      { severity: 'error', path: 'Dhcp4.nestor.receive-interval-ms', message: "invalid value '1.5' (expected an integer from 0 to 100)" },
    ]);
  });

  it('reads nestor settings from user-context.nestor', () => {
    const config = loaded(load({ 'user-context': { nestor: { workers: 0 } } }));
    expect(config.nestor.workers).toBe(0);
  });

  it('recognises hook libraries by file name', () => {
    const result = load({
      subnet4: [SUBNET],
      'hooks-libraries': [
        { library: '/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so' },
        { library: 'libdhcp_ha.so', parameters: HA_PARAMETERS },
        { library: '/opt/hooks/libdhcp_bootp.so' },
      ],
    });
    const config = loaded(result);
    expect(config.hasLeaseCommands).toBe(true);
    expect(config.haParameters).toEqual(HA_PARAMETERS);
    expect(config.ha).toMatchObject({ mode: 'hot-standby', thisServerName: 's1', partner: { name: 's2', role: 'standby' } });
    expect(warnings(result)).toEqual([
      "Dhcp4.hooks-libraries[2].library: hook library 'libdhcp_bootp.so' is not supported, so what it adds is missing (nestor recognises libdhcp_lease_cmds.so and libdhcp_ha.so)",
    ]);
  });

  it('reports HA parameter mistakes with their paths', () => {
    const result = load({ subnet4: [SUBNET], 'hooks-libraries': [{ library: 'libdhcp_ha.so', parameters: { 'high-availability': [{ mode: 'hot-standby' }] } }] });
    const paths = errors(result).map((i) => i.path);
    expect(paths).toContain('Dhcp4.hooks-libraries[0].parameters.high-availability[0].this-server-name');
  });

  it('reads interfaces, control socket and loggers', () => {
    const config = loaded(
      load({
        'interfaces-config': { interfaces: ['eth0', 'eth1/198.18.0.1', '*'], 'dhcp-socket-type': 'udp', 'outbound-interface': 'use-routing', 're-detect': true },
        'control-socket': { 'socket-type': 'unix', 'socket-name': '/tmp/nestor.sock' },
        loggers: [
          { name: 'kea-dhcp4', severity: 'WARN', output_options: [{ output: 'stderr' }, { output: 'syslog', pattern: '%m' }] },
          { name: 'kea-dhcp4.packets', severity: 'DEBUG', debuglevel: 10 },
        ],
      }),
    );
    expect(config.interfaces).toEqual([
      { name: 'eth0', address: undefined },
      { name: 'eth1', address: 0xc6120001 },
      { name: '*', address: undefined },
    ]);
    expect(config.controlSocket).toEqual({ type: 'unix', path: '/tmp/nestor.sock' });
    expect(config.loggers).toEqual([
      { name: 'kea-dhcp4', level: 'warn', outputs: ['stderr', 'syslog'] },
      { name: 'kea-dhcp4.packets', level: 'debug', outputs: ['stdout'] },
    ]);
  });
});

describe('config load: unsupported keys', () => {
  it('warns once per unsupported key and still loads the rest', () => {
    const result = load({
      'shared-networks': [],
      'client-classes': [],
      comment: 'silently accepted',
      'user-context': { site: 'lab' },
      'lease-database': { type: 'memfile', persist: false, 'lfc-interval': 3600, user: 'kea' },
      subnet4: [{ ...SUBNET, comment: 'silent here too', 'store-extended-info': true }],
    }, { Dhcp6: {} });
    expect(loaded(result).subnets).toHaveLength(1);
    expect(warnings(result)).toEqual([
      'Dhcp6: configuration of another Kea server, ignored (nestor serves DHCPv4 only)',
      'Dhcp4.client-classes: not supported yet, ignored',
      'Dhcp4.shared-networks: not supported yet, ignored',
      'Dhcp4.subnet4[0].store-extended-info: not supported yet, ignored',
      'Dhcp4.lease-database.user: not supported yet, ignored',
      'Dhcp4.lease-database.persist: nestor always writes leases to disk, false is ignored',
    ]);
  });

  it('rejects the configuration for an unknown key but lists every other issue', () => {
    const result = load({ 'valid-liftime': 7200, 'client-classes': [], 'renew-timer': 'x', subnet4: [SUBNET] });
    expect(result.config).toBeUndefined();
    expect(result.issues).toEqual([
      { severity: 'error', path: 'Dhcp4.valid-liftime', message: "unknown parameter (did you mean 'valid-lifetime'?)" },
      { severity: 'warning', path: 'Dhcp4.client-classes', message: 'not supported yet, ignored' },
      { severity: 'error', path: 'Dhcp4.renew-timer', message: "invalid value 'x' (a string; expected an integer from 0 to 4294967295)" },
    ]);
  });

  it('assigns a missing subnet id from the position, with a warning', () => {
    const { id: _id, ...withoutId } = SUBNET;
    const result = load({ subnet4: [{ ...SUBNET, id: 5 }, { ...withoutId, subnet: '198.18.1.0/24', pools: [] }] });
    expect(loaded(result).subnets.map((s) => s.id)).toEqual([5, 6]);
    expect(warnings(result)).toEqual([
      'Dhcp4.subnet4[1].id: missing, so subnet id 6 is assigned from the position in the file (set an explicit id: leases are stored by subnet id)',
    ]);
  });
});

describe('config load: custom option definitions', () => {
  it('warns about options that use an option-def and leaves them out', () => {
    const result = load({
      subnet4: [SUBNET],
      'option-def': [{ name: 'site-option', code: 224, type: 'uint32' }],
      'option-data': [
        { name: 'site-option', data: '12' },
        { code: 224, data: '13' },
        { name: 'routers', data: '198.18.0.1' },
      ],
    });
    expect([...loaded(result).options.keys()]).toEqual([3]);
    expect(warnings(result)).toEqual([
      'Dhcp4.option-def: custom option definitions are not supported yet, ignored (options that use them are reported where they appear)',
      "Dhcp4.option-data[0]: option 'site-option' uses a custom definition from option-def, which is not supported yet; the option is not sent",
      "Dhcp4.option-data[1]: option '224' uses a custom definition from option-def, which is not supported yet; the option is not sent",
    ]);
  });
});

describe('config load: memfile lease database', () => {
  it('warns that the name must be a new path for the LMDB file', () => {
    const result = load({ 'lease-database': { type: 'memfile', name: '/var/lib/kea/kea-leases4.csv' }, subnet4: [SUBNET] });
    expect(loaded(result).leaseDatabase).toEqual({ type: 'memfile', path: '/var/lib/kea/kea-leases4.csv', persist: true });
    expect(warnings(result)).toEqual([
      "Dhcp4.lease-database.name: nestor keeps leases in an LMDB database, not Kea's CSV file; point 'name' to a new path (an existing Kea CSV file there makes the server refuse to start)",
    ]);
  });

  it.each([
    ['memfile without a name', { type: 'memfile' }],
    ['lmdb with a name', { type: 'lmdb', name: '/tmp/leases4.lmdb' }],
  ])('does not warn for %s', (_what, database) => {
    expect(warnings(load({ 'lease-database': database, subnet4: [SUBNET] }))).toEqual([]);
  });
});

describe('config load: subnets that are not served', () => {
  function sharedNetwork(count: number): Record<string, unknown> {
    const subnets = Array.from({ length: count }, (_, i) => ({ id: i + 10, subnet: `198.19.${i}.0/24` }));
    return { 'shared-networks': [{ name: 'floor', subnet4: subnets }], subnet4: [SUBNET] };
  }

  it('lists the subnets of shared-networks', () => {
    const dhcp4 = {
      'shared-networks': [
        { name: 'a', subnet4: [{ id: 1, subnet: '10.0.0.0/8' }] },
        { name: 'b', subnet4: [{ id: 2, subnet: '192.0.2.0/24' }, { subnet: '198.51.100.0/24' }] },
        { name: 'empty' },
      ],
      subnet4: [{ ...SUBNET, id: 3 }],
    };
    expect(warnings(load(dhcp4))).toEqual([
      'Dhcp4.shared-networks: not supported yet, ignored; its 3 subnets 10.0.0.0/8 (id 1), 192.0.2.0/24 (id 2), 198.51.100.0/24 (no id) are not served',
    ]);
  });

  it('names a single shared-network subnet in the singular', () => {
    expect(warnings(load(sharedNetwork(1)))).toEqual(['Dhcp4.shared-networks: not supported yet, ignored; its 1 subnet 198.19.0.0/24 (id 10) is not served']);
  });

  it('lists ten shared-network subnets and counts the rest', () => {
    const [warning] = warnings(load(sharedNetwork(12)));
    expect(warning).toMatch(/^Dhcp4\.shared-networks: not supported yet, ignored; its 12 subnets 198\.19\.0\.0\/24 \(id 10\), /);
    expect(warning).toMatch(/198\.19\.9\.0\/24 \(id 19\) and 2 more are not served$/);
    expect(warning).not.toContain('198.19.10.0/24');
  });

  it.each([
    ['no subnet4 key', {}],
    ['an empty subnet4 list', { subnet4: [] }],
    ['only shared-network subnets', { 'shared-networks': [{ name: 'a', subnet4: [{ id: 1, subnet: '10.0.0.0/8' }] }] }],
  ])('warns that no subnet is configured with %s', (_what, dhcp4) => {
    expect(warnings(load(dhcp4))).toContain('Dhcp4.subnet4: no subnet is configured, so the server answers no client');
  });

  it('does not add the no-subnet warning when subnets are left out for errors', () => {
    const result = load({ subnet4: [{ id: 1, subnet: 'bad' }] });
    expect(errors(result)).toHaveLength(1);
    expect(warnings(result)).toEqual([]);
  });

  it('warns about overlapping subnet prefixes and names both paths', () => {
    const subnet4 = [
      { id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.10 - 198.18.0.20' }] },
      { id: 2, subnet: '198.19.0.0/24' },
      { id: 3, subnet: '198.18.0.0/16', pools: [{ pool: '198.18.5.10 - 198.18.5.20' }] },
    ];
    const result = load({ subnet4 });
    expect(loaded(result).subnets.map((s) => s.id)).toEqual([1, 2, 3]);
    expect(warnings(result)).toEqual([
      "Dhcp4.subnet4[2].subnet: prefix '198.18.0.0/16' overlaps subnet '198.18.0.0/24' at Dhcp4.subnet4[0] " +
        '(a client in the overlap is served from one of the two, chosen by the subnet selection rules)',
    ]);
  });

  it('does not warn about adjacent prefixes', () => {
    const subnet4 = [SUBNET, { id: 2, subnet: '198.18.1.0/24' }, { id: 3, subnet: '198.17.255.0/24' }];
    expect(warnings(load({ subnet4 }))).toEqual([]);
  });
});

describe('config load: configuration file errors', () => {
  it('reports a missing file in words', () => {
    expect(loadConfig('/tmp/nestor-no-such-config.json').issues).toEqual([
      { severity: 'error', path: '/tmp/nestor-no-such-config.json', message: 'cannot read the configuration file: not found (ENOENT)' },
    ]);
  });
});
