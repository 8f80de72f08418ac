import pino from 'pino';
import { describe, expect, it } from 'vitest';

import { parseIp } from '../../../src/codec/addr.js';
import { MSG_DHCPACK, MSG_DHCPDISCOVER, MSG_DHCPOFFER, MSG_DHCPREQUEST } from '../../../src/codec/constants.js';
import { buildRequest } from '../../../src/codec/request-builder.js';
import { parseConfigText } from '../../../src/config/load.js';
import type { ServerConfig } from '../../../src/config/types.js';
import { Engine } from '../../../src/engine/engine.js';
import { DeliveryKind } from '../../../src/engine/types.js';
import { nestorError } from '../../../src/errors.js';
import { MemoryLeaseStore } from '../../../src/leases/memory-store.js';
import {
  R_DELIVERY, R_DST_ADDR, R_DST_PORT, R_IFINDEX, R_LENGTH, R_OFFSET, R_SRC_ADDR, RESULT_STRIDE,
  W_DST_ADDR, W_IFINDEX, W_LENGTH, W_LOCAL_ADDR, W_OFFSET, W_SRC_ADDR, W_SRC_PORT, WORK_STRIDE,
} from '../../../src/pipeline/batch.js';
import type { WorkBatch } from '../../../src/pipeline/batch.js';
import { BatchProcessor } from '../../../src/pipeline/process.js';

const SERVER = ip('198.18.0.1');
const RELAY = ip('198.18.0.10');
const NOW = 1_800_000_000;

function ip(text: string): number {
  const value = parseIp(text);
  if (value === undefined) throw new Error(`bad address literal '${text}'`);
  return value;
}

function loadTestConfig(): ServerConfig {
  const { config, issues } = parseConfigText(JSON.stringify({
    Dhcp4: {
      'interfaces-config': { interfaces: ['eth0'], 'dhcp-socket-type': 'udp' },
      'lease-database': { type: 'lmdb', name: '/tmp/unused.lmdb' },
      subnet4: [{ id: 1, subnet: '198.19.0.0/24', pools: [{ pool: '198.19.0.10 - 198.19.0.20' }], relay: { 'ip-addresses': ['198.18.0.10'] } }],
    },
  }), 'test.json');
  if (!config) throw new Error(JSON.stringify(issues));
  return config;
}

/** A work batch of relayed requests as the dispatcher builds it. */
function workBatch(packets: Uint8Array[]): WorkBatch {
  const total = packets.reduce((n, p) => n + p.length, 0);
  const data = new Uint8Array(total);
  const meta = new Uint32Array(packets.length * WORK_STRIDE);
  let used = 0;
  packets.forEach((p, i) => {
    const row = i * WORK_STRIDE;
    data.set(p, used);
    meta[row + W_OFFSET] = used;
    meta[row + W_LENGTH] = p.length;
    meta[row + W_SRC_ADDR] = RELAY;
    meta[row + W_SRC_PORT] = 67;
    meta[row + W_DST_ADDR] = SERVER;
    meta[row + W_IFINDEX] = 3;
    meta[row + W_LOCAL_ADDR] = SERVER;
    used += p.length;
  });
  return { count: packets.length, data, meta, nowSec: NOW, isFailover: false };
}

function discover(last: number): Uint8Array {
  return buildRequest({ messageType: MSG_DHCPDISCOVER, xid: 0x1000 + last, chaddr: `02:00:00:00:00:${last.toString(16).padStart(2, '0')}`, giaddr: RELAY, hops: 1 });
}

function setup(store = new MemoryLeaseStore()): { processor: BatchProcessor; store: MemoryLeaseStore } {
  const log = pino({ level: 'silent' });
  const engine = new Engine(loadTestConfig(), { log, serverAddresses: [SERVER] });
  return { processor: new BatchProcessor(engine, store, log), store };
}

/** Offers an address to client 02:00:00:00:00:01 and builds that client's REQUEST for it. */
function offerThenRequest(processor: BatchProcessor): { yiaddr: number; request: Uint8Array } {
  const offer = processor.process(workBatch([discover(1)]));
  const yiaddr = new DataView(offer.data.buffer, offer.data.byteOffset).getUint32(offer.meta[R_OFFSET] + 16);
  const request = buildRequest({
    messageType: MSG_DHCPREQUEST, xid: 0x1001, chaddr: '02:00:00:00:00:01', giaddr: RELAY, hops: 1,
    options: [[50, Uint8Array.of(yiaddr >>> 24, (yiaddr >>> 16) & 0xff, (yiaddr >>> 8) & 0xff, yiaddr & 0xff)], [54, Uint8Array.of(198, 18, 0, 1)]],
  });
  return { yiaddr, request };
}

function messageTypeOf(data: Uint8Array, offset: number): number {
  return data[offset + 240] === 53 ? data[offset + 242] : -1;
}

describe('pipeline: batch processing', () => {
  it('answers each valid request of a batch and counts the malformed one', () => {
    const { processor } = setup();
    const result = processor.process(workBatch([discover(1), new Uint8Array(100), discover(2)]));

    expect(result.error).toBeUndefined();
    expect(result.count).toBe(2);
    expect(result.outcomes['drop-too-short']).toBe(1);
    expect(result.outcomes.offer).toBe(2);
    for (let i = 0; i < result.count; i++) {
      const row = i * RESULT_STRIDE;
      expect(messageTypeOf(result.data, result.meta[row + R_OFFSET])).toBe(MSG_DHCPOFFER);
      expect(result.meta[row + R_LENGTH]).toBeGreaterThanOrEqual(300);
      expect(result.meta[row + R_DST_ADDR]).toBe(RELAY);
      expect(result.meta[row + R_DST_PORT]).toBe(67);
      expect(result.meta[row + R_SRC_ADDR]).toBe(SERVER);
      expect(result.meta[row + R_IFINDEX]).toBe(3);
      expect(result.meta[row + R_DELIVERY]).toBe(DeliveryKind.RELAY);
    }
  });

  it('commits the lease before returning the ACK and reports the change', () => {
    const { processor, store } = setup();
    const { yiaddr, request } = offerThenRequest(processor);

    const ack = processor.process(workBatch([request]));

    expect(ack.count).toBe(1);
    expect(messageTypeOf(ack.data, ack.meta[R_OFFSET])).toBe(MSG_DHCPACK);
    expect(store.get(yiaddr)?.hwAddress).toEqual(Uint8Array.of(2, 0, 0, 0, 0, 1));
    expect(ack.changes).toHaveLength(1);
    expect(ack.changes[0].kind).toBe('update');
  });

  it('sends no reply of a batch whose commit fails', () => {
    const store = new MemoryLeaseStore();
    store.transact = () => { throw nestorError('LEASES_WRITE', 'lease database full'); };
    const { processor } = setup(store);
    const result = processor.process(workBatch([discover(1), discover(2)]));

    expect(result.count).toBe(0);
    expect(result.error?.code).toBe('NESTOR_ERR_LEASES_WRITE');
    expect(result.outcomes['drop-commit-failed']).toBe(2);
  });

  it('read pass opens no transaction', () => {
    const { processor, store } = setup();
    const { yiaddr, request } = offerThenRequest(processor);
    const batch = workBatch([discover(2), request, discover(3)]);
    let transactions = 0;
    const transact = store.transact.bind(store);
    store.transact = (fn) => {
      transactions++;
      return transact(fn);
    };

    const reads = processor.process(batch, 'reads');
    expect(transactions).toBe(0);
    expect(reads.outcomes).toEqual({ offer: 2 });
    expect(processor.writesSkipped).toBe(1);
    expect(store.get(yiaddr)).toBeUndefined();

    const writes = processor.process(batch, 'writes');
    expect(transactions).toBe(1);
    expect(writes.outcomes).toEqual({ ack: 1 });
    expect(messageTypeOf(writes.data, writes.meta[R_OFFSET])).toBe(MSG_DHCPACK);
    expect(store.get(yiaddr)).toBeDefined();
  });

  it('write pass inside a caller transaction', () => {
    const { processor, store } = setup();
    const { yiaddr, request } = offerThenRequest(processor);
    const batch = workBatch([request]);

    expect(() => store.transact((tx) => {
      processor.decideBatch(batch, 'writes', tx);
      throw new Error('the group failed');
    })).toThrow('the group failed');
    expect(store.get(yiaddr)).toBeUndefined();

    const result = store.transact((tx) => processor.decideBatch(batch, 'writes', tx));
    expect(result.outcomes).toEqual({ ack: 1 });
    expect(result.changes.map((c) => c.lease.address)).toEqual([yiaddr]);
    expect(result.changeOwners).toEqual([0]);
    expect(store.get(yiaddr)).toBeDefined();
  });
});
