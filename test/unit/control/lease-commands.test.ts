import { describe, expect, it } from 'vitest';

import { LeaseState } from '../../../src/leases/types.js';
import { NOW_SEC, harness, lease, net0, net1 } from './helpers.js';

describe('control: lease4-get', () => {
  it('returns the lease at an address in Kea lease JSON', async () => {
    const h = harness();
    h.store.transact((tx) => tx.put(lease(net0(10), { clientId: Uint8Array.of(1, 2, 3), hostname: 'host-a' })));

    const reply = await h.send('lease4-get', { 'ip-address': '198.18.0.10' });

    expect(reply).toEqual({
      result: 0,
      text: 'IPv4 lease found.',
      arguments: {
        'ip-address': '198.18.0.10', 'hw-address': '00:0c:01:02:03:0a', 'client-id': '01:02:03', 'subnet-id': 1,
        cltt: NOW_SEC - 100, 'valid-lft': 3600, 'fqdn-fwd': false, 'fqdn-rev': false, hostname: 'host-a', state: 0,
      },
    });
  });

  it('finds a lease by hw-address and subnet-id', async () => {
    const h = harness();
    h.store.transact((tx) => tx.put(lease(net0(11))));
    const reply = await h.send('lease4-get', { 'identifier-type': 'hw-address', identifier: '00:0c:01:02:03:0b', 'subnet-id': 1 });
    expect(reply.result).toBe(0);
    expect((reply.arguments as Record<string, unknown>)['ip-address']).toBe('198.18.0.11');
  });

  it('finds a lease by client-id and subnet-id', async () => {
    const h = harness();
    h.store.transact((tx) => tx.put(lease(net0(12), { clientId: Uint8Array.of(1, 0xaa, 0xbb) })));
    const reply = await h.send('lease4-get', { 'identifier-type': 'client-id', identifier: '01:aa:bb', 'subnet-id': 1 });
    expect((reply.arguments as Record<string, unknown>)['ip-address']).toBe('198.18.0.12');
  });

  it('returns result 3 when no lease matches', async () => {
    const h = harness();
    expect(await h.send('lease4-get', { 'ip-address': '198.18.0.10' })).toEqual({ result: 3, text: 'Lease not found.' });
    expect(await h.send('lease4-get', { 'identifier-type': 'hw-address', identifier: '00:01:02:03:04:05', 'subnet-id': 1 }))
      .toEqual({ result: 3, text: 'Lease not found.' });
  });

  it.each([
    ['no arguments', undefined, 'Parameters missing or are not a map.'],
    ['a non-string address', { 'ip-address': 7 }, "'ip-address' is not a string."],
    ['an invalid address', { 'ip-address': '198.18.0.300' }, "Failed to convert string to address '198.18.0.300': Invalid argument"],
    ['no subnet-id with an identifier', { 'identifier-type': 'hw-address', identifier: '00:01' }, "Mandatory 'subnet-id' parameter missing."],
    ['a non-integer subnet-id', { 'identifier-type': 'hw-address', identifier: '00:01', 'subnet-id': '1' }, "'subnet-id' parameter is not integer."],
    ['no identifier-type', { identifier: '00:01', 'subnet-id': 1 }, "No 'ip-address' provided and 'identifier-type' is either missing or not a string."],
    ['no identifier', { 'identifier-type': 'hw-address', 'subnet-id': 1 }, "No 'ip-address' provided and 'identifier' is either missing or not a string."],
    ['the duid identifier', { 'identifier-type': 'duid', identifier: '00:01', 'subnet-id': 1 }, 'Identifier type duid is not supported.'],
    ['an unknown identifier type', { 'identifier-type': 'mac', identifier: '00:01', 'subnet-id': 1 }, 'Incorrect identifier type: mac, the only supported values are: hw-address, client-id'],
    ['invalid identifier hex', { 'identifier-type': 'hw-address', identifier: 'zz', 'subnet-id': 1 }, "invalid hw-address identifier 'zz' (expected 1 to 20 hex bytes such as '00:0c:01:02:03:04')"],
    ['an unknown argument', { 'ip-address': '198.18.0.10', adress: 'x' }, "unknown argument 'adress' in the 'lease4-get' command (expected 'ip-address', 'identifier-type', 'identifier', 'subnet-id')"],
  ])('rejects %s with result 1', async (_name, args, text) => {
    expect(await harness().send('lease4-get', args)).toEqual({ result: 1, text });
  });
});

describe('control: lease4-get-all', () => {
  it('returns every lease in address order', async () => {
    const h = harness();
    h.store.transact((tx) => {
      tx.put(lease(net1(20), { subnetId: 2 }));
      tx.put(lease(net0(10)));
    });
    const reply = await h.send('lease4-get-all');
    expect(reply.result).toBe(0);
    expect(reply.text).toBe('2 IPv4 lease(s) found.');
    const leases = (reply.arguments as { leases: Array<Record<string, unknown>> }).leases;
    expect(leases.map((l) => l['ip-address'])).toEqual(['198.18.0.10', '198.18.1.20']);
    expect(reply.arguments).not.toHaveProperty('count');
  });

  it('returns the listed subnets in list order', async () => {
    const h = harness();
    h.store.transact((tx) => {
      tx.put(lease(net0(10)));
      tx.put(lease(net1(20), { subnetId: 2 }));
      tx.put(lease(net1(21), { subnetId: 2 }));
    });
    const reply = await h.send('lease4-get-all', { subnets: [2, 1] });
    const leases = (reply.arguments as { leases: Array<Record<string, unknown>> }).leases;
    expect(leases.map((l) => l['ip-address'])).toEqual(['198.18.1.20', '198.18.1.21', '198.18.0.10']);
    expect(reply.text).toBe('3 IPv4 lease(s) found.');
  });

  it('returns result 3 with an empty list when nothing matches', async () => {
    expect(await harness().send('lease4-get-all', { subnets: [9] })).toEqual({ result: 3, text: '0 IPv4 lease(s) found.', arguments: { leases: [] } });
  });

  it.each([
    ['arguments without subnets', {}, "'subnets' parameter not specified"],
    ['subnets that is not a list', { subnets: 1 }, "'subnets' parameter must be a list"],
    ['a non-numeric subnet id', { subnets: [1, 'two'] }, 'listed subnet identifiers must be numbers'],
  ])('rejects %s with result 1', async (_name, args, text) => {
    expect(await harness().send('lease4-get-all', args)).toEqual({ result: 1, text });
  });
});

describe('control: lease4-get-page', () => {
  async function pageOf(from: string, limit: number): Promise<{ result: number; text?: string; count: number; ips: unknown[] }> {
    const h = harness();
    h.store.transact((tx) => {
      for (const n of [10, 11, 12]) tx.put(lease(net0(n)));
      tx.put(lease(net1(5), { subnetId: 2 }));
    });
    const reply = await h.send('lease4-get-page', { from, limit });
    const args = reply.arguments as { count: number; leases: Array<Record<string, unknown>> };
    return { result: reply.result, text: reply.text, count: args.count, ips: args.leases.map((l) => l['ip-address']) };
  }

  it('pages from start in address order', async () => {
    expect(await pageOf('start', 2)).toEqual({ result: 0, text: '2 IPv4 lease(s) found.', count: 2, ips: ['198.18.0.10', '198.18.0.11'] });
  });

  it('starts strictly after the given address', async () => {
    expect((await pageOf('198.18.0.11', 5)).ips).toEqual(['198.18.0.12', '198.18.1.5']);
  });

  it('treats 0.0.0.0 like start', async () => {
    expect((await pageOf('0.0.0.0', 1)).ips).toEqual(['198.18.0.10']);
  });

  it('returns result 3 with count 0 past the last lease', async () => {
    expect(await pageOf('198.18.1.5', 4)).toEqual({ result: 3, text: '0 IPv4 lease(s) found.', count: 0, ips: [] });
  });

  it.each([
    ['no arguments', undefined, 'no parameters specified for the lease4-get-page command'],
    ['no from', { limit: 1 }, "'from' parameter not specified"],
    ['a non-string from', { from: 1, limit: 1 }, "'from' parameter must be a string"],
    ['an invalid from', { from: 'begin', limit: 1 }, "'from' parameter value is neither 'start' keyword nor a valid IPv4 address"],
    ['no limit', { from: 'start' }, "'limit' parameter not specified"],
    ['a string limit', { from: 'start', limit: '5' }, "'limit' parameter must be a number"],
    ['a zero limit', { from: 'start', limit: 0 }, 'page size of retrieved leases must not be 0'],
    ['a negative limit', { from: 'start', limit: -1 }, 'page size of retrieved leases must not be greater than 4294967295'],
  ])('rejects %s with result 1', async (_name, args, text) => {
    expect(await harness().send('lease4-get-page', args)).toEqual({ result: 1, text });
  });
});

describe('control: lease4-add', () => {
  it('adds a lease with the subnet found from its address and the subnet valid lifetime', async () => {
    const h = harness();
    const reply = await h.send('lease4-add', { 'ip-address': '198.18.1.30', 'hw-address': '1a:1b:1c:1d:1e:1f' });
    expect(reply).toEqual({ result: 0, text: 'Lease for address 198.18.1.30, subnet-id 2 added.' });

    const stored = h.store.get(net1(30));
    expect(stored?.subnetId).toBe(2);
    expect(stored?.validLifetime).toBe(600);
    expect(stored?.cltt).toBe(NOW_SEC);
  });

  it('takes cltt from expire minus valid-lft', async () => {
    const h = harness();
    await h.send('lease4-add', { 'ip-address': '198.18.0.30', 'hw-address': '1a:1b:1c:1d:1e:1f', 'valid-lft': 100, expire: NOW_SEC + 50, 'subnet-id': 1 });
    expect(h.store.get(net0(30))?.cltt).toBe(NOW_SEC - 50);
  });

  it('rejects an address that already has a lease and keeps the old one', async () => {
    const h = harness();
    h.store.transact((tx) => tx.put(lease(net0(10), { hostname: 'old' })));
    const reply = await h.send('lease4-add', { 'ip-address': '198.18.0.10', 'hw-address': '1a:1b:1c:1d:1e:1f' });
    expect(reply).toEqual({ result: 1, text: 'IPv4 lease already exists.' });
    expect(h.store.get(net0(10))?.hostname).toBe('old');
  });

  it.each([
    ['no arguments', undefined, 'no parameters specified for the command'],
    ['an address outside every subnet', { 'ip-address': '198.19.0.1', 'hw-address': '01:02' }, 'subnet-id not specified and failed to find a subnet for address 198.19.0.1'],
    ['an unknown subnet-id', { 'ip-address': '198.18.0.5', 'hw-address': '01:02', 'subnet-id': 9 }, 'Invalid subnet-id: No IPv4 subnet with subnet-id=9 currently configured.'],
    ['an address outside its subnet', { 'ip-address': '198.18.0.5', 'hw-address': '01:02', 'subnet-id': 2 }, 'The address 198.18.0.5 does not belong to subnet 198.18.1.0/24, subnet-id=2'],
    ['a missing hw-address', { 'ip-address': '198.18.0.5' }, "hw-address: missing (expected hex bytes such as '00:0c:01:02:03:04')"],
    ['an invalid state', { 'ip-address': '198.18.0.5', 'hw-address': '01:02', state: 3 }, "state: '3' is not a valid lease state (expected 0 default, 1 declined or 2 expired-reclaimed)"],
    ['a user-context that is not a map', { 'ip-address': '198.18.0.5', 'hw-address': '01:02', 'user-context': 'x' }, 'Invalid user context \'"x"\' is not a JSON map.'],
    ['force-create, which only lease4-update takes', { 'ip-address': '198.18.0.5', 'hw-address': '01:02', 'force-create': true }, expect.stringContaining("unknown argument 'force-create' in the 'lease4-add' command")],
  ])('rejects %s with result 1', async (_name, args, text) => {
    const h = harness();
    expect(await h.send('lease4-add', args)).toEqual({ result: 1, text });
    expect(h.store.count()).toBe(0);
  });
});

describe('control: lease4-update', () => {
  const update = { 'ip-address': '198.18.0.10', 'hw-address': '00:0c:01:02:03:04', 'subnet-id': 1, 'valid-lft': 600, expire: NOW_SEC + 600, hostname: 'New', state: 0 };

  it('overwrites an existing lease', async () => {
    const h = harness();
    h.store.transact((tx) => tx.put(lease(net0(10), { hostname: 'old' })));
    expect(await h.send('lease4-update', update)).toEqual({ result: 0, text: 'IPv4 lease updated.' });
    expect(h.store.get(net0(10))?.hostname).toBe('new');
    expect(h.store.get(net0(10))?.cltt).toBe(NOW_SEC);
  });

  it('creates a missing lease with force-create, as HA partners send it', async () => {
    const h = harness();
    const reply = await h.send('lease4-update', { ...update, 'force-create': true, origin: 'ha-partner', 'pool-id': 0 });
    expect(reply).toEqual({ result: 0, text: 'IPv4 lease added.' });
    expect(h.store.get(net0(10))?.validLifetime).toBe(600);
  });

  it('fails on a missing lease without force-create', async () => {
    const h = harness();
    const reply = await h.send('lease4-update', update);
    expect(reply.result).toBe(1);
    expect(reply.text).toBe('failed to update the lease with address 198.18.0.10 either because the lease has been deleted or it has changed in the database, in both cases a retry might succeed');
    expect(h.store.count()).toBe(0);
  });

  it.each([
    ['no arguments', undefined, 'no parameters specified for lease4-update command'],
    ['a non-boolean force-create', { ...update, 'force-create': 'yes' }, "'force-create' in the 'lease4-update' command must be true or false, not \"yes\""],
    ['an expire below valid-lft', { ...update, expire: 10 }, 'expire: 10 is less than valid-lft 600 (expected expire = cltt + valid-lft)'],
    ['an address outside every subnet', { ...update, 'ip-address': '203.0.113.1', 'subnet-id': 0 }, 'subnet-id not specified and failed to find a subnet for address 203.0.113.1'],
  ])('rejects %s with result 1', async (_name, args, text) => {
    expect(await harness().send('lease4-update', args)).toEqual({ result: 1, text });
  });
});

describe('control: lease4-del', () => {
  it('deletes by address and ignores the other lease fields', async () => {
    const h = harness();
    h.store.transact((tx) => tx.put(lease(net0(10))));
    const reply = await h.send('lease4-del', { 'ip-address': '198.18.0.10', 'hw-address': 'ff:ff:ff:ff:ff:ff', 'subnet-id': 1, expire: NOW_SEC, 'valid-lft': 10, origin: 'ha-partner' });
    expect(reply).toEqual({ result: 0, text: 'IPv4 lease deleted.' });
    expect(h.store.get(net0(10))).toBeUndefined();
  });

  it('deletes by hw-address identifier', async () => {
    const h = harness();
    h.store.transact((tx) => tx.put(lease(net0(10))));
    expect((await h.send('lease4-del', { 'identifier-type': 'hw-address', identifier: '00:0c:01:02:03:0a', 'subnet-id': 1 })).result).toBe(0);
    expect(h.store.count()).toBe(0);
  });

  it('returns result 3 for a missing lease', async () => {
    expect(await harness().send('lease4-del', { 'ip-address': '198.18.0.10' })).toEqual({ result: 3, text: 'IPv4 lease not found.' });
  });

  it('rejects a non-boolean update-ddns', async () => {
    const reply = await harness().send('lease4-del', { 'ip-address': '198.18.0.10', 'update-ddns': 1 });
    expect(reply).toEqual({ result: 1, text: "'update-ddns' in the 'lease4-del' command must be true or false, not 1" });
  });
});

describe('control: lease4-wipe', () => {
  function filled(): ReturnType<typeof harness> {
    const h = harness();
    h.store.transact((tx) => {
      tx.put(lease(net0(10)));
      tx.put(lease(net0(11)));
      tx.put(lease(net1(10), { subnetId: 2 }));
    });
    return h;
  }

  it('deletes the leases of one subnet', async () => {
    const h = filled();
    expect(await h.send('lease4-wipe', { 'subnet-id': 1 })).toEqual({ result: 0, text: 'Deleted 2 IPv4 lease(s) from subnet(s) 1' });
    expect(h.store.count()).toBe(1);
  });

  it('deletes every lease without subnet-id', async () => {
    const h = filled();
    expect(await h.send('lease4-wipe')).toEqual({ result: 0, text: 'Deleted 3 IPv4 lease(s) from subnet(s) 1 2' });
    expect(h.store.count()).toBe(0);
  });

  it('returns result 3 when nothing was deleted', async () => {
    expect(await filled().send('lease4-wipe', { 'subnet-id': 7 })).toEqual({ result: 3, text: 'Deleted 0 IPv4 lease(s) from subnet(s) 7' });
  });

  it('rejects a non-integer subnet-id', async () => {
    expect(await filled().send('lease4-wipe', { 'subnet-id': 'all' })).toEqual({ result: 1, text: "'subnet-id' parameter is not integer." });
  });
});

describe('control: leases-reclaim', () => {
  function withExpired(): ReturnType<typeof harness> {
    const h = harness();
    h.store.transact((tx) => {
      tx.put(lease(net0(10), { cltt: NOW_SEC - 5000 }));
      tx.put(lease(net0(11), { cltt: NOW_SEC - 5000, state: LeaseState.DECLINED }));
      tx.put(lease(net0(12)));
    });
    return h;
  }

  it('marks expired leases reclaimed with remove false', async () => {
    const h = withExpired();
    expect(await h.send('leases-reclaim', { remove: false })).toEqual({ result: 0, text: 'Reclamation of expired leases is complete.' });
    expect(h.store.get(net0(10))?.state).toBe(LeaseState.EXPIRED_RECLAIMED);
    expect(h.store.get(net0(11))?.state).toBe(LeaseState.EXPIRED_RECLAIMED);
    expect(h.store.get(net0(12))?.state).toBe(LeaseState.DEFAULT);
  });

  it('deletes expired leases with remove true', async () => {
    const h = withExpired();
    await h.send('leases-reclaim', { remove: true });
    expect(h.store.count()).toBe(1);
    expect(h.store.get(net0(12))).toBeDefined();
  });

  it.each([
    ['no arguments', undefined, "Missing mandatory 'remove' parameter."],
    ['a non-boolean remove', { remove: 'yes' }, "'remove' parameter expected to be a boolean."],
  ])('rejects %s with result 1', async (_name, args, text) => {
    expect(await harness().send('leases-reclaim', args)).toEqual({ result: 1, text });
  });
});
