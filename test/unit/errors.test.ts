import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { E, RETIRED_CODES, nestorError, reviveError } from '../../src/errors.js';

/** Codes in the first column of docs/errors.md's table. */
function documentedCodes(): string[] {
  return [...readFileSync('docs/errors.md', 'utf8').matchAll(/^\| `(NESTOR_ERR_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
}

describe('error registry', () => {
  it('documents every registered code in docs/errors.md', () => {
    const documented = new Set(documentedCodes());
    for (const { code } of Object.values(E)) expect(documented.has(code), code).toBe(true);
  });

  it('registers every code docs/errors.md lists', () => {
    const registered = new Set<string>(Object.values(E).map((e) => e.code));
    for (const code of documentedCodes()) expect(registered.has(code), code).toBe(true);
  });

  it('names each code after its key and never reuses a retired code', () => {
    for (const [key, { code }] of Object.entries(E)) {
      expect(code).toBe(`NESTOR_ERR_${key}`);
      expect(RETIRED_CODES.includes(code)).toBe(false);
    }
  });

  it('revives an error that crossed a worker boundary by its code', () => {
    const original = nestorError('LEASES_WRITE', 'lease database full');
    const revived = reviveError({ code: original.code, message: original.message });
    expect((revived as { code?: string }).code).toBe('NESTOR_ERR_LEASES_WRITE');
    expect(revived.message).toBe('lease database full');
    expect(revived).toBeInstanceOf(E.LEASES_WRITE.cls);
  });
});
