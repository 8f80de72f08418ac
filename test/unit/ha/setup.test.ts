// What HA changes in the engine: the load-balancing pool split applied to the whole configuration,
// and the HA_<scope> class of each query, which must agree with the query filter's bucket.

import { describe, expect, it } from 'vitest';

import { DhcpView } from '../../../src/codec/view.js';
import { DecodeOutcome } from '../../../src/codec/types.js';
import { buildRequest } from '../../../src/codec/request-builder.js';
import { loadConfig } from '../../../src/config/load.js';
import { packetBucket } from '../../../src/io/rfc3074.js';
import { scopeOfBucket } from '../../../src/ha/query-filter.js';
import { applyHaPoolSplit, haEngineOptions } from '../../../src/ha/setup.js';
import { directIngress } from '../engine/helpers.js';

const FIXTURES = '/work/shared/fixtures/kea-configs';

function fixture(name: string) {
  const { config } = loadConfig(`${FIXTURES}/${name}`);
  if (config === undefined) throw new Error(`${name} does not load`);
  return config;
}

describe('HA setup: pool split of the whole configuration', () => {
  it('splits the unguarded load-balancing pool the same way on both peers', () => {
    const one = applyHaPoolSplit(fixture('seed-lb-kea_1.json'));
    const two = applyHaPoolSplit(fixture('seed-lb-kea_2.json'));
    expect(one.description).toBe('subnet 1: pool 198.18.0.100 - 198.18.0.200 split into 198.18.0.100 - 198.18.0.150 (HA_kea_1) and 198.18.0.151 - 198.18.0.200 (HA_kea_2)');
    expect(one.config.subnets[0]!.pools).toEqual(two.config.subnets[0]!.pools);
    expect(one.config.subnets[0]!.pools.map((p) => p.clientClass)).toEqual(['HA_kea_1', 'HA_kea_2']);
  });

  it('leaves a hot-standby configuration unchanged', () => {
    const config = fixture('seed-hs-kea_1.json');
    const result = applyHaPoolSplit(config);
    expect(result.config).toBe(config);
    expect(result.description).toBe('');
  });
});

describe('HA setup: query classes', () => {
  const config = fixture('seed-lb-kea_1.json');
  const options = haEngineOptions(config.ha!);
  const view = new DhcpView();

  function classesOf(mac: Uint8Array, clientId?: Uint8Array, isFailover = false): { classes: readonly string[]; scope: string | undefined } {
    const extra: [number, Uint8Array][] = clientId === undefined ? [] : [[61, clientId]];
    const packet = buildRequest({ messageType: 1, xid: 1, chaddr: mac, options: extra });
    expect(view.reset(packet, 0, packet.length)).toBe(DecodeOutcome.OK);
    return { classes: options.classify(view, directIngress({ isFailover })), scope: scopeOfBucket(packetBucket(packet, 0, packet.length), config.ha!) };
  }

  it('gives every query the class of the scope the query filter puts it in', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const mac = Uint8Array.of(0x02, 0xaa, 0, 0, i >> 8, i & 0xff);
      const withId = i % 3 === 0 ? Uint8Array.of(1, ...mac) : undefined;
      const { classes, scope } = classesOf(mac, withId);
      expect(classes).toEqual([`HA_${scope}`]);
      seen.add(classes[0]!);
    }
    expect([...seen].sort()).toEqual(['HA_kea_1', 'HA_kea_2']);
  });

  it("puts this server's own class first for every query in failover", () => {
    expect(classesOf(Uint8Array.of(0x02, 0xaa, 0, 0, 0x02, 0x59), undefined, true).classes).toEqual(['HA_kea_1', 'HA_kea_2']);
    expect(classesOf(Uint8Array.of(0x02, 0xaa, 0, 0, 0x01, 0xf4), undefined, true).classes).toEqual(['HA_kea_1', 'HA_kea_2']);
    expect(options.ownedLeaseClasses).toEqual(['HA_kea_1', 'HA_kea_2']);
    expect(options.preferFirstClass).toBe(true);
  });

  it('follows the spec vectors: chaddr 02:aa:00:00:01:f4 → primary, 02:aa:00:00:02:59 → secondary', () => {
    expect(classesOf(Uint8Array.of(0x02, 0xaa, 0, 0, 0x01, 0xf4)).classes).toEqual(['HA_kea_1']);
    expect(classesOf(Uint8Array.of(0x02, 0xaa, 0, 0, 0x02, 0x59)).classes).toEqual(['HA_kea_2']);
  });
});
