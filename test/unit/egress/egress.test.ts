import { describe, expect, it } from 'vitest';

import { DeliveryKind } from '../../../src/engine/types.js';
import { Egress } from '../../../src/io/egress.js';
import type { BatchSender } from '../../../src/io/egress.js';
import {
  META_WORDS, TX_DST_ADDR, TX_DST_MAC_HI, TX_DST_MAC_LO, TX_DST_PORT, TX_IFINDEX, TX_LENGTH, TX_OFFSET, TX_SRC_ADDR, TX_SRC_PORT,
  TX_VLAN,
} from '../../../src/io/batch.js';
import type { TxBatch } from '../../../src/io/batch.js';
import {
  R_DELIVERY, R_DST_ADDR, R_DST_MAC_HI, R_DST_MAC_LO, R_DST_PORT, R_IFINDEX, R_LENGTH, R_OFFSET, R_SRC_ADDR, R_VLAN, RESULT_STRIDE,
} from '../../../src/pipeline/batch.js';
import type { ResultBatch } from '../../../src/pipeline/batch.js';

const SERVER = 0xc6120001;

class RecordingSender implements BatchSender {
  batches: TxBatch[] = [];
  send(tx: TxBatch): number {
    this.batches.push({ count: tx.count, data: tx.data, meta: tx.meta.slice() });
    return tx.count;
  }
}

interface Reply { kind: DeliveryKind; dst: number; port: number; ifindex: number; macHi?: number; macLo?: number; vlan?: number }

function resultOf(replies: Reply[]): ResultBatch {
  const meta = new Uint32Array(replies.length * RESULT_STRIDE);
  replies.forEach((r, i) => {
    const row = i * RESULT_STRIDE;
    meta[row + R_OFFSET] = i * 300;
    meta[row + R_LENGTH] = 300;
    meta[row + R_DST_ADDR] = r.dst;
    meta[row + R_DST_PORT] = r.port;
    meta[row + R_SRC_ADDR] = SERVER;
    meta[row + R_IFINDEX] = r.ifindex;
    meta[row + R_DELIVERY] = r.kind;
    meta[row + R_DST_MAC_HI] = r.macHi ?? 0;
    meta[row + R_DST_MAC_LO] = r.macLo ?? 0;
    meta[row + R_VLAN] = r.vlan ?? 0;
  });
  return { count: replies.length, data: new Uint8Array(replies.length * 300), meta, changes: [], changeOwners: [], outcomes: {}, error: undefined };
}

describe('egress: delivery to sockets', () => {
  it('sends relay and ciaddr replies through the UDP socket unchanged', () => {
    const udp = new RecordingSender();
    const egress = new Egress(new Map([[3, udp]]), new Map(), 67);
    egress.send(resultOf([
      { kind: DeliveryKind.RELAY, dst: 0xc612000a, port: 67, ifindex: 3 },
      { kind: DeliveryKind.CIADDR, dst: 0xc6130064, port: 68, ifindex: 3 },
    ]));

    expect(udp.batches).toHaveLength(1);
    const meta = udp.batches[0].meta;
    expect(meta[TX_DST_ADDR]).toBe(0xc612000a);
    expect(meta[TX_DST_PORT]).toBe(67);
    expect(meta[TX_SRC_ADDR]).toBe(SERVER);
    expect(meta[TX_IFINDEX]).toBe(3);
    expect(meta[META_WORDS + TX_DST_ADDR]).toBe(0xc6130064);
    expect(meta[META_WORDS + TX_OFFSET]).toBe(300);
    expect(meta[META_WORDS + TX_LENGTH]).toBe(300);
    expect(egress.counters.sent).toBe(2);
  });

  it('broadcasts a yiaddr reply on UDP when the interface has no raw socket', () => {
    const udp = new RecordingSender();
    const egress = new Egress(new Map([[3, udp]]), new Map(), 67);
    egress.send(resultOf([{ kind: DeliveryKind.YIADDR, dst: 0xc6130064, port: 68, ifindex: 3, macHi: 0x0200, macLo: 1 }]));

    expect(udp.batches[0].meta[TX_DST_ADDR]).toBe(0xffffffff);
  });

  it('sends link-layer replies as frames on the raw socket', () => {
    const udp = new RecordingSender();
    const raw = new RecordingSender();
    const egress = new Egress(new Map([[3, udp]]), new Map([[3, raw]]), 67);
    egress.send(resultOf([
      { kind: DeliveryKind.YIADDR, dst: 0xc6130064, port: 68, ifindex: 3, macHi: 0x0200, macLo: 0x00000001, vlan: 0x10064 },
      { kind: DeliveryKind.BROADCAST, dst: 0, port: 68, ifindex: 3, macHi: 0xffff, macLo: 0xffffffff },
      { kind: DeliveryKind.RELAY, dst: 0xc612000a, port: 67, ifindex: 3 },
    ]));

    expect(raw.batches).toHaveLength(1);
    const meta = raw.batches[0].meta;
    expect(raw.batches[0].count).toBe(2);
    expect(meta[TX_DST_ADDR]).toBe(0xc6130064);
    expect(meta[TX_DST_PORT]).toBe(68);
    expect(meta[TX_SRC_PORT]).toBe(67);
    expect(meta[TX_DST_MAC_HI]).toBe(0x0200);
    expect(meta[TX_DST_MAC_LO]).toBe(1);
    expect(meta[TX_VLAN]).toBe(0x10064);
    expect(meta[META_WORDS + TX_DST_ADDR]).toBe(0xffffffff);
    expect(meta[META_WORDS + TX_DST_MAC_HI]).toBe(0xffff);
    expect(meta[META_WORDS + TX_DST_MAC_LO]).toBe(0xffffffff);
    expect(udp.batches).toHaveLength(1);
    expect(udp.batches[0].count).toBe(1);
  });

  it('counts replies for an interface without a socket', () => {
    const egress = new Egress(new Map([[3, new RecordingSender()], [4, new RecordingSender()]]), new Map(), 67);
    egress.send(resultOf([{ kind: DeliveryKind.RELAY, dst: 0xc612000a, port: 67, ifindex: 9 }]));

    expect(egress.counters.noSocket).toBe(1);
    expect(egress.counters.sent).toBe(0);
  });
});
