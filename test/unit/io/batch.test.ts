import { describe, expect, it } from 'vitest';

import {
  formatMac,
  MAC_BROADCAST_HI,
  MAC_BROADCAST_LO,
  macHi,
  macLo,
  META_WORDS,
  TX_DST_ADDR,
  TX_DST_MAC_HI,
  TX_DST_MAC_LO,
  TX_SRC_PORT,
  TX_VLAN,
  VLAN_PRESENT,
  TX_DST_PORT,
  TX_IFINDEX,
  TX_LENGTH,
  TX_OFFSET,
  TX_SRC_ADDR,
  TxBatchBuilder,
} from '../../../src/io/batch.js';

describe('TxBatchBuilder: building a batch', () => {
  it('packs committed datagrams back to back with their send meta', () => {
    const builder = new TxBatchBuilder(4, 100);
    const first = builder.reserve(50)!;
    first.buf.fill(1, first.offset, first.offset + 10);
    builder.commit(10, 0xc6120001, 68, 0xc6120002, 3);
    const second = builder.reserve(50)!;
    second.buf.fill(2, second.offset, second.offset + 20);
    builder.commit(20, 0xffffffff, 68, 0, 0);

    expect(builder.count).toBe(2);
    expect(second.offset).toBe(10);
    expect(Array.from(builder.meta.subarray(0, 6))).toEqual([0, 10, 0xc6120001, 68, 0xc6120002, 3]);
    const row = META_WORDS;
    expect(builder.meta[row + TX_OFFSET]).toBe(10);
    expect(builder.meta[row + TX_LENGTH]).toBe(20);
    expect(builder.meta[row + TX_DST_ADDR]).toBe(0xffffffff);
    expect(builder.meta[row + TX_DST_PORT]).toBe(68);
    expect(builder.meta[row + TX_SRC_ADDR]).toBe(0);
    expect(builder.meta[row + TX_IFINDEX]).toBe(0);
    expect(Array.from(builder.data.subarray(8, 12))).toEqual([1, 1, 2, 2]);
  });

  it('reuses one reservation object', () => {
    const builder = new TxBatchBuilder(2, 100);
    const first = builder.reserve(10);
    builder.commit(5, 1, 1, 0, 0);
    expect(builder.reserve(10)).toBe(first);
  });

  it('returns undefined when the datagram count is reached', () => {
    const builder = new TxBatchBuilder(1, 100);
    builder.reserve(10);
    builder.commit(10, 1, 1, 0, 0);
    expect(builder.reserve(10)).toBeUndefined();
  });

  it('returns undefined when the buffer has no room', () => {
    const builder = new TxBatchBuilder(4, 100);
    builder.reserve(60);
    builder.commit(60, 1, 1, 0, 0);
    expect(builder.reserve(41)).toBeUndefined();
    expect(builder.reserve(40)?.offset).toBe(60);
  });

  it('starts over after reset', () => {
    const builder = new TxBatchBuilder(1, 100);
    builder.reserve(10);
    builder.commit(10, 1, 1, 0, 0);
    builder.reset();
    expect(builder.count).toBe(0);
    expect(builder.reserve(100)?.offset).toBe(0);
  });

  it('rejects a commit longer than the reservation', () => {
    const builder = new TxBatchBuilder(1, 100);
    builder.reserve(10);
    expect(() => builder.commit(11, 1, 1, 0, 0)).toThrow(/exceeds the reserved 10 bytes/);
  });

  it('rejects a commit without reservation', () => {
    const builder = new TxBatchBuilder(1, 100);
    expect(() => builder.commit(1, 1, 1, 0, 0)).toThrow(/without reserve/);
  });

  it.each([0, 1025, 1.5])('rejects capacity %s', (capacity) => {
    expect(() => new TxBatchBuilder(capacity, 100)).toThrow(RangeError);
  });
});

describe('TxBatchBuilder: frames for raw sockets', () => {
  it('writes the link words with commitFrame', () => {
    const builder = new TxBatchBuilder(2, 100);
    builder.reserve(10);
    builder.commitFrame(10, 0xc612004d, 68, 0xc6120002, 67, 0x0200, 0x00000042, VLAN_PRESENT | 7);
    expect(builder.meta[TX_SRC_PORT]).toBe(67);
    expect(builder.meta[TX_DST_MAC_HI]).toBe(0x0200);
    expect(builder.meta[TX_DST_MAC_LO]).toBe(0x42);
    expect(builder.meta[TX_VLAN]).toBe(VLAN_PRESENT | 7);
    expect(builder.meta[TX_IFINDEX]).toBe(0);
  });

  it('zeroes the link words in commit after a reset', () => {
    const builder = new TxBatchBuilder(1, 100);
    builder.reserve(10);
    builder.commitFrame(10, 1, 68, 2, 67, MAC_BROADCAST_HI, MAC_BROADCAST_LO, VLAN_PRESENT);
    builder.reset();
    builder.reserve(10);
    builder.commit(10, 1, 68, 2, 3);
    expect(Array.from(builder.meta.subarray(TX_SRC_PORT, META_WORDS))).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe('MAC words', () => {
  const mac = Uint8Array.of(0, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6);

  it('splits a MAC address into two words', () => {
    expect(macHi(mac, 1)).toBe(0xa1b2);
    expect(macLo(mac, 1)).toBe(0xc3d4e5f6);
  });

  it('formats the two words back', () => {
    expect(formatMac(macHi(mac, 1), macLo(mac, 1))).toBe('a1:b2:c3:d4:e5:f6');
    expect(formatMac(MAC_BROADCAST_HI, MAC_BROADCAST_LO)).toBe('ff:ff:ff:ff:ff:ff');
  });
});
