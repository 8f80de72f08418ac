import { describe, expect, it } from 'vitest';

import { editDistance, suggestKey } from '../../../src/config/suggest.js';

describe('editDistance: optimal string alignment', () => {
  const cases: Array<[a: string, b: string, distance: number]> = [
    ['', '', 0],
    ['', 'abc', 3],
    ['pool', 'pools', 1],
    ['valid-liftime', 'valid-lifetime', 1],
    ['nmae', 'name', 1],
    ['ab', 'ba', 1],
    ['kitten', 'sitting', 3],
    ['ca', 'abc', 3],
  ];

  it.each(cases)('%j → %j is %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});

describe('suggestKey: candidates for an unknown key', () => {
  const keys = ['valid-lifetime', 'min-valid-lifetime', 'renew-timer', 'rebind-timer', 'interfaces-config', 'subnet4', 'id', 'ip'];
  const cases: Array<[key: string, suggestion: string | undefined]> = [
    ['valid-liftime', 'valid-lifetime'],
    ['min-valid-lifetim', 'min-valid-lifetime'],
    ['rebind_timer', 'rebind-timer'],
    ['Renew-Timer', 'renew-timer'],
    ['subnet', 'subnet4'],
    ['subnets', 'subnet4'],
    ['interfaces', 'interfaces-config'],
    ['renew', 'renew-timer'],
    ['xy', undefined],
    ['idx', 'id'],
    ['lifetime', undefined],
    ['totally-unrelated', undefined],
  ];

  it.each(cases)('%j suggests %j', (key, suggestion) => {
    expect(suggestKey(key, keys)).toBe(suggestion);
  });

  it('prefers the closest candidate over an earlier one', () => {
    expect(suggestKey('rebind-timers', ['renew-timer', 'rebind-timer'])).toBe('rebind-timer');
  });

  it('prefers an edit-distance match over a prefix match', () => {
    expect(suggestKey('pool', ['pool-id', 'pools'])).toBe('pools');
  });
});
