import { describe, expect, it } from 'vitest';

import { BUCKET_NO_KEY } from '../../../src/io/batch.js';
import { rfc3074Hash } from '../../../src/io/rfc3074.js';
import { parseHaConfig } from '../../../src/ha/ha-config.js';
import { haClassName, isInScope, scopeOfBucket, servedScopes } from '../../../src/ha/query-filter.js';
import type { HaConfig, HaMode, HaState } from '../../../src/ha/types.js';

const ROLE_OF_SECOND: Record<HaMode, string> = { 'load-balancing': 'secondary', 'hot-standby': 'standby', 'passive-backup': 'backup' };

/** Builds a config with peers p (primary), s (secondary, standby or backup by mode) and b (backup). */
function configFor(mode: HaMode, thisServer: string, autoFailover = true): HaConfig {
  const result = parseHaConfig(
    {
      'high-availability': [
        {
          'this-server-name': thisServer,
          mode,
          peers: [
            { name: 'p', url: 'http://198.18.0.1:8001/', role: 'primary', 'auto-failover': autoFailover },
            { name: 's', url: 'http://198.18.0.2:8001/', role: ROLE_OF_SECOND[mode], 'auto-failover': autoFailover },
            { name: 'b', url: 'http://198.18.0.3:8001/', role: 'backup' },
          ],
        },
      ],
    },
    'parameters',
  );
  if (result.config === undefined) throw new Error(JSON.stringify(result.issues));
  return result.config;
}

function hex(text: string): Uint8Array {
  return Uint8Array.from(text.split(':').map((b) => parseInt(b, 16)));
}

describe('query filter: hash test vectors to scopes', () => {
  const lb = configFor('load-balancing', 'p');
  const hs = configFor('hot-standby', 'p');
  // Key bytes, expected RFC 3074 hash, expected load-balancing scope.
  const vectors: [string, number, string][] = [
    ['01:00:0c:01:02:03:04', 104, 'p'],
    ['01:00:0c:01:02:03:07', 69, 's'],
    ['01:02:aa:00:00:00:00', 171, 's'],
    ['01:02:bb:00:00:00:00', 118, 'p'],
    ['02:aa:00:00:01:f4', 106, 'p'],
    ['02:aa:00:00:02:59', 113, 's'],
    ['00:00:00:00:00:00', 254, 'p'],
    ['ff:ff:ff:ff:ff:ff', 79, 's'],
  ];
  for (const [key, hash, scope] of vectors) {
    it(`puts key ${key} in scope ${scope}`, () => {
      const bucket = rfc3074Hash(hex(key));
      expect(bucket).toBe(hash);
      expect(scopeOfBucket(bucket, lb)).toBe(scope);
      expect(scopeOfBucket(bucket, hs)).toBe('p');
    });
  }
});

describe('query filter: scopeOfBucket', () => {
  it('splits buckets by parity in load-balancing', () => {
    const config = configFor('load-balancing', 's');
    for (let bucket = 0; bucket < 256; bucket++) {
      expect(scopeOfBucket(bucket, config)).toBe(bucket % 2 === 0 ? 'p' : 's');
    }
  });

  it('puts every bucket in the primary scope in hot-standby and passive-backup', () => {
    for (const mode of ['hot-standby', 'passive-backup'] as const) {
      const config = configFor(mode, 'p');
      for (let bucket = 0; bucket < 256; bucket++) expect(scopeOfBucket(bucket, config)).toBe('p');
    }
  });

  it('puts a query without key in no scope', () => {
    for (const mode of ['load-balancing', 'hot-standby', 'passive-backup'] as const) {
      const config = configFor(mode, 'p');
      expect(scopeOfBucket(BUCKET_NO_KEY, config)).toBeUndefined();
      expect(isInScope(BUCKET_NO_KEY, ['p', 's'], config)).toBe(false);
    }
  });

  it('names the class HA_<scope>', () => {
    expect(haClassName('kea_1')).toBe('HA_kea_1');
  });
});

describe('query filter: isInScope', () => {
  const config = configFor('load-balancing', 'p');
  const cases: [number, readonly string[], boolean][] = [
    [104, ['p'], true],
    [69, ['p'], false],
    [69, ['s'], true],
    [104, [], false],
    [69, ['p', 's'], true],
  ];
  for (const [bucket, served, expected] of cases) {
    it(`returns ${expected} for bucket ${bucket} with [${served.join(', ')}]`, () => {
      expect(isInScope(bucket, served, config)).toBe(expected);
    });
  }
});

const ALL_STATES: HaState[] = [
  'waiting',
  'syncing',
  'ready',
  'load-balancing',
  'hot-standby',
  'communication-recovery',
  'partner-down',
  'partner-in-maintenance',
  'in-maintenance',
  'passive-backup',
  'backup',
  'terminated',
  'unavailable',
];

/**
 * Expected scopes per state for one mode, server and auto-failover setting; absent states serve
 * none. Every state is listed, including those the server never enters in that mode, so a change
 * to any branch shows up.
 */
interface ScopeTable {
  mode: HaMode;
  server: string;
  autoFailover: boolean;
  served: Partial<Record<HaState, string[]>>;
}

const TABLES: ScopeTable[] = [
  {
    mode: 'load-balancing',
    server: 'p',
    autoFailover: true,
    served: {
      'load-balancing': ['p'],
      'hot-standby': ['p'],
      'communication-recovery': ['p'],
      'partner-down': ['p', 's'],
      'partner-in-maintenance': ['p', 's'],
      'passive-backup': ['p'],
      terminated: ['p'],
    },
  },
  {
    mode: 'load-balancing',
    server: 's',
    autoFailover: true,
    served: {
      'load-balancing': ['s'],
      'hot-standby': ['s'],
      'communication-recovery': ['s'],
      'partner-down': ['p', 's'],
      'partner-in-maintenance': ['p', 's'],
      'passive-backup': ['s'],
      terminated: ['s'],
    },
  },
  {
    mode: 'load-balancing',
    server: 's',
    autoFailover: false,
    served: {
      'load-balancing': ['s'],
      'hot-standby': ['s'],
      'communication-recovery': ['s'],
      'partner-down': ['s'],
      'partner-in-maintenance': ['p', 's'],
      'passive-backup': ['s'],
      terminated: ['s'],
    },
  },
  {
    mode: 'hot-standby',
    server: 'p',
    autoFailover: true,
    served: {
      'load-balancing': ['p'],
      'hot-standby': ['p'],
      'communication-recovery': ['p'],
      'partner-down': ['p'],
      'partner-in-maintenance': ['p'],
      'passive-backup': ['p'],
      terminated: ['p'],
    },
  },
  {
    mode: 'hot-standby',
    server: 's',
    autoFailover: true,
    served: { 'partner-down': ['p'], 'partner-in-maintenance': ['p'] },
  },
  {
    mode: 'hot-standby',
    server: 's',
    autoFailover: false,
    served: { 'partner-in-maintenance': ['p'] },
  },
  {
    mode: 'passive-backup',
    server: 'p',
    autoFailover: true,
    served: {
      'load-balancing': ['p'],
      'hot-standby': ['p'],
      'communication-recovery': ['p'],
      'partner-down': ['p'],
      'partner-in-maintenance': ['p'],
      'passive-backup': ['p'],
      terminated: ['p'],
    },
  },
  { mode: 'load-balancing', server: 'b', autoFailover: true, served: {} },
  { mode: 'passive-backup', server: 'b', autoFailover: true, served: {} },
];

for (const table of TABLES) {
  describe(`query filter: servedScopes in ${table.mode} on ${table.server}, auto-failover ${table.autoFailover}`, () => {
    const config = configFor(table.mode, table.server, table.autoFailover);
    for (const state of ALL_STATES) {
      const expected = table.served[state] ?? [];
      it(`serves [${expected.join(', ')}] in ${state}`, () => {
        expect(servedScopes(state, config)).toEqual(expected);
      });
    }
  });
}

describe('query filter: partner-down after maintenance', () => {
  it('serves both scopes with auto-failover false', () => {
    const config = configFor('load-balancing', 's', false);
    expect(servedScopes('partner-down', config, { isAfterMaintenance: true })).toEqual(['p', 's']);
    expect(servedScopes('partner-down', config)).toEqual(['s']);
  });

  it('serves the primary scope on a standby with auto-failover false', () => {
    const config = configFor('hot-standby', 's', false);
    expect(servedScopes('partner-down', config, { isAfterMaintenance: true })).toEqual(['p']);
  });
});
