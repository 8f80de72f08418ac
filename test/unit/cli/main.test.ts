import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { main } from '../../../src/cli/main.js';

let out = '';
let err = '';

beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { out += String(chunk); return true; });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => { err += String(chunk); return true; });
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('cli: help and usage errors', () => {
  it.each([
    [['--help']], [['help', 'serve']], [['serve', '--help']], [['config', 'check', '-h']], [['leases', 'list', '--help']], [['demo', '-h']],
  ])('prints help for %j and exits 0', async (argv) => {
    expect(await main(argv)).toBe(0);
    expect(out).toMatch(/^(usage|nestor)/);
    expect(err).toBe('');
  });

  it.each([
    [[], /usage: nestor <command>/],
    [['frob'], /unknown command 'frob'/],
    [['--bogus'], /unknown option '--bogus'/],
    [['serve'], /serve: missing -c FILE/],
    [['serve', '--bogus'], /serve: unknown option '--bogus'/],
    [['serve', '-c', 'x.json', '--workers', '99'], /--workers '99' is invalid \(expected an integer from 0 to 64\)/],
    [['serve', '-c', 'x.json', '--log-level', 'loud'], /--log-level 'loud' is invalid/],
    [['config'], /unknown 'config' subcommand/],
    [['config', 'check'], /expected exactly one argument/],
    [['leases', 'list'], /missing -c FILE/],
    [['demo', '--clients', '0'], /--clients '0' is invalid/],
  ])('rejects %j with exit code 2', async (argv, message) => {
    expect(await main(argv as string[])).toBe(2);
    expect(err).toMatch(message as RegExp);
    expect(err).toMatch(/usage: nestor/);
  });

  it('shows the command usage after a usage error', async () => {
    await main(['serve', '--bogus']);
    expect(err).toContain('usage: nestor serve -c FILE');
  });
});

describe('cli: config check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nestor-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 and prints a summary for a valid file', async () => {
    const path = join(dir, 'ok.json');
    writeFileSync(path, JSON.stringify({ Dhcp4: { subnet4: [{ id: 1, subnet: '198.19.0.0/24', pools: [{ pool: '198.19.0.10 - 198.19.0.20' }] }] } }));
    expect(await main(['config', 'check', path])).toBe(0);
    expect(out).toContain('198.19.0.0/24');
    expect(out).toContain('0 error(s)');
  });

  it('exits 1 and names the path of an invalid value', async () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ Dhcp4: { subnet4: [{ id: 1, subnet: '198.19.0.0/24', pools: [{ pool: '198.19.0.20 - 198.19.0.10' }] }] } }));
    expect(await main(['config', 'check', path])).toBe(1);
    expect(out).toContain('error: Dhcp4.subnet4[0].pools[0].pool');
  });

  it('exits 1 for a missing file with the error code', async () => {
    expect(await main(['leases', 'list', '-c', join(dir, 'missing.json')])).toBe(1);
    expect(err).toContain('[NESTOR_ERR_CONFIG_INVALID]');
  });
});
