import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import { parseKeaJson, readKeaJsonFile } from '../../../src/config/read.js';
import type { NestorError } from '../../../src/errors.js';

const FIXTURES = resolve(import.meta.dirname, '../../fixtures/configs');

function errorOf(fn: () => unknown): NestorError {
  try {
    fn();
  } catch (err) {
    return err as NestorError;
  }
  throw new Error('expected an error');
}

describe('Kea JSON reader: comments and Kea number forms', () => {
  it('ignores #, // and /* */ comments outside strings', () => {
    const text = '# top\n{ // line\n "a": /* inline */ 1, "b": "x // not a comment # nor this" }';
    expect(parseKeaJson(text, '/tmp/t.json').value).toEqual({ a: 1, b: 'x // not a comment # nor this' });
  });

  it('reads numbers with a leading dot, as Kea does', () => {
    expect(parseKeaJson('{ "t1-percent": .5, "n": -.25 }', '/tmp/t.json').value).toEqual({ 't1-percent': 0.5, n: -0.25 });
  });

  it('decodes string escapes', () => {
    expect(parseKeaJson('["a\\\\,b", "\\u0041\\n"]', '/tmp/t.json').value).toEqual(['a\\,b', 'A\n']);
  });

  it('warns about a duplicate key and keeps the last value', () => {
    const result = parseKeaJson('{ "Dhcp4": { "a": 1, "a": 2 } }', '/tmp/t.json');
    expect(result.value).toEqual({ Dhcp4: { a: 2 } });
    expect(result.warnings).toEqual([{ severity: 'warning', path: 'Dhcp4.a', message: 'duplicate key at /tmp/t.json:1:22, the last value is used' }]);
  });
});

describe('Kea JSON reader: syntax errors', () => {
  const cases: Array<[text: string, message: string]> = [
    ['{ "a": 1, }', "/tmp/t.json:1:11: expected a double-quoted key"],
    ['{\n  "a" 1 }', `/tmp/t.json:2:7: expected ':' after the key "a"`],
    ['{ "a": [1, 2 }', "/tmp/t.json:1:14: expected ',' or ']' after array element 1"],
    ['{ "a": tru }', "/tmp/t.json:1:8: unexpected character 't' (expected a value)"],
    ['{ "a": 1 } x', '/tmp/t.json:1:12: unexpected text after the end of the JSON document'],
    ['{ "a": 1 /* open', '/tmp/t.json:1:10: comment opened with /* is never closed'],
    ['{ "a": "open\n" }', '/tmp/t.json:1:13: string is not closed before the end of the line'],
    ['{ "a": ', '/tmp/t.json:1:8: unexpected end of input (expected a value)'],
  ];

  it.each(cases)('%j fails with its position', (text, message) => {
    const err = errorOf(() => parseKeaJson(text, '/tmp/t.json'));
    expect(err.code).toBe('NESTOR_ERR_CONFIG_SYNTAX');
    expect(err.message).toBe(message);
  });
});

describe('Kea JSON reader: includes', () => {
  it('splices nested includes relative to the including file', () => {
    const { value } = readKeaJsonFile(resolve(FIXTURES, 'with-include.json'));
    expect(value).toEqual({
      Dhcp4: { 'valid-lifetime': 4000, subnet4: [{ id: 7, subnet: '198.18.7.0/24', pools: [{ pool: '198.18.7.10 - 198.18.7.20' }] }] },
    });
  });

  it('rejects an include cycle and names the chain', () => {
    const err = errorOf(() => readKeaJsonFile(resolve(FIXTURES, 'include-cycle-a.json')));
    expect(err.code).toBe('NESTOR_ERR_CONFIG_INCLUDE');
    const a = resolve(FIXTURES, 'include-cycle-a.json');
    const b = resolve(FIXTURES, 'include-cycle-b.json');
    expect(err.message).toBe(`${b}:1:1: include cycle ${a} → ${b} → ${a}`);
  });

  it('rejects a missing included file', () => {
    const err = errorOf(() => readKeaJsonFile(resolve(FIXTURES, 'include-missing.json')));
    expect(err.code).toBe('NESTOR_ERR_CONFIG_INCLUDE');
    expect(err.message).toBe(`${resolve(FIXTURES, 'include-missing.json')}:1:12: cannot read included file 'no-such-file.json': not found (ENOENT)`);
  });

  it('rejects a file that includes itself', () => {
    const err = errorOf(() => parseKeaJson('<?include "./t.json"?>', '/tmp/nestor-no-such-dir/t.json'));
    expect(err.code).toBe('NESTOR_ERR_CONFIG_INCLUDE');
    expect(err.message).toBe('/tmp/nestor-no-such-dir/t.json:1:1: include cycle /tmp/nestor-no-such-dir/t.json → /tmp/nestor-no-such-dir/t.json');
  });

  it('rejects includes nested more than 10 deep', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nestor-include-'));
    try {
      for (let i = 0; i < 12; i++) writeFileSync(join(dir, `f${i}.json`), i === 11 ? '1' : `<?include "f${i + 1}.json"?>`);
      const err = errorOf(() => readKeaJsonFile(join(dir, 'f0.json')));
      expect(err.code).toBe('NESTOR_ERR_CONFIG_INCLUDE');
      expect(err.message).toBe(`${join(dir, 'f10.json')}:1:1: includes are nested more than 10 deep`);
      writeFileSync(join(dir, 'f10.json'), '2');
      expect(readKeaJsonFile(join(dir, 'f0.json')).value).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a missing configuration file', () => {
    const err = errorOf(() => readKeaJsonFile('/tmp/nestor-no-such-config.json'));
    expect(err.code).toBe('NESTOR_ERR_CONFIG_READ');
    expect(err.message).toBe('/tmp/nestor-no-such-config.json: cannot read the configuration file: not found (ENOENT)');
  });

  it('rejects a directory as the configuration file', () => {
    const err = errorOf(() => readKeaJsonFile(FIXTURES));
    expect(err.code).toBe('NESTOR_ERR_CONFIG_READ');
    expect(err.message).toBe(`${FIXTURES}: cannot read the configuration file: is a directory (EISDIR)`);
  });

  // root reads a file whatever its mode, so the check needs an unprivileged user.
  it.skipIf(process.getuid?.() === 0)('rejects an unreadable configuration file (skipped as root)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nestor-config-'));
    try {
      const file = join(dir, 'kea-dhcp4.conf');
      writeFileSync(file, '{}', { mode: 0o000 });
      const err = errorOf(() => readKeaJsonFile(file));
      expect(err.code).toBe('NESTOR_ERR_CONFIG_READ');
      expect(err.message).toBe(`${file}: cannot read the configuration file: permission denied (EACCES)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
