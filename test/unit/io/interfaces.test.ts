import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { InterfaceTable, formatIpv4, interfaceByIndex, interfaceByName, parseIpv4 } from '../../../src/io/interfaces.js';

describe('interfaces: loopback lookup', () => {
  it('finds lo by name with its sysfs index and 127.0.0.1', () => {
    const lo = interfaceByName('lo');
    expect(lo).toBeDefined();
    expect(lo!.index).toBe(Number.parseInt(readFileSync('/sys/class/net/lo/ifindex', 'utf8'), 10));
    expect(lo!.addresses).toContain(0x7f000001);
  });

  it('finds lo by index', () => {
    const lo = interfaceByName('lo')!;
    expect(interfaceByIndex(lo.index)?.name).toBe('lo');
  });

  it('returns undefined for unknown names and indexes', () => {
    expect(interfaceByName('nestor-none0')).toBeUndefined();
    expect(interfaceByIndex(0)).toBeUndefined();
  });
});

describe('InterfaceTable: cache and refresh', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the table until refresh', () => {
    dir = mkdtempSync(join(tmpdir(), 'nestor-sysfs-'));
    const addInterface = (name: string, index: number): void => {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'ifindex'), `${index}\n`);
    };
    addInterface('veth-a', 41);
    const table = new InterfaceTable(dir);
    expect(table.interfaceByIndex(41)).toEqual({ name: 'veth-a', addresses: [] });

    addInterface('veth-b', 42);
    expect(table.interfaceByName('veth-b')).toBeUndefined();
    table.refresh();
    expect(table.interfaceByName('veth-b')).toEqual({ name: 'veth-b', addresses: [], index: 42 });
  });

  it('skips entries without a readable ifindex', () => {
    dir = mkdtempSync(join(tmpdir(), 'nestor-sysfs-'));
    mkdirSync(join(dir, 'broken0'));
    expect(new InterfaceTable(dir).interfaceByName('broken0')).toBeUndefined();
  });
});

describe('parseIpv4 and formatIpv4: conversions', () => {
  it.each([
    { text: '198.18.0.1', value: 0xc6120001 },
    { text: '0.0.0.0', value: 0 },
    { text: '255.255.255.255', value: 0xffffffff },
  ])('converts $text', ({ text, value }) => {
    expect(parseIpv4(text)).toBe(value);
    expect(formatIpv4(value)).toBe(text);
  });

  it.each(['198.18.0', '198.18.0.256', '198.18.0.-1', 'a.b.c.d', '1.2.3.4.5', ''])('rejects %j', (text) => {
    expect(parseIpv4(text)).toBeUndefined();
  });
});
