import { readdirSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { readKeaJsonFile } from '../../../src/config/read.js';
import { parseHaConfig, parseUrl } from '../../../src/ha/ha-config.js';

const FIXTURES = '/work/shared/fixtures/kea-configs';
const REFERENCE = '/work/shared/reference/kea-configs';
const PATH = 'Dhcp4.hooks-libraries[1].parameters';
const REL = `${PATH}.high-availability[0]`;

/** Returns the parameters of libdhcp_ha.so in a Kea configuration file. */
function haParametersOf(file: string): unknown {
  const document = readKeaJsonFile(file).value as { Dhcp4: { 'hooks-libraries': { library: string; parameters: unknown }[] } };
  const hook = document.Dhcp4['hooks-libraries'].find((h) => h.library.endsWith('libdhcp_ha.so'));
  if (hook === undefined) throw new Error(`${file} does not load libdhcp_ha.so`);
  return hook.parameters;
}

type Json = Record<string, unknown>;

function relationship(overrides: Json = {}): Json {
  return {
    'this-server-name': 'server1',
    mode: 'load-balancing',
    peers: [
      { name: 'server1', url: 'http://198.18.0.1:8001/', role: 'primary' },
      { name: 'server2', url: 'http://198.18.0.2:8001/', role: 'secondary' },
    ],
    ...overrides,
  };
}

function parse(overrides: Json = {}) {
  return parseHaConfig({ 'high-availability': [relationship(overrides)] }, PATH);
}

/** Error lines "path: message" of a parse. */
function errorsOf(result: ReturnType<typeof parseHaConfig>): string[] {
  return result.issues.filter((i) => i.severity === 'error').map((i) => `${i.path}: ${i.message}`);
}

function peer(name: string, role: string, host: string, extra: Json = {}): Json {
  return { name, url: `http://${host}:8001/`, role, ...extra };
}

describe('ha-config: shared fixtures and reference configurations', () => {
  const files = [
    ...readdirSync(FIXTURES).map((f) => join(FIXTURES, f)),
    ...readdirSync(REFERENCE).filter((f) => f.startsWith('kea-ha-')).map((f) => join(REFERENCE, f)),
  ];

  it('finds five fixtures and the reference HA configurations', () => {
    expect(files.filter((f) => f.startsWith(FIXTURES))).toHaveLength(5);
    expect(files.length).toBeGreaterThanOrEqual(13);
  });

  for (const file of files) {
    it(`validates ${file.split('/').pop()} without issues`, () => {
      const result = parseHaConfig(haParametersOf(file), PATH);
      expect(result.issues).toEqual([]);
      expect(result.config).toBeDefined();
    });
  }

  it('reads seed-lb-kea_2 as the secondary with kea_1 as partner', () => {
    const { config } = parseHaConfig(haParametersOf(join(FIXTURES, 'seed-lb-kea_2.json')), PATH);
    expect(config?.mode).toBe('load-balancing');
    expect(config?.thisServer.name).toBe('kea_2');
    expect(config?.thisServer.role).toBe('secondary');
    expect(config?.partner?.name).toBe('kea_1');
    expect(config?.partner?.host).toBe('198.18.0.3');
    expect(config?.partner?.port).toBe(8080);
    expect(config?.heartbeatDelayMs).toBe(10000);
    expect(config?.maxResponseDelayMs).toBe(10000);
    expect(config?.maxAckDelayMs).toBe(5000);
    expect(config?.maxUnackedClients).toBe(5);
  });

  it('reads seed-hs-kea_1 as the primary with the standby as secondary', () => {
    const { config } = parseHaConfig(haParametersOf(join(FIXTURES, 'seed-hs-kea_1.json')), PATH);
    expect(config?.mode).toBe('hot-standby');
    expect(config?.primary.name).toBe('kea_1');
    expect(config?.secondary?.role).toBe('standby');
    expect(config?.partner?.name).toBe('kea_2');
    expect(config?.maxUnackedClients).toBe(0);
  });
});

describe('ha-config: defaults', () => {
  it('applies the Kea 2.2 defaults', () => {
    const { config, issues } = parse();
    expect(issues).toEqual([]);
    expect(config).toMatchObject({
      heartbeatDelayMs: 10000,
      maxResponseDelayMs: 60000,
      maxAckDelayMs: 10000,
      maxUnackedClients: 10,
      maxRejectedLeaseUpdates: 10,
      delayedUpdatesLimit: 100,
      syncLeases: true,
      syncTimeoutMs: 60000,
      syncPageLimit: 10000,
      sendLeaseUpdates: true,
      waitBackupAck: false,
      requireClientCerts: true,
      restrictCommands: false,
      statePauses: [],
      multiThreading: { enableMultiThreading: false, httpDedicatedListener: false, httpListenerThreads: 0, httpClientThreads: 0 },
    });
  });

  it('defaults delayed-updates-limit to 0 in hot-standby', () => {
    const { config } = parse({ mode: 'hot-standby', peers: [peer('server1', 'primary', '198.18.0.1'), peer('server2', 'standby', '198.18.0.2')] });
    expect(config?.delayedUpdatesLimit).toBe(0);
  });

  it('fills peer defaults', () => {
    const { config } = parse();
    expect(config?.thisServer).toEqual({
      name: 'server1',
      url: 'http://198.18.0.1:8001/',
      scheme: 'http',
      host: '198.18.0.1',
      port: 8001,
      path: '/',
      role: 'primary',
      autoFailover: true,
      basicAuthUser: undefined,
      basicAuthPassword: undefined,
      basicAuthPasswordFile: undefined,
      trustAnchor: undefined,
      certFile: undefined,
      keyFile: undefined,
    });
  });

  it('freezes the result deeply', () => {
    const { config } = parse({ 'state-machine': { states: [{ state: 'waiting', pause: 'once' }] } });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config?.thisServer)).toBe(true);
    expect(Object.isFrozen(config?.peers)).toBe(true);
    expect(Object.isFrozen(config?.multiThreading)).toBe(true);
    expect(Object.isFrozen(config?.statePauses[0])).toBe(true);
  });

  it('reads explicit values', () => {
    const { config, issues } = parse({
      'heartbeat-delay': 3000,
      'sync-leases': false,
      'state-machine': { states: [{ state: 'syncing', pause: 'always' }] },
      'multi-threading': { 'enable-multi-threading': true, 'http-dedicated-listener': true, 'http-listener-threads': 2, 'http-client-threads': 4 },
    });
    expect(issues).toEqual([]);
    expect(config?.heartbeatDelayMs).toBe(3000);
    expect(config?.syncLeases).toBe(false);
    expect(config?.statePauses).toEqual([{ state: 'syncing', pause: 'always' }]);
    expect(config?.multiThreading).toEqual({ enableMultiThreading: true, httpDedicatedListener: true, httpListenerThreads: 2, httpClientThreads: 4 });
  });

  it('keeps backups out of the partner slot', () => {
    const { config } = parse({
      peers: [peer('server1', 'primary', '198.18.0.1'), peer('server2', 'secondary', '198.18.0.2'), peer('server3', 'backup', '198.18.0.3')],
      'this-server-name': 'server3',
    });
    expect(config?.thisServer.role).toBe('backup');
    expect(config?.partner).toBeUndefined();
    expect(config?.backups.map((p) => p.name)).toEqual(['server3']);
  });
});

describe('ha-config: peer urls', () => {
  const cases: [string, object | undefined][] = [
    ['http://198.18.0.1:8000/', { scheme: 'http', host: '198.18.0.1', port: 8000, path: '/' }],
    ['http://198.18.0.1', { scheme: 'http', host: '198.18.0.1', port: 80, path: '/' }],
    ['https://198.18.0.1/ha', { scheme: 'https', host: '198.18.0.1', port: 443, path: '/ha' }],
    ['http://[2001:db8::1]:8000/', { scheme: 'http', host: '2001:db8::1', port: 8000, path: '/' }],
    ['http://server1:8000/', undefined],
    ['ftp://198.18.0.1/', undefined],
    ['http://198.18.0.256/', undefined],
    ['http://198.18.0.1:0/', undefined],
    ['http://198.18.0.1:70000/', undefined],
    ['http://[198.18.0.1]/', undefined],
  ];
  for (const [url, expected] of cases) {
    it(`parses '${url}'`, () => {
      expect(parseUrl(url)).toEqual(expected);
    });
  }
});

describe('ha-config: validation errors', () => {
  const primary = peer('server1', 'primary', '198.18.0.1');
  const secondary = peer('server2', 'secondary', '198.18.0.2');
  const standby = peer('server2', 'standby', '198.18.0.2');
  const cases: [string, Json, string[]][] = [
    [
      'missing role',
      { peers: [primary, { name: 'server2', url: 'http://198.18.0.2:8001/' }] },
      [`${REL}.peers[1].role: missing (expected one of 'primary', 'secondary', 'standby', 'backup')`],
    ],
    [
      'invalid role',
      { peers: [primary, peer('server2', 'seconday', '198.18.0.2')] },
      [`${REL}.peers[1].role: invalid value 'seconday' (expected one of 'primary', 'secondary', 'standby', 'backup')`],
    ],
    [
      'two primaries',
      { peers: [primary, secondary, peer('server3', 'primary', '198.18.0.3')] },
      [`${REL}.peers[2].role: second peer with role 'primary' (peers[0] already has it; expected at most one)`],
    ],
    [
      'secondary in hot-standby',
      { mode: 'hot-standby', peers: [primary, secondary] },
      [
        `${REL}.peers[1].role: role 'secondary' is not allowed in mode 'hot-standby' (expected one of 'primary', 'standby', 'backup')`,
        `${REL}.peers: no peer with role 'standby' (mode 'hot-standby' requires one)`,
      ],
    ],
    [
      'standby in load-balancing',
      { peers: [primary, standby] },
      [
        `${REL}.peers[1].role: role 'standby' is not allowed in mode 'load-balancing' (expected one of 'primary', 'secondary', 'backup')`,
        `${REL}.peers: no peer with role 'secondary' (mode 'load-balancing' requires one)`,
      ],
    ],
    [
      'secondary in passive-backup',
      { mode: 'passive-backup', peers: [primary, secondary] },
      [`${REL}.peers[1].role: role 'secondary' is not allowed in mode 'passive-backup' (expected one of 'primary', 'backup')`],
    ],
    [
      'no primary',
      { 'this-server-name': 'server2', peers: [secondary] },
      [`${REL}.peers: no peer with role 'primary' (mode 'load-balancing' requires one)`],
    ],
    [
      'this server not among the peers',
      { 'this-server-name': 'server9' },
      [`${REL}.this-server-name: 'server9' is not the name of any peer (expected one of 'server1', 'server2')`],
    ],
    ['missing this-server-name', { 'this-server-name': undefined }, [`${REL}.this-server-name: missing (expected the name of one of the peers)`]],
    ['empty this-server-name', { 'this-server-name': '  ' }, [`${REL}.this-server-name: invalid value '  ' (expected a non-empty peer name)`]],
    ['missing mode', { mode: undefined }, [`${REL}.mode: missing (expected one of 'load-balancing', 'hot-standby', 'passive-backup')`]],
    [
      'invalid mode',
      { mode: 'load-balance' },
      [`${REL}.mode: invalid value 'load-balance' (expected one of 'load-balancing', 'hot-standby', 'passive-backup')`],
    ],
    ['missing peers', { peers: undefined }, [`${REL}.peers: missing (expected a list of peers, this server included)`]],
    [
      'duplicate names',
      { peers: [primary, { ...secondary, name: 'server1' }] },
      [`${REL}.peers[1].name: duplicate peer name 'server1' (already used by peers[0]; expected unique names)`],
    ],
    [
      'duplicate urls',
      { peers: [primary, { ...secondary, url: 'http://198.18.0.1:8001' }] },
      [`${REL}.peers[1].url: duplicate url 'http://198.18.0.1:8001' (already used by peers[0]; expected one url per peer)`],
    ],
    [
      'bad url',
      { peers: [primary, { ...secondary, url: 'http://server2:8001/' }] },
      [
        `${REL}.peers[1].url: invalid value 'http://server2:8001/' (expected http:// or https://, an IPv4 address or a bracketed IPv6 address, an optional port from 1 to 65535 and an optional path)`,
      ],
    ],
    [
      'negative duration',
      { 'heartbeat-delay': -1 },
      [`${REL}.heartbeat-delay: invalid value '-1' (expected an integer from 0 to 65535)`],
    ],
    [
      'max-response-delay above 16 bits',
      { 'max-response-delay': 70000 },
      [`${REL}.max-response-delay: invalid value '70000' (expected an integer from 0 to 65535)`],
    ],
    [
      'fractional sync-timeout',
      { 'sync-timeout': 1.5 },
      [`${REL}.sync-timeout: invalid value '1.5' (expected an integer from 0 to 4294967295)`],
    ],
    [
      'duration as a string',
      { 'max-ack-delay': '5000' },
      [`${REL}.max-ack-delay: invalid value '5000' (a string; expected an integer from 0 to 65535)`],
    ],
    [
      'unknown relationship key',
      { 'heartbeat-dealy': 5000 },
      [`${REL}.heartbeat-dealy: unknown parameter (did you mean 'heartbeat-delay'?)`],
    ],
    [
      'unknown peer key',
      { peers: [{ ...primary, 'auto-failvoer': false }, secondary] },
      [`${REL}.peers[0].auto-failvoer: unknown parameter (did you mean 'auto-failover'?)`],
    ],
    [
      'multi-threaded instead of multi-threading',
      { 'multi-threaded': true },
      [`${REL}.multi-threaded: unknown parameter (remove it or correct its name)`],
    ],
    [
      'delayed-updates-limit in hot-standby',
      { mode: 'hot-standby', peers: [primary, standby], 'delayed-updates-limit': 5 },
      [`${REL}.delayed-updates-limit: invalid value '5' (expected 0 in mode 'hot-standby', because communication recovery exists only in load-balancing)`],
    ],
    [
      'wait-backup-ack outside passive-backup',
      { 'wait-backup-ack': true },
      [`${REL}.wait-backup-ack: invalid value 'true' (expected false in mode 'load-balancing', because only passive-backup waits for backups)`],
    ],
    [
      'missing peer name',
      { peers: [primary, { url: 'http://198.18.0.2:8001/', role: 'secondary' }] },
      [`${REL}.peers[1].name: missing (expected a non-empty peer name)`],
    ],
    [
      'missing peer url',
      { peers: [primary, { name: 'server2', role: 'secondary' }] },
      [`${REL}.peers[1].url: missing (expected a url such as http://198.18.0.2:8000/)`],
    ],
    ['peer not an object', { peers: [primary, 'server2'] }, [`${REL}.peers[1]: invalid value 'server2' (a string; expected an object with name, url and role)`]],
    [
      'unknown paused state',
      { 'state-machine': { states: [{ state: 'partner_down', pause: 'once' }] } },
      [
        `${REL}.state-machine.states[0].state: invalid value 'partner_down' (expected one of 'waiting', 'syncing', 'ready', 'load-balancing', 'hot-standby', 'communication-recovery', 'partner-down', 'partner-in-maintenance', 'in-maintenance', 'passive-backup', 'backup', 'terminated')`,
      ],
    ],
    [
      'unknown multi-threading key',
      { 'multi-threading': { 'http-listener-thread': 2 } },
      [`${REL}.multi-threading.http-listener-thread: unknown parameter (did you mean 'http-listener-threads'?)`],
    ],
    [
      'duplicate paused state',
      { 'state-machine': { states: [{ state: 'ready', pause: 'once' }, { state: 'ready', pause: 'always' }] } },
      [`${REL}.state-machine.states[1].state: duplicate state 'ready' (already configured in states[0]; expected each state once)`],
    ],
    [
      'unknown pause mode',
      { 'state-machine': { states: [{ state: 'ready', pause: 'sometimes' }] } },
      [`${REL}.state-machine.states[0].pause: invalid value 'sometimes' (expected one of 'always', 'once', 'never')`],
    ],
    [
      'password and password file',
      { peers: [primary, { ...secondary, 'basic-auth-user': 'ha', 'basic-auth-password': 'x', 'basic-auth-password-file': '/etc/pw' }] },
      [`${REL}.peers[1].basic-auth-password-file: conflicts with 'basic-auth-password' (expected one of the two)`],
    ],
    [
      'colon in user',
      { peers: [primary, { ...secondary, 'basic-auth-user': 'ha:1' }] },
      [`${REL}.peers[1].basic-auth-user: invalid value 'ha:1' (expected a user name without ':', because ':' separates user and password)`],
    ],
    [
      'https without TLS',
      { peers: [primary, { ...secondary, url: 'https://198.18.0.2:8001/' }] },
      [`${REL}.peers[1].url: https url without TLS settings (expected 'trust-anchor', 'cert-file' and 'key-file' here or on the relationship)`],
    ],
    [
      'incomplete TLS',
      { 'trust-anchor': '/etc/ca.pem' },
      [
        `${REL}.peers[0]: incomplete TLS settings: 'cert-file', 'key-file' not set (expected all of 'trust-anchor', 'cert-file', 'key-file' or none)`,
        `${REL}.peers[1]: incomplete TLS settings: 'cert-file', 'key-file' not set (expected all of 'trust-anchor', 'cert-file', 'key-file' or none)`,
      ],
    ],
  ];

  for (const [name, overrides, expected] of cases) {
    it(`reports ${name}`, () => {
      const result = parse(overrides);
      expect(errorsOf(result)).toEqual(expected);
      expect(result.config).toBeUndefined();
    });
  }

  it('reports two relationships', () => {
    const result = parseHaConfig({ 'high-availability': [relationship(), relationship()] }, PATH);
    expect(errorsOf(result)).toEqual([
      `${PATH}.high-availability: contains 2 relationships (expected exactly one, the only form Kea 2.2 accepts)`,
    ]);
  });

  it('reports an empty relationship list', () => {
    expect(errorsOf(parseHaConfig({ 'high-availability': [] }, PATH))).toEqual([
      `${PATH}.high-availability: contains 0 relationships (expected exactly one, the only form Kea 2.2 accepts)`,
    ]);
  });

  it('reports a relationship map instead of a list', () => {
    expect(errorsOf(parseHaConfig({ 'high-availability': relationship() }, PATH))).toEqual([
      `${PATH}.high-availability: invalid value {"this-server-name":"server1","mode":"load-balancing","pe... (an object; expected a list with one relationship)`,
    ]);
  });

  it('reports an unknown key beside high-availability', () => {
    const result = parseHaConfig({ 'high-availability': [relationship()], 'high-availabilty': [] }, PATH);
    expect(errorsOf(result)).toEqual([`${PATH}.high-availabilty: unknown parameter (did you mean 'high-availability'?)`]);
  });

  it('reports a missing high-availability list', () => {
    expect(errorsOf(parseHaConfig({}, PATH))).toEqual([`${PATH}.high-availability: missing (expected a list with one relationship)`]);
  });

  it('accepts TLS inherited from the relationship with https urls', () => {
    const tls = { 'trust-anchor': '/etc/ca.pem', 'cert-file': '/etc/c.pem', 'key-file': '/etc/k.pem' };
    const result = parse({ ...tls, peers: [{ ...primary, url: 'https://198.18.0.1:8001/' }, { ...secondary, url: 'https://198.18.0.2:8001/', 'trust-anchor': '' , 'cert-file': '', 'key-file': '' }] });
    expect(errorsOf(result)).toEqual([`${REL}.peers[1].url: https url without TLS settings (expected 'trust-anchor', 'cert-file' and 'key-file' here or on the relationship)`]);
    const inherited = parse({ ...tls, peers: [{ ...primary, url: 'https://198.18.0.1:8001/' }, secondary] });
    expect(errorsOf(inherited)).toEqual([]);
    expect(inherited.config?.thisServer.trustAnchor).toBe('/etc/ca.pem');
  });
});
