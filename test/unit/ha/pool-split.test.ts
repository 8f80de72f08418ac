import { describe, expect, it } from 'vitest';

import { parseIpv4 } from '../../../src/codec/options/index.js';
import { loadConfig } from '../../../src/config/load.js';
import type { PoolConfig, SubnetConfig } from '../../../src/config/types.js';
import { parseHaConfig } from '../../../src/ha/ha-config.js';
import { splitPool, splitPoolsForLoadBalancing } from '../../../src/ha/pool-split.js';
import type { HaConfig } from '../../../src/ha/types.js';

const FIXTURES = '/work/shared/fixtures/kea-configs';

function ip(text: string): number {
  const address = parseIpv4(text);
  if (address === undefined) throw new Error(`bad address ${text}`);
  return address;
}

function loadFixture(name: string): { subnets: readonly SubnetConfig[]; ha: HaConfig } {
  const loaded = loadConfig(`${FIXTURES}/${name}`);
  if (loaded.config === undefined) throw new Error(JSON.stringify(loaded.issues));
  const parsed = parseHaConfig(loaded.config.haParameters, 'parameters');
  if (parsed.config === undefined) throw new Error(JSON.stringify(parsed.issues));
  return { subnets: loaded.config.subnets, ha: parsed.config };
}

function pool(first: string, last: string, clientClass?: string): PoolConfig {
  return { first: ip(first), last: ip(last), clientClass, options: new Map() };
}

/** Pools as "first - last class" lines, for readable comparisons. */
function describePools(pools: readonly PoolConfig[]): string[] {
  const format = (a: number) => [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join('.');
  return pools.map((p) => `${format(p.first)} - ${format(p.last)} ${p.clientClass ?? '(none)'}`);
}

function subnetWith(pools: PoolConfig[]): SubnetConfig {
  const [template] = loadFixture('seed-lb-kea_1.json').subnets;
  return { ...template!, id: 7, pools };
}

describe('pool split: load-balancing fixtures', () => {
  const one = loadFixture('seed-lb-kea_1.json');
  const two = loadFixture('seed-lb-kea_2.json');

  it('splits 198.18.0.100 - 198.18.0.200 at .150', () => {
    const result = splitPoolsForLoadBalancing(one.subnets, one.ha);
    expect(result.subnets).toHaveLength(1);
    expect(result.subnets[0]!.subnetId).toBe(1);
    expect(result.subnets[0]!.isChanged).toBe(true);
    expect(describePools(result.subnets[0]!.pools)).toEqual(['198.18.0.100 - 198.18.0.150 HA_kea_1', '198.18.0.151 - 198.18.0.200 HA_kea_2']);
    expect(result.description).toBe(
      'subnet 1: pool 198.18.0.100 - 198.18.0.200 split into 198.18.0.100 - 198.18.0.150 (HA_kea_1) and 198.18.0.151 - 198.18.0.200 (HA_kea_2)',
    );
  });

  it('gives kea_1 and kea_2 the same split', () => {
    const fromOne = splitPoolsForLoadBalancing(one.subnets, one.ha);
    const fromTwo = splitPoolsForLoadBalancing(two.subnets, two.ha);
    expect(one.ha.thisServerName).not.toBe(two.ha.thisServerName);
    expect(fromTwo.subnets).toEqual(fromOne.subnets);
    expect(fromTwo.description).toBe(fromOne.description);
  });

  it('keeps pools unchanged in hot-standby', () => {
    const hs = loadFixture('seed-hs-kea_1.json');
    const result = splitPoolsForLoadBalancing(hs.subnets, hs.ha);
    expect(result.subnets[0]!.isChanged).toBe(false);
    expect(result.subnets[0]!.pools).toBe(hs.subnets[0]!.pools);
    expect(result.description).toBe('');
  });
});

describe('pool split: sizes', () => {
  const cases: [string, string, string[]][] = [
    ['198.18.1.10', '198.18.1.19', ['198.18.1.10 - 198.18.1.14 HA_p', '198.18.1.15 - 198.18.1.19 HA_s']],
    ['198.18.1.10', '198.18.1.20', ['198.18.1.10 - 198.18.1.15 HA_p', '198.18.1.16 - 198.18.1.20 HA_s']],
    ['198.18.1.10', '198.18.1.11', ['198.18.1.10 - 198.18.1.10 HA_p', '198.18.1.11 - 198.18.1.11 HA_s']],
    ['198.18.1.10', '198.18.1.12', ['198.18.1.10 - 198.18.1.11 HA_p', '198.18.1.12 - 198.18.1.12 HA_s']],
    ['198.18.1.10', '198.18.1.10', ['198.18.1.10 - 198.18.1.10 HA_p']],
    ['198.18.0.0', '198.19.255.255', ['198.18.0.0 - 198.18.255.255 HA_p', '198.19.0.0 - 198.19.255.255 HA_s']],
    ['255.255.255.254', '255.255.255.255', ['255.255.255.254 - 255.255.255.254 HA_p', '255.255.255.255 - 255.255.255.255 HA_s']],
  ];
  for (const [first, last, expected] of cases) {
    it(`splits ${first} - ${last}`, () => {
      expect(describePools(splitPool(pool(first, last), 'HA_p', 'HA_s'))).toEqual(expected);
    });
  }

  it('keeps the pool options on both halves', () => {
    const options = new Map([[3, { code: 3 }]]) as unknown as PoolConfig['options'];
    const halves = splitPool({ ...pool('198.18.1.10', '198.18.1.19'), options }, 'HA_p', 'HA_s');
    expect(halves[0]!.options).toBe(options);
    expect(halves[1]!.options).toBe(options);
  });
});

describe('pool split: mixed pools', () => {
  const { ha } = loadFixture('seed-lb-kea_1.json');

  it('leaves classed pools alone and splits the rest', () => {
    const subnet = subnetWith([
      pool('198.18.2.10', '198.18.2.19', 'HA_kea_1'),
      pool('198.18.2.20', '198.18.2.29', 'HA_kea_2'),
      pool('198.18.2.30', '198.18.2.39', 'printers'),
      pool('198.18.2.40', '198.18.2.43'),
    ]);
    const result = splitPoolsForLoadBalancing([subnet], ha);
    expect(describePools(result.subnets[0]!.pools)).toEqual([
      '198.18.2.10 - 198.18.2.19 HA_kea_1',
      '198.18.2.20 - 198.18.2.29 HA_kea_2',
      '198.18.2.30 - 198.18.2.39 printers',
      '198.18.2.40 - 198.18.2.41 HA_kea_1',
      '198.18.2.42 - 198.18.2.43 HA_kea_2',
    ]);
    expect(result.subnets[0]!.isChanged).toBe(true);
  });

  it('marks a subnet of HA pools as unchanged', () => {
    const subnet = subnetWith([pool('198.18.2.10', '198.18.2.19', 'HA_kea_1'), pool('198.18.2.20', '198.18.2.29', 'HA_kea_2')]);
    const result = splitPoolsForLoadBalancing([subnet], ha);
    expect(result.subnets[0]!.isChanged).toBe(false);
    expect(result.description).toBe('');
  });

  it('describes a single-address pool kept for the primary', () => {
    const result = splitPoolsForLoadBalancing([subnetWith([pool('198.18.2.50', '198.18.2.50')])], ha);
    expect(describePools(result.subnets[0]!.pools)).toEqual(['198.18.2.50 - 198.18.2.50 HA_kea_1']);
    expect(result.description).toBe('subnet 7: pool 198.18.2.50 - 198.18.2.50 has one address, kept for HA_kea_1 only');
  });

  it('freezes the result', () => {
    const result = splitPoolsForLoadBalancing([subnetWith([pool('198.18.2.40', '198.18.2.43')])], ha);
    expect(Object.isFrozen(result.subnets)).toBe(true);
    expect(Object.isFrozen(result.subnets[0])).toBe(true);
    expect(Object.isFrozen(result.subnets[0]!.pools)).toBe(true);
    expect(Object.isFrozen(result.subnets[0]!.pools[0])).toBe(true);
  });
});
